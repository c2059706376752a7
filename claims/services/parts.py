"""Statements, evidence and links: each change is a new version of its claims."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, ProtectedError

from sources.models import Document, Source

from ..models import (
    Claim,
    ClaimLink,
    Evidence,
    EvidenceStance,
    LinkKind,
    Stance,
    Statement,
)
from .base import (
    _audit_as,
    _bump,
    _lock_all,
    _require,
    _require_reviewer_while_final,
    _save,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


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
