"""Events, with their places and claims."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from claims.models import Claim, Event
from verifier.admin import HistoryAdmin

from .scale import AutocompleteFilter, ScaleAdmin, words


@admin.register(Event)
class EventAdmin(ScaleAdmin, HistoryAdmin):
    list_display = ["title", "starts_on", "ends_on", "place_names", "claim_link"]
    list_filter = ["starts_on", ("places", AutocompleteFilter)]
    search_fields = ["title", "slug", "summary", "places__name"]
    autocomplete_fields = ["places"]
    prepopulated_fields = {"slug": ["title"]}
    history_list_display = ["title", "starts_on", "ends_on"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """Each word in the title, address, summary or a place's name; the
        places in a subquery, so no event is listed twice and no DISTINCT
        sorts every match."""
        for word in words(search_term):
            in_places = Event.places.through.objects.filter(
                place__name__icontains=word
            ).values("event")
            queryset = queryset.filter(
                Q(title__icontains=word)
                | Q(slug__icontains=word)
                | Q(summary__icontains=word)
                | Q(pk__in=in_places)
            )
        return queryset, False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(claim_count=Claim.objects.count_for(event=OuterRef("pk")))
            .prefetch_related("places")
        )

    @admin.display(description="places")
    def place_names(self, obj: Event) -> str:
        return ", ".join(place.name for place in obj.places.all()) or "—"

    @admin.display(description="claims", ordering="claim_count")
    def claim_link(self, obj: Event) -> str:
        url = reverse("admin:claims_claim_changelist")
        return format_html(
            '<a href="{}?event__id__exact={}">{}</a>', url, obj.pk, obj.claim_count
        )
