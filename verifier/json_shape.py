"""The JSON of a model serializer, written by PostgreSQL.

``shape(SerializerClass)`` walks a DRF ``ModelSerializer``'s fields and
returns one ORM expression that builds, for a row of its model, the same JSON
the serializer writes for that object, in the same key order:

- a model field is its column; a moment is written as DRF writes it (UTC,
  ``Z``, microseconds only when there are any), a time of day likewise;
- ``source="get_<field>_display"`` is the label of the field's choice;
- a nested serializer on a foreign key is an object, or null;
- a nested ``many=True`` serializer on a reverse foreign key or a
  many-to-many relation is an array in the related model's ``Meta.ordering``;
- a field that knows its own expression (``expression(prefix)``), and a model
  property declared with ``computed``, give theirs.

Anything else is refused with an error naming the field, so the database's
JSON never silently differs from the serializer's. ``prepared(queryset)``
turns a query built from such expressions into a statement to ``PREPARE``,
its ``Parameter``s as ``$n``. PostgreSQL only, except ``computed``.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    F,
    Func,
    JSONField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import Expression, OrderBy
from django.db.models.functions import Cast
from django.utils.functional import Promise
from psycopg import sql as psycopg_sql
from rest_framework import ISO_8601, serializers


class ShapeError(ImproperlyConfigured):
    """A serializer field the database cannot write as the serializer does."""


def join(prefix: str, name: str) -> str:
    """The lookup path of ``name`` on the object at ``prefix`` (``""`` the row)."""
    return f"{prefix}__{name}" if prefix else name


class ComputedProperty(property):
    """A read-only property the database can compute as well: ``expression``
    (over the model's fields), when ``when`` holds, else null."""

    def __init__(
        self,
        fget: Callable[[Any], Any],
        expression: Expression | F,
        when: Q | None = None,
    ) -> None:
        super().__init__(fget, doc=fget.__doc__)
        self.expression = expression
        self.when = when


def computed(
    expression: Expression | F, *, when: Q | None = None
) -> Callable[[Callable[[Any], Any]], ComputedProperty]:
    """Declare a property with the expression that computes it in a query.

    The two stand together so that a change to one is seen beside the other;
    ``shape`` uses the expression wherever a serializer shows the property.
    For a property that is a related object, ``expression`` is ``F(path)``.
    """

    def decorate(fget: Callable[[Any], Any]) -> ComputedProperty:
        return ComputedProperty(fget, expression, when)

    return decorate


class Parameter(Expression):
    """A value given when a prepared statement runs (``$n``), of SQL ``type``."""

    def __init__(self, name: str, type: str, output_field: Any = None) -> None:
        super().__init__(output_field=output_field)
        self.name = name
        self.type = type

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list]:
        return "%s", [self]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Parameter) and other.name == self.name

    def __hash__(self) -> int:
        return hash((Parameter, self.name))


class AnyOf(Func):
    """``expression = ANY(array)``: the row's value is one of the array's."""

    output_field = BooleanField()
    conditional = True

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        value, array = (compiler.compile(e) for e in self.get_source_expressions())
        return f"{value[0]} = ANY({array[0]})", [*value[1], *array[1]]


class JSONBuildObject(Func):
    """``json_build_object``: keys in the order given (unlike ``JSONObject``,
    which PostgreSQL writes as ``jsonb`` with its keys reordered)."""

    function = "json_build_object"
    output_field = JSONField()

    def __init__(self, **members: Any) -> None:
        pairs = [item for key, value in members.items() for item in (Value(key), value)]
        super().__init__(*pairs)


class _Repeated(Func):
    """A function of one expression that names it more than once."""

    sql = ""

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        inner, params = compiler.compile(self.get_source_expressions()[0])
        count = self.sql.count("{0}")
        return self.sql.format(inner), list(params) * count


class Moment(_Repeated):
    """A ``timestamptz`` as DRF writes it: UTC, ``Z``, microseconds if any."""

    sql = (
        "(to_char({0} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
        "coalesce(nullif(to_char({0} AT TIME ZONE 'UTC', '.US'), '.000000'), '') "
        "|| 'Z')"
    )
    output_field = TextField()


