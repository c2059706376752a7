"""A serializer's JSON, written by PostgreSQL from the serializer itself
(``verifier.json_shape``): a field added to ``Meta.fields`` is written with no
other change, and a field the database cannot write is refused by name."""

import datetime
import decimal
import json

import pytest
from django.db.models import TextField
from django.db.models.functions import Cast
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from claims.api.serializers import (
    ClaimBriefSerializer,
    ClaimSerializer,
    PlaceBriefSerializer,
    PlaceSerializer,
    StatementInClaimSerializer,
)
from claims.models import Claim, Place, Statement
from sources.api.serializers import DocumentBriefSerializer
from sources.models import Source
from tests.factories import (
    DocumentFactory,
    EvidenceFactory,
    PlaceFactory,
    PublishedClaimFactory,
    StatementFactory,
)
from verifier.json_shape import ShapeError, shape

pytestmark = pytest.mark.django_db


def database_json(serializer, queryset) -> list:
    """What PostgreSQL writes for each row of ``queryset`` by ``serializer``."""
    column = Cast(shape(serializer), TextField())
    return [json.loads(text) for text in queryset.values_list(column, flat=True)]


def serializer_json(serializer, queryset) -> list:
    return json.loads(JSONRenderer().render(serializer(queryset, many=True).data))


def test_a_field_added_to_meta_fields_is_written_by_the_database(world):
    # given a claim serializer showing more of each claim than the API does
    class ClaimWithKeys(ClaimBriefSerializer):
        class Meta(ClaimBriefSerializer.Meta):
            fields = [
                *ClaimBriefSerializer.Meta.fields,
                "event",
                "places",
                "published_at",
            ]

    world.published.places.set([PlaceFactory(name="Sudzha"), PlaceFactory()])
    claims = Claim.objects.order_by("pk")

    # when / then: the new fields are there, as the serializer writes them
    written = database_json(ClaimWithKeys, claims)
    assert written == serializer_json(ClaimWithKeys, claims)
    assert {"event", "places", "published_at"} <= written[0].keys()
    assert any(len(claim["places"]) == 2 for claim in written)


def test_a_field_added_to_a_nested_serializer_is_written_by_the_database(world):
    # given statements and documents that show more than the API's
    class DocumentWithDigest(DocumentBriefSerializer):
        class Meta(DocumentBriefSerializer.Meta):
            fields = [
                *DocumentBriefSerializer.Meta.fields,
                "content_sha256",
                "excerpt",
                "created_at",
            ]

    class StatementWithMore(StatementInClaimSerializer):
        document = DocumentWithDigest(read_only=True, allow_null=True)

        class Meta(StatementInClaimSerializer.Meta):
            fields = [*StatementInClaimSerializer.Meta.fields, "created_at"]

    class ClaimWithMore(ClaimSerializer):
        statements = StatementWithMore(many=True, read_only=True)

    StatementFactory(
        claim=world.published,
        document=DocumentFactory(content_sha256="a" * 64, excerpt="Выдержка."),
    )
    claims = Claim.objects.order_by("pk")

    written = database_json(ClaimWithMore, claims)

    assert written == serializer_json(ClaimWithMore, claims.with_attribution())
    documents = [
        statement["document"]
        for claim in written
        for statement in claim["statements"]
        if statement["document"]
    ]
    assert {"content_sha256", "excerpt", "created_at"} <= documents[0].keys()
    assert "Выдержка." in [document["excerpt"] for document in documents]


def test_decimals_and_times_are_written_as_the_serializer_writes_them(world):
    class PlaceWithCoordinates(PlaceBriefSerializer):
        longitude = serializers.DecimalField(
            max_digits=9, decimal_places=6, coerce_to_string=False
        )

        class Meta(PlaceBriefSerializer.Meta):
            fields = [*PlaceBriefSerializer.Meta.fields, "latitude", "longitude"]

    PlaceFactory(latitude=decimal.Decimal("50.5"), longitude=decimal.Decimal("-36"))
    PlaceFactory(latitude=None, longitude=None)
    places = Place.objects.order_by("pk")
    StatementFactory(
        claim=world.published, stated_time=datetime.time(23, 59, 59, 999999)
    )
    statements = Statement.objects.order_by("pk")

    assert database_json(PlaceWithCoordinates, places) == serializer_json(
        PlaceWithCoordinates, places
    )
    assert database_json(StatementInClaimSerializer, statements) == serializer_json(
        StatementInClaimSerializer, statements
    )


def test_a_claim_with_no_parts_has_empty_arrays(world):
    claim = PublishedClaimFactory(event=None)
    EvidenceFactory(claim=world.published)

    (written,) = database_json(ClaimSerializer, Claim.objects.filter(pk=claim.pk))

    assert written["event"] is None
    assert [written[part] for part in ("places", "statements", "evidence")] == [
        [],
        [],
        [],
    ]


def test_a_method_field_is_refused_by_name():
    class WithMethod(ClaimBriefSerializer):
        shout = serializers.SerializerMethodField()

        class Meta(ClaimBriefSerializer.Meta):
            fields = [*ClaimBriefSerializer.Meta.fields, "shout"]

        def get_shout(self, claim: Claim) -> str:
            return claim.text.upper()

    with pytest.raises(ShapeError, match=r"WithMethod\.shout: a SerializerMethodField"):
        shape(WithMethod)


def test_a_property_without_an_expression_is_refused_by_name():
    class WithProperty(ClaimBriefSerializer):
        class Meta(ClaimBriefSerializer.Meta):
            fields = [*ClaimBriefSerializer.Meta.fields, "etag"]

    with pytest.raises(ShapeError, match=r"WithProperty\.etag: Claim\.etag"):
        shape(WithProperty)


def test_a_field_or_serializer_writing_its_own_representation_is_refused():
    class Shouting(serializers.CharField):
        def to_representation(self, value: str) -> str:
            return value.upper()

    class WithShouting(ClaimBriefSerializer):
        text = Shouting()

    class Miscounted(ClaimBriefSerializer):
        text = serializers.IntegerField(source="slug")

    with pytest.raises(ShapeError, match=r"WithShouting\.text: Shouting"):
        shape(WithShouting)
    with pytest.raises(ShapeError, match=r"Miscounted\.text: IntegerField"):
        shape(Miscounted)
    # places coarsen their coordinates for the public in Python
    with pytest.raises(ShapeError, match="PlaceSerializer writes its own"):
        shape(PlaceSerializer)


def test_a_json_field_is_written_as_stored():
    class SourceWithAliases(serializers.ModelSerializer):
        class Meta:
            model = Source
            fields = ["id", "name", "label", "aliases", "created_at"]

    Source.objects.create(
        name="Зеленський", slug="zelensky", kind="person", affiliation="ukraine",
        aliases=["Zelensky", "Zelenskyy"],
    )  # fmt: skip
    sources = Source.objects.order_by("pk")

    assert database_json(SourceWithAliases, sources) == serializer_json(
        SourceWithAliases, sources
    )
