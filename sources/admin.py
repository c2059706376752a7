from typing import Any
from urllib.parse import urlsplit

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from verifier.admin import URL_FIELDS, HistoryAdmin, ReferenceDataAdmin

from .models import Document, Source


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
