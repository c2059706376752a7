"""The editors' desk. Every write goes through ``claims.services``.

Claim edits carry the version the page was loaded with, so a save on a stale
page is refused with what changed in between; inlines save through
``services.save_part`` / ``services.remove_part``; verdicts change through a
small form calling ``services.change_status``. A rule the services refuse is
shown on the form the editor submitted, never as a server error.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminTextareaWidget
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.forms import BaseInlineFormSet, ModelForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from sources.admin import (
    HistoryAdmin,
    ReferenceDataAdmin,
    SafeAutocompleteMixin,
    SourceAdmin,
)
from sources.models import Source

from . import services
from .models import (
    Claim,
    ClaimLink,
    Event,
    Evidence,
    Place,
    Stance,
    Statement,
    Status,
    StatusChange,
)

DomainError = ValidationError | PermissionDenied | services.StaleVersion


# --- Refusals from the domain layer, shown on the submitted form -------------


def refusal_messages(error: DomainError) -> dict[str | None, list[str]]:
    """A domain error as messages keyed by field (``None``: the whole form)."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        return {field: list(texts) for field, texts in error.message_dict.items()}
    if isinstance(error, ValidationError):
        return {None: list(error.messages)}
    return {None: [str(error) or "Your role does not allow this change."]}


def add_refusal(form: forms.Form, error: DomainError) -> None:
    for field, texts in refusal_messages(error).items():
        if field in form.fields:
            form.add_error(field, texts)
        elif field in (None, "__all__"):
            form.add_error(None, texts)
        else:
            form.add_error(
                None, [f"{field.replace('_', ' ')}: {text}" for text in texts]
            )


def refusing(form_class: type[ModelForm], error: DomainError) -> type[ModelForm]:
    """The form class, made to carry ``error`` so the page shows it again."""

    class RefusedForm(form_class):
        def clean(self) -> dict[str, Any]:
            cleaned = super().clean()
            add_refusal(self, error)
            return cleaned

    RefusedForm.__name__ = form_class.__name__
    return RefusedForm


class ServiceAdmin(HistoryAdmin):
    """An admin whose saves call the services and show their refusals.

    The admin wraps a save in one transaction; a refusal raised while saving
    rolls it back, and the page is then built again from the same POST with
    the refusal attached to the form, so the editor keeps what they typed.
    """

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (ValidationError, PermissionDenied, services.StaleVersion) as error:
            if request.method != "POST" or hasattr(request, "refusal"):
                raise
            request.refusal = error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(
        self,
        request: HttpRequest,
        obj: Any = None,
        change: bool = False,
        **kwargs: Any,
    ) -> type[ModelForm]:
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "refusal", None)
        return refusing(form, refusal) if refusal is not None else form

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        try:
            with transaction.atomic():
                return super().delete_view(request, object_id, extra_context)
        except (ValidationError, PermissionDenied, services.StaleVersion) as error:
            for texts in refusal_messages(error).values():
                for text in texts:
                    self.message_user(request, text, messages.ERROR)
            return HttpResponseRedirect(request.path.rsplit("delete/", 1)[0])


# --- Stale pages: what changed since the editor loaded the claim -------------


def _short(value: object, length: int = 60) -> str:
    if value is None or value == "":
        return "(empty)"
    return Truncator(str(value)).chars(length)


def _field_change(claim_field: str, old: object, new: object) -> str:
    field = Claim._meta.get_field(claim_field)
    if field.many_to_many:
        return f"{field.verbose_name} changed"
    if field.choices:
        labels = dict(field.flatchoices)
        old, new = labels.get(old, old), labels.get(new, new)
    if field.is_relation:
        found = field.related_model._default_manager.in_bulk([old, new])
        old, new = found.get(old, old), found.get(new, new)
    return f"{field.verbose_name} “{_short(old)}” → “{_short(new)}”"


