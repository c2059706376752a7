"""schema.org ClaimReview: the claim page's structured data for search engines
and fact-check aggregators."""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.html import _json_script_escapes
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

from sources.models import SourceKind

from .models import Claim
from .snapshot import Snapshot


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
