"""The public pages: what the public reads without an account.

Only published claims appear. Every page answers conditional requests and
says how long it may be cached; no page's query count grows with what it shows.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.db.models import Count, Model
from django.forms.utils import flatatt
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.response import SimpleTemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.dateparse import parse_datetime
from django.utils.html import _json_script_escapes, format_html, format_html_join
from django.utils.http import http_date
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.views.decorators.http import condition, require_safe

from sources.models import Document, Reliability, Source, SourceKind
from verifier.postgresql.prepared import execute_prepared

from .claim_page import published_claim_for_page
from .models import (
    Claim,
    ClaimLink,
    Event,
    Evidence,
    LinkKind,
    Place,
    Stance,
    Statement,
    Status,
    StatusChange,
    Visibility,
)

PAGE_SIZE = 20
# A place page lists this many claims and links to the filtered list for more.
PLACE_CLAIMS = 100
SOURCE_STATEMENTS = 100
MAX_QUERY_LENGTH = 200
MAX_BIGINT = 2**63 - 1
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


# Conditional GET ----------------------------------------------------------


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
            value = execute_prepared("verifier_last_change", "", _last_change_sql())[0]
        else:
            with connection.cursor() as cursor:
                cursor.execute(_last_change_sql())
                value = cursor.fetchone()[0]
        if isinstance(value, str):  # SQLite returns text
            value = parse_datetime(value)
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value, datetime.UTC)
        request._last_change = value
    return request._last_change


def _sees_exact_coordinates(request: HttpRequest) -> bool:
    return request.user.is_authenticated and request.user.is_staff


def _etag(request: HttpRequest, *args: Any, **kwargs: Any) -> str:
    changed = last_change(request)
    parts = [
        release(),
        request.get_full_path(),
        changed.isoformat() if changed else "",
        str(
            getattr(request, "_varies_on_staff", False)
            and _sees_exact_coordinates(request)
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
            if varies_on_staff and _sees_exact_coordinates(request):
                patch_cache_control(response, private=True, max_age=0)
            else:
                patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
            return response

        return require_safe(wrapped)

    return decorate(view) if view is not None else decorate


# Small pieces -------------------------------------------------------------


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "claims/bad_request.html", {"message": message}, status=400)


def clean_text(value: str) -> str:
    # PostgreSQL refuses NUL in text; nobody searches for one.
    return value.replace("\x00", "").strip()


def coarse(value: Decimal | None) -> Decimal | None:
    """Two decimals, about a kilometre: enough to find a town, not a position."""
    return None if value is None else value.quantize(Decimal("0.01"))


def safe_url(url: str) -> str:
    """Only web addresses become links; anything else is shown as text."""
    return url if re.match(r"^https?://", url, flags=re.IGNORECASE) else ""


def json_ld(data: dict[str, Any]) -> SafeString:
    """JSON for a <script type="application/ld+json">, safe inside HTML."""
    return mark_safe(  # noqa: S308 - escaped as json_script does
        json.dumps(data, ensure_ascii=False, indent=2).translate(_json_script_escapes)
    )


def absolute(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


def publisher(request: HttpRequest) -> dict[str, str]:
    return {
        "@type": "Organization",
        "name": settings.PUBLISHER_NAME,
        "url": settings.PUBLISHER_URL or absolute(request, "/"),
    }


# The claim list ------------------------------------------------------------


@dataclass
class PlaceTree:
    """All public places, once: for the place picker, ancestors and children."""

    places: list[Place]
    by_id: dict[int, Place] = field(init=False)
    children: dict[int | None, list[Place]] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {place.pk: place for place in self.places}
        self.children = defaultdict(list)
        for place in self.places:
            self.children[place.parent_id].append(place)

    @classmethod
    def load(cls) -> PlaceTree:
        return cls(list(Place.objects.public().order_by("name")))

    def ancestors(self, place: Place) -> list[Place]:
        chain: list[Place] = []
        parent = self.by_id.get(place.parent_id)
        while parent is not None and parent not in chain and parent != place:
            chain.append(parent)
            parent = self.by_id.get(parent.parent_id)
        return chain[::-1]


class PlainSelect(forms.Select):
    """A ``<select>`` written in one pass. Django renders every ``<option>``
    through a template of its own, which for the index's hundreds of events,
    sources and places took most of the page's time."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        final = {"name": name, **self.build_attrs(self.attrs, attrs)}
        chosen = set(self.format_value(value))
        options = format_html_join(
            "\n",
            '<option value="{}"{}>{}</option>',
            (
                (key, mark_safe(" selected") if str(key) in chosen else "", label)
                for key, label in self.choices
            ),
        )
        return format_html("<select{}>\n{}\n</select>", flatatt(final), options)


class ClaimFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=MAX_QUERY_LENGTH,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Any status"), *Status.choices],
        widget=PlainSelect,
    )
    event = forms.ChoiceField(required=False, widget=PlainSelect)
    source = forms.ChoiceField(required=False, widget=PlainSelect)
    grade = forms.ChoiceField(
        label="Source grade",
        required=False,
        choices=[("", "Any grade"), *Reliability.choices],
        widget=PlainSelect,
    )
    place = forms.ChoiceField(required=False, widget=PlainSelect)
    before = forms.CharField(required=False, widget=forms.HiddenInput)
    after = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        data: Any,
        *,
        events: Iterable[Event],
        sources: Iterable[Source],
        tree: PlaceTree,
    ) -> None:
        super().__init__(data)
        self.fields["event"].choices = [
            ("", "Any event"),
            *((event.slug, event.title) for event in events),
        ]
        self.fields["source"].choices = [
            ("", "Any source"),
            *((source.slug, source.label) for source in sources),
        ]
        self.fields["place"].choices = [
            ("", "Anywhere"),
            *(
                (place.slug, " › ".join([*map(str, tree.ancestors(place)), place.name]))
                for place in sorted(
                    tree.places,
                    key=lambda p: [a.name for a in tree.ancestors(p)] + [p.name],
                )
            ),
        ]

    def clean_cursor(self, name: str) -> tuple[datetime.datetime, int] | None:
        raw = self.cleaned_data.get(name) or ""
        if not raw:
            return None
        match = re.fullmatch(r"([0-9]{1,17})-([0-9]{1,19})", raw)
        if not match or int(match[2]) > MAX_BIGINT:
            raise forms.ValidationError("This page link is damaged.")
        try:
            moment = datetime.datetime.fromtimestamp(
                0, datetime.UTC
            ) + datetime.timedelta(microseconds=int(match[1]))
        except OverflowError:
            raise forms.ValidationError("This page link is damaged.") from None
        return moment, int(match[2])

    def clean_before(self) -> tuple[datetime.datetime, int] | None:
        return self.clean_cursor("before")

    def clean_after(self) -> tuple[datetime.datetime, int] | None:
        return self.clean_cursor("after")

    @property
    def is_filtered(self) -> bool:
        return any(
            self.cleaned_data.get(name)
            for name in ("q", "status", "event", "source", "grade", "place")
        )


def cursor(claim: Claim) -> str:
    epoch = datetime.datetime.fromtimestamp(0, datetime.UTC)
    return (
        f"{(claim.updated_at - epoch) // datetime.timedelta(microseconds=1)}-{claim.pk}"
    )


def _query_with(request: HttpRequest, **changes: str) -> str:
    query = request.GET.copy()
    for name in ("before", "after"):
        query.pop(name, None)
    for name, value in changes.items():
        query[name] = value
    return query.urlencode()


