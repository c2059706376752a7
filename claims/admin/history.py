"""Stale pages: what changed in a claim since the editor loaded it."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils.text import Truncator

from claims.models import Claim, ClaimLink, Evidence, Statement


def _short(value: object, length: int = 60) -> str:
    if value is None or value == "":
        return "(empty)"
    return Truncator(str(value)).chars(length)


def _field_change(claim_field: str, old: object, new: object) -> str:
    field = Claim._meta.get_field(claim_field)
    if field.many_to_many:
        return f"{field.verbose_name} changed"
    if field.choices:
        labels = dict(field.flatchoices)
        old, new = labels.get(old, old), labels.get(new, new)
    if field.is_relation:
        found = field.related_model._default_manager.in_bulk([old, new])
        old, new = found.get(old, old), found.get(new, new)
    return f"{field.verbose_name} “{_short(old)}” → “{_short(new)}”"


def changes_since(claim: Claim, version: int) -> list[str]:
    """Who changed what in ``claim`` after ``version``, newest last."""
    records = list(
        claim.history.select_related("history_user").order_by(
            "history_date", "history_id"
        )
    )
    before = [record for record in records if record.version <= version]
    after = [record for record in records if record.version > version]
    since = (
        before[-1].history_date
        if before
        else datetime.datetime.min.replace(tzinfo=datetime.UTC)
    )
    lines: list[tuple[datetime.datetime, str]] = []
    previous = before[-1] if before else None
    for record in after:
        details = []
        if previous is not None:
            delta = record.diff_against(
                previous, excluded_fields=["version", "updated_at", "published_at"]
            )
            details = [
                _field_change(change.field, change.old, change.new)
                for change in delta.changes
            ]
        if details:
            lines.append((record.history_date, _by(record, "; ".join(details))))
        previous = record
    for model, name in ((Statement, "statement"), (Evidence, "evidence")):
        for record in model.history.filter(
            claim_id=claim.pk, history_date__gt=since
        ).select_related("history_user"):
            action = {"+": "added", "~": "changed", "-": "removed"}[record.history_type]
            lines.append(
                (record.history_date, _by(record, f"{name} {action}: {record}"))
            )
    for record in ClaimLink.history.filter(
        from_claim_id=claim.pk, history_date__gt=since
    ).select_related("history_user"):
        action = {"+": "added", "~": "changed", "-": "removed"}[record.history_type]
        lines.append((record.history_date, _by(record, f"link {action}")))
    return [text for _, text in sorted(lines, key=lambda line: line[0])]


def _by(record: Any, what: str) -> str:
    who = record.history_user or "someone"
    return f"{record.history_date:%Y-%m-%d %H:%M} UTC, {who}: {what}"


def stale_messages(claim: Claim, version: int) -> list[str]:
    current = Claim.objects.only("version").get(pk=claim.pk).version
    return [
        f"Someone changed this claim after you opened it (you loaded version "
        f"{version}, it is now version {current}). Nothing was saved.",
        *changes_since(claim, version),
        "Your input is kept below: open the claim again in a new tab to see the "
        "current version, then apply your change to it.",
    ]
