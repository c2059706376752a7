"""The admin at archive scale: change lists that stay fast at a million claims.

- ``EstimatedCountPaginator`` counts exactly up to ``EXACT_COUNT_LIMIT`` rows
  and past that takes the planner's estimate, shown as "about N" (no
  ``COUNT(*)`` over the whole table on every page).
- ``CappedFacetsMixin`` makes "Show counts" ask one bounded count per choice
  ("1,000+" past ``FACET_COUNT_LIMIT``), never one column per choice.
- ``AutocompleteFilter`` / ``AutocompleteFilterMixin``: a filter over
  thousands of rows (places, sources, events) is a search box served by the
  admin's own autocomplete view (Django's select2 widget), not a list of every
  row.
- ``ClaimSearchMixin``: the parts of a claim (statements, evidence, the
  timeline, links) are searched through their claim, with the one claim
  search (``Claim.objects.search``); ``TrigramSearchMixin`` searches small
  reference tables and document titles through their trigram indexes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import (
    build_q_object_from_lookup_parameters,
    lookup_spawns_duplicates,
)
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import (
    BooleanField,
    F,
    Func,
    Model,
    Q,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.constants import LOOKUP_SEP
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.safestring import SafeString
from django.utils.text import smart_split, unescape_string_literal

from claims.models import Claim
from verifier.admin import SafeAutocompleteSelect

# Past this many rows a change list's count is the planner's estimate: an
# exact count reads every matching row (at a million claims, a source's ten
# thousand claims took half a second to count), and past a thousand the
# exact number changes no one's next step.
EXACT_COUNT_LIMIT = 1_000


class Concatenated(Func):
    """``a || b || c``: written as the trigram indexes over names are, so
    that PostgreSQL matches a condition on it with the index."""

    arg_joiner = " || "
    template = "(%(expressions)s)"
    output_field = TextField()


def _names(name: str, other_names: str) -> Concatenated:
    """``name || ' ' || other_names::text``."""
    return Concatenated(F(name), Value(" "), Cast(other_names, TextField()))


# The expressions of the trigram indexes over names (migrations 0003 of
# claims and 0002 of sources) and document titles (sources 0007).
PLACE_NAMES = _names("name", "alternate_names")
SOURCE_NAMES = _names("name", "aliases")
DOCUMENT_TITLE = F("title")

# Past this many rows a facet ("Show counts") says "1,000+".
FACET_COUNT_LIMIT = 1_000


class ApproximateCount(int):
    """A row count the planner estimated: printed as "about 1,000,000"."""

    def __str__(self) -> str:
        return f"about {int(self):,}"


class AtLeastCount(int):
    """A count that stopped at its limit: printed as "1,000+"."""

    def __str__(self) -> str:
        return f"{int(self):,}+"


def bounded_count(queryset: QuerySet, limit: int) -> int:
    """``queryset.count()``, reading at most ``limit + 1`` rows."""
    return queryset.order_by().values("pk")[: limit + 1].count()


def capped_count(queryset: QuerySet, limit: int) -> int:
    """How many rows ``queryset`` has, up to ``limit``; past it, "1,000+"."""
    n = bounded_count(queryset, limit)
    return AtLeastCount(limit) if n > limit else n


def estimated_count(queryset: QuerySet) -> int:
    """The planner's estimate of the rows of ``queryset`` (PostgreSQL's
    ``EXPLAIN``, from ``pg_class.reltuples`` and the column statistics)."""
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountPaginator(Paginator):
    """Exact up to ``EXACT_COUNT_LIMIT`` rows; past that, an estimate labelled
    as one, so no page counts a million rows."""

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        exact = bounded_count(queryset, EXACT_COUNT_LIMIT)
        if exact <= EXACT_COUNT_LIMIT or queryset.db not in connections:
            return exact
        if connections[queryset.db].vendor != "postgresql":
            return AtLeastCount(EXACT_COUNT_LIMIT)
        return ApproximateCount(max(estimated_count(queryset), exact))


class CappedFacetsMixin:
    """Facet counts ("Show counts"): one count per choice, each reading at most
    ``FACET_COUNT_LIMIT + 1`` rows through the choice's own condition (an
    index), instead of one aggregate with a column per choice over the whole
    table (which PostgreSQL refuses past 1,664 columns)."""

    def get_facet_queryset(self, changelist: Any) -> dict[str, int]:
        filtered = changelist.get_queryset(
            self.request,  # type: ignore[attr-defined]
            exclude_parameters=self.expected_parameters(),  # type: ignore[attr-defined]
        )
        model = filtered.model
        counts: dict[str, int] = {}
        facets = self.get_facet_counts(  # type: ignore[attr-defined]
            changelist.pk_attname, filtered
        )
        for key, aggregate in facets.items():
            condition = aggregate.filter
            if _never(model, condition):
                counts[key] = 0
                continue
            if _is_subset(condition):
                # A filter of its own (SimpleListFilter): its choice's rows,
                # counted as they are, not looked up again by key.
                counts[key] = capped_count(condition.children[0][1], FACET_COUNT_LIMIT)
                continue
            if _crosses_to_many(model, condition):
                # A row per match: the condition selects rows, each once.
                matching = model._default_manager.filter(condition).values("pk")
                rows = filtered.filter(pk__in=matching)
            else:
                rows = filtered.filter(condition)
            counts[key] = capped_count(rows, FACET_COUNT_LIMIT)
        return counts


def _is_subset(condition: Q) -> bool:
    """Whether ``condition`` is ``Q(pk__in=<rows of the filtered list>)``, as
    Django's ``SimpleListFilter`` gives each choice's facet."""
    if condition.connector != Q.AND or condition.negated:
        return False
    if len(condition.children) != 1:
        return False
    child = condition.children[0]
    return (
        isinstance(child, tuple)
        and child[0] == "pk__in"
        and isinstance(child[1], QuerySet)
    )


def _never(model: type[Model], condition: Q) -> bool:
    """Whether ``condition`` asks for an empty column that cannot be empty
    (the "Unknown" facet of a boolean field that is never null)."""
    if len(condition.children) != 1 or condition.negated:
        return False
    child = condition.children[0]
    if not isinstance(child, tuple) or child[1] is not True:
        return False
    name, _, lookup = child[0].rpartition(LOOKUP_SEP)
    if lookup != "isnull" or LOOKUP_SEP in name:
        return False
    try:
        return not model._meta.get_field(name).null
    except FieldDoesNotExist:
        return False


def _crosses_to_many(model: type[Model], condition: Q) -> bool:
    """Whether a lookup of ``condition`` follows a to-many relation (which
    joins a row once per related row)."""
    for child in condition.children:
        if isinstance(child, Q):
            if _crosses_to_many(model, child):
                return True
            continue
        opts = model._meta
        for part in child[0].split(LOOKUP_SEP):
            try:
                field = opts.get_field(part)
            except FieldDoesNotExist:
                break
            if not field.is_relation:
                break
            if field.many_to_many or field.one_to_many:
                return True
            opts = field.related_model._meta  # type: ignore[union-attr]
    return False


def autocomplete_media() -> forms.Media:
    """What the filters' search boxes need on the page: Django's select2 and
    its autocomplete script, and the script that applies a chosen value."""
    widget = SafeAutocompleteSelect(Claim._meta.get_field("event"), admin.site)
    return widget.media + forms.Media(js=["claims/autocomplete_filter.js"])


_capped_classes: dict[tuple[type, bool], type] = {}


def _capped(spec_class: type, to_many: bool) -> type:
    """``spec_class`` with capped facets, and for a filter across a to-many
    relation, selecting in a subquery."""
    if issubclass(spec_class, CappedFacetsMixin):
        return spec_class
    key = (spec_class, to_many)
    if key not in _capped_classes:
        bases = (
            (CappedFacetsMixin, SubqueryFilterMixin)
            if to_many
            else (CappedFacetsMixin,)
        )
        _capped_classes[key] = type(
            f"Capped{spec_class.__name__}", (*bases, spec_class), {}
        )
    return _capped_classes[key]


def _through_reverse_key(
    model: type[Model], parameters: dict[str, Any]
) -> tuple[QuerySet, str] | None:
    """For lookups that all start across one reverse foreign key
    (``statements__source__id__exact``): the related rows they select
    (statements of that source) and their key to ``model`` (``claim``)."""
    firsts = {name.split(LOOKUP_SEP, 1)[0] for name in parameters}
    if len(firsts) != 1 or not all(LOOKUP_SEP in name for name in parameters):
        return None
    try:
        field = model._meta.get_field(firsts.pop())
    except FieldDoesNotExist:
        return None
    if not (field.one_to_many and field.auto_created):
        return None
    related = field.related_model._default_manager  # type: ignore[union-attr]
    lookups = build_q_object_from_lookup_parameters(
        {name.split(LOOKUP_SEP, 1)[1]: value for name, value in parameters.items()}
    )
    return related.filter(lookups), field.field.attname  # type: ignore[union-attr]


class SubqueryFilterMixin:
    """A filter across a to-many relation (``statements__source``) selects
    the rows in a subquery, each once, so the list needs no ``DISTINCT`` over
    the whole table (which must read every row before the first page)."""

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        if not self.used_parameters:  # type: ignore[attr-defined]
            return queryset
        model = queryset.model
        rows = super().queryset(request, model._default_manager.all())  # type: ignore[misc]
        if rows is None:
            return None
        if rows.query.is_empty():
            return queryset.none()  # a value the filter refused
        related = _through_reverse_key(model, self.used_parameters)  # type: ignore[attr-defined]
        if related is not None:
            # The related rows name the ones they belong to: no join back.
            parts, key = related
            return queryset.filter(pk__in=parts.values(key))
        return queryset.filter(pk__in=rows.values("pk"))


class ScaleChangeList(ChangeList):
    """Every filter's facets counted as ``CappedFacetsMixin`` counts them,
    Django's own filters ("status", "created_at") included; filters across
    to-many relations as ``SubqueryFilterMixin`` applies them."""

    def get_filters(self, request: HttpRequest) -> Any:
        specs, has_filters, remaining, _, has_active = super().get_filters(request)
        for spec in specs:
            path = getattr(spec, "field_path", None)
            to_many = bool(path) and lookup_spawns_duplicates(self.lookup_opts, path)
            spec.__class__ = _capped(type(spec), to_many)
        # Only parameters no filter took can repeat rows now.
        duplicates = any(
            lookup_spawns_duplicates(self.lookup_opts, key) for key in remaining
        )
        return specs, has_filters, remaining, duplicates, has_active


class ScaleAdmin:
    """A change list for a large table: no count of the whole table, an
    estimate past ``EXACT_COUNT_LIMIT``, bounded facet counts, and the
    scripts of autocomplete filters."""

    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type:
        return ScaleChangeList

    @property
    def media(self) -> forms.Media:
        return super().media + autocomplete_media()  # type: ignore[misc]


class AutocompleteFilterMixin:
    """A list filter whose one choice is picked in a search box.

    The box is Django's autocomplete widget for ``autocomplete_field`` (a
    foreign key or many-to-many field whose model's admin has
    ``search_fields``); the admin's autocomplete view answers it, a page of
    matches at a time. The chosen value goes in ``autocomplete_parameter``;
    every other parameter of the page is kept.
    """

    template = "admin/autocomplete_filter.html"
    autocomplete_field: Any
    autocomplete_parameter: str
    request: HttpRequest

    def autocomplete_value(self) -> str | None:
        raise NotImplementedError

    def autocomplete_widget(self) -> SafeString:
        field = self.autocomplete_field
        model_admin = self.model_admin  # type: ignore[attr-defined]
        widget = SafeAutocompleteSelect(field, model_admin.admin_site)
        widget.attrs.update(
            {
                "data-placeholder": "Type to search",
                "id": f"id_filter_{self.autocomplete_parameter}",
                "aria-label": f"By {self.title}",  # type: ignore[attr-defined]
            }
        )
        # The form field gives the widget its choices: the chosen row, shown.
        chooser = forms.ModelChoiceField(
            queryset=field.remote_field.model._default_manager.all(),
            widget=widget,
            required=False,
        )
        value = self.autocomplete_value() or ""
        return chooser.widget.render(self.autocomplete_parameter, value)

    def kept_parameters(self) -> Iterator[tuple[str, str]]:
        """The page's other parameters, as hidden fields of the filter's form."""
        dropped = {self.autocomplete_parameter, "p", *self.expected_parameters()}  # type: ignore[attr-defined]
        for name, values in self.request.GET.lists():
            if name not in dropped:
                for value in values:
                    yield name, value

    def has_output(self) -> bool:
        return True

    def get_facet_counts(self, pk_attname: str, filtered_qs: QuerySet) -> dict:
        return {}  # the choices are not listed, so there is nothing to count

    def choices(self, changelist: Any) -> Iterator[dict[str, Any]]:
        yield {
            "selected": self.autocomplete_value() is None,
            "query_string": changelist.get_query_string(
                remove=self.expected_parameters()  # type: ignore[attr-defined]
            ),
            "display": "All",
        }


class AutocompleteFilter(AutocompleteFilterMixin, admin.RelatedFieldListFilter):
    """A filter on a related row (``("statements__source", AutocompleteFilter)``)
    chosen in a search box."""

    def __init__(
        self,
        field: Any,
        request: HttpRequest,
        params: dict,
        model: Any,
        model_admin: Any,
        field_path: str,
    ) -> None:
        self.model_admin = model_admin
        super().__init__(field, request, params, model, model_admin, field_path)
        self.autocomplete_field = field
        self.autocomplete_parameter = self.lookup_kwarg

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list:
        return []  # never every row: the box asks for them as the editor types

    def autocomplete_value(self) -> str | None:
        return self.lookup_val[-1] if self.lookup_val else None

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.autocomplete_value()
        if value is not None and not (value.isascii() and value.isdigit()):
            return queryset.none()  # not an id: nothing matches
        return super().queryset(request, queryset)


class ClaimSearchMixin:
    """Search a claim's parts through their claim: the claims matching the
    words (``Claim.objects.search``, full text and trigrams, in any script),
    then their rows. ``claim_search_fields`` name the foreign keys to Claim."""

    claim_search_fields: Sequence[str] = ("claim",)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        if not search_term.strip():
            return queryset, False
        claims = Claim.objects.search(search_term, published_only=False).values("pk")
        condition = Q()
        for name in self.claim_search_fields:
            condition |= Q(**{f"{name}__in": claims})
        return queryset.filter(condition), False


class ILike(Func):
    """``expression ILIKE pattern``: what a trigram index (gin_trgm_ops) serves;
    Django's ``icontains`` (``UPPER(x) LIKE UPPER(y)``) is not."""

    arg_joiner = " ILIKE "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class TrigramSearchMixin:
    """Search through trigram indexes: every word of the search must occur in
    one of ``trigram_search_columns`` (each the expression of a gin_trgm_ops
    index of the model's table). Elsewhere (the SQLite
    quickstart) the admin's ``search_fields`` apply."""

    trigram_search_columns: Sequence[Any] = ()

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        if connections[queryset.db].vendor != "postgresql":
            return super().get_search_results(  # type: ignore[misc]
                request, queryset, search_term
            )
        for word in words(search_term):
            queryset = queryset.filter(self.word_condition(queryset.model, word))
        return queryset, False

    def word_condition(self, model: type[Model], word: str) -> Q:
        """Rows of ``model`` where ``word`` occurs in an indexed column."""
        return trigram_condition(self.trigram_search_columns, word)


def trigram_condition(columns: Sequence[Any], word: str) -> Q:
    """``word`` occurs in one of ``columns``, each the expression of a
    gin_trgm_ops index of the model's table."""
    condition = Q()
    for column in columns:
        condition |= Q(ILike(column, Value(_like_pattern(word))))
    return condition


def words(search_term: str) -> list[str]:
    """The words of a search, quoted phrases kept whole, as Django's admin
    splits them."""
    found = []
    for bit in smart_split(search_term.replace("\x00", "")):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1] and len(bit) > 1:
            bit = unescape_string_literal(bit)
        if bit.strip():
            found.append(bit)
    return found
