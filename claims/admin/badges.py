"""Status, visibility and stance shown as coloured labels."""

from django.utils.html import format_html


def badge(kind: str, value: str, label: str) -> str:
    return format_html('<span class="badge {}-{}">{}</span>', kind, value, label)
