"""The fields of request bodies and filters the API shares: ids or slugs,
bounded lists of distinct items, times of day, moments.

DRF's settings load modules that import these while DRF itself is loading, so
this module must not import DRF's views (nor the schema tools).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping, Sized
from typing import TYPE_CHECKING, Any

import django_filters
from django import forms
from django.core.validators import MaxLengthValidator
from django.db.models import Model, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import (
    serializers,
)
from rest_framework.relations import MANY_RELATION_KWARGS

if TYPE_CHECKING:
    pass

from verifier.models import MAX_ID

# The most items any list in a request body may hold. Reading an item can
# cost a query, so the length and repeats are checked before any item is read.
MAX_LIST_ITEMS = 100


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
