"""Response headers Django does not set by itself."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse


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
