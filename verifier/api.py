"""``/api/v1/``: the router, token sign-in, the OpenAPI schema and its docs."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularSwaggerView,
)
from knox import views as knox_views
from rest_framework import serializers
from rest_framework.authentication import BasicAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from claims.api.views import (
    ClaimLinkViewSet,
    ClaimViewSet,
    EventViewSet,
    EvidenceViewSet,
    PlaceViewSet,
    StatementViewSet,
)
from sources.api.views import DocumentViewSet, SourceViewSet
from verifier.exceptions import problem_response
from verifier.rest import MethodAllowed, TokenAuthentication
from verifier.throttling import SignInRateThrottle

# No format suffixes (``/claims/<slug>.json``): ``?format=`` and ``Accept``
# choose the format, and a lookup never ends in a dot.
router = DefaultRouter()
router.include_format_suffixes = False
router.register("events", EventViewSet, basename="event")
router.register("claims", ClaimViewSet, basename="claim")
router.register("sources", SourceViewSet, basename="source")
router.register("documents", DocumentViewSet, basename="document")
router.register("places", PlaceViewSet, basename="place")
router.register("statements", StatementViewSet, basename="statement")
router.register("evidence", EvidenceViewSet, basename="evidence")
router.register("links", ClaimLinkViewSet, basename="link")


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, style={"input_type": "password"})


TokenSerializer = inline_serializer(
    "Token",
    {
        "token": serializers.CharField(
            help_text="Send as `Authorization: Bearer <token>` (or `Token <token>`). "
            "Shown once."
        ),
        "expiry": serializers.DateTimeField(),
    },
)


class SignInBasicAuthentication(BasicAuthentication):
    """HTTP Basic for the sign-in, checked against Django's own request, where
    django-axes records failures and marks a lockout for its middleware."""

    def authenticate_credentials(
        self, userid: str, password: str, request: Request | None = None
    ) -> tuple:
        django_request = getattr(request, "_request", request)
        return super().authenticate_credentials(userid, password, django_request)


class LoginView(knox_views.LoginView):
    """Exchange a username and password (JSON or HTTP Basic) for a token.

    Tokens are stored hashed, expire (``API_TOKEN_TTL_DAYS``) and are revoked by
    ``auth/logout/`` (this token) or ``auth/logout-all/`` (every token).
    """

    authentication_classes = [SignInBasicAuthentication]
    permission_classes = [MethodAllowed, AllowAny]
    throttle_classes = [SignInRateThrottle]
    throttle_scope = "login"

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # DRF authenticates before it throttles, and a wrong password sent
        # with HTTP Basic fails in authentication: count the attempt first.
        self.check_throttles(request)
        super().initial(request, *args, **kwargs)

    def check_throttles(self, request: Request) -> None:
        if getattr(request, "_sign_in_counted", False):
            return
        request._sign_in_counted = True
        super().check_throttles(request)

    @extend_schema(
        request=LoginSerializer,
        responses={200: TokenSerializer},
        auth=[{"basicAuth": []}, {}],
    )
    def post(self, request: Request, format: str | None = None) -> Response:
        if not request.user.is_authenticated:
            credentials = LoginSerializer(data=request.data)
            credentials.is_valid(raise_exception=True)
            user = authenticate(request._request, **credentials.validated_data)
            if user is None or not user.is_active:
                raise AuthenticationFailed("Wrong username or password.")
            request.user = user
        return super().post(request, format=format)


class LogoutView(knox_views.LogoutView):
    """Revoke the token of this request."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [MethodAllowed, IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, format: str | None = None) -> Response:
        return super().post(request, format=format)


class LogoutAllView(knox_views.LogoutAllView):
    """Revoke every token of this user."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [MethodAllowed, IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, format: str | None = None) -> Response:
        return super().post(request, format=format)


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
