import datetime

from django import template

from claims.choices import TimePrecision
from claims.claim_review import safe_url

register = template.Library()


@register.filter
def web_url(value: str) -> str:
    """The address if it is http(s); empty otherwise, so it never becomes a link."""
    return safe_url(value or "")


@register.filter
def precisely(day: datetime.date | None, precision: str) -> str:
    """A date as precisely as it is known (``TimePrecision.words``):
    ``{{ event.starts_on|precisely:event.time_precision }}``."""
    if day is None:
        return ""
    return TimePrecision(precision).words(day)
