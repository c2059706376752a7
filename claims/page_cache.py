"""The public pages' conditional GET and page cache.

Every public page answers conditional requests (``ETag``, ``Last-Modified``,
``304``) and says how long it may be cached; a page rendered for an anonymous
reader is kept, under its validator, for the next one (``public_page``).
"""

from __future__ import annotations

import datetime
import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import connection, connections, router
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.template.response import SimpleTemplateResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date
from django.views.decorators.http import condition, require_safe

from sources.models import Document, Source
from verifier.postgresql.prepared import execute_prepared

from .models import (
    Claim,
    ClaimLink,
    Event,
    Evidence,
    Place,
    Statement,
    sees_exact_coordinates,
)

CACHE_SECONDS = 60
# A page larger than this is rendered each time rather than crowd the cache.
MAX_CACHED_PAGE = 512 * 1024
# An audit row is stamped when it is written, not when its transaction
# commits, so a change still committing can carry an older stamp than the
# newest one seen. Pages rendered this soon after a change are not stored;
# stored ones live no longer than a proxy may keep them (CACHE_SECONDS).
SETTLING = datetime.timedelta(seconds=5)

ROOT = Path(__file__).resolve().parent.parent
# Models whose change can alter some public page. Each keeps an audit history
# with an indexed date, so "when did anything last change" is one cheap query.
HISTORIED = (Claim, Event, Place, Statement, Evidence, ClaimLink, Source, Document)


@functools.cache
def release() -> str:
    """What, besides the data, shapes a page: templates, stylesheet, publisher."""
    digest = hashlib.sha256()
    for folder in (
        ROOT / "claims" / "templates",
        ROOT / "verifier" / "templates",
        ROOT / "verifier" / "static",
    ):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    digest.update(f"{settings.PUBLISHER_NAME}|{settings.PUBLISHER_URL}".encode())
    return digest.hexdigest()


def _shown(column: str) -> str:
    """The claim ``column`` names is, or once was, public: a draft never
    published shows nowhere, so nothing done to it changes a public page."""
    claims = connection.ops.quote_name(Claim._meta.db_table)
    return (
        f"EXISTS (SELECT 1 FROM {claims} c WHERE c.id = h.{column} "  # noqa: S608
        "AND c.published_at IS NOT NULL)"
    )


def _used(model: type[Model], column: str) -> str:
    """A row of ``model`` whose ``column`` names the audited row is on a
    claim that is, or once was, public."""
    table = connection.ops.quote_name(model._meta.db_table)
    claims = connection.ops.quote_name(Claim._meta.db_table)
    return (
        f"EXISTS (SELECT 1 FROM {table} u JOIN {claims} c ON c.id = u.claim_id "  # noqa: S608
        f"WHERE u.{column} = h.id AND c.published_at IS NOT NULL)"
    )


# Which audit rows can have changed a public page; the others' all can.
_PUBLIC_HISTORY = {
    Claim: "h.published_at IS NOT NULL",
    Statement: _shown("claim_id"),
    Evidence: _shown("claim_id"),
    ClaimLink: f"{_shown('from_claim_id')} AND {_shown('to_claim_id')}",
    Event: (
        f"EXISTS (SELECT 1 FROM {connection.ops.quote_name(Claim._meta.db_table)} c "  # noqa: S608
        "WHERE c.event_id = h.id AND c.published_at IS NOT NULL)"
    ),
    Document: (
        f"({_used(Statement, 'document_id')} OR {_used(Evidence, 'document_id')})"
    ),
}


@functools.cache
def _last_change_sql() -> str:
    """Built once per process: the audited tables do not change while it runs."""
    quote = connection.ops.quote_name
    union = " UNION ALL ".join(
        # Newest first and the first that counts: a walk down the date index.
        f"SELECT (SELECT h.history_date FROM {quote(model.history.model._meta.db_table)} h "  # noqa: E501, S608
        f"WHERE {_PUBLIC_HISTORY.get(model, '1 = 1')} "
        "ORDER BY h.history_date DESC LIMIT 1) AS at"
        for model in HISTORIED
    )
    return f"SELECT MAX(at) FROM ({union}) AS changes"  # noqa: S608