class ClockTime(_Repeated):
    """A ``time`` as Python's ``isoformat`` writes it: microseconds if any."""

    sql = (
        "(to_char({0}, 'HH24:MI:SS') || "
        "coalesce(nullif(to_char({0}, '.US'), '.000000'), ''))"
    )
    output_field = TextField()


class OrderedArray(Func):
    """The values of ``expression`` over the rows of its query, in ``ordering``,
    as a JSON array (``json_agg``), or as an SQL array of json (``array_agg``)
    to be joined to another; empty when there are none.

    A function to Django, not an aggregate: its query is not grouped.
    """

    output_field = JSONField()

    def __init__(
        self, expression: Any, ordering: Sequence[OrderBy], *, sql_array: bool = False
    ) -> None:
        super().__init__(expression, *ordering)
        self.sql_array = sql_array

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        value, *ordering = (compiler.compile(e) for e in self.get_source_expressions())
        order = ", ".join(sql for sql, _ in ordering)
        params = [*value[1], *(p for _, params in ordering for p in params)]
        if self.sql_array:
            return f"coalesce(array_agg({value[0]} ORDER BY {order}), '{{}}')", params
        return f"coalesce(json_agg({value[0]} ORDER BY {order}), '[]')", params


def array_of(queryset: QuerySet, value: Any, *, sql_array: bool = False) -> Subquery:
    """The ``value`` of each row of ``queryset`` (a subquery, usually related to
    the outer row by ``OuterRef``), in its model's ``Meta.ordering``."""
    rows = queryset.order_by().values(
        value=OrderedArray(value, ordering(queryset.model), sql_array=sql_array)
    )
    return Subquery(rows, output_field=JSONField())


def ordering(model: type[Model]) -> list[OrderBy]:
    """The model's ``Meta.ordering``, then its primary key, so ties are stable."""
    result: list[OrderBy] = []
    for item in model._meta.ordering:
        if isinstance(item, str):
            name = item.lstrip("-")
            result.append(OrderBy(F(name), descending=item.startswith("-")))
        elif isinstance(item, OrderBy):
            result.append(item)
        else:
            result.append(item.asc())
    names = {getattr(o.expression, "name", None) for o in result}
    if not names & {"pk", model._meta.pk.name}:
        result.append(OrderBy(F("pk")))
    return result


def choice_case(column: str, values: dict[Any, Any], default: Any = None) -> Case:
    """``values[column]`` for each of the column's values; ``default`` (an
    expression) for others, else null."""
    return Case(
        *(When(**{column: key}, then=Value(value)) for key, value in values.items()),
        default=Value(None) if default is None else default,
    )


def relative(prefix: str, expression: Any) -> Any:
    """``expression`` (written over a model's own fields) over the object at
    ``prefix``."""
    if not prefix:
        return expression
    if isinstance(expression, OuterRef):
        return expression
    if isinstance(expression, F):
        return F(join(prefix, expression.name))
    if isinstance(expression, Q):
        clone = copy.copy(expression)
        clone.children = [
            (join(prefix, child[0]), relative(prefix, child[1]))
            if isinstance(child, tuple)
            else relative(prefix, child)
            for child in expression.children
        ]
        return clone
    if hasattr(expression, "get_source_expressions"):
        clone = expression.copy()
        clone.set_source_expressions(
            [relative(prefix, e) for e in expression.get_source_expressions()]
        )
        return clone
    return expression


_DISPLAY = re.compile(r"^get_(\w+)_display$")

_TEXT = {"CharField", "TextField", "SlugField", "URLField", "EmailField"}
_INTEGER = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
}

# Fields whose representation is the column's value as JSON writes it, and
# the columns (Django's internal types) that holds for.
_PLAIN = {
    serializers.ChoiceField: _TEXT | _INTEGER,
    serializers.CharField: _TEXT,
    serializers.IntegerField: _INTEGER,
    serializers.FloatField: {"FloatField"},
    serializers.BooleanField: {"BooleanField"},
    serializers.JSONField: {"JSONField"},
}


@functools.cache
def shape(serializer: type[serializers.ModelSerializer]) -> Func:
    """The JSON object ``serializer`` writes for a row of its model."""
    return object_of(serializer(), "")


