"""The desk's steps: submit, return, publish, unpublish, assign, note."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from verifier.changes.log import record

from ..choices import NoteKind, ReviewAction
from ..models import (
    Claim,
    Note,
    ReviewStep,
    Visibility,
)
from .base import _bump, _check_moment, _lock, _lock_all, _require, _save

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _step(
    locked: Claim, action: ReviewAction, by: User, note: Note | None = None
) -> ReviewStep:
    """Record a step of the claim through the desk, at the time it is taken.

    A return sends the draft back to whoever submitted it; any other step
    ends that (``Claim.returned_to``, saved with the claim's new version)."""
    locked.returned_to_id = None
    if action == ReviewAction.RETURNED:
        locked.returned_to_id = (
            locked.review_steps.filter(action=ReviewAction.SUBMITTED)
            .order_by("-at", "-id")
            .values_list("by", flat=True)
            .first()
        )
    return ReviewStep.objects.create(claim=locked, action=action, by=by, note=note)


def _refuse_unless(locked: Claim, visibility: Visibility, message: str) -> None:
    if locked.visibility != visibility:
        current = Visibility(locked.visibility).label.lower()
        raise ValidationError({"visibility": f"{message} (it is {current})."})


@transaction.atomic
def submit_claim(
    claim: Claim, *, by: User, expected_version: int | None = None
) -> Claim:
    """Put a draft in front of the reviewers."""
    _require(by, "claims.change_claim", "Your role cannot submit claims for review.")
    locked = _lock(claim, expected_version)
    _refuse_unless(locked, Visibility.DRAFT, "Only a draft can be submitted for review")
    locked.visibility = Visibility.IN_REVIEW
    _step(locked, ReviewAction.SUBMITTED, by)
    _bump(
        locked,
        by,
        caller=claim,
        fields=["visibility", "returned_to"],
        change="claim.submitted",
    )
    return claim


@transaction.atomic
def return_claim(
    claim: Claim, *, by: User, note: str, expected_version: int | None = None
) -> Claim:
    """Send a claim in review back to draft, saying why in a note."""
    _require(by, "claims.publish_claim", "Only reviewers can return claims to draft.")
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Say what the claim needs before publishing."})
    locked = _lock(claim, expected_version)
    _refuse_unless(
        locked, Visibility.IN_REVIEW, "Only a claim in review can be returned"
    )
    reason = Note(claim=locked, author=by, text=note, kind=NoteKind.RETURNED)
    _save(reason, by)
    locked.visibility = Visibility.DRAFT
    _step(locked, ReviewAction.RETURNED, by, note=reason)
    _bump(
        locked,
        by,
        caller=claim,
        fields=["visibility", "returned_to"],
        change="claim.returned",
    )
    return claim


@transaction.atomic
def publish_claim(
    claim: Claim,
    *,
    by: User,
    expected_version: int | None = None,
    at: datetime.datetime | None = None,
) -> Claim:
    """Make a claim in review public. Its later verdict changes are corrections."""
    _require(by, "claims.publish_claim", "Only reviewers can publish claims.")
    moment = _check_moment(at)
    locked = _lock(claim, expected_version)
    if locked.is_published:
        raise ValidationError({"visibility": "The claim is already published."})
    if locked.visibility == Visibility.DRAFT:
        raise ValidationError(
            {"visibility": "The claim is a draft. Submit it for review first."}
        )
    locked.visibility = Visibility.PUBLISHED
    locked.published_at = locked.published_at or moment
    _step(locked, ReviewAction.PUBLISHED, by)
    _bump(
        locked,
        by,
        caller=claim,
        fields=["visibility", "published_at", "returned_to"],
        change="claim.published",
    )
    _bump_linked(locked, by)
    return claim


def _bump_linked(claim: Claim, by: User) -> None:
    """The published claims linked to ``claim`` now show the link, or no
    longer do: a new version of each."""
    linked = Claim.objects.published().filter(
        Q(links_out__to_claim=claim) | Q(links_in__from_claim=claim)
    )
    others = list(linked.exclude(pk=claim.pk).distinct().order_by("pk"))
    if others:
        for row, other in zip(_lock_all(others, None), others, strict=True):
            _bump(row, by, caller=other)


@transaction.atomic
def unpublish_claim(
    claim: Claim, *, by: User, expected_version: int | None = None
) -> Claim:
    """Take a claim off the public pages, back to draft; it keeps its first
    publication date."""
    _require(by, "claims.publish_claim", "Only reviewers can unpublish claims.")
    locked = _lock(claim, expected_version)
    if not locked.is_published:
        raise ValidationError({"visibility": "The claim is not published."})
    locked.visibility = Visibility.DRAFT
    _step(locked, ReviewAction.UNPUBLISHED, by)
    _bump(
        locked,
        by,
        caller=claim,
        fields=["visibility", "returned_to"],
        change="claim.unpublished",
        was_published=True,
    )
    _bump_linked(locked, by)
    return claim


def may_be_assigned(user: User) -> bool:
    """Who can have a claim in hand: active staff who may edit claims."""
    return bool(
        user.is_active and user.is_staff and user.has_perm("claims.change_claim")
    )


@transaction.atomic
def assign_claim(
    claim: Claim,
    *,
    to: User | None,
    by: User,
    expected_version: int | None = None,
) -> Claim:
    """Hand a claim to someone on the desk, or to nobody (``None``).

    A new version of the claim, so that its ETag and its audit history tell
    who has it now, and an editor saving a copy loaded before is told who
    took it. Who has a claim in hand is not what it says: ``updated_at``
    and the public pages stay as they were.
    """
    _require(by, "claims.change_claim", "Your role cannot assign claims.")
    if to is not None and not may_be_assigned(to):
        raise ValidationError(
            {
                "assignee": f"{to} cannot be assigned claims: only active staff "
                "who may edit claims can."
            }
        )
    locked = _lock(claim, expected_version)
    if locked.assignee_id == (to.pk if to else None):
        return claim
    locked.assignee = to
    locked.version += 1
    _save(locked, by, update_fields=["assignee", "version"])
    # The desk's business: not announced to public readers.
    record("claim.assigned", locked, public=locked.is_published, by=by)
    claim.assignee, claim.version = to, locked.version
    return claim


@transaction.atomic
def add_note(claim: Claim, *, by: User, text: str) -> Note:
    """A staff remark on the claim. Not a change of the claim: no new version."""
    _require(by, "claims.change_claim", "Your role cannot add notes.")
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write the note."})
    note = Note(claim=claim, author=by, text=text, kind=NoteKind.NOTE)
    note.full_clean()
    _save(note, by)
    return note
