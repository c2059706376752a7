"""Claims: the list, and the claim's own fields saved through the services."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import OuterRef, QuerySet, Subquery
from django.forms import ModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from claims import services
from claims.models import Claim, Stance, Statement

from .badges import badge
from .desk import DeskAdmin
from .filters import (
    GradeFilter,
    PlaceWithinFilter,
    StanceOfSourceFilter,
    StatementDateFilter,
)
from .forms import ClaimForm
from .inlines import (
    EvidenceInline,
    LinkInline,
    PartsAdmin,
    StatementInline,
    StatusChangeInline,
)
from .refusals import ServiceAdmin
from .scale import AutocompleteFilter, ScaleAdmin
from .verdicts import VerdictAdmin


@admin.register(Claim)
class ClaimAdmin(ScaleAdmin, DeskAdmin, VerdictAdmin, PartsAdmin, ServiceAdmin):
    form = ClaimForm
    list_display = [
        "claim",
        "status_badge",
        "visibility_badge",
        "event_title",
        "asserting",
        "denying",
        "last_change",
    ]
    list_filter = [
        "status",
        "visibility",
        ("event", AutocompleteFilter),
        ("statements__source", AutocompleteFilter),
        StanceOfSourceFilter,
        ("statements__source__reliability", GradeFilter),
        PlaceWithinFilter,
        "updated_at",
        ("statements__stated_on", StatementDateFilter),
    ]
    list_select_related = ["event"]
    # The API's search (get_search_results); the admin only needs to know
    # that there is one.
    search_fields = ["text"]
    search_help_text = (
        "Claim text, quotes, sources and places, in any spelling: "
        "Zelensky, Зеленський, Demidovka, Демидовка."
    )
    autocomplete_fields = ["event", "places"]
    readonly_fields = [
        "status_badge",
        "visibility_badge",
        "published_at",
        "version",
        "created_at",
        "updated_at",
        "linked_from",
        "assignee",
    ]
    fieldsets = [
        (None, {"fields": [*Claim.EDITABLE, "loaded_version"]}),
        ("Verdict", {"fields": [("status_badge", "visibility_badge", "published_at")]}),
        ("Desk", {"fields": ["assignee"]}),
        ("Record", {"fields": [("version", "created_at", "updated_at")]}),
        ("Linked from other claims", {"fields": ["linked_from"]}),
    ]
    inlines = [StatementInline, EvidenceInline, LinkInline, StatusChangeInline]
    actions = ["submit", "publish", "unpublish", "assign_to_me"]
    history_list_display = ["version", "status", "visibility"]
    list_per_page = 50

    # --- list

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """The API's ranked full-text and trigram search
        (``Claim.objects.search``), drafts included."""
        if not search_term.strip():
            return queryset, False
        found = Claim.objects.search(search_term, published_only=False)
        return queryset.filter(pk__in=found.values("pk")), False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        last_by = (
            Claim.history.filter(id=OuterRef("pk"))
            .order_by("-history_date", "-history_id")
            .values("history_user__username")[:1]
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                asserting_count=Statement.objects.filter(
                    stance=Stance.ASSERTS
                ).count_for(claim=OuterRef("pk")),
                denying_count=Statement.objects.filter(stance=Stance.DENIES).count_for(
                    claim=OuterRef("pk")
                ),
                last_changed_by=Subquery(last_by),
            )
            .prefetch_related("places")
        )

    @admin.display(description="claim", ordering="text")
    def claim(self, obj: Claim) -> str:
        # Long wording is cut to keep the list on one screen; the full text is
        # then the title, shown on hover.
        short = Truncator(obj.text).chars(110)
        if short == obj.text:
            text = format_html('<span class="claim-text">{}</span>', obj.text)
        else:
            text = format_html(
                '<span class="claim-text" title="{}">{}</span>', obj.text, short
            )
        return format_html("{}{}", text, self.open_by(obj))

    @admin.display(description="verdict", ordering="status")
    def status_badge(self, obj: Claim) -> str:
        return badge("status", obj.status, obj.get_status_display())

    @admin.display(description="visibility", ordering="visibility")
    def visibility_badge(self, obj: Claim) -> str:
        return badge("visibility", obj.visibility, obj.get_visibility_display())

    @admin.display(description="event · places", ordering="event__title")
    def event_title(self, obj: Claim) -> str:
        # Places fold under the event: one column fewer on a laptop screen.
        event = obj.event.title if obj.event else "—"
        places = ", ".join(place.name for place in obj.places.all())
        return format_html(
            '<span title="{}">{}</span>{}',
            event,
            Truncator(event).chars(40),
            format_html('<br><span class="places">{}</span>', places) if places else "",
        )

    def _statements_link(self, obj: Claim, stance: Stance, count: int) -> str:
        """``count`` linking to the claim's statements of ``stance``."""
        query = urlencode({"claim__id__exact": obj.pk, "stance__exact": stance})
        url = reverse("admin:claims_statement_changelist")
        label = f"{count} {stance.label.lower()}: statements of this claim"
        return format_html(
            '<a href="{}?{}" title="{}">{}</a>', url, query, label, count
        )

    @admin.display(description="asserts", ordering="asserting_count")
    def asserting(self, obj: Claim) -> str:
        return self._statements_link(obj, Stance.ASSERTS, obj.asserting_count)

    @admin.display(description="denies", ordering="denying_count")
    def denying(self, obj: Claim) -> str:
        return self._statements_link(obj, Stance.DENIES, obj.denying_count)

    @admin.display(description="last change", ordering="updated_at")
    def last_change(self, obj: Claim) -> str:
        who = getattr(obj, "last_changed_by", None)
        day, time = f"{obj.updated_at:%Y-%m-%d}", f"{obj.updated_at:%H:%M}"
        if who:
            return format_html("{}<br>{} by {}", day, time, who)
        return format_html("{}<br>{}", day, time)

    @admin.display(description="linked from")
    def linked_from(self, obj: Claim) -> str:
        if obj.pk is None:
            return "—"
        links = obj.links_in.select_related("from_claim")
        return (
            format_html_join(
                mark_safe("<br>"),
                '<a href="{}">{}</a> {} this claim',
                (
                    (
                        reverse("admin:claims_claim_change", args=[link.from_claim_id]),
                        link.from_claim,
                        link.get_kind_display().lower(),
                    )
                    for link in links
                ),
            )
            or "—"
        )

    # --- saving through the services

    def save_model(
        self, request: HttpRequest, obj: Claim, form: ModelForm, change: bool
    ) -> None:
        fields = {name: form.cleaned_data[name] for name in Claim.EDITABLE}
        if change:
            if not fields["slug"]:
                del fields["slug"]  # left empty: the address stays
            if form.has_changed():
                # The form checked the page's version against this one.
                services.update_claim(
                    obj, by=request.user, expected_version=obj.version, **fields
                )
        else:
            created = services.create_claim(by=request.user, **fields)
            for name in ("pk", "slug", "version", "created_at", "updated_at"):
                setattr(obj, name, getattr(created, name))
            obj._state.adding = False
