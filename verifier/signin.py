"""Token sign-in for API clients: a username and password (JSON or HTTP
Basic) exchanged for a token, and the token revoked."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from knox import views as knox_views
from rest_framework import serializers
from rest_framework.authentication import BasicAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from verifier.rest import MethodAllowed, TokenAuthentication
from verifier.throttling import SignInRateThrottle


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
