"""The whole dataset as JSON Lines, for ``export_data`` and ``import_data``.

One object per line, ``{"fields": …, "model": "claims.claim", "pk": 12}``,
keys sorted, models in a fixed order (what others refer to first, then the
audit history) and rows by primary key, so the same data always gives the same
bytes. Users and groups are named by username and group name, not by id.

Not included: password hashes (unless asked), API tokens, sessions, sign-in
lockouts, the admin's action log and stored ``Idempotency-Key`` answers —
secrets or short-lived records that belong to one running installation.
"""

from __future__ import annotations

import datetime
import decimal
import json
import sys
import uuid
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.apps import apps
from django.core import serializers
from django.db.models import Model

# Referred to before referring: deferred foreign keys make the order a matter
# of determinism, not of integrity, but users must exist before they are named.
CURRENT_MODELS = (
    "auth.group",
    "auth.user",
    "sources.source",
    "sources.document",
    "claims.place",
    "claims.event",
    "claims.claim",
    "claims.statement",
    "claims.evidence",
    "claims.statuschange",
    "claims.statuschangeevidence",
    "claims.claimlink",
)
NAMED_MODELS = frozenset({"auth.group", "auth.user"})
CHUNK = 2000


def exported_models() -> list[type[Model]]:
    """Every model in the export, current ones first, then their history."""
    current = [apps.get_model(label) for label in CURRENT_MODELS]
    history = [
        model
        for app in ("sources", "claims")
        for model in apps.get_app_config(app).get_models()
        if model.__name__.startswith("Historical")
    ]
    return current + history


def label(model: type[Model]) -> str:
    return model._meta.label_lower


class _Encoder(json.JSONEncoder):
    """Full precision: Django's own encoder cuts microseconds to milliseconds,
    and a round trip must give the same rows back."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.date | datetime.time):
            return o.isoformat()
        if isinstance(o, decimal.Decimal | uuid.UUID):
            return str(o)
        return super().default(o)


def _rows(model: type[Model]) -> Iterator[Model]:
    many = [field.name for field in model._meta.many_to_many]
    queryset = model._base_manager.order_by("pk")
    if many:
        queryset = queryset.prefetch_related(*many)
    return queryset.iterator(chunk_size=CHUNK)


def export_lines(
    *, with_passwords: bool = False, progress: Progress | None = None
) -> Iterator[str]:
    """The dataset, one JSON line at a time (without the newline)."""
    for model in exported_models():
        name = label(model)
        named = name in NAMED_MODELS
        rows: Iterable[Model] = _rows(model)
        if name == "auth.user":
            rows = model._base_manager.order_by("username").prefetch_related(
                "groups", "user_permissions"
            )
        if progress:
            progress.start(name, model._base_manager.count())
        for obj in rows:
            (data,) = serializers.serialize(
                "python",
                [obj],
                use_natural_foreign_keys=True,
                use_natural_primary_keys=named,
            )
            fields = data["fields"]
            if name == "auth.user" and not with_passwords:
                del fields["password"]
            for field in model._meta.many_to_many:
                if field.name in fields:
                    fields[field.name] = sorted(fields[field.name])
            line = {"model": name, "fields": fields}
            if not named:
                line["pk"] = data["pk"]
            yield json.dumps(
                line,
                cls=_Encoder,
                ensure_ascii=False,
                sort_keys=True,
                separators=(",", ":"),
            )
            if progress:
                progress.step()
        if progress:
            progress.done()


class Progress:
    """A progress bar per model, on standard error (a line each when not a
    terminal, e.g. in a log)."""

    WIDTH = 30

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.name, self.total, self.count = "", 0, 0

    def start(self, name: str, total: int | None) -> None:
        self.name, self.total, self.count = name, total or 0, 0
        self._draw()

    def step(self) -> None:
        self.count += 1
        if self.live and (self.count % 500 == 0 or self.count == self.total):
            self._draw()

    def done(self) -> None:
        if self.live:
            self._draw()
            self.stream.write("\n")
        else:
            self.stream.write(f"{self.name}: {self.count}\n")
        self.stream.flush()

    def _draw(self) -> None:
        if not self.live:
            return
        total = self.total or max(self.count, 1)
        filled = min(self.WIDTH, self.WIDTH * self.count // total)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.stream.write(f"\r{self.name:<36} [{bar}] {self.count}/{self.total}")
        self.stream.flush()


def import_lines(lines: Iterable[str], *, progress: Progress | None = None) -> int:
    """Store exported lines (call inside a transaction); returns the count.

    Rows keep their primary keys, so the history still points at what it
    describes; users are matched or created by username, without a usable
    password unless the export carried one. No history is written for the
    import itself.
    """
    from django.contrib.auth.hashers import make_password

    count, current = 0, None
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
            name = data["model"]
        except (ValueError, KeyError, TypeError):
            raise ValueError(f"Line {number} is not an exported object.") from None
        if name != current:
            if progress and current:
                progress.done()
            current = name
            if progress:
                progress.start(name, None)
        if name == "auth.user":
            data["fields"].setdefault("password", make_password(None))
        for item in serializers.deserialize(
            "python",
            [data],
            use_natural_foreign_keys=True,
            use_natural_primary_keys=name in NAMED_MODELS,
        ):
            # What is imported happened already: its history comes with it.
            item.object.skip_history_when_saving = True
            item.save()
        count += 1
        if progress:
            progress.step()
    if progress and current:
        progress.done()
    return count


def reset_sequences(using: str = "default") -> None:
    """Let new rows take ids after the imported ones."""
    from django.core.management.color import no_style
    from django.db import connections

    connection = connections[using]
    statements = connection.ops.sequence_reset_sql(no_style(), exported_models())
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def has_data() -> list[str]:
    """The exported models that already hold rows (role groups do not count:
    migrations make them)."""
    return [
        label(model)
        for model in exported_models()
        if label(model) != "auth.group" and model._base_manager.exists()
    ]
