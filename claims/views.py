"""The public pages: what the public reads without an account.

Only published claims appear, save that staff who may view claims preview a
draft at its own address (``claim_detail``). Every page answers conditional
requests and says how long it may be cached; no page's query count grows with
what it shows.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from sources.models import Source

from .choices import GeoPrecision
from .claim_review import absolute, claim_review, json_ld, safe_url
from .forms import ClaimFilterForm, cursor, parse_as_of
from .models import (
    Claim,
    Event,
    LinkKind,
    Place,
    PlaceTree,
    Stance,
    Statement,
    Visibility,
    sees_drafts,
    sees_exact_coordinates,
)
from .page_cache import private_page, public_page
from .page_versions import claim_version

PAGE_SIZE = 20
# A place page lists this many claims and links to the filtered list for more.
PLACE_CLAIMS = 100
SOURCE_STATEMENTS = 100


# Small pieces -------------------------------------------------------------


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "claims/bad_request.html", {"message": message}, status=400)


# The claim list ------------------------------------------------------------


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
    form = ClaimFilterForm.from_query(request.GET)
    context: dict[str, Any] = {"form": form, "claims": []}
    if not form.is_valid():
        return render(request, "claims/claim_list.html", context, status=400)

    claims = form.filter(Claim.objects.published().for_listing())
    filters = form.cleaned_data

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
        # The Atom feed of this search, when it narrows the list.
        search_feed=f"{reverse('claims:feed')}?{form.query()}"
        if form.is_filtered
        else "",
        search_description=form.description(),
    )
    return render(request, "claims/claim_list.html", context)


# The claim page -------------------------------------------------------------


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


@public_page(validator=claim_version)
def claim_detail(request: HttpRequest, slug: str) -> HttpResponse:
    raw = request.GET.get("as_of", "")
    as_of = None
    if raw:
        try:
            as_of = parse_as_of(raw)
        except ValueError as error:
            return bad_request(request, str(error))
    claim = Claim.objects.for_page().filter(slug=slug).first()
    # The reader is asked about only for a draft: a published claim's page is
    # the same for everyone, and cached for the anonymous.
    if claim is None or not (claim.is_published or sees_drafts(request.user)):
        raise Http404("No claim matches the given query.")
    response = render(
        request, "claims/claim_detail.html", claim_page_context(request, claim, as_of)
    )
    return response if claim.is_published else private_page(response)


def claim_page_context(
    request: HttpRequest, claim: Claim, as_of: datetime.date | None
) -> dict[str, Any]:
    """What the claim page's template shows of ``claim`` (loaded ``for_page``)."""
    page = claim.snapshot(as_of)
    published = claim.published_at
    context = {
        "claim": claim,
        "page": page,
        "as_of": as_of,
        "not_yet_recorded": as_of is not None and as_of < claim.created_at.date(),
        "not_yet_published": as_of is not None
        and published is not None
        and as_of < published.date(),
        "related": related(claim),
        "today": timezone.now().date(),
        # A draft's preview (``claim_detail``): says so, and is not indexed.
        "preview": not claim.is_published,
    }
    if as_of is None and claim.is_published:
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
            "record": Statement.objects.track_record(source),
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
    exact = sees_exact_coordinates(request.user)
    coordinates = (
        (place.latitude, place.longitude) if exact else place.public_coordinates()
    )
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
            "latitude": coordinates and coordinates[0],
            "longitude": coordinates and coordinates[1],
            "rounding": GeoPrecision(place.geo_precision).rounding,
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
        f"Sitemap: {absolute(request, reverse('claims:sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
