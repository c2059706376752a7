"""Throttles whose counters hold across every server process.

DRF's throttles keep a list of timestamps in the cache and write it back
after reading it: two processes (or threads) read the same list and each
lets its request through, so a burst exceeds the limit, and with the default
per-process cache each process counts alone. These throttles count with one
atomic operation in a store every process shares:

- Redis (``INCR`` + ``EXPIRE``, one pipelined round trip) when the default
  cache is Redis (``REDIS_URL``);
- otherwise the database: one ``INSERT … ON CONFLICT DO UPDATE SET hits =
  hits + 1 RETURNING`` per request on PostgreSQL (SQLite, the demo's
  database, takes two statements).

The window slides: the count is this fixed window's hits plus the previous
window's, weighted by how much of it still overlaps the last ``duration``
seconds. So a burst at the turn of a window cannot pass twice the limit.
Refused requests count too: a client that keeps hammering stays refused.
"""

from __future__ import annotations

import math
import secrets
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest
from rest_framework import throttling
from rest_framework.request import Request

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


def _uses_redis() -> bool:
    return settings.CACHES["default"]["BACKEND"].endswith("RedisCache")


def hit(key: str, window: int, duration: int) -> tuple[int, int]:
    """Count one request for ``key`` in the window starting at ``window``.

    Returns the hits of the previous window and of this one, this request
    included.
    """
    previous_window = window - duration
    if _uses_redis():
        current_key = cache.make_and_validate_key(f"{key}:{window}")
        previous_key = cache.make_and_validate_key(f"{key}:{previous_window}")
        client = cache._cache.get_client(current_key, write=True)
        pipe = client.pipeline(transaction=False)
        pipe.incr(current_key)
        pipe.expire(current_key, 2 * duration)
        pipe.get(previous_key)
        current, _, previous = pipe.execute()
        return int(previous or 0), int(current)

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
    """How long until the sliding count is back within ``limit``, if the
    client sends nothing more."""
    if current > limit:
        # Wait for this window to end, then for its weight to fall enough.
        return (duration - elapsed) + duration * (1 - limit / current)
    # This window alone is within the limit: wait for the previous one to fade.
    fade_until = duration * (1 - (limit - current) / previous) if previous else 0
    return max(fade_until - elapsed, 0)


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

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = time.time()
        window = int(now // self.duration) * self.duration
        elapsed = now - window
        previous, current = hit(key, window, self.duration)
        weight = 1 - elapsed / self.duration
        if previous * weight + current <= self.num_requests:
            return True
        self._wait = max(
            1.0,
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
        return False

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
