"""Sources, with what they said.

sources/ knows nothing of claims, so the claims app extends its admin here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from claims.models import Stance, Statement
from sources.admin import SourceAdmin
from sources.models import Source

from .forms import LinesFieldsMixin


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
class SourceWithClaimsAdmin(LinesFieldsMixin, SourceAdmin):
    lines_fields = ("aliases",)
    list_display = [*SourceAdmin.list_display, "asserts", "denies"]
    inlines = [StatementsOfSourceInline]

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
