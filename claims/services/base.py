"""What every step of the domain layer shares: the permission check, the
row lock with the caller's version, the audit author and the version bump."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.utils import timezone

from verifier import conditional
from verifier.changes.log import hold_commit_order, record

from ..models import (
    Claim,
    Status,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class StaleVersion(conditional.StaleVersion):
    """The caller edited an older version of the claim than the stored one."""

    def __init__(self, claim: Claim, expected: int) -> None:
        self.claim = claim
        last = claim.history.order_by("-history_date", "-history_id").first()
        who = f" by {last.history_user}" if last and last.history_user else ""
        when = f" at {last.history_date:%Y-%m-%d %H:%M} UTC" if last else ""
        super().__init__(
            claim,
            expected,
            f"The claim was changed{who}{when} since you loaded it "
            f"(you had version {expected}, it is now version {claim.version}). "
            "Reload it, then apply your change again.",
        )


def _require(by: User, permission: str, message: str) -> None:
    if not by.is_active or not by.has_perm(permission):
        raise PermissionDenied(message)


def _lock(claim: Claim, expected_version: int | None) -> Claim:
    """Lock the claim's row for this transaction and check the caller's version."""
    return _lock_all([claim], expected_version)[0]


def _lock_all(claims: Sequence[Claim], expected_version: int | None) -> list[Claim]:
    """Lock several claims' rows, in key order so that concurrent callers cannot
    deadlock; the caller's version is checked against the first."""
    hold_commit_order()
    rows = {
        row.pk: row
        for row in Claim.objects.select_for_update()
        .filter(pk__in=[claim.pk for claim in claims])
        .order_by("pk")
    }
    locked = [rows[claim.pk] for claim in claims]
    if expected_version is not None and locked[0].version != expected_version:
        raise StaleVersion(locked[0], expected_version)
    return locked


def _audit_as(instance: Model, by: User) -> None:
    """Name ``by`` as the author of the audit row the next write makes."""
    instance._history_user = by  # type: ignore[attr-defined]  # simple-history's


def _save(instance: Model, by: User, **kwargs: Any) -> None:
    """Save with the acting user recorded in the audit history."""
    _audit_as(instance, by)
    instance.save(**kwargs)


def _bump(
    locked: Claim,
    by: User,
    *,
    caller: Claim,
    fields: Sequence[str] = (),
    change: str = "claim.updated",
    was_published: bool = False,
) -> None:
    """Record a new version of the claim and hand it back to the caller's copy.

    ``updated_at`` is the time of the write, even for back-dated changes, so
    that clients syncing on it miss nothing. The version is announced in the
    change log as ``change``: to everyone while the claim is published, or
    when it was (``was_published``: it is leaving the public pages).
    """
    locked.version += 1
    locked.updated_at = timezone.now()
    _save(locked, by, update_fields=["version", "updated_at", *fields])
    record(change, locked, public=locked.is_published or was_published, by=by)
    for field in Claim._meta.concrete_fields:
        setattr(caller, field.attname, getattr(locked, field.attname))


def _require_reviewer_while_final(claim: Claim, by: User, what: str) -> None:
    """A final verdict holds only for the claim and evidence it was given on:
    while it stands, only those who may give one change either."""
    if Status(claim.status) in Status.final() and not by.has_perm(
        "claims.set_final_status"
    ):
        raise PermissionDenied(
            f"Only reviewers can change {what} while its verdict is final "
            f"({Status.CONFIRMED.label} or {Status.FALSE.label})."
        )


def _check_moment(at: datetime.datetime | None) -> datetime.datetime:
    now = timezone.now()
    if at is None:
        return now
    if timezone.is_naive(at):
        raise ValidationError({"at": "Give the time with its time zone."})
    if at > now:
        raise ValidationError({"at": "A change cannot be dated in the future."})
    return at