@public_page
def claim_list(request: HttpRequest) -> HttpResponse:
    """Published claims, most recently changed first, filtered and paged by key."""
    data = request.GET.copy()
    data["q"] = clean_text(data.get("q", ""))
    events = list(Event.objects.public())
    sources = list(Source.objects.public())
    tree = PlaceTree.load()
    form = ClaimFilterForm(data, events=events, sources=sources, tree=tree)
    context: dict[str, Any] = {"form": form, "claims": []}
    if not form.is_valid():
        return render(request, "claims/claim_list.html", context, status=400)

    claims = Claim.objects.published().for_listing()
    filters = form.cleaned_data
    if filters["q"]:
        claims = claims.search(filters["q"], published_only=True)
    if filters["status"]:
        claims = claims.filter(status=filters["status"])
    if filters["event"]:
        claims = claims.filter(event__slug=filters["event"])
    if filters["source"]:
        claims = claims.stated_by(slug=filters["source"])
    if filters["grade"]:
        claims = claims.stated_by(reliability=filters["grade"])
    if filters["place"]:
        place = next(p for p in tree.places if p.slug == filters["place"])
        claims = claims.about(Place.objects.subtree_ids(place))

    # Keyset pages over (updated_at, id): no COUNT(*), no OFFSET.
    before, after = filters["before"], filters["after"]
    if after:
        moment, pk = after
        page = list(
            claims.filter(updated_at__gte=moment)
            .exclude(updated_at=moment, id__lte=pk)
            .order_by("updated_at", "id")[: PAGE_SIZE + 1]
        )
        has_newer = len(page) > PAGE_SIZE
        page = page[:PAGE_SIZE][::-1]
        has_older = bool(page)
    else:
        if before:
            moment, pk = before
            claims = claims.filter(updated_at__lte=moment).exclude(
                updated_at=moment, id__gte=pk
            )
        page = list(claims.order_by("-updated_at", "-id")[: PAGE_SIZE + 1])
        has_older = len(page) > PAGE_SIZE
        page = page[:PAGE_SIZE]
        has_newer = before is not None
    context.update(
        claims=page,
        older=_query_with(request, before=cursor(page[-1]))
        if has_older and page
        else "",
        newer=_query_with(request, after=cursor(page[0])) if has_newer and page else "",
        first=_query_with(request) if (before or after) else "",
        feed_url=reverse("claims:feed"),
    )
    return render(request, "claims/claim_list.html", context)


# The claim page -------------------------------------------------------------


def parse_as_of(raw: str) -> datetime.date:
    """``YYYY-MM-DD``, not in the future; a ``ValueError`` says what is wrong."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
        raise ValueError(
            "“as_of” must be a date written YYYY-MM-DD, such as 2025-04-01."
        )
    try:
        day = datetime.date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"There is no such day as {raw}.") from None
    if day > timezone.now().date():
        raise ValueError("“as_of” cannot be a date in the future.")
    return day


def end_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time.min, tzinfo=datetime.UTC
    )


@dataclass
class Snapshot:
    """The claim page's content, as of now or of the end of a past day."""

    status: Status
    changes: list[StatusChange]
    asserts: list[Statement]
    denies: list[Statement]
    evidence: list[Evidence]

    @property
    def latest(self) -> StatusChange | None:
        """The change that gave the current verdict."""
        verdicts = [change for change in self.changes if not change.corrects_text]
        return verdicts[-1] if verdicts else None

    @property
    def corrections(self) -> list[StatusChange]:
        return [change for change in self.changes if change.is_correction]


def snapshot(claim: Claim, as_of: datetime.date | None) -> Snapshot:
    statements = list(claim.statements.all())
    changes = list(claim.status_changes.all())
    evidence = list(claim.evidence.all())
    if as_of is not None:
        moment = end_of(as_of)
        changes = [change for change in changes if change.changed_at < moment]
        statements = [s for s in statements if s.stated_on <= as_of]
        cited = {item.pk for change in changes for item in change.evidence.all()}
        # Evidence has no date of its own worth trusting; its document does.
        evidence = [
            item
            for item in evidence
            if item.pk in cited
            or (item.document.published_at and item.document.published_at < moment)
        ]
        status = Status(changes[-1].new_status) if changes else Status.UNVERIFIED
    else:
        status = Status(claim.status)
    return Snapshot(
        status=status,
        changes=changes,
        asserts=[s for s in statements if s.stance == Stance.ASSERTS],
        denies=[s for s in statements if s.stance == Stance.DENIES],
        evidence=evidence,
    )


def related(claim: Claim) -> list[tuple[str, Claim, str]]:
    """(how it relates, the other claim, note), in words a reader follows."""
    outgoing = {
        LinkKind.CONTRADICTS: "Contradicts",
        LinkKind.SUPPORTS: "Supports",
        LinkKind.DUPLICATES: "Duplicates",
        LinkKind.SUPERSEDES: "Supersedes",
    }
    incoming = {
        LinkKind.CONTRADICTS: "Contradicted by",
        LinkKind.SUPPORTS: "Supported by",
        LinkKind.DUPLICATES: "Duplicated by",
        LinkKind.SUPERSEDES: "Superseded by",
    }
    return [
        (outgoing[LinkKind(link.kind)], link.to_claim, link.note)
        for link in claim.links_out.all()
    ] + [
        (incoming[LinkKind(link.kind)], link.from_claim, link.note)
        for link in claim.links_in.all()
    ]