def changes_since(claim: Claim, version: int) -> list[str]:
    """Who changed what in ``claim`` after ``version``, newest last."""
    records = list(
        claim.history.select_related("history_user").order_by(
            "history_date", "history_id"
        )
    )
    before = [record for record in records if record.version <= version]
    after = [record for record in records if record.version > version]
    since = (
        before[-1].history_date
        if before
        else datetime.datetime.min.replace(tzinfo=datetime.UTC)
    )
    lines: list[tuple[datetime.datetime, str]] = []
    previous = before[-1] if before else None
    for record in after:
        details = []
        if previous is not None:
            delta = record.diff_against(
                previous, excluded_fields=["version", "updated_at", "published_at"]
            )
            details = [
                _field_change(change.field, change.old, change.new)
                for change in delta.changes
            ]
        if details:
            lines.append((record.history_date, _by(record, "; ".join(details))))
        previous = record
    for model, name in ((Statement, "statement"), (Evidence, "evidence")):
        for record in model.history.filter(
            claim_id=claim.pk, history_date__gt=since
        ).select_related("history_user"):
            action = {"+": "added", "~": "changed", "-": "removed"}[record.history_type]
            lines.append(
                (record.history_date, _by(record, f"{name} {action}: {record}"))
            )
    for record in ClaimLink.history.filter(
        from_claim_id=claim.pk, history_date__gt=since
    ).select_related("history_user"):
        action = {"+": "added", "~": "changed", "-": "removed"}[record.history_type]
        lines.append((record.history_date, _by(record, f"link {action}")))
    return [text for _, text in sorted(lines, key=lambda line: line[0])]


def _by(record: Any, what: str) -> str:
    who = record.history_user or "someone"
    return f"{record.history_date:%Y-%m-%d %H:%M} UTC, {who}: {what}"


def stale_messages(claim: Claim, version: int) -> list[str]:
    current = Claim.objects.only("version").get(pk=claim.pk).version
    return [
        f"Someone changed this claim after you opened it (you loaded version "
        f"{version}, it is now version {current}). Nothing was saved.",
        *changes_since(claim, version),
        "Your input is kept below: open the claim again in a new tab to see the "
        "current version, then apply your change to it.",
    ]


# --- Claims -------------------------------------------------------------------


def _statement_count(stance: Stance) -> Coalesce:
    # One small subquery per row of the page: the whole table is never grouped.
    return Coalesce(
        Subquery(
            Statement.objects.filter(claim=OuterRef("pk"), stance=stance)
            .order_by()
            .values("claim")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def badge(kind: str, value: str, label: str) -> str:
    return format_html('<span class="badge {}-{}">{}</span>', kind, value, label)


class PlaceWithinFilter(admin.SimpleListFilter):
    """A place and every place inside it: Belgorod region finds Demidovka."""

    title = "place (and places inside)"
    parameter_name = "within"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple]:
        places = list(Place.objects.values_list("pk", "name", "parent_id"))
        children: dict[int | None, list[tuple]] = {}
        for place in places:
            children.setdefault(place[2], []).append(place)
        rows: list[tuple] = []

        def walk(parent: int | None, depth: int, seen: set[int]) -> None:
            for pk, name, _ in sorted(children.get(parent, []), key=lambda p: p[1]):
                if pk not in seen:
                    rows.append((str(pk), "\u2003" * depth + name))
                    walk(pk, depth + 1, seen | {pk})

        walk(None, 0, set())
        return rows

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if not self.value():
            return queryset
        try:
            wanted = {int(self.value())}
        except ValueError:
            return queryset.none()
        parents = dict(Place.objects.values_list("pk", "parent_id"))
        grew = True
        while grew:
            inside = {pk for pk, parent in parents.items() if parent in wanted}
            grew = not inside <= wanted
            wanted |= inside
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


class ClaimForm(ModelForm):
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Claim
        fields = ["text", "slug", "event", "places"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields[
                "slug"
            ].help_text = "Left empty, it is made from the text. Fixed once published."

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        loaded = cleaned.get("loaded_version")
        if self.instance.pk and loaded is not None and loaded != self.instance.version:
            raise ValidationError(stale_messages(self.instance, loaded))
        return cleaned


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
        ("stated_on", "stated_time"),
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
                "", "<li>{} ({})</li>", ((e.document, e.stance) for e in items)
            ),
        )


