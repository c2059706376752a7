"""A Redis cache that an outage of Redis cannot turn into failed requests.

Redis holds the throttle counters and the rendered public pages, both of which
can be lost. Django's ``RedisCache`` raises on every call while Redis is down
or hanging, so each request would fail. ``ResilientRedisCache`` instead:

- gives every connection attempt and every reply a short timeout
  (``REDIS_CONNECT_TIMEOUT``, ``REDIS_TIMEOUT``), so a Redis that accepts
  connections and never answers holds a worker for a fraction of a second;
- on the first error, marks that Redis server down for the whole process,
  with one log line: every later call is a miss (reads) or does nothing
  (writes) without touching the network;
- every ``REDIS_RECHECK_SECONDS``, lets one call through to try again; when it
  succeeds, the server is up again (one more log line) and every thread uses
  it from the next call on, without a restart.

Pages are then rendered for each reader, and the throttles count in the
database (``verifier.throttling.hit``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger("verifier.cache")

T = TypeVar("T")


def _display(location: str) -> str:
    """The server's address for the logs, without any password in the URL."""
    parts = urlsplit(location)
    if parts.scheme == "unix":
        return parts.path
    host = parts.hostname or "localhost"
    return f"{host}:{parts.port or 6379}{parts.path or '/0'}"


class _Breaker:
    """Whether one Redis server is to be used, shared by every thread of the
    process (Django gives each thread its own cache object and connections)."""

    def __init__(self, location: str) -> None:
        self.location = _display(location)
        self._lock = threading.Lock()
        self.down_since: float | None = None
        self._next_try = 0.0

    def admit(self) -> str | None:
        """``"up"`` to call Redis as usual, ``"probe"`` to call it as the one
        retry of a downed server, None to skip it."""
        if self.down_since is None:
            return "up"
        now = time.monotonic()
        with self._lock:
            if self.down_since is None:
                return "up"
            if now < self._next_try:
                return None
            self._next_try = now + settings.REDIS_RECHECK_SECONDS
            return "probe"

    def failed(self, error: Exception) -> None:
        with self._lock:
            self._next_try = time.monotonic() + settings.REDIS_RECHECK_SECONDS
            if self.down_since is not None:
                return
            self.down_since = time.monotonic()
        logger.warning(
            "Redis unavailable at %s: %s; pages are rendered and throttles "
            "count in the database until it is back",
            self.location,
            _reason(error),
        )

    def recovered(self) -> None:
        with self._lock:
            if self.down_since is None:
                return
            outage = time.monotonic() - self.down_since
            self.down_since = None
        logger.warning(
            "Redis is back at %s after %.1f s; pages and throttle counters are "
            "kept in it again",
            self.location,
            outage,
        )


def _reason(error: Exception) -> str:
    # A pipeline's error quotes the command, whose keys name a client's
    # address or account: only Redis's own words are kept.
    message = str(error).rpartition("of pipeline caused error: ")[2]
    return f"{type(error).__name__}: {' '.join(message.split()).rstrip('.')}"


_breakers: dict[str, _Breaker] = {}
_breakers_lock = threading.Lock()


def _breaker(location: str) -> _Breaker:
    with _breakers_lock:
        return _breakers.setdefault(location, _Breaker(location))


class ResilientRedisCache(RedisCache):
    """Django's Redis cache, which answers a miss instead of raising while
    Redis is unreachable, slow or restarting (see the module's docstring)."""

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._breaker = _breaker(self._servers[0])

    def attempt(self, call: Callable[[], T], fallback: T) -> T:
        """``call()``, which talks to Redis; ``fallback`` without calling it
        while Redis is down, or if it fails."""
        admitted = self._breaker.admit()
        if admitted is None:
            return fallback
        try:
            result = call()
        except redis.RedisError as error:
            self._breaker.failed(error)
            return fallback
        if admitted == "probe":
            self._breaker.recovered()
        return result

    def ping(self) -> bool:
        """Redis answers (or, while it is down, it is not yet time to ask)."""
        return self.attempt(
            lambda: bool(self._cache.get_client(None, write=True).ping()), False
        )

    # Each of Django's cache operations, answered as a miss while Redis is down.

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version=None):
        return self.attempt(
            lambda: RedisCache.add(self, key, value, timeout, version), False
        )

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self.attempt(
            lambda: RedisCache.get(self, key, default, version), default
        )

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version=None):
        self.attempt(lambda: RedisCache.set(self, key, value, timeout, version), None)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version=None) -> bool:
        return self.attempt(
            lambda: RedisCache.touch(self, key, timeout, version), False
        )

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self.attempt(lambda: RedisCache.delete(self, key, version), False)

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return self.attempt(lambda: RedisCache.get_many(self, keys, version), {})

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self.attempt(lambda: RedisCache.has_key(self, key, version), False)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        result = self.attempt(lambda: RedisCache.incr(self, key, delta, version), None)
        if result is None:
            # As for any key not found.
            raise ValueError(f"Key '{key}' not found.")
        return result

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version=None):
        self.attempt(lambda: RedisCache.set_many(self, data, timeout, version), None)
        return []

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self.attempt(lambda: RedisCache.delete_many(self, keys, version), None)

    def clear(self) -> bool:
        return self.attempt(lambda: RedisCache.clear(self), False)


def redis_cache() -> ResilientRedisCache | None:
    """The default cache when it is Redis (``REDIS_URL``), else None."""
    cache = caches["default"]
    return cache if isinstance(cache, ResilientRedisCache) else None


def cache_status() -> str:
    """For ``/readyz``: ``"ok"``, ``"unavailable"`` or ``"not configured"``."""
    cache = redis_cache()
    if cache is None:
        return "not configured"
    return "ok" if cache.ping() else "unavailable"
