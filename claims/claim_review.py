"""schema.org ClaimReview: the claim page's structured data for search engines
and fact-check aggregators, and the data feed of every review
(``/claimreview.json``)."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import orjson
from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import _json_script_escapes
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from rest_framework.fields import DateTimeField

from sources.models import SourceKind

from .models import Claim, Statement, Status
from .snapshot import Snapshot

if TYPE_CHECKING:
    from .querysets import ClaimQuerySet

# Claims read (and their parts prefetched) this many at a time.
FEED_CHUNK = 500
# A moment as the API writes it: UTC, ``Z``.
_MOMENT = DateTimeField()


def absolute(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


def safe_url(url: str) -> str:
    """Only web addresses become links; anything else is shown as text."""
    return url if re.match(r"^https?://", url, flags=re.IGNORECASE) else ""


def json_ld(data: dict[str, Any]) -> SafeString:
    """JSON for a <script type="application/ld+json">, safe inside HTML."""
    return mark_safe(  # noqa: S308 - escaped as json_script does
        json.dumps(data, ensure_ascii=False, indent=2).translate(_json_script_escapes)
    )


def publisher(request: HttpRequest) -> dict[str, str]:
    return {
        "@type": "Organization",
        "name": settings.PUBLISHER_NAME,
        "url": settings.PUBLISHER_URL or absolute(request, "/"),
    }


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


# The data feed -------------------------------------------------------------


def rated_claims() -> ClaimQuerySet:
    """Every published claim with a verdict that is a rating (not unverified,
    not unverifiable), newest change first, with what its review shows."""
    rated = [status for status in Status if status.rating_value is not None]
    return (
        Claim.objects.published()
        .filter(status__in=rated)
        .prefetch_related(
            Prefetch(
                "statements",
                queryset=Statement.objects.select_related("source", "document"),
            ),
            "evidence",
            "status_changes",
        )
        .order_by("-updated_at", "-id")
    )


def data_feed(
    request: HttpRequest,
    claims: ClaimQuerySet,
    *,
    modified: datetime.datetime | None,
) -> Iterator[bytes]:
    """A schema.org ``DataFeed`` holding, for each of ``claims``, the
    ``ClaimReview`` its page carries, written piece by piece: the memory it
    takes does not grow with the archive.

    Each ``DataFeedItem`` is dated by the claim's publication
    (``dateCreated``) and its latest change (``dateModified``), so a
    correction moves it; the feed's ``dateModified`` is ``modified``.
    """
    head: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "DataFeed",
        "name": f"{settings.PUBLISHER_NAME}: ClaimReview of every rated claim",
        "url": absolute(request, reverse("claims:claimreview")),
        "publisher": publisher(request),
    }
    if modified is not None:
        head["dateModified"] = _MOMENT.to_representation(modified)
    # The head's object, left open for the elements.
    yield orjson.dumps(head)[:-1] + b',"dataFeedElement":[\n'
    batch: list[bytes] = []
    separator = b""
    for claim in claims.iterator(chunk_size=FEED_CHUNK):
        element = {
            "@type": "DataFeedItem",
            "dateCreated": _MOMENT.to_representation(claim.published_at),
            "dateModified": _MOMENT.to_representation(claim.updated_at),
            "item": [claim_review(request, claim, claim.snapshot())],
        }
        batch.append(orjson.dumps(element))
        if len(batch) == FEED_CHUNK:
            yield separator + b",\n".join(batch)
            batch, separator = [], b",\n"
    if batch:
        yield separator + b",\n".join(batch)
    yield b"\n]}\n"
