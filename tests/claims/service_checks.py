"""Shared checks for the domain-layer tests: a refused call writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.apps import apps

from claims.models import (
    Claim,
    ClaimLink,
    Evidence,
    Statement,
    StatusChange,
    StatusChangeEvidence,
)

# Every table a claims service can write, the audit history included.
WRITTEN_TABLES = (
    Claim,
    Claim.places.through,
    Statement,
    Evidence,
    ClaimLink,
    StatusChange,
    StatusChangeEvidence,
    Claim.history.model,
    apps.get_model("claims", "HistoricalClaim_places"),
    Statement.history.model,
    Evidence.history.model,
    ClaimLink.history.model,
)

CLAIM_STATE = (
    "text",
    "slug",
    "event_id",
    "status",
    "visibility",
    "published_at",
    "version",
    "updated_at",
)


def table_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count() for model in WRITTEN_TABLES
    }


def claim_state(claim: Claim) -> dict[str, object]:
    """What the database holds for ``claim`` (as ``refresh_from_db`` would see)."""
    stored = Claim.objects.get(pk=claim.pk)
    state = {name: getattr(stored, name) for name in CLAIM_STATE}
    state["places"] = sorted(stored.places.values_list("pk", flat=True))
    return state


def in_memory_state(claim: Claim) -> dict[str, object]:
    """What the caller's own copy of ``claim`` holds."""
    return {name: getattr(claim, name) for name in CLAIM_STATE}


def _snapshot(claims: tuple[Claim, ...]) -> dict[str, object]:
    snapshot: dict[str, object] = {
        f"rows in {label}": count for label, count in table_counts().items()
    }
    for claim in claims:
        snapshot[f"claim {claim.pk} stored"] = claim_state(claim)
        snapshot[f"claim {claim.pk} in memory"] = in_memory_state(claim)
    return snapshot


@contextmanager
def writes_nothing(*claims: Claim) -> Iterator[None]:
    """The block leaves every service table, history table and claim as it was.

    Put it outside ``pytest.raises`` so it checks after the refused call:
    ``with writes_nothing(claim), pytest.raises(ValidationError): ...``
    """
    before = _snapshot(claims)
    yield
    after = _snapshot(claims)
    if after != before:
        changes = {
            key: {"before": before[key], "after": after[key]}
            for key in before
            if before[key] != after[key]
        }
        raise AssertionError(f"A refused call wrote to the database: {changes}")


def newest_history_user(model_or_instance: object) -> object:
    """Who the newest audit record of a model (or one instance) names."""
    record = model_or_instance.history.order_by("-history_date", "-history_id").first()
    return record.history_user if record else None
