"""Project-level views: health probes for the load balancer, and the answer
given when the database is unreachable."""

from __future__ import annotations

import logging
import sys

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db import OperationalError as DjangoOperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views.decorators.cache import never_cache
from rest_framework.renderers import JSONRenderer

from verifier.cache import cache_status
from verifier.exceptions import (
    DATABASE_UNAVAILABLE,
    RETRY_AFTER,
    api_exception_handler,
    is_unavailable,
    one_line,
    unavailable_reason,
)
from verifier.exceptions import server_error as default_server_error
from verifier.postgresql.errors import refuses_writes

logger = logging.getLogger("verifier.db")

# /readyz gives up after this many milliseconds, far below the load
# balancer's probe interval and the worker timeout.
READY_TIMEOUT_MS = 2000


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and answers; the database is not consulted."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """The process can serve: the database answers in time.

    The body names each dependency's state as well: Redis's, which the app can
    do without (``verifier.cache``), and whether the database takes writes. A
    Redis outage or a read-only database (a standby, a failover in progress)
    shows here but keeps the server in rotation for reads; a balancer that
    reads the body can send writes elsewhere.
    """
    database, writable = _database_status()
    ready = database == "ok"
    response = JsonResponse(
        {
            "status": "ok" if ready else "unavailable",
            "database": database,
            "writable": writable,
            "cache": cache_status(),
        },
        status=200 if ready else 503,
    )
    if not ready:
        response["Retry-After"] = RETRY_AFTER
        # The warning logged is the one line; not Django's ERROR on top of it.
        response._has_been_logged = True
    return response


def _database_status() -> tuple[str, bool]:
    """``("ok", writable)`` if the database answers, else
    ``("unavailable", False)``. ``SHOW transaction_read_only`` is the probe
    itself: answering proves the database is there, and a transaction is
    read-only on a hot standby and under ``default_transaction_read_only``."""
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor != "postgresql":
                # SQLite, the quickstart's database: a file, always writable.
                cursor.execute("SELECT 1")
                return "ok", True
            cursor.execute(f"SET LOCAL statement_timeout = {READY_TIMEOUT_MS}")
            cursor.execute("SHOW transaction_read_only")
            (read_only,) = cursor.fetchone()
    except DATABASE_UNAVAILABLE as error:
        logger.warning("Not ready: the database is unavailable (%s)", one_line(error))
        discard_broken_connections()
        return "unavailable", False
    return "ok", read_only != "on"


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a database outage, or a write the database refuses
    (read-only: a standby, a failover in progress), is a 503 to retry;
    anything else a 500.

    Django calls this for any exception a view or a middleware let through
    (session and user loading and saving included), inside the ``except``
    block, so the exception is at hand. It is logged as one line naming the
    request and the database's error (an outage's on a page with the
    traceback), in place of Django's generic "Service Unavailable" line.
    """
    error = sys.exc_info()[1]
    read_only = refuses_writes(error)
    if not is_unavailable(error):
        # A query the database refused is a fault; Django has logged it with
        # its traceback.
        return default_server_error(request)
    if not read_only:
        discard_broken_connections()
    if request.path.startswith("/api/"):
        response = api_unavailable(request, error)
    else:
        logger.error(
            "%s on %s %s: %s",
            unavailable_reason(error),
            request.method,
            request.path,
            one_line(error),
            exc_info=None if read_only else error,
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
    if not isinstance(error, DjangoOperationalError) and not refuses_writes(error):
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
