"""Who may write what, and the preconditions every write to a claim carries.

Roles come from model permissions (``verifier.rest.RolePermission``); the
actions below name theirs. Rules that depend on the data, such as who may set
a final verdict, stay in ``claims.services``.

A write to an existing claim, or to one of its statements, pieces of
evidence or links, must send the claim's ETag in ``If-Match``: without it the
answer is 428, with an outdated one 412, and nothing is written. The version
in the tag is handed to the service, which compares it under the row lock.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.request import Request

from claims.models import Claim

ACTION_PERMISSIONS = {
    "status": ["claims.change_claim_status"],
    "publish": ["claims.publish_claim"],
    "unpublish": ["claims.publish_claim"],
}

_ETAG = re.compile(r'^(?:W/)?"(\d{1,18})\.(\d{1,18})"$')


class PreconditionRequired(APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = (
        "Send If-Match with the claim's ETag, as read from GET on the claim, so "
        "that no one else's change is overwritten."
    )
    default_code = "if_match_required"


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "If-Match does not match the claim's current ETag: reload the claim, then "
        "apply your change again."
    )
    default_code = "stale_version"


def expected_version(request: Request, claim: Claim) -> int:
    """The claim version the client last saw, from ``If-Match``.

    ``*`` matches any version (RFC 9110): a client that sends it accepts
    overwriting. A weak tag (``W/``, as some proxies rewrite it) is accepted:
    the tag names a version, not bytes.
    """
    header = request.headers.get("If-Match")
    if header is None or not header.strip():
        raise PreconditionRequired()
    for tag in (part.strip() for part in header.split(",")):
        if tag == "*":
            return claim.version
        match = _ETAG.match(tag)
        if match and int(match[1]) == claim.pk:
            return int(match[2])
    raise PreconditionFailed()


def etag_matches(header: str | None, claim: Claim) -> bool:
    """Whether ``If-None-Match`` names the claim's current version."""
    if not header:
        return False
    current = claim.etag
    for tag in (part.strip() for part in header.split(",")):
        if tag == "*" or tag.removeprefix("W/") == current:
            return True
    return False


def page_etag(url: str, versions: Iterable[tuple[int, int]]) -> str:
    """The ETag of a page of claims: which claims, at which versions (``(id,
    version)`` pairs), read from which URL (the page's links depend on it)."""
    digest = hashlib.blake2b(url.encode(), digest_size=16)
    for pk, version in versions:
        digest.update(b"%d.%d;" % (pk, version))
    return f'"{digest.hexdigest()}"'


def etag_in(header: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (or is ``*``)."""
    if not header:
        return False
    return any(
        tag == "*" or tag.removeprefix("W/") == etag
        for tag in (part.strip() for part in header.split(","))
    )
