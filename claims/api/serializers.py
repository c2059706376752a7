"""Representations of claims and their parts.

Outputs nest what a client needs to show a claim (who asserts, who denies,
their grades, the documents) so that one request is enough; inputs name
related objects by id or slug. A claim's status and visibility are read-only
here: they change through their own actions, which call the services.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from claims.models import (
    Claim,
    ClaimLink,
    Event,
    Evidence,
    Place,
    Statement,
    Status,
    StatusChange,
    coarse,
    sees_drafts,
    sees_exact_coordinates,
)
from sources.api.serializers import DocumentBriefSerializer, SourceBriefSerializer
from sources.models import Document, Source
from verifier.fields import ClockTimeField, SlugOrIdRelatedField, UniqueListField
from verifier.models import MAX_ID
from verifier.rest import CleanModelSerializer, SlugFromMixin, permitted_change

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class PlaceBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Place
        fields = ["id", "slug", "name", "kind"]
        read_only_fields = fields


class EventBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = ["id", "slug", "title"]
        read_only_fields = fields


class ClaimBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Claim
        fields = ["id", "slug", "text", "status"]
        read_only_fields = fields


class PlaceSerializer(SlugFromMixin, CleanModelSerializer):
    slug = serializers.SlugField(
        max_length=200, required=False, help_text="Made from the name when omitted."
    )
    parent = SlugOrIdRelatedField(
        queryset=Place.objects.all(),
        output=PlaceBriefSerializer,
        allow_null=True,
        required=False,
        help_text="The place this one lies in, by id or slug.",
    )
    alternate_names = UniqueListField(
        child=serializers.CharField(max_length=200), required=False
    )
    latitude = serializers.DecimalField(
        max_digits=8,
        decimal_places=6,
        min_value=-90,
        max_value=90,
        coerce_to_string=False,
        allow_null=True,
        required=False,
        help_text="Rounded to two decimals for anyone but signed-in staff.",
    )
    longitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        coerce_to_string=False,
        allow_null=True,
        required=False,
        help_text="Rounded to two decimals for anyone but signed-in staff.",
    )

    class Meta:
        model = Place
        fields = [
            "id",
            "slug",
            "name",
            "kind",
            "parent",
            "alternate_names",
            "latitude",
            "longitude",
            "is_reference",
        ]
        read_only_fields = ["id"]

    def validate_is_reference(self, value: bool) -> bool:
        return permitted_change(
            self, "is_reference", value, "claims.set_reference_place"
        )

    def to_representation(self, instance: Place) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if not (request and sees_exact_coordinates(request.user)):
            for name in ("latitude", "longitude"):
                value = getattr(instance, name)
                if value is not None:
                    data[name] = float(coarse(value))
        return data


class EventSerializer(SlugFromMixin, CleanModelSerializer):
    slug_from = "title"
    slug = serializers.SlugField(
        max_length=200, required=False, help_text="Made from the title when omitted."
    )
    places = SlugOrIdRelatedField(
        queryset=Place.objects.all(),
        output=PlaceBriefSerializer,
        many=True,
        required=False,
    )

    class Meta:
        model = Event
        fields = [
            "id",
            "slug",
            "title",
            "summary",
            "places",
            "starts_on",
            "ends_on",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class StatementInClaimSerializer(serializers.ModelSerializer):
    """A statement as its claim shows it: who, which way, when, in which words."""

    source = SourceBriefSerializer(read_only=True)
    stated_time = ClockTimeField(read_only=True, allow_null=True)
    document = DocumentBriefSerializer(read_only=True, allow_null=True)
    relayed_by = SourceBriefSerializer(
        read_only=True,
        allow_null=True,
        help_text="The publisher that carried the statement, when it is not the "
        "source itself.",
    )

    class Meta:
        model = Statement
        fields = [
            "id",
            "source",
            "stance",
            "stated_on",
            "stated_time",
            "quote",
            "quote_language",
            "translation",
            "is_paraphrase",
            "document",
            "relayed_by",
        ]
        read_only_fields = fields


class EvidenceInClaimSerializer(serializers.ModelSerializer):
    document = DocumentBriefSerializer(read_only=True)

    class Meta:
        model = Evidence
        fields = ["id", "document", "stance", "note"]
        read_only_fields = fields


class ClaimLinkInClaimSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    direction = serializers.ChoiceField(
        choices=["outgoing", "incoming"],
        help_text="outgoing: this claim → the other; incoming: the other → this.",
    )
    claim = ClaimBriefSerializer()


class ClaimSerializer(serializers.ModelSerializer):
    """A claim with who asserts and who denies it and the evidence."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    rating_value = serializers.SerializerMethodField(
        help_text="ClaimReview ratingValue, 1 (false) to 5 (confirmed); null when "
        "the status is not a rating."
    )
    event = EventBriefSerializer(read_only=True, allow_null=True)
    places = PlaceBriefSerializer(many=True, read_only=True)
    statements = StatementInClaimSerializer(many=True, read_only=True)
    evidence = EvidenceInClaimSerializer(many=True, read_only=True)

    class Meta:
        model = Claim
        fields = [
            "id",
            "slug",
            "text",
            "status",
            "status_label",
            "rating_value",
            "visibility",
            "published_at",
            "version",
            "event",
            "places",
            "statements",
            "evidence",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(
        {"type": "integer", "minimum": 1, "maximum": 5, "nullable": True}
    )
    def get_rating_value(self, claim: Claim) -> int | None:
        return Status(claim.status).rating_value


class ClaimDetailSerializer(ClaimSerializer):
    """One claim, also with the claims linked to it."""

    links = serializers.SerializerMethodField()

    class Meta(ClaimSerializer.Meta):
        fields = [*ClaimSerializer.Meta.fields, "links"]
        read_only_fields = fields

    @extend_schema_field(ClaimLinkInClaimSerializer(many=True))
    def get_links(self, claim: Claim) -> list[dict[str, Any]]:
        links = [
            {
                "id": link.id,
                "kind": link.kind,
                "direction": "outgoing",
                "claim": link.to_claim,
            }
            for link in claim.links_out.all()
        ] + [
            {
                "id": link.id,
                "kind": link.kind,
                "direction": "incoming",
                "claim": link.from_claim,
            }
            for link in claim.links_in.all()
        ]
        return ClaimLinkInClaimSerializer(links, many=True).data


class ClaimWriteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)
    slug = serializers.SlugField(
        max_length=200,
        required=False,
        help_text="Made from the text when omitted; fixed once published.",
    )
    event = SlugOrIdRelatedField(
        queryset=Event.objects.all(), allow_null=True, required=False
    )
    places = SlugOrIdRelatedField(
        queryset=Place.objects.all(), many=True, required=False
    )


