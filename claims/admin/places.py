"""Places, with the places they lie in and their claims."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import OuterRef, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from claims.models import Claim, Place
from verifier.admin import ReferenceDataAdmin
from verifier.models import count_for

from .forms import LinesFieldsMixin
from .scale import PLACE_NAMES, AutocompleteFilter, ScaleAdmin, TrigramSearchMixin


@admin.register(Place)
class PlaceAdmin(ScaleAdmin, TrigramSearchMixin, LinesFieldsMixin, ReferenceDataAdmin):
    reference_permission = "claims.set_reference_place"
    lines_fields = ("alternate_names",)
    list_display = [
        "name",
        "kind",
        "within",
        "other_names",
        "coordinates",
        "claim_link",
    ]
    list_filter = [
        "kind",
        "geo_precision",
        ("parent", AutocompleteFilter),
        ("latitude", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["parent__parent__parent"]
    search_fields = ["name", "alternate_names"]
    trigram_search_columns = [PLACE_NAMES]
    search_help_text = "Name or any spelling: Demidovka, Demydivka, Демидовка."
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"slug": ["name"]}
    fields = [
        "name",
        "slug",
        "kind",
        "parent",
        "alternate_names",
        ("latitude", "longitude"),
        "geo_precision",
        "is_reference",
    ]
    history_list_display = ["name", "parent"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(
                claim_count=count_for(
                    Claim.places.through.objects.all(), place=OuterRef("pk")
                )
            )
        )

    @admin.display(description="inside", ordering="parent__name")
    def within(self, obj: Place) -> str:
        chain, parent = [], obj.parent
        # Three levels are selected with the row; deeper ones are abbreviated.
        for _ in range(3):
            if parent is None:
                break
            chain.append(parent.name)
            parent = parent._state.fields_cache.get("parent")
        return " › ".join(chain) or "—"

    @admin.display(description="other names")
    def other_names(self, obj: Place) -> str:
        return ", ".join(obj.alternate_names) or "—"

    @admin.display(description="lat, lon")
    def coordinates(self, obj: Place) -> str:
        if obj.latitude is None:
            return "—"
        return f"{obj.latitude}, {obj.longitude}"

    @admin.display(description="claims", ordering="claim_count")
    def claim_link(self, obj: Place) -> str:
        url = reverse("admin:claims_claim_changelist")
        return format_html(
            '<a href="{}?within={}">{}</a>', url, obj.pk, obj.claim_count
        )
