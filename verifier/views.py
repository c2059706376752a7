"""Project-level views: health probes for the load balancer, and the answer
given when the database is unreachable."""

from __future__ import annotations

import logging
import sys

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db import InterfaceError as DjangoInterfaceError
from django.db import OperationalError as DjangoOperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views.decorators.cache import never_cache
from rest_framework.renderers import JSONRenderer

from verifier.cache import cache_status
from verifier.exceptions import api_exception_handler
from verifier.exceptions import server_error as default_server_error

logger = logging.getLogger("verifier.db")

# Errors that mean "the database cannot be reached or the connection is gone",
# as Django wraps them and as psycopg raises them where Django does not wrap.
DATABASE_UNAVAILABLE = (
    DjangoOperationalError,
    DjangoInterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)

# Seconds a client should wait before retrying: about how long PostgreSQL
# takes to restart.
RETRY_AFTER = "5"

# /readyz gives up after this many milliseconds, far below the load
# balancer's probe interval and the worker timeout.
READY_TIMEOUT_MS = 2000


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and answers; the database is not consulted."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """The process can serve: the database answers ``SELECT 1`` in time.

    The body names each dependency's state as well, Redis's included, which
    the app can do without (``verifier.cache``): a Redis outage shows here but
    keeps the server in rotation.
    """
    checks = {"database": _database_status(), "cache": cache_status()}
    ready = checks["database"] == "ok"
    response = JsonResponse(
        {"status": "ok" if ready else "unavailable", **checks},
        status=200 if ready else 503,
    )
    if not ready:
        response["Retry-After"] = RETRY_AFTER
        # The warning logged is the one line; not Django's ERROR on top of it.
        response._has_been_logged = True
    return response


def _database_status() -> str:
    try:
        with transaction.atomic(), connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(f"SET LOCAL statement_timeout = {READY_TIMEOUT_MS}")
            cursor.execute("SELECT 1")
    except DATABASE_UNAVAILABLE as error:
        logger.warning("Not ready: the database is unavailable (%s)", _one_line(error))
        discard_broken_connections()
        return "unavailable"
    return "ok"


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a database outage is a 503 to retry, anything else a 500.

    Django calls this for any exception a view or a middleware let through
    (session and user loading included), inside the ``except`` block, so the
    exception is at hand. An outage is logged as one line naming the request
    and the database's error (for pages with the traceback), in place of
    Django's generic "Service Unavailable" line.
    """
    error = sys.exc_info()[1]
    if not isinstance(error, DATABASE_UNAVAILABLE):
        return default_server_error(request)
    discard_broken_connections()
    if request.path.startswith("/api/"):
        response = api_unavailable(request, error)
    else:
        logger.error(
            "Database unavailable on %s %s: %s",
            request.method,
            request.path,
            _one_line(error),
            exc_info=error,
        )
        response = HttpResponse(
            loader.render_to_string("503.html", request=None),
            status=503,
            content_type="text/html; charset=utf-8",
        )
        response["Retry-After"] = RETRY_AFTER
    response._has_been_logged = True
    return response


def api_unavailable(request: HttpRequest, error: Exception) -> HttpResponse:
    """The API's JSON 503, shaped by the API's one exception handler."""
    if not isinstance(error, DjangoOperationalError):
        # The handler knows Django's OperationalError; a lost connection
        # (InterfaceError) or a bare psycopg error means the same to a client.
        wrapped = DjangoOperationalError(*error.args)
        wrapped.__cause__ = error
        error = wrapped
    response = api_exception_handler(error, {"request": request, "view": None})
    response.setdefault("Retry-After", RETRY_AFTER)
    response.accepted_renderer = JSONRenderer()
    response.accepted_media_type = "application/problem+json"
    response.renderer_context = {"request": request}
    return response.render()


def discard_broken_connections() -> None:
    """Close every connection that has failed, so the next query reconnects.

    Django checks at the start and end of each request as well
    (``CONN_HEALTH_CHECKS``); doing it here too keeps a broken connection from
    serving the rest of this request's middleware.
    """
    for connection in connections.all(initialized_only=True):
        if connection.in_atomic_block:
            continue
        try:
            connection.close_if_unusable_or_obsolete()
        except DATABASE_UNAVAILABLE:
            # Closing a dead socket can fail too; forget it all the same.
            connection.connection = None


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__
