"""Throttles whose counters hold across every server process.

DRF's throttles keep a list of timestamps in the cache and write it back
after reading it: two processes (or threads) read the same list and each
lets its request through, so a burst exceeds the limit, and with the default
per-process cache each process counts alone. These throttles count with one
atomic operation in a store every process shares:

- Redis (``INCR`` + ``EXPIRE``, one pipelined round trip) when the default
  cache is Redis (``REDIS_URL``) and Redis answers;
- otherwise the database: one ``INSERT … ON CONFLICT DO UPDATE SET hits =
  hits + 1 RETURNING`` per request on PostgreSQL (SQLite, the demo's
  database, takes two statements). So too while Redis is unreachable
  (``verifier.cache``): the limits, sign-ins' above all, keep holding through
  an outage of Redis, counted afresh, rather than letting everything through.

A database that refuses writes (a hot standby, a failover in progress:
``verifier.postgresql.errors.refuses_writes``) cannot count. Reads (``GET``,
``HEAD``, ``OPTIONS``) then pass uncounted rather than fail, and the process
leaves the counter alone for ``RECHECK_SECONDS`` at a time; sign-ins and
writes are refused with the database's error, a 503 to retry, so no password
guess ever goes uncounted. One warning per process when this starts, one when
it ends.

The window slides: the count is this fixed window's hits plus the previous
window's, weighted by how much of it still overlaps the last ``duration``
seconds. So a burst at the turn of a window cannot pass twice the limit.
Refused requests count too: a client that keeps hammering stays refused.
"""

from __future__ import annotations

import logging
import math
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from rest_framework import throttling
from rest_framework.request import Request

from verifier.cache import ResilientRedisCache, redis_cache
from verifier.postgresql.errors import refuses_writes

logger = logging.getLogger("verifier.throttling")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_TABLE = "verifier_ratecounter"

_POSTGRES_HIT = f"""
WITH current AS (
    INSERT INTO {_TABLE} (key, "window", hits, expires) VALUES (%s, %s, 1, %s)
    ON CONFLICT (key, "window") DO UPDATE SET hits = {_TABLE}.hits + 1
    RETURNING hits
)
SELECT
    (SELECT hits FROM {_TABLE} WHERE key = %s AND "window" = %s),
    (SELECT hits FROM current)
"""  # noqa: S608 (only the table name, a constant, is formatted in)

_UPSERT = f"""
INSERT INTO {_TABLE} (key, "window", hits, expires) VALUES (%s, %s, 1, %s)
ON CONFLICT (key, "window") DO UPDATE SET hits = {_TABLE}.hits + 1
RETURNING hits
"""  # noqa: S608
_PREVIOUS = f'SELECT hits FROM {_TABLE} WHERE key = %s AND "window" = %s'  # noqa: S608
_PURGE = f"DELETE FROM {_TABLE} WHERE expires < %s"  # noqa: S608

# About one request in this many also drops expired counters.
PURGE_ONE_IN = 1000


def _redis_hit(
    cache: ResilientRedisCache, key: str, window: int, duration: int
) -> tuple[int, int]:
    current_key = cache.make_and_validate_key(f"{key}:{window}")
    previous_key = cache.make_and_validate_key(f"{key}:{window - duration}")
    client = cache._cache.get_client(current_key, write=True)
    pipe = client.pipeline(transaction=False)
    pipe.incr(current_key)
    pipe.expire(current_key, 2 * duration)
    pipe.get(previous_key)
    current, _, previous = pipe.execute()
    return int(previous or 0), int(current)


# While the database refuses writes, reads leave the counter alone this long
# before one of them tries it again.
RECHECK_SECONDS = 5.0


