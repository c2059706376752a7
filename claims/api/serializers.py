"""Representations of claims and their parts.

Outputs nest what a client needs to show a claim (who asserts, who denies,
their grades, the documents) so that one request is enough; inputs name
related objects by id or slug. A claim's status and visibility are read-only
here: they change through their own actions, which call the services.
"""

from __future__ import annotations

from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    F,
    Func,
    JSONField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from claims.models import (
    Claim,
    ClaimLink,
    Event,
    Evidence,
    Note,
    Place,
    Statement,
    Status,
    StatusChange,
    TimePrecision,
    Visibility,
    sees_drafts,
    sees_exact_coordinates,
)
from sources.api.serializers import DocumentBriefSerializer, SourceBriefSerializer
from sources.models import Document, Source
from verifier.fields import ClockTimeField, SlugOrIdRelatedField, UniqueListField
from verifier.json_shape import (
    JSONBuildObject,
    Parameter,
    array_of,
    choice_case,
    join,
    object_of,
)
from verifier.models import MAX_ID
from verifier.rest import CleanModelSerializer, SlugFromMixin, permitted_change


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
        help_text="For anyone but signed-in staff, rounded to the place's "
        "precision: two decimals at most, none for a country (null).",
    )
    longitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        coerce_to_string=False,
        allow_null=True,
        required=False,
        help_text="For anyone but signed-in staff, rounded to the place's "
        "precision: two decimals at most, none for a country (null).",
    )
    located = serializers.CharField(
        read_only=True, help_text="Where, in words: near Demidovka, in Russia."
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
            "geo_precision",
            "located",
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
            public = instance.public_coordinates()
            data["latitude"], data["longitude"] = (
                (float(public[0]), float(public[1])) if public else (None, None)
            )
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
            "time_precision",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


ADMIRALTY_HELP = (
    "The Admiralty pair: the source's grade (A–F) and the information's "
    "credibility (1–6), e.g. B2."
)
STATED_WHEN_HELP = (
    "When it was said, in words, as precisely as it is known: "
    "'19 March 2025, 14:05', '19 March 2025', 'about 19 March 2025', 'March 2025'."
)


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
    admiralty = serializers.CharField(read_only=True, help_text=ADMIRALTY_HELP)
    stated_when = serializers.CharField(read_only=True, help_text=STATED_WHEN_HELP)

    class Meta:
        model = Statement
        fields = [
            "id",
            "source",
            "stance",
            "credibility",
            "admiralty",
            "stated_on",
            "stated_time",
            "time_precision",
            "stated_when",
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


def _link(id: Any, kind: Any, direction: Any, claim: Any) -> dict[str, Any]:
    """A link as its claim shows it: values, or the expressions writing them."""
    return {"id": id, "kind": kind, "direction": direction, "claim": claim}


# Whether the reader sees drafts, given when the claim's statement runs.
SEES_DRAFTS = Parameter("sees_drafts", "boolean", output_field=BooleanField())


@extend_schema_field(ClaimLinkInClaimSerializer(many=True))
class ClaimLinksField(serializers.Field):
    """The claims linked to a claim: outgoing, then incoming, each in the order
    the links were made; only claims the reader may see, as
    ``Claim.objects.with_links`` loads them."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, claim: Claim) -> list[dict[str, Any]]:
        links = [
            _link(link.id, link.kind, "outgoing", link.to_claim)
            for link in claim.links_out.all()
        ] + [
            _link(link.id, link.kind, "incoming", link.from_claim)
            for link in claim.links_in.all()
        ]
        return ClaimLinkInClaimSerializer(links, many=True).data

    def expression(self, prefix: str) -> Func:
        def side(own: str, other: str, direction: str) -> Subquery:
            links = ClaimLink.objects.filter(
                SEES_DRAFTS | Q(**{f"{other}__visibility": Visibility.PUBLISHED}),
                **{own: OuterRef(join(prefix, "pk"))},
            )
            members = _link(
                F("id"),
                F("kind"),
                Value(direction),
                object_of(ClaimBriefSerializer(), other),
            )
            fields = ClaimLinkInClaimSerializer().fields
            value = JSONBuildObject(**{name: members[name] for name in fields})
            return array_of(links, value, sql_array=True)

        return Func(
            side("from_claim", "to_claim", "outgoing"),
            side("to_claim", "from_claim", "incoming"),
            template="array_to_json(%(expressions)s)",
            arg_joiner=" || ",
            output_field=JSONField(),
        )


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 5, "nullable": True})
class RatingValueField(serializers.ReadOnlyField):
    """The ClaimReview ``ratingValue`` of the claim's status
    (``Status.rating_value``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="status", **kwargs)

    def to_representation(self, status: str) -> int | None:
        return Status(status).rating_value

    def expression(self, prefix: str) -> Case:
        return choice_case(
            join(prefix, "status"), {s.value: s.rating_value for s in Status}
        )


class ClaimSerializer(serializers.ModelSerializer):
    """A claim with who asserts and who denies it and the evidence."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    rating_value = RatingValueField(
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


@extend_schema_field({"type": "string", "nullable": True})
class AssigneeField(serializers.Field):
    """Who on the desk has the claim in hand, by username: for staff only,
    null for everyone else."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, claim: Claim) -> str | None:
        request = self.context.get("request")
        if claim.assignee_id is None or not (request and sees_drafts(request.user)):
            return None
        return claim.assignee.get_username()

    def expression(self, prefix: str) -> Case:
        return Case(
            When(SEES_DRAFTS, then=F(join(prefix, "assignee__username"))),
            default=Value(None),
            output_field=CharField(),
        )


class ClaimDetailSerializer(ClaimSerializer):
    """One claim, also with the claims linked to it."""

    links = ClaimLinksField()
    assignee = AssigneeField(
        help_text="Who on the desk has the claim in hand (staff only; null for "
        "others). Assigning is a new version of the claim: a new ETag."
    )

    class Meta(ClaimSerializer.Meta):
        fields = [*ClaimSerializer.Meta.fields, "links", "assignee"]
        read_only_fields = fields


class ClaimWriteSerializer(serializers.ModelSerializer):
    """What a client writes: the claim's editable fields (``Claim.EDITABLE``),
    checked here and saved by the services."""

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

    class Meta:
        model = Claim
        fields = Claim.EDITABLE
        # The services check the slug's uniqueness, with the claim's lock.
        validators: list = []


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
    admiralty = serializers.CharField(read_only=True, help_text=ADMIRALTY_HELP)
    stated_when = serializers.CharField(read_only=True, help_text=STATED_WHEN_HELP)

    class Meta:
        model = Statement
        fields = [
            "id",
            "claim",
            "source",
            "stance",
            "credibility",
            "admiralty",
            "stated_on",
            "stated_time",
            "time_precision",
            "stated_when",
            "quote",
            "quote_language",
            "translation",
            "is_paraphrase",
            "document",
            "relayed_by",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "relayed_by",
            "admiralty",
            "stated_when",
            "created_at",
        ]
        # The services check uniqueness under the claim's lock, with a message
        # about the claim rather than a list of column names.
        validators: list = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A time given without a precision was given to the minute.
        if (
            self.instance is None
            and attrs.get("stated_time") is not None
            and "time_precision" not in attrs
        ):
            attrs["time_precision"] = TimePrecision.EXACT
        return attrs


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


class ReturnInputSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=5000, help_text="What the claim needs before it is published."
    )


class AssignInputSerializer(serializers.Serializer):
    assignee = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        allow_null=True,
        help_text="The user's id; null to leave the claim with nobody.",
    )


class NoteSerializer(serializers.ModelSerializer):
    """A staff remark on a claim; ``returned`` notes say why it went back to
    draft."""

    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    text = serializers.CharField(max_length=5000)

    class Meta:
        model = Note
        fields = ["id", "author", "kind", "text", "created_at"]
        read_only_fields = ["id", "author", "kind", "created_at"]


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
