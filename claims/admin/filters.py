"""List filters of the claim and statement lists."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from claims.models import Claim, Place, Stance, Statement
from claims.queues import BY_SLUG, queues_for

from .scale import AutocompleteFilterMixin


class PlaceWithinFilter(AutocompleteFilterMixin, admin.SimpleListFilter):
    """A place and every place inside it: Belgorod region finds Demidovka.
    The place is chosen in a search box: there are thousands."""

    title = "place (and places inside)"
    parameter_name = "within"
    autocomplete_parameter = "within"

    def __init__(
        self, request: HttpRequest, params: dict, model: Any, model_admin: Any
    ) -> None:
        self.model_admin = model_admin
        self.autocomplete_field = Claim._meta.get_field("places")
        super().__init__(request, params, model, model_admin)

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple]:
        return []  # the search box asks for places as the editor types

    def autocomplete_value(self) -> str | None:
        return self.value()

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if not self.value():
            return queryset
        try:
            wanted = Place.objects.subtree_ids(int(self.value()))
        except ValueError:
            return queryset.none()
        # A subquery, not a join: a claim in two of these places is listed once.
        in_places = Claim.places.through.objects.filter(place__in=wanted)
        return queryset.filter(pk__in=in_places.values("claim"))


class StatementDateFilter(admin.DateFieldListFilter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.title = "statement date"


class GradeFilter(admin.ChoicesFieldListFilter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.title = "source grade"


class StanceOfSourceFilter(admin.SimpleListFilter):
    """Claims with a statement of this stance; with a source chosen in the
    source filter, a statement of that source: what it asserts, or denies."""

    title = "stance"
    parameter_name = "stance"
    source_parameter = "statements__source__id__exact"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple]:
        return list(Stance.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if not self.value():
            return queryset
        if self.value() not in Stance.values:
            return queryset.none()
        statements = Statement.objects.filter(stance=self.value())
        source = request.GET.get(self.source_parameter, "")
        if source.isascii() and source.isdigit():
            statements = statements.filter(source_id=source)
        return queryset.filter(pk__in=statements.values("claim"))


class QueueFilter(admin.SimpleListFilter):
    """The desk's queues (``claims.queues``): the claims the admin index
    counts under each."""

    title = "queue"
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple]:
        return [(queue.slug, queue.title) for queue in queues_for(request.user)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if not self.value():
            return queryset
        queue = BY_SLUG.get(self.value())
        if queue is None:
            return queryset.none()
        return queue.claims(queryset, request.user)