@admin.register(Claim)
class ClaimAdmin(ServiceAdmin):
    form = ClaimForm
    list_display = [
        "claim",
        "status_badge",
        "visibility_badge",
        "event_title",
        "place_names",
        "asserting",
        "denying",
        "last_change",
    ]
    list_filter = [
        "status",
        "visibility",
        "event",
        ("statements__source", admin.RelatedFieldListFilter),
        ("statements__source__reliability", GradeFilter),
        PlaceWithinFilter,
        "updated_at",
        ("statements__stated_on", StatementDateFilter),
    ]
    list_select_related = ["event"]
    search_fields = [
        "text",
        "slug",
        "event__title",
        "statements__quote",
        "statements__translation",
        "statements__source__name",
        "statements__source__aliases",
        "places__name",
        "places__alternate_names",
    ]
    search_help_text = (
        "Claim text, quotes, sources and places, in any spelling: "
        "Zelensky, Зеленський, Demidovka, Демидовка."
    )
    autocomplete_fields = ["event", "places"]
    date_hierarchy = "updated_at"
    readonly_fields = [
        "status_badge",
        "visibility_badge",
        "published_at",
        "version",
        "created_at",
        "updated_at",
        "linked_from",
    ]
    fieldsets = [
        (None, {"fields": ["text", "slug", "event", "places", "loaded_version"]}),
        ("Verdict", {"fields": [("status_badge", "visibility_badge", "published_at")]}),
        ("Record", {"fields": [("version", "created_at", "updated_at")]}),
        ("Linked from other claims", {"fields": ["linked_from"]}),
    ]
    inlines = [StatementInline, EvidenceInline, LinkInline, StatusChangeInline]
    actions = ["publish", "unpublish"]
    history_list_display = ["version", "status", "visibility"]
    list_per_page = 50

    # --- list

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
                asserting_count=_statement_count(Stance.ASSERTS),
                denying_count=_statement_count(Stance.DENIES),
                last_changed_by=Subquery(last_by),
            )
            .prefetch_related("places")
        )

    @admin.display(description="claim", ordering="text")
    def claim(self, obj: Claim) -> str:
        return str(obj)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: Claim) -> str:
        return badge("status", obj.status, obj.get_status_display())

    @admin.display(description="visibility", ordering="visibility")
    def visibility_badge(self, obj: Claim) -> str:
        return badge("visibility", obj.visibility, obj.get_visibility_display())

    @admin.display(description="event", ordering="event__title")
    def event_title(self, obj: Claim) -> str:
        return Truncator(obj.event.title).chars(40) if obj.event else "—"

    @admin.display(description="places")
    def place_names(self, obj: Claim) -> str:
        return ", ".join(place.name for place in obj.places.all()) or "—"

    @admin.display(description="asserting", ordering="asserting_count")
    def asserting(self, obj: Claim) -> int:
        return obj.asserting_count

    @admin.display(description="denying", ordering="denying_count")
    def denying(self, obj: Claim) -> int:
        return obj.denying_count

    @admin.display(description="last change", ordering="updated_at")
    def last_change(self, obj: Claim) -> str:
        who = getattr(obj, "last_changed_by", None)
        when = f"{obj.updated_at:%Y-%m-%d %H:%M}"
        return f"{when} by {who}" if who else when

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
        data = form.cleaned_data
        fields = {
            "text": data["text"],
            "event": data["event"],
            "places": data["places"],
        }
        if change:
            if data["slug"]:
                fields["slug"] = data["slug"]
            if form.has_changed():
                # The form checked the page's version against this one.
                services.update_claim(
                    obj, by=request.user, expected_version=obj.version, **fields
                )
        else:
            created = services.create_claim(
                by=request.user, slug=data["slug"], **fields
            )
            for name in ("pk", "slug", "version", "created_at", "updated_at"):
                setattr(obj, name, getattr(created, name))
            obj._state.adding = False

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

    # --- publishing

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("claims.publish_claim")

    def _apply(
        self,
        request: HttpRequest,
        claims: Iterable[Claim],
        service: Callable[..., Claim],
        done: str,
    ) -> None:
        succeeded, refused = 0, []
        for claim in claims:
            try:
                service(claim, by=request.user)
            except (ValidationError, PermissionDenied, services.StaleVersion) as error:
                texts = [t for ts in refusal_messages(error).values() for t in ts]
                refused.append(f"“{claim}”: {' '.join(texts)}")
            else:
                succeeded += 1
        if succeeded:
            noun = "claim" if succeeded == 1 else "claims"
            self.message_user(request, f"{done} {succeeded} {noun}.", messages.SUCCESS)
        for text in refused:
            self.message_user(request, text, messages.ERROR)

    @admin.action(description="Publish the selected claims", permissions=["publish"])
    def publish(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._apply(request, queryset, services.publish_claim, "Published")

    @admin.action(description="Unpublish the selected claims", permissions=["publish"])
    def unpublish(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._apply(request, queryset, services.unpublish_claim, "Unpublished")

    # --- the claim page: change status, publish and unpublish buttons

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/status/",
                view(self.change_status_view),
                name="claims_claim_status",
            ),
            path(
                "<path:object_id>/visibility/",
                view(require_POST(self.visibility_view)),
                name="claims_claim_visibility",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        user = request.user
        extra = {
            "can_change_status": user.has_perm("claims.change_claim_status"),
            "can_publish": self.has_publish_permission(request),
            "status_url": reverse("admin:claims_claim_status", args=[object_id]),
            "visibility_url": reverse(
                "admin:claims_claim_visibility", args=[object_id]
            ),
        }
        return super().change_view(
            request, object_id, form_url, {**extra, **(extra_context or {})}
        )

    def _claim_or_404(self, request: HttpRequest, object_id: str) -> Claim:
        claim = self.get_object(request, unquote(object_id))
        if claim is None:
            raise Http404("No such claim.")
        return claim

    def visibility_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        claim = self._claim_or_404(request, object_id)
        change_url = reverse("admin:claims_claim_change", args=[claim.pk])
        publish = request.POST.get("action") == "publish"
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = None
        service = services.publish_claim if publish else services.unpublish_claim
        try:
            service(claim, by=request.user, expected_version=version)
        except services.StaleVersion as error:
            for text in stale_messages(claim, error.expected):
                self.message_user(request, text, messages.ERROR)
        except (ValidationError, PermissionDenied) as error:
            for texts in refusal_messages(error).values():
                for text in texts:
                    self.message_user(request, text, messages.ERROR)
        else:
            done = "Published" if publish else "Unpublished"
            self.message_user(request, f"{done}: “{claim}”.", messages.SUCCESS)
        return HttpResponseRedirect(change_url)

    def change_status_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        claim = self._claim_or_404(request, object_id)
        user = request.user
        if not (
            self.has_view_permission(request, claim)
            and user.has_perm("claims.change_claim_status")
        ):
            raise PermissionDenied
        change_url = reverse("admin:claims_claim_change", args=[claim.pk])
        may_set_final = user.has_perm("claims.set_final_status")
        locked = Status(claim.status) in Status.final() and not may_set_final
        form = ChangeStatusForm(
            request.POST if request.method == "POST" else None,
            claim=claim,
            may_set_final=may_set_final,
        )
        if request.method == "POST" and not locked and form.is_valid():
            data = form.cleaned_data
            try:
                change = services.change_status(
                    claim,
                    to=data["status"],
                    rationale=data["rationale"],
                    evidence=list(data["evidence"]),
                    by=user,
                    expected_version=data["version"],
                )
            except services.StaleVersion as error:
                form.add_error(None, stale_messages(claim, error.expected))
            except (ValidationError, PermissionDenied) as error:
                add_refusal(form, error)
            else:
                note = " (recorded as a correction)" if change.is_correction else ""
                self.message_user(
                    request, f"Status changed: {change}{note}.", messages.SUCCESS
                )
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Change status",
            "subtitle": str(claim),
            "original": claim,
            "claim": claim,
            "form": form,
            "locked": locked,
            "change_url": change_url,
            "status": badge("status", claim.status, claim.get_status_display()),
            "timeline": claim.status_changes.select_related("changed_by"),
        }
        return TemplateResponse(
            request, "admin/claims/claim/change_status.html", context
        )


class EvidenceChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Evidence) -> str:
        note = f" — {Truncator(obj.note).chars(80)}" if obj.note else ""
        return f"{obj.document} ({obj.get_stance_display().lower()}){note}"