class _Refusals:
    """Whether this process finds the database refusing the counter, shared
    by its threads (each has its own connection)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.since: float | None = None
        self._next_try = 0.0

    def skip(self) -> bool:
        """Whether a read should pass without trying the counter."""
        if self.since is None:
            return False
        now = time.monotonic()
        with self._lock:
            if self.since is None or now >= self._next_try:
                self._next_try = now + RECHECK_SECONDS
                return False
            return True

    def refused(self, error: BaseException) -> None:
        with self._lock:
            self._next_try = time.monotonic() + RECHECK_SECONDS
            if self.since is not None:
                return
            self.since = time.monotonic()
        logger.warning(
            "The database refuses writes (%s): throttles cannot count, so reads "
            "pass uncounted and sign-ins are refused until it takes writes again",
            " ".join(str(error).split()),
        )

    def counted(self) -> None:
        if self.since is None:
            return
        with self._lock:
            if self.since is None:
                return
            refused_for = time.monotonic() - self.since
            self.since = None
        logger.warning(
            "The database takes writes again after %.1f s; throttles count in it",
            refused_for,
        )


_refusals = _Refusals()


def hit(
    key: str, window: int, duration: int, *, must_count: bool = True
) -> tuple[int, int] | None:
    """Count one request for ``key`` in the window starting at ``window``.

    Returns the hits of the previous window and of this one, this request
    included; None, when ``must_count`` is false, if the database refuses
    writes and so cannot count (with ``must_count``, its error is raised).
    """
    if (cache := redis_cache()) is not None:
        counted = cache.attempt(lambda: _redis_hit(cache, key, window, duration), None)
        if counted is not None:
            return counted

    if not must_count and _refusals.skip():
        return None
    try:
        counted = _database_hit(key, window, duration)
    except DatabaseError as error:
        if not refuses_writes(error):
            raise
        _refusals.refused(error)
        if must_count or connection.in_atomic_block:
            # Inside a transaction the refused statement has aborted it: the
            # request cannot go on, and its refusal is answered with a 503.
            raise
        return None
    _refusals.counted()
    return counted


def _database_hit(key: str, window: int, duration: int) -> tuple[int, int]:
    previous_window = window - duration
    expires = window + 2 * duration
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_POSTGRES_HIT, [key, window, expires, key, previous_window])
            previous, current = cursor.fetchone()
        else:
            cursor.execute(_UPSERT, [key, window, expires])
            (current,) = cursor.fetchone()
            cursor.execute(_PREVIOUS, [key, previous_window])
            row = cursor.fetchone()
            previous = row[0] if row else 0
        if secrets.randbelow(PURGE_ONE_IN) == 0:
            cursor.execute(_PURGE, [window])
    return int(previous or 0), int(current)


def seconds_until_allowed(
    *, previous: int, current: int, elapsed: float, duration: int, limit: int
) -> float:
    """How long a client that sends nothing more waits until its next request
    is served: until the sliding count, that request included, is back within
    ``limit``."""
    room = limit - 1  # the next request counts too
    if current <= room and previous:
        # Within this window, once the previous one has faded enough.
        fade_until = max(duration * (1 - (room - current) / previous), 0)
        if fade_until < duration:
            return max(fade_until - elapsed, 0)
    elif current <= room:
        return 0
    # In the next window, once this one, then the previous, weighs little enough.
    return (duration - elapsed) + max(duration * (1 - room / current), 0)


def seconds_until_reset(
    *, previous: int, current: int, elapsed: float, duration: int
) -> float:
    """How long until nothing counts any more, if the client sends nothing:
    the whole allowance is back then."""
    if current:
        return 2 * duration - elapsed
    return duration - elapsed if previous else 0


@dataclass(frozen=True)
class RateLimitState:
    """One throttle's verdict on a request, as the rate-limit header fields
    tell it."""

    policy: str
    quota: int
    window: int
    remaining: int
    reset: int


def _report(request: Request, state: RateLimitState) -> None:
    # On Django's request, which the middleware below sees; DRF's wraps it.
    django_request = getattr(request, "_request", request)
    states = getattr(django_request, "rate_limits", None)
    if states is None:
        states = django_request.rate_limits = {}
    states[state.policy] = state


def _sf_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def rate_limit_headers(states: Iterable[RateLimitState]) -> dict[str, str]:
    """``RateLimit-Policy`` and ``RateLimit`` as draft-ietf-httpapi-ratelimit-
    headers (revisions 08 to 12) defines them: structured-field lists of
    policies, ``"anon";q=120;w=60`` and ``"anon";r=117;t=95``.

    ``t`` is when the whole quota is back; on a refusal, when the next request
    is served, like ``Retry-After``.
    """
    states = list(states)
    return {
        "RateLimit-Policy": ", ".join(
            f"{_sf_string(s.policy)};q={s.quota};w={s.window}" for s in states
        ),
        "RateLimit": ", ".join(
            f"{_sf_string(s.policy)};r={s.remaining};t={s.reset}" for s in states
        ),
    }


class RateLimitHeadersMiddleware:
    """Every API response that a throttle counted tells the client where it
    stands, so it can slow down before it is refused."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        states = getattr(request, "rate_limits", None)
        if states:
            for name, value in rate_limit_headers(states.values()).items():
                response.headers.setdefault(name, value)
        return response


