"""What PostgreSQL's refusals mean to the app.

A database that takes no writes is not down: a hot standby, a primary with
``default_transaction_read_only = on``, a standby being promoted during a
failover. It answers reads, and refuses every write with SQLSTATE 25006
(``read_only_sql_transaction``). A hot standby also refuses to read an
unlogged table, such as the throttle counters' (0A000, "cannot access
temporary or unlogged relations during recovery"): that is one more write
path the database refuses for now, not a fault in the request.
"""

from __future__ import annotations

READ_ONLY_SQL_TRANSACTION = "25006"
FEATURE_NOT_SUPPORTED = "0A000"


def _causes(error: BaseException | None) -> list[BaseException]:
    """The error and what it was raised from: Django wraps psycopg's errors
    (``raise … from``), and the SQLSTATE is on psycopg's."""
    chain: list[BaseException] = []
    while error is not None and error not in chain:
        chain.append(error)
        error = error.__cause__
    return chain


def refuses_writes(error: BaseException | None) -> bool:
    """Whether ``error`` is the database refusing a write because it takes no
    writes at the moment (read-only, or in recovery), rather than a fault."""
    for cause in _causes(error):
        sqlstate = getattr(cause, "sqlstate", None)
        if sqlstate == READ_ONLY_SQL_TRANSACTION:
            return True
        if sqlstate == FEATURE_NOT_SUPPORTED and _in_recovery(cause):
            return True
    return False


def _in_recovery(error: BaseException) -> bool:
    # 0A000 is a broad class: only the standby's refusal of unlogged tables
    # counts. The function that raises it (the planner's) is named whatever
    # the server's language; its words are kept for servers that hide it.
    diag = getattr(error, "diag", None)
    if getattr(diag, "source_function", None) == "get_relation_info":
        return True
    return "during recovery" in (getattr(diag, "message_primary", None) or "")
