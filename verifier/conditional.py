"""Conditional requests (RFC 9110) for every editable resource of the API.

An editable object has a version number, and its entity tag names it:
``"<id>.<version>"``. Reads answer with the tag (and ``304`` to an
``If-None-Match`` that holds it); writes compare ``If-Match`` with it, under
the row lock, so that no one's change is overwritten unseen: an outdated tag is
a ``412``. Where a view sets ``if_match_required`` (a claim and its parts, the
record of a verdict) a write without ``If-Match`` is a ``428``; elsewhere
(sources, documents, events, places) it is allowed, and a tag that is sent is
still checked.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any, Protocol

from django.db import transaction
from django.db.models import Model
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

_ETAG = re.compile(r'^(?:W/)?"(\d{1,18})\.(\d{1,18})"$')


class Versioned(Protocol):
    pk: Any
    version: int

    @property
    def etag(self) -> str: ...


class StaleVersion(Exception):
    """A write made against an older version of ``obj`` than the stored one.

    Raised by the domain layer, which says in ``message`` what changed; the
    API answers it with a ``412`` carrying the current ``ETag``.
    """

    def __init__(self, obj: Any, expected: int, message: str) -> None:
        self.obj = obj
        self.expected = expected
        self.current = obj.version
        super().__init__(message)


class PreconditionRequired(APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = (
        "Send If-Match with the ETag of the object, as read from GET on it, so "
        "that no one else's change is overwritten."
    )
    default_code = "if_match_required"


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "If-Match does not match the object's current ETag: reload it, then "
        "apply your change again."
    )
    default_code = "stale_version"


def expected_version(
    request: Request, obj: Versioned, *, required: bool = True
) -> int | None:
    """The version of ``obj`` the client last saw, from ``If-Match``; ``None``
    when the header is absent and not ``required``.

    ``*`` matches any version (RFC 9110): a client that sends it accepts
    overwriting. A weak tag (``W/``, as some proxies rewrite it) is accepted:
    the tag names a version, not bytes.
    """
    header = request.headers.get("If-Match")
    if header is None or not header.strip():
        if required:
            raise PreconditionRequired()
        return None
    for tag in (part.strip() for part in header.split(",")):
        if tag == "*":
            return obj.version
        match = _ETAG.match(tag)
        if match and int(match[1]) == obj.pk:
            return int(match[2])
    raise PreconditionFailed()


def etag_in(header: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (or is ``*``)."""
    if not header:
        return False
    return any(
        tag == "*" or tag.removeprefix("W/") == etag
        for tag in (part.strip() for part in header.split(","))
    )


def etag_matches(header: str | None, obj: Versioned) -> bool:
    """Whether ``If-None-Match`` names the object's current version."""
    return etag_in(header, obj.etag)


def page_etag(url: str, versions: Iterable[tuple[int, int]]) -> str:
    """The ETag of a page of objects: which ones, at which versions (``(id,
    version)`` pairs), read from which URL (the page's links depend on it)."""
    digest = hashlib.blake2b(url.encode(), digest_size=16)
    for pk, version in versions:
        digest.update(b"%d.%d;" % (pk, version))
    return f'"{digest.hexdigest()}"'


class ConcurrencyControlled:
    """A view whose objects carry an ETag, answer ``If-None-Match`` and check
    ``If-Match`` on writes. The schema reads ``needs_if_match``,
    ``if_match_required`` and ``etag_codes`` to document them."""

    conditional_get = True
    if_match_required = True

    @staticmethod
    def needs_if_match(method: str, action: str | None) -> bool:
        # Adding a part is a write to an existing claim, so it needs one too.
        return method in {"PUT", "PATCH", "DELETE", "POST"}

    @staticmethod
    def etag_codes(action: str | None) -> list[int]:
        return [] if action in {"list", "destroy"} else [200, 201]

    def with_etag(self, response: Response, obj: Versioned) -> Response:
        response["ETag"] = obj.etag
        return response

    def not_modified(self, request: Request, obj: Versioned) -> Response | None:
        if etag_matches(request.headers.get("If-None-Match"), obj):
            return self.with_etag(Response(status=status.HTTP_304_NOT_MODIFIED), obj)
        return None


def check_version(obj: Model, expected: int | None) -> None:
    """Lock ``obj``'s row for the caller's transaction and compare its
    version with the one the client holds. The change log's lock first, as
    every writer takes it (``hold_commit_order``)."""
    from verifier.changes.log import hold_commit_order

    hold_commit_order()
    current = (
        type(obj)
        ._default_manager.select_for_update()
        .values_list("version", flat=True)
        .get(pk=obj.pk)
    )
    if expected is not None and current != expected:
        raise PreconditionFailed(
            f"The {obj._meta.verbose_name} was changed since you loaded it (you "
            f"had version {expected}, it is now version {current}). Reload it, "
            "then apply your change again."
        )


class VersionedWritesMixin(ConcurrencyControlled):
    """For a ``ModelViewSet`` of ``verifier.models.Versioned`` objects saved by
    their serializer: the ETag on reads and writes, ``If-Match`` checked under
    the row lock when sent."""

    if_match_required = False
    # The version the client holds, read before the body is; the saved object.
    _expected: int | None = None
    _saved: Any = None

    @staticmethod
    def needs_if_match(method: str, action: str | None) -> bool:
        return method in {"PUT", "PATCH", "DELETE"}

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        return self.not_modified(request, obj) or self.with_etag(
            Response(self.get_serializer(obj).data), obj
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().create(request, *args, **kwargs)
        if self._saved is not None:
            self.with_etag(response, self._saved)
        return response

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        self._expected = expected_version(request, obj, required=self.if_match_required)
        response = super().update(request, *args, **kwargs)
        return self.with_etag(response, self._saved)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        self._expected = expected_version(request, obj, required=self.if_match_required)
        return super().destroy(request, *args, **kwargs)

    def perform_create(self, serializer: BaseSerializer) -> None:
        self._saved = serializer.save()

    @transaction.atomic
    def perform_update(self, serializer: BaseSerializer) -> None:
        check_version(serializer.instance, self._expected)
        # As stored now, under the lock: the change applies to that.
        serializer.instance.refresh_from_db()
        self._saved = serializer.save()

    @transaction.atomic
    def perform_destroy(self, instance: Model) -> None:
        check_version(instance, self._expected)
        instance.delete()
