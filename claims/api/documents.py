"""Claims as JSON written by PostgreSQL, for the API's hot reads.

One statement reads a page of claims, or one claim, with every part the API
shows (event, places, statements with their sources and documents, evidence,
links) and writes the same JSON as ``ClaimSerializer`` /
``ClaimDetailSerializer``. The view passes the text through to the client
(``orjson.Fragment``) without parsing it. Other databases (the SQLite
quickstart) get the serializers' own answer.

``tests/claims/test_api_list_rows.py`` holds the SQL equal to the serializers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import orjson
from django.db import connection

from claims.models import Claim, Status, sees_drafts
from verifier.postgresql.prepared import execute_prepared, fetch_prepared

from .serializers import ClaimDetailSerializer, ClaimSerializer

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def _moment(column: str) -> str:
    """A timestamptz as DRF writes it: UTC, ``Z``, microseconds only if any."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"""(to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS')"""
        f" || coalesce(nullif(to_char({utc}, '.US'), '.000000'), '') || 'Z')"
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _status_case(values: dict[str, str | int | None]) -> str:
    """A ``CASE`` over the claim's status: its label, or its rating value."""

    def sql(value: str | int | None) -> str:
        if value is None:
            return "NULL"
        return _literal(value) if isinstance(value, str) else str(int(value))

    branches = " ".join(f"WHEN {_literal(k)} THEN {sql(v)}" for k, v in values.items())
    return f"CASE c.status {branches} END"


def _source(alias: str) -> str:
    return (
        f"CASE WHEN {alias}.id IS NULL THEN NULL ELSE json_build_object("
        f"'id', {alias}.id, 'slug', {alias}.slug, 'name', {alias}.name, "
        f"'label', {alias}.name || ' (' || {alias}.reliability || ')', "
        f"'reliability', {alias}.reliability, 'affiliation', {alias}.affiliation, "
        f"'kind', {alias}.kind) END"
    )


def _document(alias: str, publisher: str) -> str:
    return (
        f"CASE WHEN {alias}.id IS NULL THEN NULL ELSE json_build_object("
        f"'id', {alias}.id, 'title', {alias}.title, 'url', {alias}.url, "
        f"'publisher', {_source(publisher)}, "
        f"'published_at', {_moment(f'{alias}.published_at')}, "
        f"'language', {alias}.language, 'archive_url', {alias}.archive_url) END"
    )


def _links(order: int, direction: str, own: str, other: str) -> str:
    return f"""
        SELECT {order} AS n, l.created_at, l.id, json_build_object(
            'id', l.id, 'kind', l.kind, 'direction', '{direction}',
            'claim', json_build_object(
                'id', o.id, 'slug', o.slug, 'text', o.text, 'status', o.status))
          FROM claims_claimlink l JOIN claims_claim o ON o.id = l.{other}_id
         WHERE l.{own}_id = c.id
           AND (%(drafts)s OR o.visibility = 'published')"""  # noqa: S608


# The SQL is put together from constants of this module, never from input.
_CLAIM = f"""json_build_object(
    'id', c.id, 'slug', c.slug, 'text', c.text, 'status', c.status,
    'status_label', {_status_case({s.value: str(s.label) for s in Status})},
    'rating_value', {_status_case({s.value: s.rating_value for s in Status})},
    'visibility', c.visibility,
    'published_at', {_moment("c.published_at")},
    'version', c.version,
    'event', CASE WHEN e.id IS NULL THEN NULL
             ELSE json_build_object('id', e.id, 'slug', e.slug, 'title', e.title) END,
    'places', coalesce((
        SELECT json_agg(json_build_object(
                   'id', p.id, 'slug', p.slug, 'name', p.name, 'kind', p.kind)
                   ORDER BY p.name, p.id)
          FROM claims_claim_places cp JOIN claims_place p ON p.id = cp.place_id
         WHERE cp.claim_id = c.id), '[]'::json),
    'statements', coalesce((
        SELECT json_agg(json_build_object(
                   'id', s.id, 'source', {_source("src")}, 'stance', s.stance,
                   'stated_on', s.stated_on, 'stated_time', s.stated_time,
                   'quote', s.quote, 'quote_language', s.quote_language,
                   'translation', s.translation, 'is_paraphrase', s.is_paraphrase,
                   'document', {_document("d", "pub")},
                   'relayed_by', CASE WHEN pub.id <> s.source_id
                                 THEN {_source("pub")} END)
                   ORDER BY s.stated_on, s.stated_time, s.id)
          FROM claims_statement s
          JOIN sources_source src ON src.id = s.source_id
          LEFT JOIN sources_document d ON d.id = s.document_id
          LEFT JOIN sources_source pub ON pub.id = d.publisher_id
         WHERE s.claim_id = c.id), '[]'::json),
    'evidence', coalesce((
        SELECT json_agg(json_build_object(
                   'id', ev.id, 'document', {_document("ed", "epub")},
                   'stance', ev.stance, 'note', ev.note)
                   ORDER BY ev.created_at, ev.id)
          FROM claims_evidence ev
          LEFT JOIN sources_document ed ON ed.id = ev.document_id
          LEFT JOIN sources_source epub ON epub.id = ed.publisher_id
         WHERE ev.claim_id = c.id), '[]'::json),
    'created_at', {_moment("c.created_at")},
    'updated_at', {_moment("c.updated_at")}
)"""  # noqa: S608

_LIST_SQL = f"""
SELECT coalesce(json_agg({_CLAIM} ORDER BY page.n), '[]'::json)::text
  FROM unnest(%(ids)s::bigint[]) WITH ORDINALITY AS page(id, n)
  JOIN claims_claim c ON c.id = page.id
  LEFT JOIN claims_event e ON e.id = c.event_id
"""  # noqa: S608

# The detail is the list's object with ``links`` after the other keys:
# outgoing, then incoming, each in the order they were made.
_DETAIL_SQL = f"""
SELECT c.id, c.version, left(({_CLAIM})::text, -1) || ',"links":' || (
        SELECT coalesce(json_agg(link ORDER BY n, created_at, id), '[]'::json)::text
          FROM ({_links(0, "outgoing", "from_claim", "to_claim")}
                UNION ALL
                {_links(1, "incoming", "to_claim", "from_claim")}
          ) AS links(n, created_at, id, link)) || '}}'
  FROM claims_claim c
  LEFT JOIN claims_event e ON e.id = c.event_id
 WHERE c.{{key}} = %(key)s AND (%(drafts)s OR c.visibility = 'published')
"""  # noqa: S608


# A claim is named by its id or its slug (never all digits): one statement each.
_KEYS = {"id": "bigint", "slug": "text"}

# Planning these statements takes about twice as long as running them, so each
# connection prepares them once (verifier.postgresql.prepared).
_STATEMENTS = {
    "verifier_claim_list": (
        "bigint[]",
        _LIST_SQL.replace("%(ids)s", "$1"),
    ),
    **{
        f"verifier_claim_version_by_{key}": (
            f"{kind}, boolean",
            f"SELECT id, version FROM claims_claim WHERE {key} = $1 "  # noqa: S608
            "AND ($2 OR visibility = 'published')",
        )
        for key, kind in _KEYS.items()
    },
    # The list's default page (no parameters): the keys its ETag is made of,
    # in the order and visibility of ClaimViewSet's page query.
    "verifier_claim_first_page": (
        "boolean, integer",
        "SELECT id, version FROM claims_claim WHERE ($1 OR visibility = 'published') "
        "ORDER BY updated_at DESC, id DESC LIMIT $2",
    ),
    **{
        f"verifier_claim_detail_by_{key}": (
            f"{kind}, boolean",
            _DETAIL_SQL.replace("{key}", key)
            .replace("%(key)s", "$1")
            .replace("%(drafts)s", "$2"),
        )
        for key, kind in _KEYS.items()
    },
}


def _execute(name: str, *params: object) -> tuple | None:
    """Run the prepared statement ``name``; the first row of its answer."""
    types, sql = _STATEMENTS[name]
    return execute_prepared(name, types, sql, *params, reads=Claim)


def claim_list_json(claims: Sequence[Claim]) -> orjson.Fragment | list:
    """The JSON of ``ClaimSerializer(claims, many=True)``, in one query."""
    ids = [claim.pk for claim in claims]
    if connection.vendor != "postgresql":
        found = Claim.objects.filter(pk__in=ids).with_attribution().in_bulk()
        return ClaimSerializer([found[pk] for pk in ids], many=True).data
    return orjson.Fragment(_execute("verifier_claim_list", ids)[0])


def first_page_versions(
    user: AbstractBaseUser | AnonymousUser, size: int
) -> list[tuple[int, int]] | None:
    """The ids and versions of the claims on the list's default first page
    (``size`` claims, newest change first), as ``user`` sees it, in one
    prepared statement; ``None`` elsewhere than on PostgreSQL."""
    if connection.vendor != "postgresql":
        return None
    types, sql = _STATEMENTS["verifier_claim_first_page"]
    return fetch_prepared(
        "verifier_claim_first_page", types, sql, sees_drafts(user), size, reads=Claim
    )


def _key(key: int | str) -> str:
    return "id" if isinstance(key, int) else "slug"


def claim_version(
    key: int | str, user: AbstractBaseUser | AnonymousUser
) -> Claim | None:
    """The claim with id or slug ``key`` as ``Claim(pk, version)``, enough for
    its ETag; ``None`` if ``user`` may not see it."""
    if connection.vendor != "postgresql":
        visible = Claim.objects.visible_to(user).filter(**{_key(key): key})
        return visible.only("pk", "version").first()
    row = _execute(f"verifier_claim_version_by_{_key(key)}", key, sees_drafts(user))
    return row and Claim(pk=row[0], version=row[1])


def claim_detail_json(
    key: int | str, user: AbstractBaseUser | AnonymousUser
) -> tuple[Claim, orjson.Fragment | dict] | None:
    """The claim with id or slug ``key`` (as ``Claim(pk, version)``) and the
    JSON of ``ClaimDetailSerializer``, in one query; ``None`` if ``user`` may
    not see it.
    """
    drafts = sees_drafts(user)
    if connection.vendor != "postgresql":
        visible = Claim.objects.visible_to(user).with_attribution().with_links(user)
        claim = visible.filter(**{_key(key): key}).first()
        return claim and (claim, ClaimDetailSerializer(claim).data)
    row = _execute(f"verifier_claim_detail_by_{_key(key)}", key, drafts)
    if row is None:
        return None
    return Claim(pk=row[0], version=row[1]), orjson.Fragment(row[2])