class StatementSerializer(serializers.ModelSerializer):
    claim = SlugOrIdRelatedField(
        queryset=Claim.objects.all(), output=ClaimBriefSerializer
    )
    source = SlugOrIdRelatedField(
        queryset=Source.objects.all(), output=SourceBriefSerializer
    )
    stated_time = ClockTimeField(required=False, allow_null=True)
    document = SlugOrIdRelatedField(
        queryset=Document.objects.select_related("publisher"),
        output=DocumentBriefSerializer,
        by_slug=False,
        allow_null=True,
        required=False,
    )
    relayed_by = SourceBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Statement
        fields = [
            "id",
            "claim",
            "source",
            "stance",
            "stated_on",
            "stated_time",
            "quote",
            "quote_language",
            "translation",
            "is_paraphrase",
            "document",
            "relayed_by",
            "created_at",
        ]
        read_only_fields = ["id", "relayed_by", "created_at"]
        # The services check uniqueness under the claim's lock, with a message
        # about the claim rather than a list of column names.
        validators: list = []


class EvidenceSerializer(serializers.ModelSerializer):
    claim = SlugOrIdRelatedField(
        queryset=Claim.objects.all(), output=ClaimBriefSerializer
    )
    document = SlugOrIdRelatedField(
        queryset=Document.objects.select_related("publisher"),
        output=DocumentBriefSerializer,
        by_slug=False,
    )

    class Meta:
        model = Evidence
        fields = ["id", "claim", "document", "stance", "note", "created_at"]
        read_only_fields = ["id", "created_at"]
        validators: list = []


