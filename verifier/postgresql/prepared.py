"""Statements prepared once per database session, for the hottest reads.

Planning the JSON statements of the claim API and pages took about twice as
long as running them. ``PREPARE`` is per session and outlives transactions,
so each connection prepares a statement on its first use and runs it with
``EXECUTE`` from then on. A transaction-pooling proxy (PgBouncer in
``transaction`` mode) would hand one session's prepared statements to another
client's connection: behind one, set ``DATABASE_PREPARED_STATEMENTS=0`` and
the same statements are sent whole each time. PostgreSQL only.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connections, router
from django.db.models import Model

# The names prepared on each session (a psycopg connection), forgotten with it.
_PREPARED: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def execute_prepared(
    name: str, types: str, sql: str, *params: object, reads: type[Model]
) -> tuple | None:
    """Run ``sql`` (``$1``… placeholders of ``types``), prepared as ``name`` on
    the connection's first use; the first row of its answer. PostgreSQL only.

    The statement reads ``reads`` (chiefly): it runs on the database the
    routers send that model's reads to, a replica's for an anonymous reader.
    ``sql`` must be built from constants, never from input.
    """
    return _run(name, types, sql, params, reads, lambda cursor: cursor.fetchone())


def fetch_prepared(
    name: str, types: str, sql: str, *params: object, reads: type[Model]
) -> list[tuple]:
    """``execute_prepared``, returning every row of the answer."""
    return _run(name, types, sql, params, reads, lambda cursor: cursor.fetchall())


def _run(
    name: str,
    types: str,
    sql: str,
    params: tuple[object, ...],
    reads: type[Model],
    fetch: Callable[[Any], Any],
) -> Any:
    connection = connections[router.db_for_read(reads)]
    if not settings.DATABASE_PREPARED_STATEMENTS:
        with connection.cursor() as cursor:
            cursor.execute(_with_named_parameters(sql), _named(params))
            return fetch(cursor)
    placeholders = ", ".join(["%s"] * len(params))
    execute = f"EXECUTE {name} ({placeholders})" if params else f"EXECUTE {name}"
    # The session is looked up once the cursor exists: opening the request's
    # first cursor runs the connection health check, which may replace a
    # broken session with a new one that has prepared nothing yet.
    with connection.cursor() as cursor:
        session = connection.connection
        prepared = _PREPARED.setdefault(session, set())
        if name not in prepared:
            # Straight on the session: preparing is not a query of the request.
            session.execute(
                f"PREPARE {name} ({types}) AS {sql}"
                if types
                else f"PREPARE {name} AS {sql}"
            )
            prepared.add(name)
        cursor.execute(execute, params)
        return fetch(cursor)


def _with_named_parameters(sql: str) -> str:
    """``sql`` with ``$1``… as ``%(p1)s``…, for psycopg (a ``$n`` may recur)."""
    return re.sub(r"\$(\d+)", r"%(p\1)s", sql.replace("%", "%%"))


def _named(params: tuple[object, ...]) -> dict[str, object]:
    return {f"p{number}": value for number, value in enumerate(params, start=1)}
