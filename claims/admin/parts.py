"""The parts of a claim on their own pages, and the read-only timeline."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.html import format_html

from claims import services
from claims.models import ClaimLink, Evidence, Statement, StatusChange

from .badges import badge
from .filters import GradeFilter
from .refusals import ServiceAdmin
from .scale import AutocompleteFilter, ClaimSearchMixin, ScaleAdmin

# The parts of a claim are found through their claim, with the claims' search.
PART_SEARCH_HELP = (
    "Finds the {} of the claims whose text, quotes, sources or places match, "
    "in any spelling: Demidovka, Демидовка."
)


class ClaimPartAdmin(ServiceAdmin):
    """Statements, evidence and links change their claim's version when saved."""

    def save_model(
        self, request: HttpRequest, obj: Any, form: ModelForm, change: bool
    ) -> None:
        services.save_part(obj, by=request.user)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.remove_part(obj, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            services.remove_part(obj, by=request.user)

    def get_actions(self, request: HttpRequest) -> dict:
        # Bulk deletion would stop at the first protected piece of evidence.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(Statement)
class StatementAdmin(ScaleAdmin, ClaimSearchMixin, ClaimPartAdmin):
    list_display = [
        "source_label",
        "admiralty_pair",
        "stance_badge",
        "claim",
        "stated_on",
        "document",
    ]
    list_filter = [
        "stance",
        ("source__reliability", GradeFilter),
        "credibility",
        "source__affiliation",
        ("source", AutocompleteFilter),
        "stated_on",
    ]
    list_select_related = ["source", "claim", "document"]
    search_fields = ["claim__text"]
    search_help_text = PART_SEARCH_HELP.format("statements")
    autocomplete_fields = ["claim", "source", "document"]
    history_list_display = ["stance", "stated_on"]

    @admin.display(description="source", ordering="source__name")
    def source_label(self, obj: Statement) -> str:
        return obj.source.label

    @admin.display(description="stance", ordering="stance")
    def stance_badge(self, obj: Statement) -> str:
        return badge("stance", obj.stance, obj.get_stance_display())

    @admin.display(description="Admiralty", ordering="credibility")
    def admiralty_pair(self, obj: Statement) -> str:
        return format_html(
            '<abbr title="{}">{}</abbr>', obj.admiralty_meaning, obj.admiralty
        )


@admin.register(Evidence)
class EvidenceAdmin(ScaleAdmin, ClaimSearchMixin, ClaimPartAdmin):
    list_display = ["document", "stance_badge", "claim", "created_at"]
    list_filter = [
        "stance",
        ("document__publisher", AutocompleteFilter),
        "created_at",
    ]
    list_select_related = ["document", "claim"]
    search_fields = ["claim__text"]
    search_help_text = PART_SEARCH_HELP.format("evidence")
    autocomplete_fields = ["claim", "document"]

    @admin.display(description="stance", ordering="stance")
    def stance_badge(self, obj: Evidence) -> str:
        return badge("evidence", obj.stance, obj.get_stance_display())


@admin.register(ClaimLink)
class ClaimLinkAdmin(ScaleAdmin, ClaimSearchMixin, ClaimPartAdmin):
    list_display = ["from_claim", "kind", "to_claim", "created_at"]
    list_filter = ["kind", "created_at"]
    list_select_related = ["from_claim", "to_claim"]
    search_fields = ["from_claim__text"]
    search_help_text = PART_SEARCH_HELP.format("links")
    claim_search_fields = ("from_claim", "to_claim")
    autocomplete_fields = ["from_claim", "to_claim"]


@admin.register(StatusChange)
class StatusChangeAdmin(ScaleAdmin, ClaimSearchMixin, admin.ModelAdmin):
    """The timeline is append-only: it is written by the change-status service."""

    list_display = ["claim", "change", "is_correction", "changed_by", "changed_at"]
    list_filter = ["new_status", "old_status", "is_correction", "changed_at"]
    list_select_related = ["claim", "changed_by"]
    search_fields = ["claim__text"]
    search_help_text = PART_SEARCH_HELP.format("verdict changes")

    @admin.display(description="change")
    def change(self, obj: StatusChange) -> str:
        return format_html(
            "{} → {}",
            badge("status", obj.old_status, obj.get_old_status_display()),
            badge("status", obj.new_status, obj.get_new_status_display()),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
