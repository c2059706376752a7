"""Writing the change log: ``record`` is called by the domain layer inside the
transaction of the change it describes."""

from __future__ import annotations

from typing import Any

from django.db import connections, router
from django.dispatch import Signal

from .models import Change

# Sent with ``change`` right after its row is written, in the same
# transaction: a receiver that writes rows (a webhook delivery task) commits
# or rolls back with the change itself.
change_recorded = Signal()

# Any constant: the key of the transaction-level advisory lock that makes
# change ids follow commit order (see ``_in_commit_order``).
_ORDER_LOCK = 0x56455249  # "VERI"


def _in_commit_order(using: str) -> None:
    """Hold the change log's lock until this transaction ends.

    A sequence hands out ids in the order transactions ask, not the order they
    commit: a reader could see change 11 before change 10 commits, move its
    cursor past 10 and never see it. Under this lock the next writer takes
    its id only once the previous one committed or rolled back, so every id
    below a visible one is settled. SQLite has one writer at a time already.
    """
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ORDER_LOCK])


def hold_commit_order(using: str | None = None) -> None:
    """Take the change log's lock now, before the rows a change is about to
    lock: every writer then waits for it first and for rows second, so two
    writers never hold one each and wait for the other's (a deadlock). Held
    until the transaction ends; ``record`` takes it again at no cost."""
    using = using or router.db_for_write(Change)
    if connections[using].in_atomic_block:
        _in_commit_order(using)


def record(
    type: str,
    obj: Any,
    *,
    public: bool,
    by: Any = None,
    version: int | None = None,
) -> Change:
    """Log that ``obj`` changed (``type``: ``claim.updated`` …) in the current
    transaction; the row commits or rolls back with the change."""
    using = router.db_for_write(Change)
    if not connections[using].in_atomic_block:
        raise RuntimeError("A change is recorded inside the change's transaction.")
    _in_commit_order(using)
    change = Change.objects.using(using).create(
        type=type,
        object_id=obj.pk,
        slug=getattr(obj, "slug", "") or "",
        version=version if version is not None else getattr(obj, "version", None),
        public=public,
        by=by if getattr(by, "is_authenticated", False) else None,
    )
    change_recorded.send(sender=Change, change=change)
    return change
