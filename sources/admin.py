from typing import Any
from urllib.parse import urlsplit

from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from .models import Document, Source

PG_BIGINT_MAX = 2**63 - 1

# Pasted addresses without a scheme are taken as https, as browsers do.
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


class _ValidIdsOnly:
    """Django's autocomplete widgets look up the submitted ids again to show
    them: an id that is not a number ("abc", "-1") made that a 500 where the
    form should only say the choice is invalid."""

    def optgroups(self, name: str, value: list[Any], attr: Any = None) -> list:
        value = [
            item
            for item in value
            if str(item).isascii()
            and str(item).isdigit()
            and 0 < int(item) <= PG_BIGINT_MAX
        ]
        return super().optgroups(name, value, attr)


class SafeAutocompleteSelect(_ValidIdsOnly, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(_ValidIdsOnly, AutocompleteSelectMultiple):
    pass


class SafeAutocompleteMixin:
    """Autocomplete fields (``autocomplete_fields``) that survive any input."""

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(
            request
        ):
            kwargs["widget"] = SafeAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(
        self, db_field: models.ManyToManyField, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(
            request
        ):
            kwargs["widget"] = SafeAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class HistoryAdmin(SafeAutocompleteMixin, SimpleHistoryAdmin):
    """Audit history with field-level changes; past versions are read-only.

    Reverting would write an old version past the rules of the domain layer,
    so it is disabled (``SIMPLE_HISTORY_REVERT_DISABLED``) and refused here.
    """

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST":
            raise PermissionDenied("Past versions cannot be restored.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReferenceDataAdmin(HistoryAdmin):
    """``is_reference`` (public before any published claim uses the row) is
    for reviewers to set: read-only to anyone without ``reference_permission``."""

    reference_permission: str

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.has_perm(self.reference_permission):
            fields.append("is_reference")
        return fields


@admin.register(Source)
class SourceAdmin(ReferenceDataAdmin):
    reference_permission = "sources.set_reference_source"
    list_display = ["name", "kind", "affiliation", "grade", "alias_list", "updated_at"]
    formfield_overrides = URL_FIELDS
    list_filter = ["kind", "affiliation", "reliability", "is_reference"]
    search_fields = ["name", "slug", "aliases", "description"]
    search_help_text = "Name or any spelling: Zelensky, Zelenskyy, Зеленський."
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "aliases", "kind", "affiliation"]}),
        ("Reliability", {"fields": ["reliability", "is_reference"]}),
        ("About", {"fields": ["description", "homepage"]}),
        ("Record", {"fields": [("created_at", "updated_at")]}),
    ]
    history_list_display = ["name", "reliability"]

    @admin.display(description="grade", ordering="reliability")
    def grade(self, obj: Source) -> str:
        return format_html(
            '<span class="badge grade-{}" title="{}">{}</span>',
            obj.reliability,
            obj.get_reliability_display(),
            obj.reliability,
        )

    @admin.display(description="aliases")
    def alias_list(self, obj: Source) -> str:
        return ", ".join(obj.aliases) or "—"


class ArchivedFilter(admin.SimpleListFilter):
    title = "archived copy"
    parameter_name = "archived"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple]:
        return [("yes", "Archived"), ("no", "Not archived")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.exclude(archive_url="")
        if self.value() == "no":
            return queryset.filter(archive_url="")
        return queryset


class HashedFilter(admin.SimpleListFilter):
    title = "SHA-256 recorded"
    parameter_name = "hashed"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.exclude(content_sha256="")
        if self.value() == "no":
            return queryset.filter(content_sha256="")
        return queryset


@admin.register(Document)
class DocumentAdmin(HistoryAdmin):
    list_display = [
        "title",
        "publisher",
        "published_at",
        "language",
        "site",
        "archived",
        "sha256",
    ]
    formfield_overrides = URL_FIELDS
    list_filter = [
        "language",
        "publisher__kind",
        ("publisher", admin.RelatedOnlyFieldListFilter),
        ArchivedFilter,
        HashedFilter,
        "published_at",
    ]
    list_select_related = ["publisher"]
    search_fields = [
        "title",
        "url",
        "archive_url",
        "content_sha256",
        "excerpt",
        "publisher__name",
        "publisher__aliases",
    ]
    search_help_text = "Title, URL, archive URL, SHA-256, excerpt or publisher."
    autocomplete_fields = ["publisher"]
    date_hierarchy = "published_at"
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "url", "publisher", "published_at", "language"]}),
        ("Integrity", {"fields": ["archive_url", "content_sha256"]}),
        ("Content", {"fields": ["excerpt"]}),
        ("Record", {"fields": [("created_at", "updated_at")]}),
    ]
    history_list_display = ["title", "url"]

    @admin.display(description="URL", ordering="url")
    def site(self, obj: Document) -> str:
        if not obj.url:
            return "—"
        return format_html(
            '<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>',
            obj.url,
            urlsplit(obj.url).netloc or obj.url,
        )

    @admin.display(description="archived", boolean=True)
    def archived(self, obj: Document) -> bool:
        return bool(obj.archive_url)

    @admin.display(description="SHA-256", ordering="content_sha256")
    def sha256(self, obj: Document) -> str:
        digest = obj.content_sha256
        if not digest:
            return "—"
        return format_html('<code title="{}">{}…</code>', digest, digest[:12])
