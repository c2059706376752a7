"""SQLite, the quickstart's database, compared as PostgreSQL compares.

SQLite's LIKE ignores case in ASCII letters only, so there "демидовка" would
not find "Демидовка" while on PostgreSQL (ILIKE, full-text search) it does.
Each new SQLite connection gets a LIKE that ignores case in every script;
Django's ``contains`` and ``icontains`` (the admin's search, the quickstart's
claim search, the API's ``q``) both compile to it.
"""

import functools
import re
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str, escape: str | None) -> re.Pattern[str]:
    parts = []
    chars = iter(pattern)
    for char in chars:
        if char == escape:
            parts.append(re.escape(next(chars, "")))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL | re.IGNORECASE)


def like(pattern: Any, value: Any, escape: str | None = None) -> bool | None:
    """``value LIKE pattern [ESCAPE escape]``, ignoring case in any script."""
    if pattern is None or value is None:
        return None
    return _compiled(str(pattern), escape).fullmatch(str(value)) is not None


def unicode_like(sender: type, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """Installs ``like`` on a new SQLite connection (a ``connection_created``
    receiver)."""
    if connection.vendor != "sqlite":
        return
    for arity in (2, 3):
        connection.connection.create_function("like", arity, like, deterministic=True)
