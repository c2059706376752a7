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


def policy_header(policy: dict[str, list[str]]) -> str:
    """A Content-Security-Policy header's value, from a policy as the settings
    write it (directive: sources)."""
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
        self.policy = policy_header(settings.CONTENT_SECURITY_POLICY)
        self.admin_policy = policy_header(settings.CONTENT_SECURITY_POLICY_ADMIN)

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


class RequestSizeLimitMiddleware:
    """Refuse API request bodies over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` with 413.

    DRF's parsers read the stream directly, so Django's own limit, which is
    checked only when ``request.body`` is read, never applies to them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        # Imported here: verifier.exceptions loads DRF's views, and Django
        # loads the middleware before DRF's settings are ready.
        from verifier.exceptions import problem_response

        self.get_response = get_response
        self.problem_response = problem_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and request.path.startswith("/api/"):
            try:
                length = int(request.headers.get("content-length") or 0)
            except ValueError:
                length = -1
            if length < 0:
                return self.problem_response(
                    400, "Invalid Content-Length header.", "bad_request"
                )
            if length > limit:
                return self.problem_response(
                    413,
                    f"The request body is over the limit of {limit} bytes.",
                    "request_too_large",
                )
        return self.get_response(request)


class JSONBodyMiddleware:
    """Refuse an API write whose body is not JSON with 415, before anything
    else looks at it.

    DRF refuses such a body only when a view reads it, so a write that ignores
    its body (publish) or fails earlier (a missing ``If-Match``) would answer
    something else. The browsable API's sign-in form is Django's, not the API's.
    """

    exempt = ("/api/v1/auth/session/",)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from verifier.exceptions import problem_response

        self.get_response = get_response
        self.problem_response = problem_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method in {"POST", "PUT", "PATCH"}
            and request.path.startswith("/api/")
            and not request.path.startswith(self.exempt)
            and _has_body(request)
            and request.content_type != "application/json"
        ):
            return self.problem_response(
                415,
                "Send the body as JSON, with Content-Type: application/json.",
                "unsupported_media_type",
            )
        return self.get_response(request)


class MethodNotAllowedMiddleware:
    """Under ``/api/``, a 405 from one of Django's own views (the browsable
    API's sign-in and sign-out forms) is problem details too, with its
    ``Allow``, like every other API error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from verifier.exceptions import PROBLEM_CONTENT_TYPE, problem_response

        self.get_response = get_response
        self.problem_response = problem_response
        self.content_type = PROBLEM_CONTENT_TYPE

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.path.startswith("/api/")
            and response.get("Content-Type") != self.content_type
        ):
            allowed = response.get("Allow", "")
            return self.problem_response(
                405,
                f'Method "{request.method[:20]}" not allowed.',
                "method_not_allowed",
                headers={"Allow": allowed} if allowed else None,
            )
        return response


def _has_body(request: HttpRequest) -> bool:
    if "chunked" in request.headers.get("transfer-encoding", "").lower():
        return True
    try:
        return int(request.headers.get("content-length") or 0) > 0
    except ValueError:
        return True
