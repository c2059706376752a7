from django import template

from claims.claim_review import safe_url

register = template.Library()


@register.filter
def web_url(value: str) -> str:
    """The address if it is http(s); empty otherwise, so it never becomes a link."""
    return safe_url(value or "")