def client_ip(request: HttpRequest | Request) -> str:
    """The client's address, for throttles and sign-in lockouts alike.

    ``REMOTE_ADDR`` unless ``TRUSTED_PROXY_COUNT`` proxies stand in front of
    the app: then the address the outermost of them saw, counted from the
    right of ``X-Forwarded-For``, where a client cannot forge it. (DRF's own
    default trusts the whole header, which any client can set.)
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not proxies or not forwarded:
        return remote
    addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
    if not addresses:
        return remote
    return addresses[-min(proxies, len(addresses))]


class SharedRateMixin:
    """Replaces ``SimpleRateThrottle``'s cache list with ``hit()``."""

    def get_ident(self, request: Request) -> str:
        return client_ip(request)

    rate: str | None
    num_requests: int
    duration: int

    # While the database cannot count (it refuses writes), reads pass.
    reads_pass_uncounted = True

    # The clock, as DRF's throttles have it: tests move it instead of sleeping.
    timer = staticmethod(time.time)

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        window = int(now // self.duration) * self.duration
        elapsed = now - window
        counted = hit(
            key,
            window,
            self.duration,
            must_count=not (
                self.reads_pass_uncounted and request.method in SAFE_METHODS
            ),
        )
        if counted is None:
            return True
        previous, current = counted
        weight = 1 - elapsed / self.duration
        # A little slack for floating point: a client that waited exactly
        # Retry-After lands on the limit, not a hair above it.
        count = previous * weight + current
        allowed = count <= self.num_requests + 1e-6
        if allowed:
            reset = seconds_until_reset(
                previous=previous,
                current=current,
                elapsed=elapsed,
                duration=self.duration,
            )
        else:
            self._wait = reset = max(
                1,
                math.ceil(
                    seconds_until_allowed(
                        previous=previous,
                        current=current,
                        elapsed=elapsed,
                        duration=self.duration,
                        limit=self.num_requests,
                    )
                ),
            )
        _report(
            request,
            RateLimitState(
                policy=self.policy_name(),
                quota=self.num_requests,
                window=self.duration,
                remaining=max(0, math.floor(self.num_requests - count + 1e-6))
                if allowed
                else 0,
                reset=math.ceil(reset),
            ),
        )
        return allowed

    def policy_name(self) -> str:
        return str(getattr(self, "scope", None) or type(self).__name__.lower())

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)


class AnonRateThrottle(SharedRateMixin, throttling.AnonRateThrottle):
    """Anonymous clients, by address: ``API_THROTTLE_ANON``."""


class UserRateThrottle(SharedRateMixin, throttling.UserRateThrottle):
    """Signed-in users, by user: ``API_THROTTLE_USER``.

    Anonymous clients are the anon throttle's alone (DRF's would count them
    here too, by address, against a larger limit that never bites): one
    counter, one round trip per request.
    """

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class ScopedRateThrottle(SharedRateMixin, throttling.ScopedRateThrottle):
    """A view's own scope, such as ``login``: ``API_THROTTLE_LOGIN``."""

    def allow_request(self, request: Request, view: Any) -> bool:
        # As DRF's: the scope, and so the rate, is the view's.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class SignInRateThrottle(ScopedRateThrottle):
    """Sign-in attempts per client address, whoever they claim to be: on the
    token sign-in and, through ``SignInThrottleMiddleware``, on every sign-in
    form, with one counter per address for all of them. An attempt that
    cannot be counted is refused (a 503), never let through."""

    reads_pass_uncounted = False

    def get_cache_key(self, request: Request | HttpRequest, view: Any) -> str:
        return self.cache_format % {
            "scope": self.scope,
            "ident": self.get_ident(request),
        }


class _SignInForm:
    throttle_scope = "login"


class SignInThrottleMiddleware:
    """Counts each sign-in posted to an HTML form (the admin's, the browsable
    API's) against the ``login`` throttle, as the token sign-in is counted, so
    that spraying passwords over many usernames from one address is refused
    on every door alike. django-axes still locks out one username after
    repeated failures; this limits an address whatever usernames it tries.

    A refusal is a 429 with ``Retry-After``: problem details under ``/api/``,
    a page saying when to try again elsewhere.
    """

    forms = frozenset({"admin:login", "rest_framework:login"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        if (
            request.method in {"GET", "HEAD", "OPTIONS"}
            or match is None
            or match.view_name not in self.forms
        ):
            return None
        throttle = SignInRateThrottle()
        if throttle.allow_request(request, _SignInForm()):
            return None
        return sign_in_throttled(request, int(throttle.wait() or 1))


def sign_in_throttled(request: HttpRequest, wait: int) -> HttpResponse:
    """The answer to a sign-in form posted too often from one address."""
    # Imported here: verifier.exceptions loads DRF's views, and DRF loads this
    # module while it is loading itself.
    from django.shortcuts import render

    from verifier.exceptions import is_api_request, problem_response

    headers = {"Retry-After": str(wait)}
    if is_api_request(request):
        return problem_response(
            429,
            f"Too many sign-ins from this address: try again in {wait} seconds.",
            "throttled",
            headers=headers,
        )
    response = render(
        request, "admin/sign_in_throttled.html", {"wait": wait}, status=429
    )
    response["Retry-After"] = str(wait)
    return response
