from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .models import (
    Claim,
    ClaimLink,
    Event,
    Evidence,
    Place,
    Statement,
    StatusChange,
)


class ReadOnlyInline(admin.TabularInline):
    """Parts of a claim shown on its page; they change through their own pages."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class StatementInline(ReadOnlyInline):
    model = Statement
    fields = ["source", "stance", "stated_on", "quote", "document"]


class EvidenceInline(ReadOnlyInline):
    model = Evidence
    fields = ["document", "stance", "note"]


class StatusChangeInline(ReadOnlyInline):
    model = StatusChange
    fields = ["changed_at", "old_status", "new_status", "rationale", "changed_by"]
    show_change_link = False


@admin.register(Place)
class PlaceAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "parent", "latitude", "longitude"]
    list_filter = ["kind"]
    list_select_related = ["parent"]
    search_fields = ["name", "slug", "alternate_names"]
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Event)
class EventAdmin(SimpleHistoryAdmin):
    list_display = ["title", "starts_on", "ends_on"]
    search_fields = ["title", "slug", "summary"]
    autocomplete_fields = ["places"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "starts_on"


@admin.register(Claim)
class ClaimAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "status", "visibility", "event", "updated_at"]
    list_filter = ["status", "visibility", "event"]
    list_select_related = ["event"]
    search_fields = ["text", "slug", "statements__quote", "statements__source__name"]
    autocomplete_fields = ["event", "places"]
    readonly_fields = [
        "status",
        "visibility",
        "published_at",
        "version",
        "created_at",
        "updated_at",
    ]
    date_hierarchy = "updated_at"
    inlines = [StatementInline, EvidenceInline, StatusChangeInline]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        queryset, _ = super().get_search_results(request, queryset, search_term)
        # Searching across statements joins them; one row per claim is wanted.
        return queryset.distinct(), False

    def save_model(
        self, request: HttpRequest, obj: Claim, form: ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        if change:
            services.update_claim(
                obj,
                by=request.user,
                text=data["text"],
                slug=data["slug"],
                event=data["event"],
                places=data["places"],
            )
        else:
            created = services.create_claim(
                text=data["text"],
                slug=data["slug"],
                event=data["event"],
                places=data["places"],
                by=request.user,
            )
            obj.pk = created.pk
            obj._state.adding = False

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: list, change: bool
    ) -> None:
        # Places were saved by the service with the claim; only inlines remain.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class ClaimPartAdmin(SimpleHistoryAdmin):
    """Statements, evidence and links change their claim's version when saved."""

    def save_model(
        self, request: HttpRequest, obj: object, form: ModelForm, change: bool
    ) -> None:
        services.save_part(obj, by=request.user)

    def delete_model(self, request: HttpRequest, obj: object) -> None:
        services.remove_part(obj, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            services.remove_part(obj, by=request.user)


@admin.register(Statement)
class StatementAdmin(ClaimPartAdmin):
    list_display = ["source", "stance", "claim", "stated_on", "document"]
    list_filter = ["stance", "source__reliability", "source"]
    list_select_related = ["source", "claim", "document"]
    search_fields = ["quote", "translation", "source__name", "claim__text"]
    autocomplete_fields = ["claim", "source", "document"]
    date_hierarchy = "stated_on"


@admin.register(Evidence)
class EvidenceAdmin(ClaimPartAdmin):
    list_display = ["document", "stance", "claim", "created_at"]
    list_filter = ["stance"]
    list_select_related = ["document", "claim"]
    search_fields = ["note", "document__title", "claim__text"]
    autocomplete_fields = ["claim", "document"]


@admin.register(ClaimLink)
class ClaimLinkAdmin(ClaimPartAdmin):
    list_display = ["from_claim", "kind", "to_claim"]
    list_filter = ["kind"]
    list_select_related = ["from_claim", "to_claim"]
    search_fields = ["from_claim__text", "to_claim__text", "note"]
    autocomplete_fields = ["from_claim", "to_claim"]


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    """The timeline is append-only: it is written by the change-status service."""

    list_display = [
        "claim",
        "old_status",
        "new_status",
        "is_correction",
        "changed_by",
        "changed_at",
    ]
    list_filter = ["new_status", "is_correction"]
    list_select_related = ["claim", "changed_by"]
    search_fields = ["claim__text", "rationale"]
    date_hierarchy = "changed_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
