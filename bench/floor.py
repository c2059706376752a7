"""The floor: the claim list and detail from a bare WSGI callable.

One SQL statement per request through psycopg builds every nested object
(``json_build_object`` / ``json_agg``), orjson writes the body. No Django, no
middleware, no authentication: what the same JSON costs at the least. Served
by ``bench/run.py`` as ``gunicorn -c gunicorn.conf.py bench.floor:application``
with ``DATABASE_URL`` set. Benchmarks only.
"""

from __future__ import annotations

import base64
import datetime
import os
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

import orjson
import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import set_json_loads

set_json_loads(orjson.loads)

PAGE_SIZE = 50
_local = threading.local()


_DAY = "to_char(s.stated_on, 'FMDD FMMonth YYYY')"
_STATED_WHEN = f"""CASE
    WHEN s.time_precision = 'exact' AND s.stated_time IS NOT NULL
        THEN {_DAY} || ', ' || to_char(s.stated_time, 'HH24:MI')
    WHEN s.time_precision = 'week' THEN 'about ' || {_DAY}
    WHEN s.time_precision = 'month' THEN to_char(s.stated_on, 'FMMonth YYYY')
    ELSE {_DAY} END"""


def _source(alias: str) -> str:
    return f"""CASE WHEN {alias}.id IS NULL THEN NULL ELSE json_build_object(
        'id', {alias}.id, 'slug', {alias}.slug, 'name', {alias}.name,
        'label', {alias}.name || ' (' || {alias}.reliability || ')',
        'reliability', {alias}.reliability, 'affiliation', {alias}.affiliation,
        'kind', {alias}.kind) END"""


def _document(alias: str, publisher: str) -> str:
    return f"""CASE WHEN {alias}.id IS NULL THEN NULL ELSE json_build_object(
        'id', {alias}.id, 'title', {alias}.title, 'url', {alias}.url,
        'publisher', {_source(publisher)}, 'published_at', {alias}.published_at,
        'language', {alias}.language, 'archive_url', {alias}.archive_url) END"""


COLUMNS = f"""
    c.id, c.slug, c.text, c.status, c.visibility, c.published_at, c.version,
    CASE WHEN e.id IS NULL THEN NULL
         ELSE json_build_object('id', e.id, 'slug', e.slug, 'title', e.title)
    END AS event,
    coalesce((
        SELECT json_agg(json_build_object(
            'id', p.id, 'slug', p.slug, 'name', p.name, 'kind', p.kind)
            ORDER BY p.name, p.id)
          FROM claims_claim_places cp JOIN claims_place p ON p.id = cp.place_id
         WHERE cp.claim_id = c.id), '[]') AS places,
    coalesce((
        SELECT json_agg(json_build_object(
            'id', s.id, 'source', {_source("src")}, 'stance', s.stance,
            'credibility', s.credibility, 'admiralty', src.reliability || s.credibility,
            'stated_on', s.stated_on, 'stated_time', s.stated_time,
            'time_precision', s.time_precision, 'stated_when', {_STATED_WHEN},
            'quote', s.quote, 'quote_language', s.quote_language,
            'translation', s.translation, 'is_paraphrase', s.is_paraphrase,
            'document', {_document("d", "pub")},
            'relayed_by', CASE WHEN pub.id <> src.id THEN {_source("pub")} END)
            ORDER BY s.stated_on, s.stated_time, s.id)
          FROM claims_statement s
          JOIN sources_source src ON src.id = s.source_id
          LEFT JOIN sources_document d ON d.id = s.document_id
          LEFT JOIN sources_source pub ON pub.id = d.publisher_id
         WHERE s.claim_id = c.id), '[]') AS statements,
    coalesce((
        SELECT json_agg(json_build_object(
            'id', ev.id, 'document', {_document("d", "pub")},
            'stance', ev.stance, 'note', ev.note)
            ORDER BY ev.created_at, ev.id)
          FROM claims_evidence ev
          JOIN sources_document d ON d.id = ev.document_id
          LEFT JOIN sources_source pub ON pub.id = d.publisher_id
         WHERE ev.claim_id = c.id), '[]') AS evidence,
    c.created_at, c.updated_at
"""  # noqa: S608 - no input is formatted in

