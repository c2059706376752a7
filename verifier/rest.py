"""What every endpoint of ``/api/v1/`` shares: authentication, roles, content
negotiation, body depth, lookups by slug or id, and saves that run model
validation. Pages and ordering are in ``verifier.pagination``, the fields of
bodies and filters in ``verifier.fields``, request size and body checks in
``verifier.middleware``, the query parameters each operation takes in
``verifier.parameters``.

DRF's settings name these classes by path and load them while DRF itself is
loading, so this module must not import DRF's views (nor the schema tools).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Model, QuerySet
from knox import auth as knox_auth
from rest_framework import (
    negotiation,
    parsers,
    permissions,
    serializers,
)
from rest_framework.authentication import get_authorization_header
from rest_framework.exceptions import (
    AuthenticationFailed,
    MethodNotAllowed,
    NotAcceptable,
    NotFound,
    ParseError,
    PermissionDenied,
)
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

from verifier.slugs import unique_slug

if TYPE_CHECKING:
    from rest_framework.views import APIView

from verifier.fields import parse_lookup


class TokenAuthentication(knox_auth.TokenAuthentication):
    """A knox token, sent as ``Authorization: Bearer <token>`` (RFC 6750, what
    generated clients send by default) or ``Authorization: Token <token>``.

    Knox reads one prefix, ``AUTH_HEADER_PREFIX`` (``Bearer``, which the
    schema's security scheme and ``WWW-Authenticate`` name); the other is
    accepted too, so existing clients keep working.
    """

    prefixes = (b"bearer", b"token")

    def authenticate(self, request: Request) -> tuple | None:
        auth = get_authorization_header(request).split()
        if not auth or auth[0].lower() not in self.prefixes:
            # Possibly for another backend (Basic, on the sign-in).
            return None
        if len(auth) == 1:
            raise AuthenticationFailed("Invalid token header: no token given.")
        if len(auth) > 2:
            raise AuthenticationFailed(
                "Invalid token header: a token has no spaces in it."
            )
        return self.authenticate_credentials(auth[1])


class ContentNegotiation(negotiation.DefaultContentNegotiation):
    """DRF's negotiation, but a ``?format=`` that names no format of the
    endpoint is a 406 naming the ones it has, not a 404 for a resource that
    exists."""

    def filter_renderers(
        self, renderers: list[BaseRenderer], format: str
    ) -> list[BaseRenderer]:
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            formats = ", ".join(sorted({str(r.format) for r in renderers}))
            raise NotAcceptable(
                f"Unknown format {format[:40]!r}; this endpoint answers in: {formats}."
            )
        return matching


class MethodAllowed(permissions.BasePermission):
    """A method the address does not take is a 405 whoever asks: checked
    before who may use it, so an anonymous client is not told to sign in for
    a request that could never succeed."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        method = request.method.lower()
        if method not in view.http_method_names or not hasattr(view, method):
            raise MethodNotAllowed(request.method)
        return True


class RolePermission(permissions.DjangoModelPermissions):
    """Reads are open: querysets hide what a user may not see (drafts are a 404).

    Writes need the model permission of the user's role (Editors, Reviewers);
    an action may name its own permissions in ``view.action_permissions``.
    Finer rules, such as who sets a final verdict, are the services' to check.
    """

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": [],
        "HEAD": [],
        "OPTIONS": [],
    }

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        required = getattr(view, "action_permissions", {}).get(
            getattr(view, "action", None)
        )
        if required is not None:
            return user.has_perms(required)
        return super().has_permission(request, view)


# Deeper than any body the API takes, and far from Python's recursion limit,
# which the parser and everything that walks its result would otherwise reach.
MAX_JSON_DEPTH = 32


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; a body nested deeper than ``MAX_JSON_DEPTH`` is a
    400, not a ``RecursionError``."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: dict[str, Any] | None = None,
    ) -> Any:
        too_deep = ParseError(
            f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels."
        )
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise too_deep from None
        if _depth(data) > MAX_JSON_DEPTH:
            raise too_deep
        return data


