"""Which addresses a webhook may be sent to: public ones only, unless
``WEBHOOK_ALLOW_PRIVATE`` is on. Checked when an endpoint is saved and again
before every attempt, since what a name resolves to may change."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError


class RefusedTarget(ValueError):
    """The URL names a host this server will not send to."""


def check_target(url: str) -> None:
    """Raise ``RefusedTarget`` unless every address ``url``'s host resolves
    to is public (not private, loopback, link-local, reserved …)."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise RefusedTarget("Enter an http:// or https:// URL with a host.")
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError, ValueError):
        raise RefusedTarget(f"{parts.hostname} does not resolve.") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        mapped = getattr(address, "ipv4_mapped", None)
        if not (mapped or address).is_global:
            raise RefusedTarget(
                f"{parts.hostname} resolves to {address}, a private, loopback "
                "or link-local address."
            )


def validate_public_url(url: str) -> None:
    """The model field's validator: a 400 in the API, a form error in the
    admin."""
    try:
        check_target(url)
    except RefusedTarget as refusal:
        raise ValidationError(str(refusal), code="refused_target") from None
