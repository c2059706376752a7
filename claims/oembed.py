"""The code that shows a claim's verdict card in another site's page: the
``<iframe>`` a journalist pastes, and the oEmbed 1.0 document that hands it
to a CMS (https://oembed.com/, type ``rich``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from .claim_review import absolute
from .models import Claim

# The card's size in a page, unless the consumer asks for less; the card
# itself reflows to any width from about 300 px.
WIDTH = 560
HEIGHT = 340
# How long an oEmbed consumer may keep the code: it changes only when the
# claim is reworded (the title), the card itself being read live.
CACHE_AGE = 24 * 60 * 60


def embed_url(request: HttpRequest, claim: Claim) -> str:
    return absolute(request, reverse("claims:embed", kwargs={"slug": claim.slug}))


def iframe_code(
    request: HttpRequest, claim: Claim, *, width: int = WIDTH, height: int = HEIGHT
) -> SafeString:
    """The ``<iframe>`` that shows ``claim``'s card in another page: the
    oEmbed ``html`` and the claim page's "Embed" code alike."""
    return format_html(
        '<iframe src="{}" width="{}" height="{}" title="Verdict: {}" '
        'loading="lazy" style="border:0;max-width:100%"></iframe>',
        embed_url(request, claim),
        width,
        height,
        Truncator(claim.text).chars(90),
    )


def oembed_url(request: HttpRequest, claim: Claim) -> str:
    """The oEmbed endpoint's address for ``claim``'s page (its discovery link)."""
    query = urlencode(
        {"url": absolute(request, claim.get_absolute_url()), "format": "json"}
    )
    return f"{absolute(request, reverse('claims:oembed'))}?{query}"


def oembed_document(
    request: HttpRequest, claim: Claim, *, width: int, height: int
) -> dict[str, Any]:
    """The oEmbed ``rich`` document framing ``claim``'s card at that size."""
    return {
        "version": "1.0",
        "type": "rich",
        "provider_name": settings.PUBLISHER_NAME,
        "provider_url": settings.PUBLISHER_URL or absolute(request, "/"),
        "title": claim.text,
        "html": iframe_code(request, claim, width=width, height=height),
        "width": width,
        "height": height,
        "cache_age": CACHE_AGE,
    }
