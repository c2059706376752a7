"""The ``Idempotency-Key`` request header on the API's POSTs.

A client that did not get an answer (a timeout, a 503 while the database
restarted) sends the same request again with the same key. If the first one
was committed, the stored answer comes back (with ``Idempotent-Replayed:
true``) and nothing is created twice; if it was not, the request runs now.

The key's row is inserted in the transaction that makes the change, before
the change: a concurrent retry with the same key waits on the unique index
until the first commits or rolls back, then replays or runs. Only successful
answers are stored; a 4xx leaves nothing behind, so the corrected request can
reuse the key.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from django.db import transaction
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from verifier.idempotency.models import IdempotencyKey

HEADER = "Idempotency-Key"

# Visible ASCII: a UUID, a ULID or any client-made token fits.
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")

# What a replay repeats besides the body and the status.
STORED_HEADERS = ("Location", "ETag")

Handler = Callable[..., Response]


class IdempotencyKeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = (
        "This Idempotency-Key was already used for a different request (another "
        "address or another body). Use a new key for a new request."
    )
    default_code = "idempotency_key_reused"


def fingerprint(request: Request) -> str:
    """SHA-256 of the parsed body: the same JSON however it is spaced."""
    canonical = json.dumps(
        request.data, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _reserve(request: Request, key: str, digest: str) -> IdempotencyKey:
    """The key's row, locked: our own new one, or the committed answer."""
    IdempotencyKey.objects.bulk_create(
        [
            IdempotencyKey(
                user=request.user,
                key=key,
                method=request.method,
                path=request.path,
                fingerprint=digest,
            )
        ],
        ignore_conflicts=True,
    )
    record = IdempotencyKey.objects.select_for_update().get(user=request.user, key=key)
    if record.status_code is not None and record.is_expired:
        record.delete()
        return _reserve(request, key, digest)
    return record


def _replay(record: IdempotencyKey, request: Request, digest: str) -> Response:
    if (record.method, record.path, record.fingerprint) != (
        request.method,
        request.path,
        digest,
    ):
        raise IdempotencyKeyReused()
    return Response(
        record.body,
        status=record.status_code,
        headers={**record.headers, "Idempotent-Replayed": "true"},
    )


def idempotent(handler: Handler) -> Handler:
    """Let a view method honour ``Idempotency-Key`` (see the module's doc)."""

    @functools.wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None or not request.user.is_authenticated:
            return handler(view, request, *args, **kwargs)
        if not _KEY.match(key):
            raise ValidationError(
                {HEADER: ["Use 1 to 255 visible ASCII characters, e.g. a UUID."]}
            )
        digest = fingerprint(request)
        with transaction.atomic():
            record = _reserve(request, key, digest)
            if record.status_code is not None:
                return _replay(record, request, digest)
            response = handler(view, request, *args, **kwargs)
            if not status.is_success(response.status_code):
                transaction.set_rollback(True)
                return response
            record.status_code = response.status_code
            record.body = (
                None
                if response.data is None
                else json.loads(JSONRenderer().render(response.data))
            )
            record.headers = {
                name: response[name] for name in STORED_HEADERS if name in response
            }
            record.save(update_fields=["status_code", "body", "headers"])
        return response

    wrapper.idempotent = True  # read by the OpenAPI schema
    return wrapper


class IdempotentCreateMixin:
    """For a ``ModelViewSet``: its ``create`` honours ``Idempotency-Key``."""

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().create(request, *args, **kwargs)