LIST_SQL = f"""
SELECT {COLUMNS}
  FROM claims_claim c LEFT JOIN claims_event e ON e.id = c.event_id
 WHERE c.visibility = 'published'
   AND (%(at)s::timestamptz IS NULL OR (c.updated_at, c.id) < (%(at)s, %(id)s))
 ORDER BY c.updated_at DESC, c.id DESC
 LIMIT {PAGE_SIZE + 1}
"""  # noqa: S608 - no input is formatted in

DETAIL_SQL = f"""
SELECT {COLUMNS},
    coalesce((
        SELECT json_agg(link ORDER BY link->>'direction' DESC, (link->>'id')::int)
          FROM (
            SELECT json_build_object('id', l.id, 'kind', l.kind,
                'direction', 'outgoing', 'claim', json_build_object(
                    'id', o.id, 'slug', o.slug, 'text', o.text, 'status', o.status))
              FROM claims_claimlink l JOIN claims_claim o ON o.id = l.to_claim_id
             WHERE l.from_claim_id = c.id AND o.visibility = 'published'
            UNION ALL
            SELECT json_build_object('id', l.id, 'kind', l.kind,
                'direction', 'incoming', 'claim', json_build_object(
                    'id', o.id, 'slug', o.slug, 'text', o.text, 'status', o.status))
              FROM claims_claimlink l JOIN claims_claim o ON o.id = l.from_claim_id
             WHERE l.to_claim_id = c.id AND o.visibility = 'published'
          ) AS links(link)), '[]') AS links,
    NULL AS assignee
  FROM claims_claim c LEFT JOIN claims_event e ON e.id = c.event_id
 WHERE c.visibility = 'published' AND c.slug = %(slug)s
"""  # noqa: S608 - no input is formatted in

LABELS = {
    "unverified": ("Unverified", None),
    "disputed": ("Disputed", 3),
    "partly_confirmed": ("Partly confirmed", 4),
    "confirmed": ("Confirmed", 5),
    "misleading": ("Misleading", 2),
    "false": ("False", 1),
    "unverifiable": ("Unverifiable", None),
}
CLAIM_FIELDS = ("id", "slug", "text", "status")


def _connection() -> psycopg.Connection:
    connection = getattr(_local, "connection", None)
    if connection is None or connection.closed:
        connection = psycopg.connect(
            os.environ["DATABASE_URL"], autocommit=True, row_factory=dict_row
        )
        connection.execute("SET TIME ZONE 'UTC'")
        _local.connection = connection
    return connection


def _claim(row: dict[str, Any]) -> dict[str, Any]:
    label, rating = LABELS[row["status"]]
    return {
        **{name: row[name] for name in CLAIM_FIELDS},
        "status_label": label,
        "rating_value": rating,
        **{name: row[name] for name in row if name not in CLAIM_FIELDS},
    }


def _cursor(raw: str) -> tuple[datetime.datetime | None, int | None]:
    if not raw:
        return None, None
    at, pk = base64.urlsafe_b64decode(raw.encode()).decode().split("|")
    return datetime.datetime.fromisoformat(at), int(pk)


def claim_list(query: dict[str, list[str]], base: str) -> tuple[str, bytes]:
    at, pk = _cursor(query.get("cursor", [""])[0])
    rows = _connection().execute(LIST_SQL, {"at": at, "id": pk}).fetchall()
    following = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        last = rows[-1]
        key = f"{last['updated_at'].isoformat()}|{last['id']}"
        following = f"{base}?cursor={base64.urlsafe_b64encode(key.encode()).decode()}"
    body = {
        "next": following,
        "previous": None,
        "results": [_claim(row) for row in rows],
    }
    return "200 OK", orjson.dumps(body, option=orjson.OPT_UTC_Z)


def claim_detail(slug: str) -> tuple[str, bytes]:
    row = _connection().execute(DETAIL_SQL, {"slug": slug}).fetchone()
    if row is None:
        return "404 Not Found", b'{"detail":"Not found."}'
    return "200 OK", orjson.dumps(_claim(row), option=orjson.OPT_UTC_Z)


def application(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    prefix = "/api/v1/claims/"
    if path == prefix:
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        base = f"http://{environ.get('HTTP_HOST', 'localhost')}{prefix}"
        status, body = claim_list(query, base)
    elif path.startswith(prefix) and path.endswith("/"):
        status, body = claim_detail(path[len(prefix) : -1])
    else:
        status, body = "404 Not Found", b'{"detail":"Not found."}'
    start_response(
        status,
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]
