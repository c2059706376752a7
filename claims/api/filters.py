from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from claims.models import (
    Claim,
    ClaimLink,
    Credibility,
    Event,
    Evidence,
    EvidenceStance,
    LinkKind,
    Place,
    PlaceKind,
    Stance,
    Statement,
    Status,
    Visibility,
    sees_drafts,
)
from sources.models import Reliability
from verifier.fields import MomentFilter, SlugOrIdFilter, SlugOrIdFormField
from verifier.parameters import ChoiceInFilter

# Every Admiralty pair, A1 to F6.
_PAIRS = [
    (f"{r}{c}", f"{r}{c}") for r in Reliability.values for c in Credibility.values
]
_CREDIBILITY_HELP = (
    "Statements whose information credibility is one of these (Admiralty 1–6): "
    "`credibility=1,2`."
)
_ADMIRALTY_HELP = (
    "Statements of one of these Admiralty pairs, the source's grade and the "
    "information's credibility: `admiralty=A1,B2`."
)


def _admiralty(pairs: list[str]) -> Q:
    """Statements whose pair (``Statement.admiralty``) is one of ``pairs``."""
    grades: dict[str, list[int]] = {}
    for pair in pairs:
        grades.setdefault(pair[0], []).append(int(pair[1:]))
    condition = Q()
    for grade, credibility in grades.items():
        condition |= Q(source__reliability=grade, credibility__in=credibility)
    return condition


def _resolve(model: type, value: tuple[str, Any], param: str) -> Any:
    lookup, key = value
    try:
        return model.objects.get(**{lookup: key})
    except model.DoesNotExist:
        raise ValidationError(
            {param: [f"No {model._meta.verbose_name} with id or slug “{key}”."]}
        ) from None


def _subtree(value: tuple[str, Any], param: str) -> list[int]:
    return Place.objects.subtree_ids(_resolve(Place, value, param))


@extend_schema_field({"type": "string", "pattern": r"^[-a-zA-Z0-9_]+$"})
class PlaceSubtreeFilter(django_filters.Filter):
    """A place and every place inside it: ``?place=belgorod-oblast`` also finds
    claims about Demidovka."""

    field_class = SlugOrIdFormField

    def filter(self, qs: QuerySet, value: tuple[str, Any] | None) -> QuerySet:
        if value is None:
            return qs
        places = _subtree(value, self.field_name)
        through = qs.model.places.through
        column = f"{qs.model._meta.model_name}_id"
        return qs.filter(
            id__in=through.objects.filter(place_id__in=places).values(column)
        )


class ClaimFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search",
        max_length=200,
        help_text="Words in the claim, its quotes, its sources' names and aliases "
        "or its places' names; spelling variants and transliterations match. "
        "Results come best match first unless `ordering` is given.",
    )
    status = ChoiceInFilter(choices=Status.choices)
    visibility = django_filters.ChoiceFilter(
        choices=Visibility.choices,
        help_text="Drafts are visible to staff only; for others only published "
        "claims exist.",
    )
    event = SlugOrIdFilter(help_text="The event, by id or slug.")
    place = PlaceSubtreeFilter(
        help_text="A place by id or slug, including every place inside it."
    )
    source = SlugOrIdFilter(
        method="by_statement",
        help_text="Claims a source made a statement about, by id or slug. With "
        "`stance` and `grade`, the same statement must match all three.",
    )
    stance = ChoiceInFilter(
        method="by_statement",
        choices=Stance.choices,
        help_text="Claims with a statement of this stance.",
    )
    grade = ChoiceInFilter(
        method="by_statement",
        choices=Reliability.choices,
        help_text="Claims with a statement by a source of these Admiralty grades: "
        "`grade=A&grade=B` or `grade=A,B`.",
    )
    credibility = ChoiceInFilter(
        method="by_statement",
        choices=Credibility.choices,
        help_text=f"Claims with a statement of these: {_CREDIBILITY_HELP}",
    )
    admiralty = ChoiceInFilter(
        method="by_statement",
        choices=_PAIRS,
        help_text=f"Claims with a statement of these: {_ADMIRALTY_HELP}",
    )
    updated_since = MomentFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Claims changed at or after this moment (ISO 8601), for sync.",
    )
    assignee = django_filters.CharFilter(
        method="by_assignee",
        max_length=150,
        help_text="Staff only: claims in the hands of this user, by username, or "
        "`me`. Others find none.",
    )

    class Meta:
        model = Claim
        fields = [
            "q",
            "status",
            "visibility",
            "event",
            "place",
            "source",
            "stance",
            "grade",
            "credibility",
            "admiralty",
            "updated_since",
            "assignee",
        ]

    def by_assignee(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        user = self.request.user
        if not sees_drafts(user):
            return queryset.none()
        if value == "me":
            return queryset.filter(assignee=user)
        return queryset.filter(assignee__username=value)

    def by_statement(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        # Combined in filter_queryset, so that one statement matches them all.
        return queryset

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.search(value, published_only=not sees_drafts(self.request.user))

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        condition = Q()
        if data.get("source"):
            lookup, key = data["source"]
            condition &= Q(**{f"source__{lookup}": key})
        if data.get("stance"):
            condition &= Q(stance__in=data["stance"])
        if data.get("grade"):
            condition &= Q(source__reliability__in=data["grade"])
        if data.get("credibility"):
            condition &= Q(credibility__in=data["credibility"])
        if data.get("admiralty"):
            condition &= _admiralty(data["admiralty"])
        if condition:
            queryset = queryset.filter(
                id__in=Statement.objects.filter(condition).values("claim_id")
            )
        return queryset


class EventFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", max_length=200)
    place = PlaceSubtreeFilter(
        help_text="A place by id or slug, including every place inside it."
    )
    updated_since = MomentFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Event
        fields = ["q", "place", "updated_since"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(title__icontains=value) | Q(summary__icontains=value))


class PlaceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search", max_length=200, help_text="Part of a name or alternate name."
    )
    kind = ChoiceInFilter(choices=PlaceKind.choices)
    parent = SlugOrIdFilter(help_text="Places directly inside this one.")
    within = SlugOrIdFilter(
        method="inside",
        help_text="Places inside this one at any depth, and itself.",
    )

    class Meta:
        model = Place
        fields = ["q", "kind", "parent", "within"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            Q(name__icontains=value)
            | Q(slug__icontains=value)
            | Q(alternate_names__icontains=value)
        )

    def inside(self, queryset: QuerySet, name: str, value: tuple[str, Any]) -> QuerySet:
        return queryset.filter(id__in=_subtree(value, name))


class StatementFilter(django_filters.FilterSet):
    claim = SlugOrIdFilter()
    source = SlugOrIdFilter()
    stance = ChoiceInFilter(choices=Stance.choices)
    grade = ChoiceInFilter(
        field_name="source__reliability", choices=Reliability.choices
    )
    credibility = ChoiceInFilter(
        choices=Credibility.choices, help_text=_CREDIBILITY_HELP
    )
    admiralty = ChoiceInFilter(
        method="by_admiralty", choices=_PAIRS, help_text=_ADMIRALTY_HELP
    )
    stated_since = django_filters.DateFilter(field_name="stated_on", lookup_expr="gte")
    stated_before = django_filters.DateFilter(field_name="stated_on", lookup_expr="lt")

    class Meta:
        model = Statement
        fields = [
            "claim",
            "source",
            "stance",
            "grade",
            "credibility",
            "admiralty",
            "stated_since",
            "stated_before",
        ]

    def by_admiralty(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        return queryset.filter(_admiralty(value))


class EvidenceFilter(django_filters.FilterSet):
    claim = SlugOrIdFilter()
    stance = ChoiceInFilter(choices=EvidenceStance.choices)

    class Meta:
        model = Evidence
        fields = ["claim", "stance"]


class ClaimLinkFilter(django_filters.FilterSet):
    claim = SlugOrIdFilter(
        method="either_side", help_text="Links from or to this claim."
    )
    kind = ChoiceInFilter(choices=LinkKind.choices)

    class Meta:
        model = ClaimLink
        fields = ["claim", "kind"]

    def either_side(
        self, queryset: QuerySet, name: str, value: tuple[str, Any]
    ) -> QuerySet:
        lookup, key = value
        return queryset.filter(
            Q(**{f"from_claim__{lookup}": key}) | Q(**{f"to_claim__{lookup}": key})
        )