def _depth(value: Any) -> int:
    deepest, pending = 0, [(value, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        deepest = max(deepest, depth)
        if depth <= MAX_JSON_DEPTH:
            pending.extend((item, depth + 1) for item in value)
    return deepest


class SlugOrIdLookupMixin:
    """An object by its id or its slug: ``/claims/10/`` and ``/claims/<slug>/``
    are the same claim (a slug is never all digits)."""

    lookup_field = "slug"
    lookup_value_regex = r"[-\w]+"

    def lookup(self) -> tuple[str, int | str]:
        """``("pk", id)`` or ``("slug", slug)`` from the address; 404 if it can
        name nothing."""
        try:
            return parse_lookup(self.kwargs[self.lookup_url_kwarg or self.lookup_field])
        except ValueError:
            raise NotFound from None

    def get_object(self) -> Model:
        queryset = self.filter_queryset(self.get_queryset())
        field, value = self.lookup()
        try:
            found = queryset.get(**{field: value})
        except queryset.model.DoesNotExist:
            raise NotFound from None
        self.check_object_permissions(self.request, found)
        return found


def _changes(instance: Model, values: dict[str, Any], many: dict[str, Any]) -> bool:
    """Whether saving ``values`` (and the related sets ``many``) would change
    what ``instance`` holds."""
    if any(getattr(instance, name) != value for name, value in values.items()):
        return True
    return any(
        {obj.pk for obj in related}
        != set(getattr(instance, name).values_list("pk", flat=True))
        for name, related in many.items()
    )


class VisibleToMixin:
    """A viewset over rows some users may not see: its queryset's
    ``visible_to(user)`` decides, so lists, details, filters and search
    answer only with what the user may see (the rest is a 404)."""

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().visible_to(self.request.user)


def permitted_change(
    serializer: serializers.Serializer, name: str, value: Any, permission: str
) -> Any:
    """``value`` for field ``name``, refused with a 403 unless it is what the
    object holds already or the user has ``permission``."""
    if serializer.instance is None:
        current = serializer.Meta.model._meta.get_field(name).get_default()
    else:
        current = getattr(serializer.instance, name)
    request = serializer.context.get("request")
    if value != current and not (request and request.user.has_perm(permission)):
        raise PermissionDenied(f"Your role cannot change “{name}”; reviewers can.")
    return value


class CleanModelSerializer(serializers.ModelSerializer):
    """Saves run the model's own validation (``clean()`` and every constraint),
    so a broken invariant is a 400 with a message per field, never a 500."""

    def _split_many(self, data: dict[str, Any]) -> dict[str, Any]:
        many = {
            field.name
            for field in self.Meta.model._meta.get_fields()
            if field.many_to_many and not field.auto_created
        }
        return {name: data.pop(name) for name in list(data) if name in many}

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> Model:
        many = self._split_many(validated_data)
        instance = self.Meta.model(**validated_data)
        instance.full_clean()
        instance.save()
        for name, value in many.items():
            getattr(instance, name).set(value)
        return instance

    @transaction.atomic
    def update(self, instance: Model, validated_data: dict[str, Any]) -> Model:
        many = self._split_many(validated_data)
        if not _changes(instance, validated_data, many):
            # Nothing to write: no new version, no history row, the same ETag.
            return instance
        for name, value in validated_data.items():
            setattr(instance, name, value)
        instance.full_clean()
        instance.save()
        for name, value in many.items():
            getattr(instance, name).set(value)
        return instance


class SlugFromMixin:
    """A serializer whose object gets a slug made from ``slug_from`` (as a
    claim's is from its text) when the client gives none."""

    slug_from = "name"

    def create(self, validated_data: dict[str, Any]) -> Model:
        if not validated_data.get("slug"):
            validated_data["slug"] = unique_slug(
                validated_data.get(self.slug_from, ""), model=self.Meta.model
            )
        return super().create(validated_data)
