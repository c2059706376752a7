"""The parts of a claim edited on its page, saved through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.widgets import AdminTextareaWidget
from django.db import models
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from claims import services
from claims.models import ClaimLink, Evidence, Statement, StatusChange
from verifier.admin import SafeAutocompleteMixin

from .badges import badge


class PartFormSet(BaseInlineFormSet):
    """Saved by ClaimAdmin.save_formset through the services, not by itself."""


# Quotes and notes are short paragraphs: two rows keep a claim's parts on one screen.
SHORT_TEXT = {models.TextField: {"widget": AdminTextareaWidget(attrs={"rows": 2})}}


class PartInline(SafeAutocompleteMixin, admin.TabularInline):
    formset = PartFormSet
    extra = 0
    show_change_link = True
    formfield_overrides = SHORT_TEXT


class StatementInline(SafeAutocompleteMixin, admin.StackedInline):
    model = Statement
    formset = PartFormSet
    extra = 0
    show_change_link = True
    formfield_overrides = SHORT_TEXT
    autocomplete_fields = ["source", "document"]
    fields = [
        ("source", "stance"),
        ("stated_on", "stated_time", "time_precision"),
        "credibility",
        "quote",
        ("quote_language", "is_paraphrase"),
        "translation",
        "document",
    ]


class EvidenceInline(PartInline):
    model = Evidence
    autocomplete_fields = ["document"]
    fields = ["document", "stance", "note"]


class LinkInline(PartInline):
    model = ClaimLink
    fk_name = "from_claim"
    autocomplete_fields = ["to_claim"]
    fields = ["kind", "to_claim", "note"]
    verbose_name = "link to another claim"
    verbose_name_plural = "links to other claims"


class StatusChangeInline(admin.TabularInline):
    """The verification timeline; written only by the change-status form."""

    model = StatusChange
    verbose_name = "verdict"
    verbose_name_plural = "verification timeline"
    extra = 0
    can_delete = False
    fields = ["changed_at", "change", "rationale", "rests_on", "changed_by"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("changed_by")
            .prefetch_related("evidence__document")
        )

    @admin.display(description="change")
    def change(self, obj: StatusChange) -> str:
        correction = (
            mark_safe(' <span class="badge correction">correction</span>')
            if obj.is_correction
            else ""
        )
        return format_html(
            "{} → {}{}",
            badge("status", obj.old_status, obj.get_old_status_display()),
            badge("status", obj.new_status, obj.get_new_status_display()),
            correction,
        )

    @admin.display(description="rests on")
    def rests_on(self, obj: StatusChange) -> str:
        items = obj.evidence.all()
        if not items:
            return "—"
        return format_html(
            "<ul class='plain'>{}</ul>",
            format_html_join(
                "",
                "<li>{} ({})</li>",
                ((e.document, e.get_stance_display().lower()) for e in items),
            ),
        )


class PartsAdmin:
    """Saves a claim's inline parts through the services, each call against
    the version the previous one made."""

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: list, change: bool
    ) -> None:
        # Places were saved by the service with the claim; only inlines remain.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: Any, change: bool
    ) -> None:
        if not isinstance(formset, PartFormSet):
            # Read-only here; the admin's change message still asks what changed.
            formset.new_objects = formset.changed_objects = formset.deleted_objects = []
            return
        claim = form.instance
        parts = formset.save(commit=False)
        for part in [*formset.deleted_objects, *parts]:
            # The claim object the services bump, so each call sees the last version.
            setattr(part, formset.fk.name, claim)
        for part in formset.deleted_objects:
            services.remove_part(part, by=request.user, expected_version=claim.version)
        for part in parts:
            services.save_part(part, by=request.user, expected_version=claim.version)
