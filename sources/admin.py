from django.contrib import admin
from django.db import models
from simple_history.admin import SimpleHistoryAdmin

from .models import Document, Source

# Pasted addresses without a scheme are taken as https, as browsers do.
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Source)
class SourceAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "affiliation", "reliability", "updated_at"]
    formfield_overrides = URL_FIELDS
    list_filter = ["kind", "affiliation", "reliability"]
    search_fields = ["name", "slug", "aliases", "description"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Document)
class DocumentAdmin(SimpleHistoryAdmin):
    list_display = ["title", "publisher", "published_at", "language"]
    formfield_overrides = URL_FIELDS
    list_filter = ["language", "publisher__kind"]
    list_select_related = ["publisher"]
    search_fields = ["title", "url", "archive_url", "content_sha256", "publisher__name"]
    autocomplete_fields = ["publisher"]
    date_hierarchy = "published_at"
    readonly_fields = ["created_at", "updated_at"]