def last_change(request: HttpRequest) -> datetime.datetime | None:
    """When any public data last changed, read once per request.

    One index lookup per audited table. It is deliberately site-wide: a source
    renamed or a claim unpublished changes many pages at once. On PostgreSQL
    the statement is prepared once per connection: planning the union took
    ten times as long as running it.
    """
    if not hasattr(request, "_last_change"):
        if connection.vendor == "postgresql":
            value = execute_prepared(
                "verifier_last_change", "", _last_change_sql(), reads=Claim
            )[0]
        else:
            with connections[router.db_for_read(Claim)].cursor() as cursor:
                cursor.execute(_last_change_sql())
                value = cursor.fetchone()[0]
        if isinstance(value, str):  # SQLite returns text
            value = parse_datetime(value)
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value, datetime.UTC)
        request._last_change = value
    return request._last_change


def _etag(request: HttpRequest, *args: Any, **kwargs: Any) -> str:
    changed = last_change(request)
    parts = [
        release(),
        request.get_full_path(),
        changed.isoformat() if changed else "",
        str(
            getattr(request, "_varies_on_staff", False)
            and sees_exact_coordinates(request.user)
        ),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def _last_modified(
    request: HttpRequest, *args: Any, **kwargs: Any
) -> datetime.datetime | None:
    return last_change(request)


def _cacheable(request: HttpRequest) -> bool:
    """A reader with no session cookie: anonymous, and sent no cookie of ours.

    Signed-in readers (and anyone else holding a session) always get a page
    rendered for them, so no page made for one person reaches another.
    """
    return settings.SESSION_COOKIE_NAME not in request.COOKIES


def page_key(request: HttpRequest) -> str:
    """Where the page for ``request`` is cached: its validator (templates, the
    newest change, the path with its query, staff or not), and what else the
    page shows: the address it is served at (canonical links, ClaimReview
    URLs) and today's date (the latest day ``as_of`` may take)."""
    parts = [
        _etag(request),
        request.build_absolute_uri(),
        timezone.now().date().isoformat(),
    ]
    return "page:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


def _cached(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve anonymous readers the page as rendered for the last one, as long
    as nothing has changed since: the key is the page's validator, so a change
    anywhere makes every earlier page unreachable at once.

    Only 200s are stored, never one that sets a cookie, and never for a
    reader with a session (``_cacheable``).
    """

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        pages = caches["pages"]
        key = page_key(request)
        hit = pages.get(key)
        if hit is not None:
            status, headers, content = hit
            return HttpResponse(content, status=status, headers=headers)
        response = view(request, *args, **kwargs)
        if isinstance(response, SimpleTemplateResponse):  # the sitemap's
            response.render()
        changed = last_change(request)
        if (
            response.status_code == 200
            and (changed is None or timezone.now() - changed >= SETTLING)
            and not response.streaming
            and not response.cookies
            # The page set a CSRF token or wrote the session: it is someone's own.
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            and not getattr(getattr(request, "session", None), "modified", False)
            and len(response.content) <= MAX_CACHED_PAGE
        ):
            pages.set(
                key,
                (200, dict(response.headers), response.content),
                timeout=CACHE_SECONDS,
            )
        return response

    return wrapped


def public_page(
    view: Callable[..., HttpResponse] | None = None, *, varies_on_staff: bool = False
) -> Any:
    """Serve ``view`` to the public: GET/HEAD only, 304s, cache headers, and
    pages rendered once for every anonymous reader (``_cached``).

    A page that shows staff more (exact coordinates) is private for them.
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        conditional = condition(etag_func=_etag, last_modified_func=_last_modified)(
            _cached(view)
        )

        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            request._varies_on_staff = varies_on_staff
            response = conditional(request, *args, **kwargs)
            if response.status_code not in (200, 304):
                # Errors are not validated against: they may be fixed any time.
                del response["ETag"]
                del response["Last-Modified"]
                patch_cache_control(response, no_cache=True)
                return response
            changed = last_change(request)
            if changed is not None:
                # Ours, not a view's own (the feeds' and the sitemap's newest
                # item), since If-Modified-Since is checked against ours.
                response["Last-Modified"] = http_date(changed.timestamp())
            if varies_on_staff and sees_exact_coordinates(request.user):
                patch_cache_control(response, private=True, max_age=0)
            else:
                patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
            return response

        return require_safe(wrapped)

    return decorate(view) if view is not None else decorate
