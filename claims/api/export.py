"""All claims a user may see, as CSV or JSON Lines, streamed.

The rows are read in chunks (a server-side cursor on PostgreSQL), written and
sent chunk by chunk, so the memory an export takes does not grow with the
archive: a million claims cost what ten thousand do.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Iterator
from typing import Any

import orjson
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import F, OuterRef, QuerySet, Value
from django.db.models.functions import Concat
from rest_framework.renderers import BaseRenderer

from claims.models import Claim, Stance, Statement, Status

CHUNK = 2000

COLUMNS = [
    "id",
    "slug",
    "text",
    "status",
    "rating_value",
    "visibility",
    "published_at",
    "version",
    "event",
    "places",
    "asserted_by",
    "denied_by",
    "admiralty",
    "created_at",
    "updated_at",
]
_LISTS = ("places", "asserted_by", "denied_by", "admiralty")
# The columns made from more than the claim's own row; the rest are its fields.
_MADE = ("rating_value", "event", *_LISTS)
_FIELDS = [name for name in COLUMNS if name not in _MADE]
# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Renderer(BaseRenderer):
    """Names the format for content negotiation (``?format=``, ``Accept``);
    the rows themselves are streamed by the view. Errors are JSON."""

    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        return b"" if data is None else orjson.dumps(data)


class CSVRenderer(_Renderer):
    media_type = "text/csv"
    format = "csv"


class JSONLinesRenderer(_Renderer):
    media_type = "application/jsonl"
    format = "jsonl"


def _sources(stance: Stance) -> ArraySubquery:
    return ArraySubquery(
        Statement.objects.filter(claim=OuterRef("pk"), stance=stance)
        .order_by("source__slug")
        .values("source__slug")
        .distinct()
    )


def _pairs() -> ArraySubquery:
    """Each statement's source and Admiralty pair, ``isw:B2``, by source."""
    return ArraySubquery(
        Statement.objects.filter(claim=OuterRef("pk"))
        .order_by("source__slug", "stated_on", "id")
        .values(pair=Concat("source__slug", Value(":"), Statement.admiralty.expression))
    )


def _pair(statement: Statement) -> str:
    return f"{statement.source.slug}:{statement.admiralty}"


def export_rows(claims: QuerySet[Claim]) -> Iterator[dict[str, Any]]:
    """One dict per claim, in id order, read ``CHUNK`` claims at a time."""
    claims = claims.order_by("id")
    fields = _FIELDS
    if connection.vendor == "postgresql":
        rows = claims.values(*fields, event_slug=F("event__slug")).annotate(
            place_slugs=ArraySubquery(
                Claim.places.through.objects.filter(claim_id=OuterRef("pk"))
                .order_by("place__slug")
                .values("place__slug")
            ),
            asserted=_sources(Stance.ASSERTS),
            denied=_sources(Stance.DENIES),
            pairs=_pairs(),
        )
        for row in rows.iterator(chunk_size=CHUNK):
            yield _row(
                row, row["place_slugs"], row["asserted"], row["denied"], row["pairs"]
            )
        return
    # Elsewhere (the SQLite quickstart): the parts prefetched chunk by chunk.
    for claim in (
        claims.select_related("event")
        .prefetch_related("places", "statements__source")
        .iterator(chunk_size=CHUNK)
    ):
        row = {name: getattr(claim, name) for name in fields}
        row["event_slug"] = claim.event and claim.event.slug
        by_stance: dict[str, set[str]] = {Stance.ASSERTS: set(), Stance.DENIES: set()}
        statements = sorted(
            claim.statements.all(), key=lambda s: (s.source.slug, s.stated_on, s.pk)
        )
        for statement in statements:
            by_stance[statement.stance].add(statement.source.slug)
        yield _row(
            row,
            sorted(place.slug for place in claim.places.all()),
            sorted(by_stance[Stance.ASSERTS]),
            sorted(by_stance[Stance.DENIES]),
            [_pair(statement) for statement in statements],
        )


def _row(
    row: dict[str, Any],
    places: list[str],
    asserted: list[str],
    denied: list[str],
    pairs: list[str],
) -> dict[str, Any]:
    made = {
        "rating_value": Status(row["status"]).rating_value,
        "event": row["event_slug"],
        "places": places,
        "asserted_by": asserted,
        "denied_by": denied,
        "admiralty": pairs,
    }
    return {
        name: made[name] if name in made else _moment(row[name]) for name in COLUMNS
    }


def _moment(value: Any) -> Any:
    """A moment as the API writes it (UTC, ``Z``); any other value as it is."""
    if not isinstance(value, datetime.datetime):
        return value
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def safe_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text: a leading ``= + - @`` (or a tab or
    carriage return) would make it a formula, so it gets a ``'`` before it."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_chunks(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """The header, then ``CHUNK`` rows per piece; lists are ``;``-separated."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for count, row in enumerate(rows, 1):
        for name in _LISTS:
            row[name] = ";".join(row[name])
        writer.writerow([safe_cell(row[name]) for name in COLUMNS])
        if count % CHUNK == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def jsonl_chunks(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """One JSON object per line, ``CHUNK`` lines per piece."""
    lines: list[bytes] = []
    for row in rows:
        lines.append(orjson.dumps(row))
        if len(lines) == CHUNK:
            yield b"\n".join(lines) + b"\n"
            lines = []
    if lines:
        yield b"\n".join(lines) + b"\n"