class ClaimLinkSerializer(serializers.ModelSerializer):
    from_claim = SlugOrIdRelatedField(
        queryset=Claim.objects.all(), output=ClaimBriefSerializer
    )
    to_claim = SlugOrIdRelatedField(
        queryset=Claim.objects.all(), output=ClaimBriefSerializer
    )

    class Meta:
        model = ClaimLink
        fields = ["id", "from_claim", "to_claim", "kind", "note", "created_at"]
        read_only_fields = ["id", "created_at"]
        validators: list = []


class StatusChangeInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)
    rationale = serializers.CharField(max_length=5000)
    evidence = UniqueListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        default=list,
        help_text="Ids of this claim's evidence the verdict rests on; needed for "
        "every status but unverified.",
    )


class StatusChangeSerializer(serializers.ModelSerializer):
    evidence = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    changed_by = serializers.SerializerMethodField(
        help_text="The username, shown to staff only."
    )

    class Meta:
        model = StatusChange
        fields = [
            "id",
            "old_status",
            "new_status",
            "rationale",
            "evidence",
            "is_correction",
            "old_text",
            "new_text",
            "changed_by",
            "changed_at",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "nullable": True})
    def get_changed_by(self, change: StatusChange) -> str | None:
        request = self.context.get("request")
        if request and sees_drafts(request.user):
            return change.changed_by.get_username()
        return None


class ClaimHistorySerializer(serializers.Serializer):
    claim = serializers.SlugField()
    as_of = serializers.DateTimeField(
        allow_null=True,
        help_text="The moment asked about; null for now. A date means the end of "
        "that day (UTC).",
    )
    status = serializers.ChoiceField(
        choices=Status.choices, help_text="The verdict at that moment."
    )
    changes = StatusChangeSerializer(
        many=True, help_text="The timeline up to that moment, oldest first."
    )


# The claim list, built from rows ------------------------------------------
#
# A page of 50 claims nests ~150 statements, ~100 evidence and their sources
# and documents: building that through ModelSerializer costs several times
# the SQL. The list reads the same data with ``.values()`` (three queries for
# all the parts of a page) and writes the same JSON as ``ClaimSerializer``;
# tests/claims/test_api_list_rows.py holds the two equal.

_BRIEF_FIELDS = ("id", "slug", "text", "status")
_SOURCE_FIELDS = ("id", "slug", "name", "reliability", "affiliation", "kind")
_DOCUMENT_FIELDS = ("id", "title", "url", "published_at", "language", "archive_url")


