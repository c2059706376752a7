"""Django's PostgreSQL backend, with a cheaper health check.

With ``CONN_HEALTH_CHECKS`` Django asks the server ``SELECT 1`` before the
first query of every request that reuses a connection: a round trip on every
request, as long as the data query of a cached page or a 304. An idle
connection's server says nothing until it is asked something, unless it is
going away: a terminated backend (``pg_terminate_backend``, a restart, a
failover) sends its farewell and closes the socket. So an idle connection
whose socket has nothing to read is alive as far as a ``SELECT 1`` could tell;
one with something to read is asked ``SELECT 1`` as before, and replaced when
that fails. (redis-py checks its pooled connections the same way.)
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


def has_input(fileno: int) -> bool:
    """Whether the socket ``fileno`` has something to read (or was closed)."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fileno, select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))
    readable, _, _ = select.select([fileno], [], [], 0)
    return bool(readable)


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        try:
            quiet = not has_input(connection.fileno())
        except (OSError, ValueError):
            return False
        return quiet or super().is_usable()
