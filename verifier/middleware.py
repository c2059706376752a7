"""Response headers Django does not set by itself, and one log line per request."""

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.functional import SimpleLazyObject, empty


def _header(policy: dict[str, list[str]]) -> str:
    return "; ".join(
        " ".join([directive, *sources]) for directive, sources in policy.items()
    )


class ContentSecurityPolicyMiddleware:
    """Send ``settings.CONTENT_SECURITY_POLICY`` with every response, and
    ``settings.CONTENT_SECURITY_POLICY_ADMIN`` with the admin's.

    A view that has set its own policy keeps it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = _header(settings.CONTENT_SECURITY_POLICY)
        self.admin_policy = _header(settings.CONTENT_SECURITY_POLICY_ADMIN)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        admin = request.path_info.startswith(reverse("admin:index"))
        response.headers.setdefault(
            "Content-Security-Policy", self.admin_policy if admin else self.policy
        )
        return response


request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "request_id", default="-"
)

# What a proxy or a client may send as X-Request-ID: short, plain characters,
# nothing that could forge a log line.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{8,128}$")

# Probes come every few seconds from each load balancer: logged at DEBUG only.
QUIET_PATHS = frozenset({"/healthz", "/readyz"})

access_logger = logging.getLogger("verifier.request")


class RequestIdFilter(logging.Filter):
    """Give every log record the id of the request being served (``-`` if none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        rid = request_id.get()
        if rid == "-":
            # Django logs a 4xx/5xx answer after the middleware has returned,
            # passing the request along.
            rid = getattr(getattr(record, "request", None), "request_id", "-")
        record.request_id = rid
        return True


def _user_id(request: HttpRequest) -> str:
    # The user as already loaded by authentication: reading a lazy one here
    # would query the database once more, perhaps while it is down.
    user = getattr(request, "user", None)
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return "-"
    if user is None or not user.is_authenticated:
        return "-"
    return str(user.pk)


class RequestLogMiddleware:
    """One line per request: method, path, status, duration, request id, user id.

    The request id is the caller's ``X-Request-ID`` when it is well-formed
    (a proxy's, so one id follows the request through), otherwise a new one;
    it is sent back in ``X-Request-ID`` and stamped on every log line written
    while the request is served. Only the path is logged: query strings,
    headers, cookies and bodies can hold tokens and passwords.

    First in ``MIDDLEWARE``: it times everything else, and sees the response
    every other layer made, errors turned into 500 or 503 included.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = rid
        token = request_id.set(rid)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = rid
            access_logger.log(
                logging.DEBUG if request.path in QUIET_PATHS else logging.INFO,
                "%s %s %s %.1fms user=%s",
                request.method,
                request.path,
                response.status_code,
                (time.perf_counter() - started) * 1000,
                _user_id(request),
            )
            return response
        finally:
            request_id.reset(token)
