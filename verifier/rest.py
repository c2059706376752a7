"""What every endpoint of ``/api/v1/`` shares: roles, pagination, ordering,
request size and depth, lookups by slug or id, and saves that run model
validation. The query parameters each operation takes are in
``verifier.parameters``.

DRF's settings name these classes by path and load them while DRF itself is
loading, so this module must not import DRF's views (nor the schema tools).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping, Sized
from typing import TYPE_CHECKING, Any

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxLengthValidator
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from knox import auth as knox_auth
from rest_framework import (
    filters,
    negotiation,
    pagination,
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
    ValidationError,
)
from rest_framework.relations import MANY_RELATION_KWARGS
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

from verifier.slugs import unique_slug

if TYPE_CHECKING:
    from rest_framework.views import APIView

# PostgreSQL's bigint; larger numbers cannot be an id and must not reach SQL.
MAX_ID = 2**63 - 1

# The most items any list in a request body may hold. Reading an item can
# cost a query, so the length and repeats are checked before any item is read.
MAX_LIST_ITEMS = 100


class RequestSizeLimitMiddleware:
    """Refuse API request bodies over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` with 413.

    DRF's parsers read the stream directly, so Django's own limit, which is
    checked only when ``request.body`` is read, never applies to them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        # Imported here: verifier.exceptions loads DRF's views (see above).
        from verifier.exceptions import problem_response

        self.get_response = get_response
        self.problem_response = problem_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
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
    if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        return True
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > 0
    except ValueError:
        return True


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


class CursorPagination(pagination.CursorPagination):
    """Keyset pages: stable while rows are added, and no ``COUNT(*)``.

    A ``page_size`` out of range and a cursor this API did not write are each
    a 400 naming the parameter, never a page of another size or a 500.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-id",)

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 3) or not (
            1 <= int(raw) <= self.max_page_size
        ):
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        f"Give a whole number from 1 to {self.max_page_size}."
                    ]
                }
            )
        return int(raw)

    def get_ordering(
        self, request: Request, queryset: QuerySet, view: APIView | None
    ) -> tuple[str, ...]:
        self._model = queryset.model
        return super().get_ordering(request, queryset, view)

    def decode_cursor(self, request: Request) -> pagination.Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise self._invalid_cursor() from None
        if cursor is not None and cursor.position is not None:
            self._check_position(cursor.position)
        return cursor

    def _check_position(self, position: str) -> None:
        """A position is a value of the ordering's field as this API writes
        it: a moment always with its offset (a naive one would be read in
        the server's zone, and is no cursor of ours)."""
        if "\x00" in position:
            raise self._invalid_cursor()
        name = self.ordering[0].lstrip("-")
        field = next(
            (f for f in self._model._meta.concrete_fields if f.name == name), None
        )
        if field is None:
            # An annotation (a search's rank): its query checks the value.
            return
        try:
            value = field.to_python(position)
        except DjangoValidationError:
            raise self._invalid_cursor() from None
        if isinstance(value, datetime.datetime) and timezone.is_naive(value):
            raise self._invalid_cursor()

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: APIView | None = None
    ) -> list | None:
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, OverflowError, DjangoValidationError):
            # A cursor decodes to any text: one that is not a value of the
            # ordering field fails as the page's query is built.
            if not request.query_params.get(self.cursor_query_param):
                raise
            raise self._invalid_cursor() from None

    def _invalid_cursor(self) -> ValidationError:
        return ValidationError(
            {
                self.cursor_query_param: [
                    "Not a cursor of this list: use the next or previous link "
                    "of a page as it is."
                ]
            }
        )

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


class OrderingFilter(filters.OrderingFilter):
    """``?ordering=`` over a view's ``ordering_fields``; an unknown one is a 400.

    Cursor pagination keys pages on the first field, so views offer only
    fields that are never null.
    """

    def remove_invalid_fields(
        self, queryset: QuerySet, fields: list[str], view: APIView, request: Request
    ) -> list[str]:
        valid = super().remove_invalid_fields(queryset, fields, view, request)
        if len(valid) != len(fields) or len(fields) > 1:
            allowed = ", ".join(
                f"{name}, -{name}"
                for name, _ in self.get_valid_fields(
                    queryset, view, {"request": request}
                )
            )
            raise ValidationError({self.ordering_param: [f"Use one of: {allowed}."]})
        return valid

    def get_ordering(
        self, request: Request, queryset: QuerySet, view: APIView
    ) -> list[str]:
        ordering = list(super().get_ordering(request, queryset, view) or [])
        explicit = request.query_params.get(self.ordering_param)
        if not explicit and "search_rank" in queryset.query.annotations:
            return ["search_rank"]
        # Rows that tie on the first field keep one order from page to page.
        if ordering and ordering[0].lstrip("-") not in {"id", "pk"}:
            ordering.append("-id" if ordering[0].startswith("-") else "id")
        return ordering


def parse_lookup(value: object) -> tuple[str, int | str]:
    """Read a reference to an object: an id (number) or a slug (text).

    Returns ``("pk", id)`` or ``("slug", slug)``; raises ``ValueError`` for
    anything that cannot name a row, so nothing odd reaches the database.
    """
    if isinstance(value, bool):
        raise ValueError("Give an id or a slug.")
    if isinstance(value, int):
        if not 1 <= value <= MAX_ID:
            raise ValueError("No object has this id.")
        return "pk", value
    if not isinstance(value, str) or not value.strip():
        raise ValueError("Give an id or a slug.")
    value = value.strip()
    if value.isascii() and value.isdigit():
        return parse_lookup(int(value))
    if not all(c.isalnum() or c in "-_" for c in value) or len(value) > 200:
        raise ValueError("A slug has only letters, digits, hyphens and underscores.")
    return "slug", value


SLUG_OR_ID_SCHEMA = {
    "oneOf": [
        {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        {"type": "string", "pattern": r"^[-a-zA-Z0-9_]+$", "maxLength": 200},
    ],
    "description": "The id or the slug.",
}


_LIST_ERRORS = {
    "max_length": "Give at most {max_length} items.",
    "duplicate": "“{value}” is given more than once; give each item once.",
}


def check_list(field: serializers.Field, data: Any, key: Callable[[Any], Any]) -> None:
    """Refuse a list over ``field.max_length`` items or with an item twice,
    before the field reads any item. ``key`` says which items are the same;
    items it cannot compare are left to the field's own checks."""
    if isinstance(data, str | bytes | Mapping) or not isinstance(data, Sized):
        return
    if len(data) > field.max_length:
        field.fail("max_length", max_length=field.max_length)
    seen = set()
    for item in data:
        try:
            same = key(item)
            hash(same)
        except (TypeError, ValueError):
            continue
        if same in seen:
            field.fail("duplicate", value=str(item)[:100])
        seen.add(same)


def _plain(item: Any) -> Any:
    return item.strip() if isinstance(item, str) else item


class UniqueListField(serializers.ListField):
    """A list of at most ``MAX_LIST_ITEMS`` distinct items."""

    default_error_messages = _LIST_ERRORS

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", MAX_LIST_ITEMS)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[Any]:
        check_list(self, data, _plain)
        return super().to_internal_value(data)


class UniqueManyRelatedField(serializers.ManyRelatedField):
    """Many related objects, at most ``MAX_LIST_ITEMS``, each named once."""

    default_error_messages = _LIST_ERRORS

    def __init__(self, *args: Any, max_length: int = MAX_LIST_ITEMS, **kwargs: Any):
        self.max_length = max_length
        super().__init__(*args, **kwargs)
        # Read by the schema generator, which shows it as ``maxItems``.
        self.validators.append(MaxLengthValidator(max_length))

    def to_internal_value(self, data: Any) -> list[Model]:
        check_list(self, data, parse_lookup)
        objects = super().to_internal_value(data)
        # An id and a slug can name the same object.
        seen: set[Any] = set()
        for obj in objects:
            if obj.pk in seen:
                self.fail("duplicate", value=str(obj)[:100])
            seen.add(obj.pk)
        return objects


class SlugOrIdRelatedField(serializers.RelatedField):
    """A related object: by id or slug as input, nested as ``output`` in output.

    Without ``output`` it reads back as the slug.
    """

    default_error_messages = {
        "does_not_exist": "No {model} with id or slug “{value}”.",
        "invalid": "{message}",
    }

    def __init__(
        self,
        *,
        output: type[serializers.Serializer] | None = None,
        by_slug: bool = True,
        **kwargs: Any,
    ) -> None:
        self.output = output
        self.by_slug = by_slug
        super().__init__(**kwargs)

    @classmethod
    def many_init(cls, *args: Any, **kwargs: Any) -> UniqueManyRelatedField:
        list_kwargs = {"child_relation": cls(*args, **kwargs)}
        for key in kwargs:
            if key in MANY_RELATION_KWARGS:
                list_kwargs[key] = kwargs[key]
        return UniqueManyRelatedField(**list_kwargs)

    def to_internal_value(self, data: Any) -> Model:
        try:
            field, value = parse_lookup(data)
        except ValueError as error:
            self.fail("invalid", message=str(error))
        if field == "slug" and not self.by_slug:
            self.fail("invalid", message="Give the id, a number.")
        queryset = self.get_queryset()
        try:
            return queryset.get(**{field: value})
        except queryset.model.DoesNotExist:
            self.fail(
                "does_not_exist", model=queryset.model._meta.verbose_name, value=value
            )

    def to_representation(self, value: Model) -> Any:
        if self.output is None:
            return value.slug if self.by_slug else value.pk
        # One serializer per field, not per row: building its fields is what
        # costs, and a page has hundreds of related objects.
        if getattr(self, "_output_serializer", None) is None:
            self._output_serializer = self.output(context=self.context)
        return self._output_serializer.to_representation(value)

    def use_pk_only_optimization(self) -> bool:
        return False


@extend_schema_field(
    {
        "anyOf": [
            {"type": "string", "format": "uri", "maxLength": 2000},
            {"type": "string", "maxLength": 0},
        ],
        "description": "An http(s) URL, or empty.",
    }
)
class OptionalURLField(serializers.URLField):
    """A URL that may be blank, and says so in the schema."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 2000)
        super().__init__(**kwargs)


class SlugOrIdFormField(forms.CharField):
    """A query parameter naming an object by id or slug."""

    def to_python(self, value: Any) -> tuple[str, int | str] | None:
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return parse_lookup(value)
        except ValueError as error:
            raise forms.ValidationError(str(error), code="invalid") from None


CLOCK_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"


@extend_schema_field(
    {"type": "string", "pattern": CLOCK_TIME_PATTERN, "example": "14:30:00"}
)
class ClockTimeField(serializers.TimeField):
    """A time of day as stated, on the clock of the place it was said:
    ``HH:MM[:SS[.ffffff]]``, without a UTC offset. JSON Schema's ``time``
    format requires an offset, and Django would drop one silently, so an
    offset is refused rather than half-read."""

    default_error_messages = {
        "clock": "Give a time of day as HH:MM or HH:MM:SS, without a UTC offset."
    }

    def to_internal_value(self, value: Any) -> datetime.time:
        if isinstance(value, str) and not re.fullmatch(CLOCK_TIME_PATTERN, value):
            self.fail("clock")
        return super().to_internal_value(value)


@extend_schema_field({"type": "string", "pattern": r"^[-a-zA-Z0-9_]+$"})
class SlugOrIdFilter(django_filters.Filter):
    """Filter on a related object given by id or slug: ``?event=belgorod-2025``."""

    field_class = SlugOrIdFormField

    def filter(self, qs: QuerySet, value: tuple[str, int | str] | None) -> QuerySet:
        if value is None:
            return qs
        lookup, key = value
        name = f"{self.field_name}__{'pk' if lookup == 'pk' else 'slug'}"
        return self.get_method(qs)(**{name: key})


class MomentFormField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 moment, in UTC. Any offset is accepted, but a moment that
    leaves the years 1–9999 once in UTC is an error, not a database error."""

    def to_python(self, value: Any) -> datetime.datetime | None:
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(datetime.UTC)
        except OverflowError:
            raise forms.ValidationError(
                "The moment is out of range.", code="invalid"
            ) from None


class MomentFilter(django_filters.IsoDateTimeFilter):
    """``?updated_since=2025-03-20T12:00:00Z`` and the like."""

    field_class = MomentFormField


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
