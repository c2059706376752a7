"""Reads of anonymous readers from streaming replicas; everything else from
the primary.

``DATABASE_REPLICA_URL`` names the replicas (aliases ``replica1``, …). A
request may read from one of them only if it is a safe (``GET``/``HEAD``),
anonymous request outside the admin: no session cookie, no
``Authorization`` header, and no pin cookie, which a client gets with the
answer to each of its writes so that its reads go to the primary for
``DATABASE_REPLICA_PIN_SECONDS`` (it sees its own write, however far a
replica lags). Once a request writes, it reads the primary to its end.
Outside a request (management commands, tasks) everything is the primary's.

A replica lags behind the primary. A conditional ``GET`` sent to a replica
that does not answer ``304`` is answered again from the primary: the client
holds a version (an ``ETag``) that the replica may not have yet. A request
that meets an unreachable replica is answered again from the primary too,
and that replica is left alone for ``REPLICA_RECHECK_SECONDS``.
"""

from __future__ import annotations

import contextvars
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

PIN_COOKIE = "verifier_primary"
REPLICA_RECHECK_SECONDS = 5.0
SAFE_METHODS = frozenset({"GET", "HEAD"})

logger = logging.getLogger("verifier.replica")


@dataclass
class Reads:
    """Where the current request reads: ``replica`` once it is chosen, and
    whether it may still read one at all."""

    allowed: bool
    replica: str | None = None


_reads: contextvars.ContextVar[Reads | None] = contextvars.ContextVar(
    "replica_reads", default=None
)

_turn = itertools.count()
_down_until: dict[str, float] = {}
_down_lock = threading.Lock()


def replicas() -> list[str]:
    return [alias for alias in settings.DATABASES if alias != DEFAULT_DB_ALIAS]


def _healthy() -> list[str]:
    now = time.monotonic()
    return [alias for alias in replicas() if _down_until.get(alias, 0) <= now]


def _mark_down(alias: str) -> None:
    with _down_lock:
        _down_until[alias] = time.monotonic() + REPLICA_RECHECK_SECONDS
    logger.warning(
        "Replica %s unavailable; its reads go to the primary for %.0f s",
        alias,
        REPLICA_RECHECK_SECONDS,
    )


def reading_from() -> str:
    """The alias the current request's reads go to (the primary outside a
    request and for any request that may not read a replica)."""
    reads = _reads.get()
    if reads is None or not reads.allowed:
        return DEFAULT_DB_ALIAS
    if reads.replica is None:
        healthy = _healthy()
        if not healthy:
            return DEFAULT_DB_ALIAS
        # One replica for the whole request, taken in turn.
        reads.replica = healthy[next(_turn) % len(healthy)]
    return reads.replica


@contextmanager
def _reading(reads: Reads) -> Iterator[None]:
    token = _reads.set(reads)
    try:
        yield
    finally:
        _reads.reset(token)


class ReplicaRouter:
    """Django's router API over ``reading_from``: writes, migrations and
    whatever is not an anonymous reader's read go to the primary."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        return reading_from()

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        # A request that writes reads what it wrote: the primary from now on.
        reads = _reads.get()
        if reads is not None:
            reads.allowed = False
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        # Every alias holds the same data.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


def may_read_replica(request: HttpRequest) -> bool:
    """Whether ``request`` is an anonymous reader's, whose reads may lag."""
    return (
        request.method in SAFE_METHODS
        and not request.path_info.startswith(reverse("admin:index"))
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and PIN_COOKIE not in request.COOKIES
        and "Authorization" not in request.headers
    )


def _conditional(request: HttpRequest) -> bool:
    return bool(
        request.headers.get("If-None-Match") or request.headers.get("If-Modified-Since")
    )


class ReplicaMiddleware:
    """Decide where each request reads, answer again from the primary what a
    replica could not answer right, and pin a client that wrote to the
    primary for a while."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not may_read_replica(request):
            with _reading(Reads(allowed=False)):
                response = self.get_response(request)
            if request.method not in SAFE_METHODS:
                self._pin(response)
            return response
        # What the request held before it was served: an answer again starts
        # from there, with nothing the replica's answer left on it (a
        # validator read once per request, the user).
        fresh = dict(request.__dict__)
        reads = Reads(allowed=True)
        with _reading(reads):
            response = self.get_response(request)
        if reads.replica is None:
            return response
        if response.status_code == 503 and connections[reads.replica].errors_occurred:
            # The replica failed: the primary answers, and the next requests
            # leave the replica alone for a while.
            _mark_down(reads.replica)
            return self._again_from_primary(request, fresh)
        if _conditional(request) and response.status_code == 200:
            # The replica may be behind the version the client holds.
            return self._again_from_primary(request, fresh)
        return response

    def _again_from_primary(
        self, request: HttpRequest, fresh: dict[str, Any]
    ) -> HttpResponse:
        request.__dict__.clear()
        request.__dict__.update(fresh)
        with _reading(Reads(allowed=False)):
            return self.get_response(request)

    def _pin(self, response: HttpResponse) -> None:
        response.set_cookie(
            PIN_COOKIE,
            "1",
            max_age=settings.DATABASE_REPLICA_PIN_SECONDS,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
