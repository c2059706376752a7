"""The verdict card other sites frame, and the oEmbed endpoint that hands
out its code.

``/claims/<slug>/embed/`` is a claim's verdict on a small page of its own:
the claim, the verdict, who asserts and who denies it, when it last changed,
and a link back. It is the one page other sites may frame, and only those
``EMBED_ALLOWED_ORIGINS`` names (``frame-ancestors``); every other page keeps
refusing to be framed. It is a public page of its claim: cached, validated and
invalidated with the claim page (``claim_version``). Only a published claim
has a card: an unpublished verdict is never embedded, not even for staff, who
preview a draft at the claim's own address.

``/oembed/?url=<claim page>`` answers oEmbed 1.0 consumers (a newsroom's
CMS) with a ``rich`` document whose ``html`` frames the card (the document
and the code: ``claims.oembed``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.request import split_domain_port, validate_host
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from sources.models import Source
from verifier.exceptions import problem_response
from verifier.middleware import policy_header

from .claim_review import absolute
from .models import Claim, Statement, StatusChange
from .oembed import HEIGHT, WIDTH, oembed_document
from .page_cache import CACHE_SECONDS, public_page
from .page_versions import claim_version

# Sources named on each side before "+N more".
SHOWN_SOURCES = 3
MAX_URL_LENGTH = 2000
MAX_SIZE = 10_000


# Who may frame the card ------------------------------------------------------


def frame_ancestors() -> list[str]:
    """The card's ``frame-ancestors``: this site and ``EMBED_ALLOWED_ORIGINS``."""
    origins = settings.EMBED_ALLOWED_ORIGINS
    return ["*"] if "*" in origins else ["'self'", *origins]


def embeddable(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let the sites of ``frame_ancestors`` frame what ``view`` answers, and
    no other: its own Content-Security-Policy, and no X-Frame-Options.

    Outside the page cache, so a page kept before the setting changed is
    framed as the setting says now."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        policy = {
            **settings.CONTENT_SECURITY_POLICY,
            "frame-ancestors": frame_ancestors(),
        }
        response["Content-Security-Policy"] = policy_header(policy)
        response.xframe_options_exempt = True  # type: ignore[attr-defined]
        return response

    return wrapped


# The card ------------------------------------------------------------------------


def first_sources(statements: Iterable[Statement]) -> tuple[list[Source], int]:
    """The first ``SHOWN_SOURCES`` sources of ``statements``, each once, and
    how many more there are."""
    sources = list({s.source_id: s.source for s in statements}.values())
    return sources[:SHOWN_SOURCES], max(0, len(sources) - SHOWN_SOURCES)


def _card_claims() -> Any:
    """Published claims with what their card shows, in a fixed number of queries."""
    return Claim.objects.published().prefetch_related(
        Prefetch("statements", queryset=Statement.objects.select_related("source")),
        Prefetch(
            "status_changes",
            queryset=StatusChange.objects.order_by("changed_at", "id"),
        ),
        "evidence",
    )


@embeddable
@public_page(validator=claim_version)
def claim_embed(request: HttpRequest, slug: str) -> HttpResponse:
    """A published claim's verdict card; for anything else, a card saying
    the verdict is not available (a 404), so a framing page shows why."""
    claim = _card_claims().filter(slug=slug).first()
    if claim is None:
        return render(request, "claims/embed.html", {"claim": None}, status=404)
    page = claim.snapshot()
    asserted, more_asserted = first_sources(page.asserts)
    denied, more_denied = first_sources(page.denies)
    corrections = page.corrections
    return render(
        request,
        "claims/embed.html",
        {
            "claim": claim,
            "page": page,
            "claim_url": absolute(request, claim.get_absolute_url()),
            "asserted": asserted,
            "more_asserted": more_asserted,
            "denied": denied,
            "more_denied": more_denied,
            "correction": corrections[-1] if corrections else None,
            "publisher": settings.PUBLISHER_NAME,
        },
    )


# oEmbed ----------------------------------------------------------------------


class NotOurs(Exception):
    """The address is well formed but names no claim page of this site."""


def _claim_slug(request: HttpRequest, url: str) -> str:
    """The slug of the claim whose page (or card) is at ``url``.

    Raises ``ValueError`` for an address that is not one, ``NotOurs`` for
    one of another site or of another page."""
    if len(url) > MAX_URL_LENGTH or re.search(r"[\x00-\x20\x7f]", url):
        raise ValueError("url must be a web address without spaces.")
    parts = urlsplit(url)  # ValueError for a broken one, e.g. "http://[::1"
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise ValueError("url must be an http or https address.")
    domain = split_domain_port(parts.netloc.rpartition("@")[2])[0]
    ours = split_domain_port(request.get_host())[0]
    if not validate_host(domain, [ours, *settings.ALLOWED_HOSTS]):
        raise NotOurs
    try:
        match = resolve(parts.path or "/")
    except Resolver404:
        raise NotOurs from None
    if match.namespace != "claims" or match.url_name not in {"claim", "embed"}:
        raise NotOurs
    return match.kwargs["slug"]


def _size(request: HttpRequest, name: str, default: int) -> int:
    """The consumer's ``maxwidth`` or ``maxheight``, if it gave one, caps ours."""
    raw = request.GET.get(name, "")
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) <= MAX_SIZE:
        raise ValueError(f"{name} must be a whole number of pixels, 1 to {MAX_SIZE}.")
    return min(default, int(raw))


@require_safe
def oembed(request: HttpRequest) -> HttpResponse:
    """oEmbed 1.0: a ``rich`` document framing the card of the published
    claim whose page is at ``url``."""
    url = request.GET.get("url", "")
    if not url:
        return problem_response(
            400, "Give the claim page's address as url.", "bad_request"
        )
    if request.GET.get("format", "json") != "json":
        return problem_response(
            501, "Only format=json is served.", "format_not_implemented"
        )
    try:
        width = _size(request, "maxwidth", WIDTH)
        height = _size(request, "maxheight", HEIGHT)
        slug = _claim_slug(request, url)
    except ValueError as error:
        return problem_response(400, str(error), "bad_request")
    except NotOurs:
        slug = None
    claim = (
        Claim.objects.published().filter(slug=slug).only("slug", "text").first()
        if slug
        else None
    )
    if claim is None:
        return problem_response(
            404, "No published claim of this site is at that address.", "not_found"
        )
    response = JsonResponse(
        oembed_document(request, claim, width=width, height=height),
        json_dumps_params={"ensure_ascii": False},
    )
    patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
    return response
