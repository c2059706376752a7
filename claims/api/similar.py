"""Near-duplicates of a claim being written: ``GET /api/v1/claims/similar/``."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from claims.models import Claim
from claims.search import SIMILAR_MAX_LENGTH, SIMILAR_MAX_LIMIT

PARAMETERS = [
    OpenApiParameter(
        "text",
        OpenApiTypes.STR,
        required=True,
        description=f"The wording to compare, up to {SIMILAR_MAX_LENGTH} characters.",
    ),
    OpenApiParameter(
        "limit",
        OpenApiTypes.INT,
        description=f"How many claims, 1 to {SIMILAR_MAX_LIMIT} (default 5).",
    ),
]


class SimilarQuerySerializer(serializers.Serializer):
    text = serializers.CharField(max_length=SIMILAR_MAX_LENGTH)
    limit = serializers.IntegerField(
        min_value=1, max_value=SIMILAR_MAX_LIMIT, default=5
    )


class SimilarClaimSerializer(serializers.ModelSerializer):
    """A claim close to the text asked about, with how close (1: the same words)."""

    url = serializers.SerializerMethodField()
    score = serializers.FloatField(source="similarity", read_only=True)

    class Meta:
        model = Claim
        fields = ["slug", "text", "status", "visibility", "url", "score"]
        read_only_fields = fields

    def get_url(self, claim: Claim) -> str:
        request = self.context.get("request")
        url = claim.get_absolute_url()
        return request.build_absolute_uri(url) if request is not None else url
