"""``/api/v1/``: the router, the sign-in addresses, the OpenAPI schema and its
docs. The token sign-in views are in ``verifier.signin``."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, re_path
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularSwaggerView,
)
from rest_framework.routers import DefaultRouter

from verifier.exceptions import problem_response
from verifier.signin import LoginView, LogoutAllView, LogoutView

# No format suffixes (``/claims/<slug>.json``): ``?format=`` and ``Accept``
# choose the format, and a lookup never ends in a dot.
router = DefaultRouter()
router.include_format_suffixes = False
# The apps' viewsets, named by path as settings name classes: the project's
# wiring names the apps, and nothing in verifier/ imports them.
VIEWSETS = [
    ("events", "claims.api.views.EventViewSet", "event"),
    ("claims", "claims.api.views.ClaimViewSet", "claim"),
    ("sources", "sources.api.views.SourceViewSet", "source"),
    ("documents", "sources.api.views.DocumentViewSet", "document"),
    ("places", "claims.api.views.PlaceViewSet", "place"),
    ("statements", "claims.api.views.StatementViewSet", "statement"),
    ("evidence", "claims.api.views.EvidenceViewSet", "evidence"),
    ("links", "claims.api.views.ClaimLinkViewSet", "link"),
    ("changes", "verifier.changes.api.ChangeViewSet", "change"),
    ("webhooks", "verifier.webhooks.api.EndpointViewSet", "webhook"),
]
for prefix, viewset, basename in VIEWSETS:
    router.register(prefix, import_string(viewset), basename=basename)


class DocsView(SpectacularSwaggerView):
    """The interactive docs: a page to read, so GET alone. (DRF's OPTIONS
    answer has no template to render it as this page.)"""

    http_method_names = ["get", "head"]


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other address under the API: JSON, like every API answer."""
    return problem_response(404, None, "not_found")


# The browsable API's sign-in, as rest_framework.urls has it, but a sign-in is
# a POST: Django's form view would take a PUT as one too.
session_urls = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="rest_framework/login.html",
            http_method_names=["get", "head", "post", "options"],
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]

urlpatterns = [
    path("", include(router.urls)),
    path("auth/login/", LoginView.as_view(), name="api-login"),
    path("auth/logout/", LogoutView.as_view(), name="api-logout"),
    path("auth/logout-all/", LogoutAllView.as_view(), name="api-logout-all"),
    path("auth/session/", include((session_urls, "rest_framework"))),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^(?P<rest>[\s\S]*)$", not_found),
]
