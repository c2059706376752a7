"""The DRF baseline: the claim list and detail as the DRF docs would write them.

Nested ``ModelSerializer``s over ``select_related`` / ``prefetch_related``,
cursor pagination, the same response shape as ``/api/v1/claims/``. Served by
``bench/run.py`` with ``DJANGO_SETTINGS_MODULE=bench.baseline_settings``; it is
not part of the app.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import path
from rest_framework import generics, pagination, serializers

from claims.models import Claim, Event, Evidence, Place, Statement, Status
from sources.models import Document, Source


class SourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["id", "slug", "name", "label", "reliability", "affiliation", "kind"]


class DocumentSerializer(serializers.ModelSerializer):
    publisher = SourceSerializer(allow_null=True)

    class Meta:
        model = Document
        fields = [
            "id",
            "title",
            "url",
            "publisher",
            "published_at",
            "language",
            "archive_url",
        ]


class StatementSerializer(serializers.ModelSerializer):
    source = SourceSerializer()
    document = DocumentSerializer(allow_null=True)
    relayed_by = SourceSerializer(allow_null=True)

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


class EvidenceSerializer(serializers.ModelSerializer):
    document = DocumentSerializer()

    class Meta:
        model = Evidence
        fields = ["id", "document", "stance", "note"]


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = ["id", "slug", "title"]


class PlaceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Place
        fields = ["id", "slug", "name", "kind"]


class ClaimSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    rating_value = serializers.SerializerMethodField()
    event = EventSerializer(allow_null=True)
    places = PlaceSerializer(many=True)
    statements = StatementSerializer(many=True)
    evidence = EvidenceSerializer(many=True)

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

    def get_rating_value(self, claim: Claim) -> int | None:
        return Status(claim.status).rating_value


class ClaimDetailSerializer(ClaimSerializer):
    links = serializers.SerializerMethodField()
    assignee = serializers.SerializerMethodField()

    class Meta(ClaimSerializer.Meta):
        fields = [*ClaimSerializer.Meta.fields, "links", "assignee"]

    def get_assignee(self, claim: Claim) -> str | None:
        user = self.context["request"].user
        if claim.assignee_id is None or not user.is_staff:
            return None
        return claim.assignee.get_username()

    def get_links(self, claim: Claim) -> list[dict]:
        brief = ["id", "slug", "text", "status"]
        return [
            {
                "id": link.id,
                "kind": link.kind,
                "direction": "outgoing",
                "claim": {name: getattr(link.to_claim, name) for name in brief},
            }
            for link in claim.links_out.all()
        ] + [
            {
                "id": link.id,
                "kind": link.kind,
                "direction": "incoming",
                "claim": {name: getattr(link.from_claim, name) for name in brief},
            }
            for link in claim.links_in.all()
        ]


class Pagination(pagination.CursorPagination):
    page_size = 50
    ordering = ("-updated_at", "-id")


def claims() -> object:
    return (
        Claim.objects.filter(visibility="published")
        .select_related("event")
        .prefetch_related(
            "places",
            "statements__source",
            "statements__document__publisher",
            "evidence__document__publisher",
        )
    )


class ClaimList(generics.ListAPIView):
    serializer_class = ClaimSerializer
    pagination_class = Pagination
    filter_backends: list = []

    def get_queryset(self) -> object:
        return claims()


class ClaimDetail(generics.RetrieveAPIView):
    serializer_class = ClaimDetailSerializer
    lookup_field = "slug"

    def get_queryset(self) -> object:
        return claims().prefetch_related("links_out__to_claim", "links_in__from_claim")


urlpatterns = [
    # The app's middleware looks the admin up by name.
    path("admin/", admin.site.urls),
    path("api/v1/claims/", ClaimList.as_view()),
    path("api/v1/claims/<slug:slug>/", ClaimDetail.as_view()),
]
