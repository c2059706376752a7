"""A claim's own fields and its verdict: create, edit, delete, change status."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ForeignKey
from django.utils import timezone

from verifier.changes.log import record
from verifier.slugs import unique_slug

from ..models import (
    Claim,
    Evidence,
    Status,
    StatusChange,
)
from .base import (
    _audit_as,
    _bump,
    _check_moment,
    _lock,
    _require,
    _require_reviewer_while_final,
    _save,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _editable(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields``, checked to be ones an editor writes (``Claim.EDITABLE``),
    with the text trimmed."""
    unknown = set(fields) - set(Claim.EDITABLE)
    if unknown:
        raise TypeError(f"Not an editable field of a claim: {sorted(unknown)}.")
    if "text" in fields:
        fields["text"] = fields["text"].strip()
    return fields


def _differs(claim: Claim, name: str, value: Any) -> bool:
    """Whether writing ``value`` to the field ``name`` would change ``claim``."""
    field = Claim._meta.get_field(name)
    if field.many_to_many:
        current = set(getattr(claim, name).values_list("pk", flat=True))
        return {item.pk for item in value} != current
    if isinstance(field, ForeignKey):
        return getattr(value, "pk", None) != getattr(claim, field.attname)
    return value != getattr(claim, name)


def _assign(claim: Claim, fields: dict[str, Any]) -> dict[str, Any]:
    """Set ``fields`` on ``claim``; the many-to-many ones, to set once it is
    saved, are handed back."""
    related = {}
    for name, value in fields.items():
        if Claim._meta.get_field(name).many_to_many:
            related[name] = list(value)
        else:
            setattr(claim, name, value)
    return related


@transaction.atomic
def create_claim(
    *, by: User, at: datetime.datetime | None = None, **fields: Any
) -> Claim:
    """Create a draft claim in the ``unverified`` status from its editable
    fields (``Claim.EDITABLE``; the slug is made from the text when empty)."""
    _require(by, "claims.add_claim", "Your role cannot create claims.")
    moment = _check_moment(at)
    fields = _editable(fields)
    claim = Claim(created_at=moment, updated_at=moment)
    related = _assign(claim, fields)
    claim.slug = claim.slug or unique_slug(claim.text, model=Claim)
    claim.full_clean()
    _save(claim, by)
    for name, value in related.items():
        if value:
            getattr(claim, name).set(value)
    record("claim.created", claim, public=claim.is_published, by=by)
    return claim


@transaction.atomic
def update_claim(
    claim: Claim,
    *,
    by: User,
    expected_version: int | None = None,
    rationale: str = "",
    **fields: Any,
) -> Claim:
    """Edit a claim's editable fields (``Claim.EDITABLE``: wording, slug,
    event, places …). The slug is fixed once published.

    An edit that changes nothing writes nothing: no new version. A new
    wording of a published claim is a correction on its timeline, with
    ``rationale`` (or a plain notice) as its reason; while the verdict is
    final, only reviewers may reword the claim.
    """
    _require(by, "claims.change_claim", "Your role cannot edit claims.")
    fields = _editable(fields)
    locked = _lock(claim, expected_version)
    _audit_as(locked, by)
    changes = {
        name: value for name, value in fields.items() if _differs(locked, name, value)
    }
    if not changes:
        # Nothing changes: no new version, no history row, the same ETag.
        return claim
    if "text" in changes:
        _require_reviewer_while_final(locked, by, "the wording of a claim")
    if "slug" in changes and locked.is_published:
        raise ValidationError(
            {"slug": "A published claim keeps its address; its slug cannot change."}
        )
    old_text = locked.text
    related = _assign(locked, changes)
    locked.full_clean()
    for name, value in related.items():
        getattr(locked, name).set(value)
    if "text" in changes and locked.is_published:
        StatusChange.objects.create(
            claim=locked,
            old_status=locked.status,
            new_status=locked.status,
            old_text=old_text,
            new_text=locked.text,
            rationale=rationale.strip() or "The wording of the claim was corrected.",
            is_correction=True,
            changed_by=by,
            changed_at=timezone.now(),
        )
    _bump(locked, by, caller=claim, fields=[n for n in changes if n not in related])
    return claim


@transaction.atomic
def delete_claim(
    claim: Claim, *, by: User, expected_version: int | None = None
) -> None:
    """Delete a claim with its statements, evidence and links.

    A claim with a verdict timeline stays: the record of how its status changed
    is kept, so such a claim can only be unpublished.
    """
    _require(by, "claims.delete_claim", "Only reviewers can delete claims.")
    locked = _lock(claim, expected_version)
    if locked.status_changes.exists():
        raise ValidationError(
            {
                "status": "The claim has a verdict timeline, which is kept; "
                "unpublish it instead."
            }
        )
    _audit_as(locked, by)
    # A published claim's deletion is a tombstone for public readers.
    record("claim.deleted", locked, public=locked.is_published, by=by)
    locked.delete()


@transaction.atomic
def change_status(
    claim: Claim,
    *,
    to: Status | str,
    rationale: str,
    evidence: Sequence[Evidence],
    by: User,
    expected_version: int | None = None,
    at: datetime.datetime | None = None,
) -> StatusChange:
    """Move a claim to a new verdict; the only writer of ``Claim.status``.

    Every change has a rationale; every verdict but ``unverified`` rests on
    evidence of this claim; ``confirmed`` and ``false`` are set, and left, by
    reviewers only; a change on a published claim is recorded as a correction.
    """
    _require(by, "claims.change_claim_status", "Your role cannot change verdicts.")
    if to not in Status.values:
        raise ValidationError({"status": f"“{to}” is not a verification status."})
    to = Status(to)
    moment = _check_moment(at)
    locked = _lock(claim, expected_version)
    current = Status(locked.status)
    if Status.final() & {to, current} and not by.has_perm("claims.set_final_status"):
        raise PermissionDenied(
            "Only reviewers can set or overturn a final verdict "
            f"({Status.CONFIRMED.label} or {Status.FALSE.label})."
        )
    errors: dict[str, str] = {}
    if to == current:
        errors["status"] = f"The claim is already {current.label.lower()}."
    rationale = rationale.strip()
    if not rationale:
        errors["rationale"] = "Say why the verdict changes."
    evidence = list(evidence)
    if to != Status.UNVERIFIED and not evidence:
        errors["evidence"] = f"A claim can only be {to.label.lower()} on evidence."
    elif any(item.claim_id != locked.pk for item in evidence):
        errors["evidence"] = "Every piece of evidence must belong to this claim."
    last = locked.status_changes.order_by("-changed_at", "-id").first()
    if last and moment < last.changed_at:
        errors["at"] = "A change cannot be dated before the previous one."
    if errors:
        raise ValidationError(errors)

    change = StatusChange.objects.create(
        claim=locked,
        old_status=current,
        new_status=to,
        rationale=rationale,
        is_correction=locked.is_published,
        changed_by=by,
        changed_at=moment,
    )
    change.evidence.set(evidence)
    locked.status = to
    _bump(locked, by, caller=claim, fields=["status"], change="claim.status_changed")
    return change