def object_of(serializer: serializers.ModelSerializer, prefix: str) -> Func:
    """The JSON object of ``serializer`` for the object at ``prefix``."""
    model = serializer.Meta.model
    name = type(serializer).__name__
    if not _drf_own(serializer):
        raise ShapeError(
            f"{name} writes its own to_representation(), which the database "
            "cannot follow."
        )
    return JSONBuildObject(
        **{
            key: _field(field, model, prefix, f"{name}.{key}")
            for key, field in serializer.fields.items()
            if not field.write_only
        }
    )


def _field(
    field: serializers.Field, model: type[Model], prefix: str, where: str
) -> Any:
    if hasattr(field, "expression"):
        return field.expression(prefix)
    if not _drf_own(field):
        raise ShapeError(
            f"{where}: {type(field).__name__} writes its own to_representation(); "
            "give it an expression(prefix) that writes the same."
        )
    if isinstance(field, serializers.ListSerializer):
        if not isinstance(field.child, serializers.ModelSerializer):
            raise ShapeError(f"{where}: only a list of a ModelSerializer is supported.")
        return _many(field.source, object_of(field.child, ""), model, prefix, where)
    if isinstance(field, serializers.ManyRelatedField):
        if type(field.child_relation) is not serializers.PrimaryKeyRelatedField:
            raise ShapeError(f"{where}: only a list of primary keys is supported.")
        return _many(field.source, F("pk"), model, prefix, where)
    if isinstance(field, serializers.ModelSerializer):
        return _one(field, model, prefix, where)
    source = field.source
    display = _DISPLAY.match(source)
    if display and isinstance(field, serializers.CharField):
        column = _model_field(model, display.group(1), where)
        if column.choices:
            if any(isinstance(label, Promise) for _, label in column.flatchoices):
                raise ShapeError(
                    f"{where}: the labels of {model.__name__}.{column.name} are "
                    "translated, and the database writes one language."
                )
            labels = {value: str(label) for value, label in column.flatchoices}
            path = join(prefix, column.name)
            # get_FOO_display() shows a value outside the choices as it is.
            return choice_case(path, labels, default=F(path))
    if isinstance(field, serializers.SerializerMethodField):
        raise ShapeError(
            f"{where}: a SerializerMethodField has no expression; give the field a "
            "class with to_representation() and expression(prefix)."
        )
    attribute = getattr(model, source, None) if "." not in source else None
    if isinstance(attribute, ComputedProperty):
        return _computed(attribute, prefix)
    column = _model_field(model, source, where)
    path = join(prefix, source)
    if isinstance(field, serializers.DateTimeField):
        _check_format(field, where)
        return Moment(F(path))
    if isinstance(field, serializers.TimeField):
        _check_format(field, where)
        return ClockTime(F(path))
    if isinstance(field, serializers.DateField):
        _check_format(field, where)
        return F(path)
    if isinstance(field, serializers.DecimalField):
        return _decimal(field, column, path, where)
    if isinstance(field, serializers.PrimaryKeyRelatedField):
        if column.many_to_one and field.pk_field is None:
            return F(path)
    elif any(
        isinstance(field, kind) and column.get_internal_type() in columns
        for kind, columns in _PLAIN.items()
    ):
        return F(path)
    raise ShapeError(
        f"{where}: {type(field).__name__} on {model.__name__}.{source} cannot be "
        "written by the database as the serializer writes it."
    )


def _model_field(model: type[Model], name: str, where: str) -> Any:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        raise ShapeError(
            f"{where}: {model.__name__}.{name} is neither a model field nor a "
            "property declared with computed()."
        ) from None


def _check_format(field: serializers.Field, where: str) -> None:
    from django.conf import settings
    from rest_framework.settings import api_settings

    setting = {
        serializers.DateTimeField: api_settings.DATETIME_FORMAT,
        serializers.TimeField: api_settings.TIME_FORMAT,
        serializers.DateField: api_settings.DATE_FORMAT,
    }
    kind = next(k for k in setting if isinstance(field, k))
    written = getattr(field, "format", serializers.empty)
    if written is serializers.empty:
        written = setting[kind]
    if written is None or written.lower() != ISO_8601:
        raise ShapeError(f"{where}: only ISO 8601 is written by the database.")
    if kind is serializers.DateTimeField and (
        not settings.USE_TZ or settings.TIME_ZONE != "UTC"
    ):
        raise ShapeError(f"{where}: moments are written in UTC by the database.")


