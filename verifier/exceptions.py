"""One place where the API turns errors into JSON responses.

Every error under ``/api/`` is a problem details object (RFC 9457), sent as
``application/problem+json``::

    {"type": "about:blank", "title": "Bad Request", "status": 400,
     "detail": "The input is not valid.", "code": "invalid",
     "errors": {"text": ["This field is required."]}}

``code`` names the error for programs; ``errors`` (invalid input only) holds
the messages per field; a stale ``If-Match`` (412) adds ``current_version``.
``problem_response`` builds the body for every producer: DRF's exception
handler below, Django's error handlers (404, 500, 400, 403 CSRF), the request
size limit and the sign-in lockout.

Domain errors keep their meaning: a broken rule is a 400 with a message per
field, a role that may not act a 403, a stale copy of a claim a 412. Database
conflicts are a 409, an unavailable database a 503, and so is a write a
read-only database refuses (a standby, a failover in progress); anything
unforeseen a logged 500 rather than an HTML page.
"""

from __future__ import annotations

import logging
import math
from http import HTTPStatus
from typing import Any

import psycopg
from axes.exceptions import AxesBackendPermissionDenied
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import (
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)
from django.db.models import ProtectedError, RestrictedError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults
from django.views.csrf import csrf_failure as django_csrf_failure
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from verifier.conditional import StaleVersion
from verifier.postgresql.errors import refuses_writes

# Errors that mean "the database cannot be reached or the connection is gone",
# as Django wraps them and as psycopg raises them where Django does not wrap;
# psycopg raises some refusals as OperationalError too (``is_unavailable``).
DATABASE_UNAVAILABLE = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)

logger = logging.getLogger("verifier.api")

PROBLEM_CONTENT_TYPE = "application/problem+json"

# Seconds a client should wait before retrying a 503: about how long
# PostgreSQL takes to restart, or a standby to be promoted.
RETRY_AFTER = "5"

# What the ``detail`` of a bare error says when its producer gives none.
_DETAILS = {
    400: "The request is not valid.",
    403: "You do not have permission to do this.",
    404: "Not found.",
    413: "The request body is too large.",
    429: "Too many requests: wait for the number of seconds in Retry-After.",
    500: "Server error.",
    503: "The service is briefly unavailable.",
}


def is_api_request(request: HttpRequest | None) -> bool:
    """Whether the request is for ``/api/``, where every answer is JSON."""
    return request is not None and request.path_info.startswith("/api/")


def problem(
    status_code: int, detail: str | None = None, code: str = "error", **extra: Any
) -> dict[str, Any]:
    """The body of a problem details object (RFC 9457) with our extensions."""
    return _encodable(
        {
            "type": "about:blank",
            "title": HTTPStatus(status_code).phrase,
            "status": status_code,
            "detail": detail
            or _DETAILS.get(status_code, HTTPStatus(status_code).phrase),
            "code": code,
            **extra,
        }
    )


def _encodable(value: Any) -> Any:
    """Messages may quote the input back, and the input may hold a lone
    surrogate, which no UTF-8 response can carry: write it as ``\\udxxx``."""
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode()
        return value
    if isinstance(value, dict):
        return {_encodable(key): _encodable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_encodable(item) for item in value]
    return value


