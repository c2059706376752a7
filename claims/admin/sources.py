"""Sources, with what they said.

sources/ knows nothing of claims, so the claims app extends its admin here.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Model, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from claims.models import Stance, Statement
from sources.admin import ArchivedFilter, DocumentAdmin, HashedFilter, SourceAdmin
from sources.models import Document, Source

from .forms import LinesFieldsMixin
from .scale import (
    DOCUMENT_TITLE,
    SOURCE_NAMES,
    AutocompleteFilter,
    ScaleAdmin,
    TrigramSearchMixin,
    trigram_condition,
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
        # The source of the page: its latest 50 statements, found once (a
        # subquery per statement of a source of thousands took seconds).
        match = request.resolver_match
        source = str(match.kwargs.get("object_id", "")) if match else ""
        if not (source.isascii() and source.isdigit()):
            return super().get_queryset(request).none()
        latest = (
            Statement.objects.filter(source_id=source)
            .order_by("-stated_on", "-id")
            .values("pk")[:50]
        )
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=Subquery(latest))
            .select_related("claim", "source")
            .order_by("-stated_on", "-id")
        )


admin.site.unregister(Source)
admin.site.unregister(Document)

# A SHA-256, or its first 8 hexadecimal digits or more, as the list shows it.
DIGEST_PREFIX = r"[0-9a-f]{8,64}"


@admin.register(Source)
class SourceWithClaimsAdmin(
    ScaleAdmin, TrigramSearchMixin, LinesFieldsMixin, SourceAdmin
):
    lines_fields = ("aliases",)
    list_display = [*SourceAdmin.list_display, "asserts", "denies"]
    inlines = [StatementsOfSourceInline]
    search_fields = ["name", "aliases"]
    trigram_search_columns = [SOURCE_NAMES]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(
                asserts_count=Statement.objects.filter(stance=Stance.ASSERTS).count_for(
                    source=OuterRef("pk")
                ),
                denies_count=Statement.objects.filter(stance=Stance.DENIES).count_for(
                    source=OuterRef("pk")
                ),
            )
        )

    def _claims_link(self, obj: Source, stance: Stance, count: int) -> str:
        url = reverse("admin:claims_claim_changelist")
        # The stance filter reads the source filter's parameter: what this source said.
        query = urlencode({"statements__source__id__exact": obj.pk, "stance": stance})
        return format_html('<a href="{}?{}">{}</a>', url, query, count)

    @admin.display(description="asserts", ordering="asserts_count")
    def asserts(self, obj: Source) -> str:
        return self._claims_link(obj, Stance.ASSERTS, obj.asserts_count)

    @admin.display(description="denies", ordering="denies_count")
    def denies(self, obj: Source) -> str:
        return self._claims_link(obj, Stance.DENIES, obj.denies_count)


@admin.register(Document)
class DocumentAtScaleAdmin(ScaleAdmin, TrigramSearchMixin, DocumentAdmin):
    """Half a million documents: a digest or an address is looked up as such,
    other words in titles and publishers' names, each through an index."""

    list_filter = [
        "language",
        "publisher__kind",
        ("publisher", AutocompleteFilter),
        ArchivedFilter,
        HashedFilter,
        "published_at",
    ]
    date_hierarchy = None
    search_help_text = (
        "A SHA-256, a URL, or words of the title or the publisher's name."
    )
    trigram_search_columns = [DOCUMENT_TITLE]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        term = search_term.strip()
        if re.fullmatch(DIGEST_PREFIX, term.lower()):
            return queryset.filter(content_sha256__startswith=term.lower()), False
        if term.startswith(("http://", "https://")) and " " not in term:
            return queryset.filter(url=term), False
        return super().get_search_results(request, queryset, search_term)

    def word_condition(self, model: type[Model], word: str) -> Q:
        in_title = super().word_condition(model, word)
        # A few ids, read first: with them in the condition PostgreSQL joins
        # the title's index and the publisher's (a bitmap OR).
        named = trigram_condition([SOURCE_NAMES], word)
        publishers = list(Source.objects.filter(named).values_list("pk", flat=True))
        return in_title | Q(publisher__in=publishers) if publishers else in_title
