"""``/api/v1/webhooks/``: the endpoints, for admins only, and each one's
delivery log (``/api/v1/webhooks/{id}/deliveries/``)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.validators import RegexValidator
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from verifier.fields import UniqueListField
from verifier.parameters import QueryParametersMixin
from verifier.rest import MethodAllowed

from .models import Attempt, Delivery, Endpoint


class IsSuperuser(permissions.BasePermission):
    """Webhooks send the site's changes elsewhere: admins (superusers) only."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_superuser)


def _list_of(child: serializers.Field, help_text: str) -> serializers.ListField:
    return UniqueListField(child=child, required=False, help_text=help_text)


class EndpointSerializer(serializers.ModelSerializer):
    types = _list_of(
        serializers.CharField(
            max_length=40,
            validators=[
                RegexValidator(
                    r"^[a-z_]+\.([a-z_]+|\*)$",
                    "A change type such as claim.published, or claim.* for all "
                    "of a kind.",
                )
            ],
        ),
        "Change types to send (claim.published, claim.*); empty for all.",
    )
    events = _list_of(
        serializers.SlugField(max_length=200),
        "Only claims of these events (slugs); empty for any.",
    )
    sources = _list_of(
        serializers.SlugField(max_length=200),
        "Only claims with a statement by one of these sources (slugs); empty for any.",
    )
    statuses = _list_of(
        serializers.CharField(max_length=40),
        "Only claims with one of these statuses; empty for any.",
    )

    class Meta:
        model = Endpoint
        fields = [
            "id",
            "url",
            "description",
            "types",
            "events",
            "sources",
            "statuses",
            "enabled",
            "disabled_reason",
            "failure_streak",
            "failing_since",
            "created_at",
        ]
        read_only_fields = [
            "disabled_reason",
            "failure_streak",
            "failing_since",
            "created_at",
        ]

    def validate_statuses(self, value: list[str]) -> list[str]:
        if not apps.is_installed("claims"):
            return value
        known = {
            key for key, _ in apps.get_model("claims", "Claim").status.field.choices
        }
        unknown = sorted(set(value) - known)
        if unknown:
            raise serializers.ValidationError(
                f"Unknown status {unknown[0]!r}; one of: {', '.join(sorted(known))}."
            )
        return value

    def update(self, instance: Endpoint, validated_data: dict[str, Any]) -> Endpoint:
        if validated_data.get("enabled") and not instance.enabled:
            # Enabled again: a fresh start.
            validated_data.update(
                disabled_reason="", failure_streak=0, failing_since=None
            )
        return super().update(instance, validated_data)


class NewEndpointSerializer(EndpointSerializer):
    """The answer to creating an endpoint: the only one with its secret."""

    secret = serializers.CharField(
        read_only=True,
        help_text="Verifies the webhook-signature of every delivery. Shown "
        "only now: keep it.",
    )

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attempt
        fields = [
            "number",
            "at",
            "status_code",
            "error",
            "duration_ms",
            "response_excerpt",
        ]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="change.type", read_only=True)
    change = serializers.IntegerField(source="change_id", read_only=True)
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "webhook_id",
            "change",
            "type",
            "state",
            "attempts",
            "created_at",
            "next_attempt_at",
            "delivered_at",
            "retry_until",
            "last_error",
            "attempt_log",
        ]
        read_only_fields = fields


# The delivery log under an endpoint: its latest deliveries (the admin has
# them all).
LATEST_DELIVERIES = 50


class EndpointViewSet(QueryParametersMixin, viewsets.ModelViewSet):
    """Where the site's public changes are POSTed, signed (Standard Webhooks)."""

    queryset = Endpoint.objects.all()
    serializer_class = EndpointSerializer
    permission_classes = [MethodAllowed, IsSuperuser]
    # Reading endpoints and deliveries is for admins too (documented 403).
    reads_need_a_role = True
    ordering_fields = ["id"]
    ordering = ["-id"]

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "create":
            return NewEndpointSerializer
        if self.action == "deliveries":
            return DeliverySerializer
        return super().get_serializer_class()

    def _deliveries(self, endpoint: Endpoint) -> QuerySet[Delivery]:
        return (
            endpoint.deliveries.select_related("change")
            .prefetch_related(
                Prefetch("attempt_log", Attempt.objects.order_by("number"))
            )
            .defer("body")
        )

    @extend_schema(responses=DeliverySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        """The endpoint's latest deliveries, newest first, each with its
        attempts."""
        latest = self._deliveries(self.get_object()).order_by("-id")
        data = DeliverySerializer(latest[:LATEST_DELIVERIES], many=True).data
        return Response(data)
