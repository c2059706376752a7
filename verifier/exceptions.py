"""One place where the API turns errors into JSON responses.

Domain errors keep their meaning: a broken rule is a 400 with a message per
field, a role that may not act a 403, a stale copy of a claim a 412. Database
conflicts are a 409, an unavailable database a 503, and anything unforeseen a
logged JSON 500 rather than an HTML page.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import (
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)
from django.db.models import ProtectedError, RestrictedError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from claims.services import StaleVersion

logger = logging.getLogger("verifier.api")


def validation_messages(error: DjangoValidationError) -> dict[str, list[str]]:
    """Django's error, keyed the way DRF keys serializer errors."""
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    headers: dict[str, str] = {}
    if isinstance(exc, StaleVersion):
        set_rollback()
        return Response(
            {
                "detail": str(exc),
                "code": "stale_version",
                "current_version": exc.current,
            },
            status=status.HTTP_412_PRECONDITION_FAILED,
            headers={"ETag": exc.claim.etag},
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_messages(exc))
    elif isinstance(exc, ProtectedError | RestrictedError):
        set_rollback()
        return Response(
            {
                "detail": "Other records still refer to this one, so it stays. "
                "Remove or reassign them first.",
                "code": "protected",
            },
            status=status.HTTP_409_CONFLICT,
        )
    elif isinstance(exc, IntegrityError):
        # Two requests creating the same thing at once: the loser lands here.
        logger.warning("Integrity conflict on %s: %s", _path(context), exc)
        set_rollback()
        return Response(
            {
                "detail": "The change conflicts with stored data, perhaps one "
                "made at the same moment. Reload and try again.",
                "code": "conflict",
            },
            status=status.HTTP_409_CONFLICT,
        )
    elif isinstance(exc, DataError):
        logger.warning("Data refused by the database on %s: %s", _path(context), exc)
        set_rollback()
        return Response(
            {"detail": "A value is out of range or malformed.", "code": "invalid"},
            status=status.HTTP_400_BAD_REQUEST,
        )
    elif isinstance(exc, OperationalError | InterfaceError):
        # One line: an outage gives hundreds of identical tracebacks.
        logger.error(
            "Database unavailable on %s: %s", _path(context), " ".join(str(exc).split())
        )
        set_rollback()
        response = Response(
            {"detail": "The service is briefly unavailable.", "code": "unavailable"},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
        response._has_been_logged = True  # the line above, not Django's too
        return response

    response = exception_handler(exc, context)
    if response is not None:
        if isinstance(response.data, dict) and "detail" in response.data:
            response.data.setdefault("code", getattr(exc, "default_code", "error"))
            if isinstance(exc, exceptions.APIException):
                codes = exc.get_codes()
                if isinstance(codes, str):
                    response.data["code"] = codes
        return response

    logger.exception("Unhandled error on %s", _path(context), exc_info=exc)
    if isinstance(exc, DatabaseError):
        set_rollback()
    return Response(
        {"detail": "Server error.", "code": "error"},
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        headers=headers,
    )


def _path(context: dict[str, Any]) -> str:
    request = context.get("request")
    return f"{request.method} {request.path}" if request is not None else "?"
