"""The one door for every change of a claim's state.

The admin, the API and management commands call these functions, so the
verification rules hold the same everywhere. Each function runs in one
transaction, locks the claim row it changes, checks the caller's version when
one is given, records the acting user in the audit history and bumps the
claim's version. A broken rule raises and writes nothing:

- ``ValidationError`` (a dict keyed by field) for bad input or a broken rule,
- ``PermissionDenied`` when the acting user's role does not allow the change,
- ``StaleVersion`` when the caller's copy of the claim is out of date.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ForeignKey, Model, ProtectedError, Q
from django.utils import timezone

from sources.models import Document, Source
from verifier import conditional
from verifier.slugs import unique_slug

from .choices import NoteKind, ReviewAction
from .models import (
    Claim,
    ClaimLink,
    Evidence,
    EvidenceStance,
    LinkKind,
    Note,
    ReviewStep,
    Stance,
    Statement,
    Status,
    StatusChange,
    Visibility,
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
) -> None:
    """Record a new version of the claim and hand it back to the caller's copy.

    ``updated_at`` is the time of the write, even for back-dated changes, so
    that clients syncing on it miss nothing.
    """
    locked.version += 1
    locked.updated_at = timezone.now()
    _save(locked, by, update_fields=["version", "updated_at", *fields])
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


def _step(
    locked: Claim, action: ReviewAction, by: User, note: Note | None = None
) -> ReviewStep:
    """Record a step of the claim through the desk, at the time it is taken."""
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
    _bump(locked, by, caller=claim, fields=["visibility"])
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
    _bump(locked, by, caller=claim, fields=["visibility"])
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
    _bump(locked, by, caller=claim, fields=["visibility", "published_at"])
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
    _bump(locked, by, caller=claim, fields=["visibility"])
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
    locked.delete()


Part = TypeVar("Part", Statement, Evidence, ClaimLink)


# The claims a part belongs to; the first is the one whose version a caller holds.
_CLAIM_FIELDS: dict[type[Model], tuple[str, ...]] = {
    Statement: ("claim",),
    Evidence: ("claim",),
    ClaimLink: ("from_claim", "to_claim"),
}


def _claims_of(part: Part) -> list[Claim]:
    return [getattr(part, field) for field in _CLAIM_FIELDS[type(part)]]


def _refuse_move(part: Part) -> None:
    """A part stays with the claims it was made for; moving it would rewrite
    what the first claim's timeline and history say."""
    fields = [f"{field}_id" for field in _CLAIM_FIELDS[type(part)]]
    stored = type(part).objects.filter(pk=part.pk).values_list(*fields).first()
    if stored is not None and stored != tuple(getattr(part, f) for f in fields):
        raise ValidationError(
            {
                _CLAIM_FIELDS[type(part)][0]: (
                    f"A {part._meta.verbose_name} stays with its claim: remove it "
                    "and add a new one to the other claim."
                )
            }
        )


def _changed(part: Part) -> bool:
    """Whether the part differs from its stored row in any field."""
    names = [field.attname for field in part._meta.concrete_fields]
    stored = type(part).objects.filter(pk=part.pk).values(*names).first()
    return stored is None or any(getattr(part, name) != stored[name] for name in names)


def _changes_what_a_verdict_rests_on(evidence: Evidence) -> bool:
    if evidence._state.adding or not evidence.status_changes.exists():
        return False
    stored = Evidence.objects.filter(pk=evidence.pk).values("stance", "document_id")
    return stored.first() != {
        "stance": evidence.stance,
        "document_id": evidence.document_id,
    }


def _bump_showing(locked: list[Claim], claims: list[Claim], by: User) -> None:
    """A new version of each claim the changed part shows on. A published
    claim does not show a link to a draft, so a draft's link leaves it as it
    was: same version, same place in the lists, nothing for the public."""
    for row, claim in zip(locked, claims, strict=True):
        if row.is_published and not all(other.is_published for other in locked):
            continue
        _bump(row, by, caller=claim)