def claim_review(request: HttpRequest, claim: Claim, page: Snapshot) -> dict[str, Any]:
    """schema.org ClaimReview, as Google's fact-check documentation describes it."""
    item: dict[str, Any] = {"@type": "Claim"}
    first = page.asserts[0] if page.asserts else None
    if first is not None:
        source = first.source
        author: dict[str, Any] = {
            "@type": "Person" if source.kind == SourceKind.PERSON else "Organization",
            "name": source.name,
        }
        if safe_url(source.homepage):
            author["url"] = source.homepage
        item["author"] = author
        item["datePublished"] = first.stated_on.isoformat()
        if first.document is not None:
            appearance: dict[str, Any] = {
                "@type": "CreativeWork",
                "headline": first.document.title,
            }
            if safe_url(first.document.url):
                appearance["url"] = first.document.url
            if first.document.published_at:
                appearance["datePublished"] = (
                    first.document.published_at.date().isoformat()
                )
            item["appearance"] = appearance
    review: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": absolute(request, claim.get_absolute_url()),
        "claimReviewed": claim.text,
        "itemReviewed": item,
        "author": publisher(request),
        "datePublished": claim.published_at.date().isoformat(),
        "dateModified": claim.updated_at.date().isoformat(),
    }
    rating = page.status.rating_value
    if rating is not None:
        review["reviewRating"] = {
            "@type": "Rating",
            "ratingValue": rating,
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": page.status.label,
        }
    if page.latest is not None:
        review["reviewBody"] = page.latest.rationale
    if page.corrections:
        review["correction"] = [
            {
                "@type": "CorrectionComment",
                "datePublished": change.changed_at.date().isoformat(),
                "text": f"{capfirst(change.summary)}: {change.rationale}",
            }
            for change in page.corrections
        ]
    return review


@public_page
def claim_detail(request: HttpRequest, slug: str) -> HttpResponse:
    raw = request.GET.get("as_of", "")
    as_of = None
    if raw:
        try:
            as_of = parse_as_of(raw)
        except ValueError as error:
            return bad_request(request, str(error))
    claim = published_claim_for_page(slug)
    if claim is None:
        raise Http404("No claim matches the given query.")
    return render(
        request, "claims/claim_detail.html", claim_page_context(request, claim, as_of)
    )


def claim_page_context(
    request: HttpRequest, claim: Claim, as_of: datetime.date | None
) -> dict[str, Any]:
    """What the claim page's template shows of ``claim`` (loaded ``for_page``)."""
    page = snapshot(claim, as_of)
    context = {
        "claim": claim,
        "page": page,
        "as_of": as_of,
        "not_yet_recorded": as_of is not None and as_of < claim.created_at.date(),
        "not_yet_published": as_of is not None and as_of < claim.published_at.date(),
        "related": related(claim),
        "today": timezone.now().date(),
    }
    if as_of is None:
        # A past day's page is a record, not the current review.
        context["json_ld"] = json_ld(claim_review(request, claim, page))
    return context


# Events, sources, places ---------------------------------------------------


STANCE_CELLS = {
    frozenset(): ("silent", "—", "silent"),
    frozenset({Stance.ASSERTS}): ("asserts", "Asserts", "asserts"),
    frozenset({Stance.DENIES}): ("denies", "Denies", "denies"),
    frozenset({Stance.ASSERTS, Stance.DENIES}): ("both", "Both", "asserted and denied"),
}


