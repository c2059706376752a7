"""The public claim page's data in one prepared statement.

The page shows a claim with its event, places, statements (sources,
documents, publishers), evidence, verdict timeline (with the evidence each
verdict rests on) and related published claims. Through the ORM that is
nine queries and most of a page's render time; on PostgreSQL one statement
returns every row as JSON and the same model instances are built from it,
related and prefetched as ``Claim.objects.for_page()`` would leave them, so
the views and templates do not know the difference. Other databases (the
SQLite quickstart) use ``for_page()``.

``tests/claims/test_claim_page_data.py`` renders every demo claim both ways
and holds the pages equal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TypeVar

from django.db import connection, models, router

from claims.models import (
    Claim,
    ClaimLink,
    Event,
    Evidence,
    Place,
    Statement,
    StatusChange,
)
from sources.models import Document, Source
from verifier.postgresql.prepared import execute_prepared

M = TypeVar("M", bound=models.Model)


def _rows(alias: str, table: str, where: str, order: str) -> str:
    """A JSON array of the rows of ``table`` matching ``where``, in ``order``
    (the model's own ordering, so the page lists them as the ORM would)."""
    rows = f"to_jsonb({alias}) ORDER BY {order}"
    return f"(SELECT coalesce(json_agg({rows}), '[]'::json) FROM {table} {alias} WHERE {where})"  # noqa: E501, S608


# The claim's evidence and any its verdicts rest on; the documents and sources
# shown. Each a UNION of index lookups (an OR would scan the whole table).
_CHANGE_EVIDENCE = """SELECT sce.evidence_id
      FROM claims_statuschangeevidence sce
      JOIN claims_statuschange sc ON sc.id = sce.status_change_id
     WHERE sc.claim_id = c.id"""
_EVIDENCE_IDS = (
    f"SELECT id FROM claims_evidence WHERE claim_id = c.id UNION {_CHANGE_EVIDENCE}"  # noqa: S608
)
_DOCUMENTS = f"""SELECT document_id FROM claims_statement WHERE claim_id = c.id
    UNION SELECT document_id FROM claims_evidence WHERE id IN ({_EVIDENCE_IDS})"""  # noqa: S608


def _links(own: str, other: str) -> str:
    return f"""(SELECT coalesce(json_agg(
                   to_jsonb(l)
                   || jsonb_build_object('other', to_jsonb(o) - 'search_document')
                   ORDER BY l.created_at, l.id), '[]'::json)
          FROM claims_claimlink l JOIN claims_claim o ON o.id = l.{other}_id
         WHERE l.{own}_id = c.id AND o.visibility = 'published')"""  # noqa: S608


_STATEMENTS = _rows(
    "s", "claims_statement", "s.claim_id = c.id", "s.stated_on, s.stated_time, s.id"
)
_EVIDENCE = _rows(
    "ev",
    "claims_evidence",
    f"ev.id IN ({_EVIDENCE_IDS})",
    "ev.created_at, ev.id",
)
_PUBLISHERS = f"SELECT publisher_id FROM sources_document WHERE id IN ({_DOCUMENTS})"  # noqa: S608
_SOURCES = _rows(
    "src",
    "sources_source",
    f"src.id IN (SELECT source_id FROM claims_statement WHERE claim_id = c.id UNION {_PUBLISHERS})",  # noqa: E501, S608
    "src.id",
)

# Put together from constants of this module, never from input.
_PAGE_SQL = f"""
SELECT json_build_object(
    'claim', to_jsonb(c) - 'search_document',
    'event', to_jsonb(e),
    'places', (SELECT coalesce(json_agg(to_jsonb(p) ORDER BY p.name, p.id), '[]'::json)
                 FROM claims_claim_places cp JOIN claims_place p ON p.id = cp.place_id
                WHERE cp.claim_id = c.id),
    'statements', {_STATEMENTS},
    'evidence', {_EVIDENCE},
    'changes', (SELECT coalesce(json_agg(
                   to_jsonb(sc) || jsonb_build_object('evidence_ids', (
                       SELECT coalesce(jsonb_agg(sce.evidence_id), '[]'::jsonb)
                         FROM claims_statuschangeevidence sce
                        WHERE sce.status_change_id = sc.id))
                   ORDER BY sc.changed_at, sc.id), '[]'::json)
                  FROM claims_statuschange sc WHERE sc.claim_id = c.id),
    'documents', {_rows("d", "sources_document", f"d.id IN ({_DOCUMENTS})", "d.id")},
    'sources', {_SOURCES},
    'links_out', {_links("from_claim", "to_claim")},
    'links_in', {_links("to_claim", "from_claim")}
)::text
  FROM claims_claim c
  LEFT JOIN claims_event e ON e.id = c.event_id
 WHERE c.slug = $1 AND c.visibility = 'published'
"""  # noqa: S608


def instance(model: type[M], row: dict[str, Any]) -> M:
    """``model`` as the ORM would load it from ``row`` (a row as JSON)."""
    fields = model._meta.concrete_fields
    values = [
        None if (value := row[field.column]) is None else field.to_python(value)
        for field in fields
    ]
    names = [field.attname for field in fields]
    return model.from_db(router.db_for_read(model), names, values)


def relate(obj: models.Model, name: str, value: models.Model | None) -> None:
    """Set the foreign key ``name`` of ``obj`` as ``select_related`` would."""
    obj._meta.get_field(name).set_cached_value(obj, value)


def prefetched(
    obj: models.Model,
    name: str,
    objects: Iterable[models.Model],
    back: str | None = None,
) -> None:
    """Fill ``obj.<name>.all()`` as ``prefetch_related`` would, with each
    object's foreign key ``back`` to ``obj`` set, as it sets it."""
    queryset = getattr(obj, name).all()
    queryset._result_cache = list(objects)
    if back is not None:
        for item in queryset._result_cache:
            relate(item, back, obj)
    queryset._prefetch_done = True
    obj.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset


def published_claim_for_page(slug: str) -> Claim | None:
    """The published claim ``slug`` with all its page shows, in one query."""
    if connection.vendor != "postgresql":
        return Claim.objects.published().for_page().filter(slug=slug).first()
    row = execute_prepared("verifier_claim_page", "text", _PAGE_SQL, slug, reads=Claim)
    if row is None:
        return None
    data = json.loads(row[0], parse_float=Decimal)
    return _build(data)


def _build(data: dict[str, Any]) -> Claim:
    claim = instance(Claim, data["claim"])
    relate(claim, "event", data["event"] and instance(Event, data["event"]))
    prefetched(claim, "places", (instance(Place, row) for row in data["places"]))

    sources = {row["id"]: instance(Source, row) for row in data["sources"]}
    documents = {}
    for row in data["documents"]:
        document = documents[row["id"]] = instance(Document, row)
        relate(document, "publisher", sources.get(document.publisher_id))

    statements = [instance(Statement, row) for row in data["statements"]]
    for statement in statements:
        relate(statement, "source", sources[statement.source_id])
        relate(statement, "document", documents.get(statement.document_id))
    prefetched(claim, "statements", statements, back="claim")

    evidence = {}
    for row in data["evidence"]:
        item = evidence[row["id"]] = instance(Evidence, row)
        relate(item, "document", documents[item.document_id])
    prefetched(
        claim,
        "evidence",
        (item for item in evidence.values() if item.claim_id == claim.pk),
        back="claim",
    )

    changes = []
    for row in data["changes"]:
        change = instance(StatusChange, row)
        ids = set(row["evidence_ids"])
        # In the evidence's own order, as the ORM's prefetch lists them.
        prefetched(change, "evidence", (evidence[i] for i in evidence if i in ids))
        changes.append(change)
    prefetched(claim, "status_changes", changes, back="claim")

    for name, own, other in (
        ("links_out", "from_claim", "to_claim"),
        ("links_in", "to_claim", "from_claim"),
    ):
        links = []
        for row in data[name]:
            link = instance(ClaimLink, row)
            relate(link, other, instance(Claim, row["other"]))
            links.append(link)
        prefetched(claim, name, links, back=own)
    return claim