@transaction.atomic
def save_part(part: Part, *, by: User, expected_version: int | None = None) -> Part:
    """Add or edit a statement, piece of evidence or link, as a new version of
    its claim (of both claims, for a link). An edit that changes nothing
    writes nothing."""
    action = "add" if part._state.adding else "change"
    model = part._meta.model_name
    _require(
        by,
        f"claims.{action}_{model}",
        f"Your role cannot {action} {part._meta.verbose_name_plural}.",
    )
    claims = _claims_of(part)
    locked = _lock_all(claims, expected_version)
    _refuse_move(part)
    if not part._state.adding and not _changed(part):
        # Nothing changes: no new version of its claims, no history row.
        return part
    if isinstance(part, Evidence) and _changes_what_a_verdict_rests_on(part):
        _require_reviewer_while_final(locked[0], by, "the evidence a verdict rests on")
    part.full_clean()
    if (
        isinstance(part, ClaimLink)
        and part.kind in LinkKind.symmetric()
        and ClaimLink.objects.filter(
            from_claim=part.to_claim_id, to_claim=part.from_claim_id, kind=part.kind
        ).exists()
    ):
        raise ValidationError({"kind": "These claims are already linked this way."})
    _save(part, by)
    _bump_showing(locked, claims, by)
    return part


@transaction.atomic
def remove_part(part: Part, *, by: User, expected_version: int | None = None) -> None:
    """Remove a statement, piece of evidence or link, as a new claim version.

    Evidence a verdict in the timeline rests on cannot be removed.
    """
    _require(
        by,
        f"claims.delete_{part._meta.model_name}",
        f"Your role cannot remove {part._meta.verbose_name_plural}.",
    )
    claims = _claims_of(part)
    locked = _lock_all(claims, expected_version)
    _audit_as(part, by)
    try:
        part.delete()
    except ProtectedError:
        raise ValidationError(
            {"evidence": "A verdict in the timeline rests on this evidence; it stays."}
        ) from None
    _bump_showing(locked, claims, by)


def attribute_statement(
    claim: Claim,
    *,
    source: Source,
    stance: Stance | str,
    stated_on: datetime.date,
    quote: str,
    by: User,
    stated_time: datetime.time | None = None,
    quote_language: str = "",
    translation: str = "",
    is_paraphrase: bool = False,
    document: Document | None = None,
    expected_version: int | None = None,
) -> Statement:
    """Record that ``source`` asserts or denies the claim."""
    statement = Statement(
        claim=claim,
        source=source,
        stance=stance,
        stated_on=stated_on,
        stated_time=stated_time,
        quote=quote.strip(),
        quote_language=quote_language,
        translation=translation.strip(),
        is_paraphrase=is_paraphrase,
        document=document,
    )
    return save_part(statement, by=by, expected_version=expected_version)


def add_evidence(
    claim: Claim,
    *,
    document: Document,
    stance: EvidenceStance | str,
    by: User,
    note: str = "",
    expected_version: int | None = None,
) -> Evidence:
    """Attach a document the claim's verdict can rest on."""
    evidence = Evidence(
        claim=claim, document=document, stance=stance, note=note.strip()
    )
    return save_part(evidence, by=by, expected_version=expected_version)


def link_claims(
    from_claim: Claim,
    to_claim: Claim,
    *,
    kind: LinkKind | str,
    by: User,
    note: str = "",
    expected_version: int | None = None,
) -> ClaimLink:
    """Relate two claims. Symmetric kinds are stored once, in either direction."""
    link = ClaimLink(
        from_claim=from_claim, to_claim=to_claim, kind=kind, note=note.strip()
    )
    return save_part(link, by=by, expected_version=expected_version)


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
    _bump(locked, by, caller=claim, fields=["status"])
    return change