def problem_response(
    status_code: int,
    detail: str | None = None,
    code: str = "error",
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JsonResponse:
    """A problem details response, for code outside DRF's views."""
    response = JsonResponse(
        problem(status_code, detail, code, **extra),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def validation_messages(error: DjangoValidationError) -> dict[str, list[str]]:
    """Django's error, keyed the way DRF keys serializer errors."""
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}


def _drf_problem(
    status_code: int,
    detail: str | None,
    code: str,
    *,
    context: dict[str, Any],
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    # The browsable API would render an error as an HTML page: errors are
    # always JSON, whatever the Accept header asked for.
    request = context.get("request")
    if request is not None:
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = PROBLEM_CONTENT_TYPE
    return Response(
        problem(status_code, detail, code, **extra),
        status=status_code,
        headers=headers,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def _first_message(errors: Any) -> str | None:
    if isinstance(errors, str):
        return errors
    if isinstance(errors, list | tuple):
        for item in errors:
            found = _first_message(item)
            if found:
                return found
    if isinstance(errors, dict):
        for name, item in errors.items():
            found = _first_message(item)
            if found:
                return found if name == "non_field_errors" else f"{name}: {found}"
    return None


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's exception handler: every error a problem details response."""
    if isinstance(exc, StaleVersion):
        set_rollback()
        return _drf_problem(
            412,
            str(exc),
            "stale_version",
            context=context,
            headers={"ETag": exc.obj.etag},
            current_version=exc.current,
        )
    if isinstance(exc, AxesBackendPermissionDenied):
        return _drf_problem(
            429,
            "Too many failed sign-ins for this account: wait, or ask an "
            "administrator to unlock it.",
            "locked_out",
            context=context,
            headers=_lockout_headers(),
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_messages(exc))
    elif isinstance(exc, ProtectedError | RestrictedError):
        set_rollback()
        return _drf_problem(
            409,
            "Other records still refer to this one, so it stays. "
            "Remove or reassign them first.",
            "protected",
            context=context,
        )
    elif isinstance(exc, IntegrityError):
        # Two requests creating the same thing at once: the loser lands here.
        logger.warning("Integrity conflict on %s: %s", _path(context), exc)
        set_rollback()
        return _drf_problem(
            409,
            "The change conflicts with stored data, perhaps one made at the same "
            "moment. Reload and try again.",
            "conflict",
            context=context,
        )
    elif isinstance(exc, DataError):
        logger.warning("Data refused by the database on %s: %s", _path(context), exc)
        set_rollback()
        return _drf_problem(
            400, "A value is out of range or malformed.", "invalid", context=context
        )
    elif is_unavailable(exc):
        # One line: an outage gives hundreds of identical tracebacks.
        logger.error(
            "%s on %s: %s", unavailable_reason(exc), _path(context), one_line(exc)
        )
        set_rollback()
        response = _drf_problem(
            503,
            None,
            "unavailable",
            context=context,
            headers={"Retry-After": RETRY_AFTER},
        )
        response._has_been_logged = True  # the line above, not Django's too
        return response

    response = exception_handler(exc, context)
    if response is not None:
        headers = {
            name: value
            for name, value in response.items()
            if name in {"Retry-After", "WWW-Authenticate", "Allow"}
        }
        if isinstance(exc, exceptions.ValidationError):
            errors = response.data
            if not isinstance(errors, dict):
                errors = {"non_field_errors": errors}
            first = _first_message(errors)
            return _drf_problem(
                response.status_code,
                f"The input is not valid. {first}" if first else None,
                "invalid",
                context=context,
                headers=headers,
                errors=errors,
            )
        detail = (
            response.data.get("detail") if isinstance(response.data, dict) else None
        )
        code = getattr(exc, "default_code", "error")
        if isinstance(exc, exceptions.APIException):
            codes = exc.get_codes()
            if isinstance(codes, str):
                code = codes
        elif response.status_code == 404:
            code = "not_found"
        elif response.status_code == 403:
            code = "permission_denied"
        return _drf_problem(
            response.status_code,
            str(detail) if detail is not None else None,
            code,
            context=context,
            headers=headers,
        )

    logger.exception("Unhandled error on %s", _path(context), exc_info=exc)
    if isinstance(exc, DatabaseError):
        set_rollback()
    return _drf_problem(500, None, "error", context=context)


# SQLSTATEs of a database that is out of reach or out of time, as opposed to
# one that answered and refused the query: connection exceptions (08),
# insufficient resources such as too many connections or a full disk (53),
# a server shutting down, crashed or starting (57P01–57P05), and the
# timeouts: statement (57014), lock (55P03), idle in transaction (25P03)
# and transaction (25P04).
_OUTAGE_CLASSES = ("08", "53", "57P")
_TIMEOUTS = frozenset({"57014", "55P03", "25P03", "25P04"})


def is_unavailable(error: BaseException | None) -> bool:
    """Whether ``error`` means the database cannot serve the request now (an
    outage, a timeout, or no writes taken: a 503 to retry) rather than a
    query it refused (a fault: a logged 500). psycopg reports some refusals
    as ``OperationalError`` too, e.g. "target lists can have at most 1664
    entries" (54011); only the SQLSTATE tells them apart. An error with no
    SQLSTATE was raised by the client: no connection, or a connection lost."""
    if refuses_writes(error):
        return True
    if not isinstance(error, DATABASE_UNAVAILABLE):
        return False
    sqlstate = _sqlstate(error)
    return (
        sqlstate is None
        or sqlstate.startswith(_OUTAGE_CLASSES)
        or sqlstate in _TIMEOUTS
    )


def _sqlstate(error: BaseException) -> str | None:
    seen: list[BaseException] = []
    cause: BaseException | None = error
    while cause is not None and cause not in seen:
        if sqlstate := getattr(cause, "sqlstate", None):
            return str(sqlstate)
        seen.append(cause)
        cause = cause.__cause__
    return None


def unavailable_reason(error: BaseException) -> str:
    """How the log names a 503's cause: the database is out of reach, or it
    answers and refuses writes (a standby, a failover in progress)."""
    if refuses_writes(error):
        return "Database refuses writes"
    return "Database unavailable"


def one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def _path(context: dict[str, Any]) -> str:
    request = context.get("request")
    return f"{request.method} {request.path}" if request is not None else "?"


def _lockout_headers() -> dict[str, str]:
    cool_off = settings.AXES_COOLOFF_TIME
    if cool_off is None:
        return {}
    return {"Retry-After": str(max(1, math.ceil(cool_off.total_seconds())))}


# Django's error views: problem details under /api/, Django's pages elsewhere.
# verifier/urls.py names them as handler400, handler403, handler404, handler500.


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_request(request):
        return problem_response(400, None, "bad_request")
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_request(request):
        return problem_response(403, None, "permission_denied")
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_request(request):
        return problem_response(404, None, "not_found")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_request(request):
        return problem_response(500, None, "error")
    return defaults.server_error(request)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a session write to the API without its token."""
    if is_api_request(request):
        return problem_response(
            403,
            "CSRF check failed: a session write needs the CSRF token; clients "
            "with a token send `Authorization: Token …` instead.",
            "csrf_failed",
        )
    return django_csrf_failure(request, reason)


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: a 429 with ``Retry-After``; JSON for the API,
    the lockout page for the admin."""
    headers = _lockout_headers()
    if is_api_request(request):
        return problem_response(
            429,
            "Too many failed sign-ins for this account: wait, or ask an "
            "administrator to unlock it.",
            "locked_out",
            headers=headers,
        )
    from axes.helpers import get_client_username

    context = {
        "username": get_client_username(request, credentials) or "",
        "cooloff_timedelta": settings.AXES_COOLOFF_TIME,
    }
    response = render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=429)
    for name, value in headers.items():
        response[name] = value
    return response
