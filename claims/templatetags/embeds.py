"""The claim page's embed code and oEmbed discovery link (``claims.oembed``)."""

from typing import Any

from django import template
from django.utils.safestring import SafeString

from claims.models import Claim
from claims.oembed import iframe_code, oembed_url

register = template.Library()


@register.simple_tag(takes_context=True)
def embed_code(context: dict[str, Any], claim: Claim) -> SafeString:
    """The ``<iframe>`` a journalist pastes to show ``claim``'s verdict card."""
    return iframe_code(context["request"], claim)


@register.simple_tag(takes_context=True)
def oembed_discovery(context: dict[str, Any], claim: Claim) -> str:
    """The oEmbed endpoint's address for ``claim``'s page."""
    return oembed_url(context["request"], claim)
