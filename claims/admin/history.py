"""A claim's history in words: on its History page and, when a save comes
from a stale page, in what changed since the editor loaded it.

Both read ``CLAIM_HISTORY``, the generic wording of ``verifier.history``
with the claim's own: a visibility change reads as what it does, and the
statements, evidence and links saved as a version of the claim read in it.
"""

from __future__ import annotations

from claims.models import Claim, ClaimLink, Evidence, Statement, Visibility
from verifier.history import HistoryWords, register

# The review state's value, once claims pass through one before publication.
IN_REVIEW = "in_review"


def _visibility(old: str, new: str) -> str | None:
    if new == Visibility.PUBLISHED:
        return "Published"
    if old == Visibility.PUBLISHED:
        return "Unpublished"
    if new == IN_REVIEW:
        return "Submitted for review"
    if old == IN_REVIEW:
        return "Returned to draft"
    return None


CLAIM_HISTORY = register(
    HistoryWords(
        Claim,
        fields={"visibility": _visibility},
        parts=[
            (Statement, "claim"),
            (Evidence, "claim"),
            (ClaimLink, "from_claim"),
            (ClaimLink, "to_claim"),
        ],
    )
)


def changes_since(claim: Claim, version: int) -> list[str]:
    """Who changed what in ``claim`` after ``version``, oldest first."""
    records = list(
        claim.history.select_related("history_user").order_by(
            "history_date", "history_id"
        )
    )
    # The version the editor loaded, as first written; later records of the
    # same version are its own many-to-many relations, told with it.
    loaded = next(
        (index for index, record in enumerate(records) if record.version >= version),
        None,
    )
    if loaded is None:
        return []
    rows = CLAIM_HISTORY.rows(records[loaded + 1 :], before=records[loaded])
    return [
        f"{row.record.history_date:%Y-%m-%d %H:%M} UTC, "
        f"{row.record.history_user or 'someone'}: {'; '.join(row.words)}"
        for row in rows
    ]


def stale_messages(claim: Claim, version: int) -> list[str]:
    current = Claim.objects.only("version").get(pk=claim.pk).version
    return [
        f"Someone changed this claim after you opened it (you loaded version "
        f"{version}, it is now version {current}). Nothing was saved.",
        *changes_since(claim, version),
        "Your input is kept below: open the claim again in a new tab to see the "
        "current version, then apply your change to it.",
    ]