class ChangeStatusForm(forms.Form):
    status = forms.ChoiceField(label="New status")
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Why the verdict changes; shown in the public timeline.",
    )
    evidence = EvidenceChoiceField(
        queryset=Evidence.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Rests on",
        help_text="Every status but unverified rests on at least one piece of "
        "this claim's evidence.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self, data: Any = None, *, claim: Claim, may_set_final: bool, **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        # No status is preselected: a verdict is chosen, never defaulted into.
        self.fields["status"].choices = [("", "— choose —")] + [
            (value, label)
            for value, label in Status.choices
            if value != claim.status and (may_set_final or value not in Status.final())
        ]
        self.fields["evidence"].queryset = claim.evidence.select_related("document")
        self.fields["version"].initial = claim.version


# --- The parts of a claim, on their own pages ----------------------------------


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
class StatementAdmin(ClaimPartAdmin):
    list_display = ["source_label", "stance_badge", "claim", "stated_on", "document"]
    list_filter = [
        "stance",
        ("source__reliability", GradeFilter),
        "source__affiliation",
        "source",
        "stated_on",
    ]
    list_select_related = ["source", "claim", "document"]
    search_fields = [
        "quote",
        "translation",
        "source__name",
        "source__aliases",
        "claim__text",
    ]
    autocomplete_fields = ["claim", "source", "document"]
    date_hierarchy = "stated_on"
    history_list_display = ["stance", "stated_on"]

    @admin.display(description="source", ordering="source__name")
    def source_label(self, obj: Statement) -> str:
        return obj.source.label

    @admin.display(description="stance", ordering="stance")
    def stance_badge(self, obj: Statement) -> str:
        return badge("stance", obj.stance, obj.get_stance_display())


@admin.register(Evidence)
class EvidenceAdmin(ClaimPartAdmin):
    list_display = ["document", "stance_badge", "claim", "created_at"]
    list_filter = ["stance", "document__publisher", "created_at"]
    list_select_related = ["document", "claim"]
    search_fields = ["note", "document__title", "document__url", "claim__text"]
    autocomplete_fields = ["claim", "document"]
    date_hierarchy = "created_at"

    @admin.display(description="stance", ordering="stance")
    def stance_badge(self, obj: Evidence) -> str:
        return badge("evidence", obj.stance, obj.get_stance_display())


@admin.register(ClaimLink)
class ClaimLinkAdmin(ClaimPartAdmin):
    list_display = ["from_claim", "kind", "to_claim", "created_at"]
    list_filter = ["kind", "created_at"]
    list_select_related = ["from_claim", "to_claim"]
    search_fields = ["from_claim__text", "to_claim__text", "note"]
    autocomplete_fields = ["from_claim", "to_claim"]


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    """The timeline is append-only: it is written by the change-status service."""

    list_display = ["claim", "change", "is_correction", "changed_by", "changed_at"]
    list_filter = ["new_status", "old_status", "is_correction", "changed_at"]
    list_select_related = ["claim", "changed_by"]
    search_fields = ["claim__text", "rationale", "changed_by__username"]
    date_hierarchy = "changed_at"

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


# --- Places and events -----------------------------------------------------------


def _claim_count(**outer: Any) -> Coalesce:
    return Coalesce(
        Subquery(
            Claim.objects.filter(**outer)
            .order_by()
            .values(next(iter(outer)))
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


@admin.register(Place)
class PlaceAdmin(ReferenceDataAdmin):
    reference_permission = "claims.set_reference_place"
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
        ("parent", admin.RelatedOnlyFieldListFilter),
        ("latitude", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["parent__parent__parent"]
    search_fields = ["name", "slug", "alternate_names", "parent__name"]
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
        "is_reference",
    ]
    history_list_display = ["name", "parent"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(claim_count=_claim_count(places=OuterRef("pk")))
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


@admin.register(Event)
class EventAdmin(HistoryAdmin):
    list_display = ["title", "starts_on", "ends_on", "place_names", "claim_link"]
    list_filter = ["starts_on", ("places", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title", "slug", "summary", "places__name"]
    autocomplete_fields = ["places"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "starts_on"
    history_list_display = ["title", "starts_on", "ends_on"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(claim_count=_claim_count(event=OuterRef("pk")))
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


# --- Sources and documents, with what they said --------------------------------
# sources/ knows nothing of claims, so the claims app extends its admin here.


def _stance_count(stance: Stance, **outer: Any) -> Coalesce:
    return Coalesce(
        Subquery(
            Statement.objects.filter(stance=stance, **outer)
            .order_by()
            .values(next(iter(outer)))
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


class StatementsOfSourceInline(admin.TabularInline):
    model = Statement
    fk_name = "source"
    verbose_name_plural = "claims made (latest 50)"
    fields = ["stated_on", "stance", "claim", "quote"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        latest = (
            Statement.objects.filter(source=OuterRef("source"))
            .order_by("-stated_on", "-id")
            .values("pk")[:50]
        )
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=Subquery(latest))
            .select_related("claim")
            .order_by("-stated_on", "-id")
        )


admin.site.unregister(Source)


@admin.register(Source)
class SourceWithClaimsAdmin(SourceAdmin):
    list_display = [*SourceAdmin.list_display, "asserts", "denies"]
    inlines = [StatementsOfSourceInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(
                asserts_count=_stance_count(Stance.ASSERTS, source=OuterRef("pk")),
                denies_count=_stance_count(Stance.DENIES, source=OuterRef("pk")),
            )
        )

    def _claims_link(self, obj: Source, stance: Stance, count: int) -> str:
        url = reverse("admin:claims_claim_changelist")
        return format_html(
            '<a href="{}?statements__source__id__exact={}">{}</a>', url, obj.pk, count
        )

    @admin.display(description="asserts", ordering="asserts_count")
    def asserts(self, obj: Source) -> str:
        return self._claims_link(obj, Stance.ASSERTS, obj.asserts_count)

    @admin.display(description="denies", ordering="denies_count")
    def denies(self, obj: Source) -> str:
        return self._claims_link(obj, Stance.DENIES, obj.denies_count)