def _decimal(
    field: serializers.DecimalField, column: Any, path: str, where: str
) -> Any:
    """A decimal column of the serializer's places, which it never rounds."""
    if (
        field.localize
        or field.normalize_output
        or field.decimal_places != column.decimal_places
    ):
        raise ShapeError(
            f"{where}: only a DecimalField of the column's own decimal places is "
            "written by the database."
        )
    coerce = getattr(field, "coerce_to_string", None)
    if coerce is None:
        from rest_framework.settings import api_settings

        coerce = api_settings.COERCE_DECIMAL_TO_STRING
    # The column holds exactly its decimal places: its text is DRF's string.
    return Cast(F(path), TextField()) if coerce else F(path)


def _computed(attribute: ComputedProperty, prefix: str) -> Any:
    value = relative(prefix, attribute.expression)
    if attribute.when is None:
        return value
    return Case(When(relative(prefix, attribute.when), then=value), default=Value(None))


def _one(
    field: serializers.ModelSerializer, model: type[Model], prefix: str, where: str
) -> Any:
    """A nested object on a foreign key, or on a property that is one."""
    attribute = getattr(model, field.source, None)
    when = None
    if isinstance(attribute, ComputedProperty):
        if not isinstance(attribute.expression, F):
            raise ShapeError(f"{where}: a nested object needs computed(F(path)).")
        path = join(prefix, attribute.expression.name)
        when = attribute.when and relative(prefix, attribute.when)
    else:
        column = _model_field(model, field.source, where)
        if not (column.many_to_one or column.one_to_one):
            raise ShapeError(f"{where}: {field.source} is not a foreign key.")
        path = join(prefix, field.source)
        if not column.null:
            return object_of(field, path)
    value = Case(
        When(**{f"{path}__isnull": True}, then=Value(None)),
        default=object_of(field, path),
        output_field=JSONField(),
    )
    if when is not None:
        return Case(
            When(when, then=value), default=Value(None), output_field=JSONField()
        )
    return value


def _many(source: str, value: Any, model: type[Model], prefix: str, where: str) -> Any:
    """The array of ``value`` over a reverse foreign key or a many-to-many."""
    relation = _model_field(model, source, where)
    if not (relation.one_to_many or relation.many_to_many):
        raise ShapeError(f"{where}: {source} is not a to-many relation.")
    rows = relation.related_model._default_manager.filter(
        **{relation.remote_field.name: OuterRef(join(prefix, "pk"))}
    )
    return array_of(rows, value)


def _drf_own(field: serializers.Field) -> bool:
    """``field`` writes its value with DRF's own ``to_representation``."""
    return type(field).to_representation.__module__.startswith("rest_framework.")


# Prepared statements ---------------------------------------------------------

_PLACEHOLDER = re.compile(r"%[s%]")


def prepared(queryset: QuerySet, order: Sequence[str]) -> tuple[str, str]:
    """``queryset``'s SQL for ``PREPARE``, and its parameter types.

    The ``Parameter`` named ``order[n - 1]`` becomes ``$n``; every other value
    the query carries (keys, labels, choices) is written in as a literal,
    as Django's client-side binding would.
    """
    connection = connections[queryset.db]
    text, params = queryset.query.get_compiler(connection=connection).as_sql()
    numbers = {name: number for number, name in enumerate(order, start=1)}
    types: dict[str, str] = {}
    values = iter(params)

    def replace(match: re.Match[str]) -> str:
        if match.group() == "%%":
            return "%"
        value = next(values)
        if isinstance(value, Parameter):
            types[value.name] = value.type
            return f"${numbers[value.name]}"
        return psycopg_sql.Literal(value).as_string(connection.connection)

    with connection.cursor():  # the session the literals are written for
        statement = _PLACEHOLDER.sub(replace, text)
    missing = set(order) - types.keys()
    if missing or types.keys() - set(order):
        raise ShapeError(f"Parameters given and used differ: {sorted(missing)}.")
    return ", ".join(types[name] for name in order), statement
