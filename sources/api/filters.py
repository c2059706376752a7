import django_filters
from django.db.models import Q, QuerySet

from sources.models import Affiliation, Document, Reliability, Source, SourceKind
from verifier.fields import MomentFilter, SlugOrIdFilter
from verifier.parameters import ChoiceInFilter


class SourceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search", max_length=200, help_text="Part of a name or alias."
    )
    kind = ChoiceInFilter(choices=SourceKind.choices)
    affiliation = ChoiceInFilter(choices=Affiliation.choices)
    grade = ChoiceInFilter(
        field_name="reliability",
        choices=Reliability.choices,
        help_text="Admiralty grades: `grade=A&grade=B` or `grade=A,B`.",
    )
    updated_since = MomentFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Source
        fields = ["q", "kind", "affiliation", "grade", "updated_since"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            Q(name__icontains=value)
            | Q(slug__icontains=value)
            | Q(aliases__icontains=value)
        )


class DocumentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        field_name="title", lookup_expr="icontains", max_length=200
    )
    publisher = SlugOrIdFilter(help_text="The publishing source, by id or slug.")
    language = django_filters.CharFilter(max_length=35)
    published_since = MomentFilter(field_name="published_at", lookup_expr="gte")
    published_before = MomentFilter(field_name="published_at", lookup_expr="lt")
    updated_since = MomentFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Document
        fields = [
            "q",
            "publisher",
            "language",
            "published_since",
            "published_before",
            "updated_since",
        ]