@public_page
def event_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Every published claim about the event × every source that spoke on it."""
    event = get_object_or_404(
        Event.objects.public().prefetch_related("places"), slug=slug
    )
    claims = list(
        Claim.objects.published().filter(event=event).order_by("created_at", "id")
    )
    if not claims:
        # An event is only public through its published claims.
        raise Http404("No published claims about this event.")
    stances: dict[tuple[int, int], set[str]] = defaultdict(set)
    sources: dict[int, Source] = {}
    for statement in Statement.objects.filter(claim__in=claims).select_related(
        "source"
    ):
        sources[statement.source_id] = statement.source
        stances[statement.claim_id, statement.source_id].add(statement.stance)
    columns = sorted(sources.values(), key=lambda s: (s.affiliation, s.name))
    rows = [
        (
            claim,
            [
                (source, *STANCE_CELLS[frozenset(stances[claim.pk, source.pk])])
                for source in columns
            ],
        )
        for claim in claims
    ]
    return render(
        request,
        "claims/event_detail.html",
        {"event": event, "sources": columns, "rows": rows},
    )


RESOLVED = [
    Status.CONFIRMED,
    Status.PARTLY_CONFIRMED,
    Status.MISLEADING,
    Status.FALSE,
]


def track_record(source: Source) -> dict[str, Any]:
    """How the published claims the source asserted or denied were resolved.

    Counted from the data in one grouped query: claims, not statements, so a
    source repeating itself counts once.
    """
    counts = {
        (row["stance"], row["claim__status"]): row["claims"]
        for row in Statement.objects.filter(
            source=source, claim__visibility=Visibility.PUBLISHED
        )
        .values("stance", "claim__status")
        .annotate(claims=Count("claim", distinct=True))
        .order_by()
    }
    rows = [
        {
            "stance": stance,
            "counts": [
                counts.get((stance.value, status.value), 0) for status in Status
            ],
            "total": sum(counts.get((stance.value, s.value), 0) for s in Status),
        }
        for stance in Stance
    ]

    def n(stance: Stance, *statuses: Status) -> int:
        return sum(counts.get((stance.value, s.value), 0) for s in statuses)

    return {
        "statuses": list(Status),
        "rows": rows,
        "borne_out": n(Stance.ASSERTS, Status.CONFIRMED, Status.PARTLY_CONFIRMED)
        + n(Stance.DENIES, Status.FALSE),
        "contradicted": n(Stance.ASSERTS, Status.FALSE)
        + n(Stance.DENIES, Status.CONFIRMED),
        "misleading": n(Stance.ASSERTS, Status.MISLEADING),
        "open": n(
            Stance.ASSERTS, Status.UNVERIFIED, Status.DISPUTED, Status.UNVERIFIABLE
        )
        + n(Stance.DENIES, Status.UNVERIFIED, Status.DISPUTED, Status.UNVERIFIABLE),
    }


@public_page
def source_detail(request: HttpRequest, slug: str) -> HttpResponse:
    source = get_object_or_404(Source.objects.public(), slug=slug)
    statements = list(
        Statement.objects.filter(source=source, claim__visibility=Visibility.PUBLISHED)
        .select_related("claim", "document__publisher", "source")
        .order_by("-stated_on", "-id")[: SOURCE_STATEMENTS + 1]
    )
    return render(
        request,
        "claims/source_detail.html",
        {
            "source": source,
            "homepage": safe_url(source.homepage),
            "record": track_record(source),
            "statements": statements[:SOURCE_STATEMENTS],
            "more_statements": len(statements) > SOURCE_STATEMENTS,
        },
    )


@public_page(varies_on_staff=True)
def place_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Claims about the place and the places inside it."""
    tree = PlaceTree.load()
    place = next((p for p in tree.places if p.slug == slug), None)
    if place is None:
        raise Http404("No such place.")
    claims = list(
        Claim.objects.published()
        .about(Place.objects.subtree_ids(place))
        .for_listing()
        .order_by("-updated_at", "-id")[: PLACE_CLAIMS + 1]
    )
    exact = _sees_exact_coordinates(request)
    return render(
        request,
        "claims/place_detail.html",
        {
            "place": place,
            "ancestors": tree.ancestors(place),
            "children": tree.children.get(place.pk, []),
            "claims": claims[:PLACE_CLAIMS],
            "more_claims": len(claims) > PLACE_CLAIMS,
            "exact": exact,
            "latitude": place.latitude if exact else coarse(place.latitude),
            "longitude": place.longitude if exact else coarse(place.longitude),
        },
    )


@public_page
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /api/",
        # A past day's page repeats the claim page; crawlers need only the current one.
        "Disallow: /*?as_of=",
        "",
        f"Sitemap: {absolute(request, reverse('sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