def _moment(value: datetime.datetime | None) -> str | None:
    """A datetime as DRF writes it: in the current zone, UTC as ``Z``."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _source(row: dict[str, Any], prefix: str) -> dict[str, Any] | None:
    if row[f"{prefix}id"] is None:
        return None
    name, grade = row[f"{prefix}name"], row[f"{prefix}reliability"]
    return {
        "id": row[f"{prefix}id"],
        "slug": row[f"{prefix}slug"],
        "name": name,
        "label": f"{name} ({grade})",
        "reliability": grade,
        "affiliation": row[f"{prefix}affiliation"],
        "kind": row[f"{prefix}kind"],
    }


def _document(row: dict[str, Any], prefix: str) -> dict[str, Any] | None:
    if row[f"{prefix}id"] is None:
        return None
    return {
        "id": row[f"{prefix}id"],
        "title": row[f"{prefix}title"],
        "url": row[f"{prefix}url"],
        "publisher": _source(row, f"{prefix}publisher__"),
        "published_at": _moment(row[f"{prefix}published_at"]),
        "language": row[f"{prefix}language"],
        "archive_url": row[f"{prefix}archive_url"],
    }


def _document_columns(prefix: str) -> list[str]:
    return [f"{prefix}{name}" for name in _DOCUMENT_FIELDS] + [
        f"{prefix}publisher__{name}" for name in _SOURCE_FIELDS
    ]


def claim_list_data(claims: Sequence[Claim]) -> list[dict[str, Any]]:
    """``ClaimSerializer(claims, many=True).data``, in three more queries.

    ``claims`` need their event selected (``select_related("event")``) and no
    prefetches: the parts are read here, as rows.
    """
    ids = [claim.pk for claim in claims]
    places: dict[int, list[dict[str, Any]]] = {pk: [] for pk in ids}
    through = Claim.places.through.objects.filter(claim_id__in=ids)
    for row in through.order_by("place__name", "place__id").values(
        "claim_id", "place__id", "place__slug", "place__name", "place__kind"
    ):
        places[row["claim_id"]].append(
            {
                "id": row["place__id"],
                "slug": row["place__slug"],
                "name": row["place__name"],
                "kind": row["place__kind"],
            }
        )
    statements: dict[int, list[dict[str, Any]]] = {pk: [] for pk in ids}
    for row in (
        Statement.objects.filter(claim_id__in=ids)
        .order_by("stated_on", "stated_time", "id")
        .values(
            "id",
            "claim_id",
            "source_id",
            "stance",
            "stated_on",
            "stated_time",
            "quote",
            "quote_language",
            "translation",
            "is_paraphrase",
            *[f"source__{name}" for name in _SOURCE_FIELDS],
            *_document_columns("document__"),
        )
    ):
        document = _document(row, "document__")
        publisher = document and document["publisher"]
        statements[row["claim_id"]].append(
            {
                "id": row["id"],
                "source": _source(row, "source__"),
                "stance": row["stance"],
                "stated_on": row["stated_on"].isoformat(),
                "stated_time": row["stated_time"] and row["stated_time"].isoformat(),
                "quote": row["quote"],
                "quote_language": row["quote_language"],
                "translation": row["translation"],
                "is_paraphrase": row["is_paraphrase"],
                "document": document,
                "relayed_by": publisher
                if publisher and publisher["id"] != row["source_id"]
                else None,
            }
        )
    evidence: dict[int, list[dict[str, Any]]] = {pk: [] for pk in ids}
    for row in (
        Evidence.objects.filter(claim_id__in=ids)
        .order_by("created_at", "id")
        .values("id", "claim_id", "stance", "note", *_document_columns("document__"))
    ):
        evidence[row["claim_id"]].append(
            {
                "id": row["id"],
                "document": _document(row, "document__"),
                "stance": row["stance"],
                "note": row["note"],
            }
        )
    return [
        {
            "id": claim.pk,
            "slug": claim.slug,
            "text": claim.text,
            "status": claim.status,
            "status_label": claim.get_status_display(),
            "rating_value": Status(claim.status).rating_value,
            "visibility": claim.visibility,
            "published_at": _moment(claim.published_at),
            "version": claim.version,
            "event": claim.event
            and {
                "id": claim.event.pk,
                "slug": claim.event.slug,
                "title": claim.event.title,
            },
            "places": places[claim.pk],
            "statements": statements[claim.pk],
            "evidence": evidence[claim.pk],
            "created_at": _moment(claim.created_at),
            "updated_at": _moment(claim.updated_at),
        }
        for claim in claims
    ]


def claim_links_data(
    claim: Claim, user: AbstractBaseUser | AnonymousUser
) -> list[dict[str, Any]]:
    """``ClaimDetailSerializer``'s ``links``: outgoing, then incoming, each in
    the order they were made, only to claims ``user`` may see."""
    visible = Claim.objects.visible_to(user)
    links = []
    for direction, own, other in (
        ("outgoing", "from_claim", "to_claim"),
        ("incoming", "to_claim", "from_claim"),
    ):
        rows = (
            ClaimLink.objects.filter(**{own: claim, f"{other}__in": visible})
            .order_by("created_at", "id")
            .values("id", "kind", *[f"{other}__{name}" for name in _BRIEF_FIELDS])
        )
        links += [
            {
                "id": row["id"],
                "kind": row["kind"],
                "direction": direction,
                "claim": {name: row[f"{other}__{name}"] for name in _BRIEF_FIELDS},
            }
            for row in rows
        ]
    return links


def claim_detail_data(
    claim: Claim, user: AbstractBaseUser | AnonymousUser
) -> dict[str, Any]:
    """``ClaimDetailSerializer(claim).data``, from rows, in five more queries."""
    return {**claim_list_data([claim])[0], "links": claim_links_data(claim, user)}
