"""One signed POST to a receiver, and what came of it."""

from __future__ import annotations

import datetime
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException

from django.conf import settings
from standardwebhooks import Webhook

from .targets import RefusedTarget, check_target

# Kept of each answer, for the delivery log.
EXCERPT_BYTES = 1000
USER_AGENT = "Verifier-Webhooks/1"


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str
    duration_ms: int
    excerpt: str
    # Whether to try again later: timeouts, connection errors, 5xx, 408, 429.
    retry: bool

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not an instruction: following it could lead
    to an address the target check refuses."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)


def signed_headers(
    secret: str, webhook_id: str, body: str, at: datetime.datetime
) -> dict[str, str]:
    """The Standard Webhooks headers for ``body`` sent at ``at``."""
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, at, body),
    }


def _excerpt(data: bytes) -> str:
    return data[:EXCERPT_BYTES].decode("utf-8", "replace")


def post(url: str, secret: str, webhook_id: str, body: str) -> Outcome:
    """POST ``body`` to ``url``, signed with ``secret``."""
    started = time.monotonic()

    def outcome(code: int | None, error: str, excerpt: str, retry: bool) -> Outcome:
        duration = round((time.monotonic() - started) * 1000)
        return Outcome(code, error[:300], duration, excerpt, retry)

    try:
        check_target(url)
    except RefusedTarget as refusal:
        # A name that stopped resolving may resolve again; a private address
        # is refused for good.
        return outcome(None, str(refusal), "", "does not resolve" in str(refusal))
    now = datetime.datetime.now(datetime.UTC)
    request = urllib.request.Request(  # noqa: S310 (http(s) only, checked above)
        url,
        data=body.encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            **signed_headers(secret, webhook_id, body, now),
        },
    )
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT) as response:
            data = response.read(EXCERPT_BYTES)
            return outcome(response.status, "", _excerpt(data), False)
    except urllib.error.HTTPError as answer:
        data = answer.read(EXCERPT_BYTES) if answer.fp else b""
        code = answer.code
        retry = code >= 500 or code in {408, 429}
        error = f"HTTP {code}" + (" (redirects are not followed)" if code < 400 else "")
        return outcome(code, error, _excerpt(data), retry)
    except TimeoutError:
        return outcome(None, "Timed out", "", True)
    except (urllib.error.URLError, HTTPException, OSError) as failure:
        reason = getattr(failure, "reason", failure)
        if isinstance(reason, TimeoutError):
            return outcome(None, "Timed out", "", True)
        return outcome(None, f"Connection failed: {reason}", "", True)
