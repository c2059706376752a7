import secrets
import uuid
from base64 import b64encode

from django.db import models
from django.utils import timezone

from verifier.changes.models import Change

from .targets import validate_public_url


def new_secret() -> str:
    """A signing secret as Standard Webhooks writes one: ``whsec_`` and 32
    random bytes in base64."""
    return "whsec_" + b64encode(secrets.token_bytes(32)).decode()


def new_webhook_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class Endpoint(models.Model):
    """A receiver of webhooks: where to POST, with which secret, for which
    changes. Empty lists take everything."""

    url = models.URLField(
        "URL",
        max_length=2000,
        validators=[validate_public_url],
        help_text="Where to POST each change (https://…).",
    )
    description = models.CharField(max_length=200, blank=True)
    secret = models.CharField(
        max_length=100,
        default=new_secret,
        editable=False,
        help_text="Signs every delivery (webhook-signature); shown once.",
    )
    types = models.JSONField(
        default=list,
        blank=True,
        help_text='Change types to send, e.g. ["claim.published", "claim.*"]; '
        "empty for all.",
    )
    events = models.JSONField(
        default=list,
        blank=True,
        help_text="Only claims of these events (slugs); empty for any.",
    )
    sources = models.JSONField(
        default=list,
        blank=True,
        help_text="Only claims with a statement by one of these sources "
        "(slugs); empty for any.",
    )
    statuses = models.JSONField(
        default=list,
        blank=True,
        help_text='Only claims with one of these statuses ("confirmed" …); '
        "empty for any.",
    )
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)
    failure_streak = models.PositiveIntegerField(
        default=0, editable=False, help_text="Failed attempts since the last success."
    )
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    def takes(self, change_type: str) -> bool:
        """Whether this endpoint asked for changes of ``change_type``."""
        return not self.types or any(
            change_type == kind
            or (kind.endswith(".*") and change_type.startswith(kind[:-1]))
            for kind in self.types
        )


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (filtered out)"


class Delivery(models.Model):
    """One change for one endpoint: one message, one ``webhook-id``, however
    many attempts it takes."""

    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="+")
    webhook_id = models.CharField(
        "webhook-id", max_length=40, unique=True, default=new_webhook_id
    )
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    body = models.TextField(
        blank=True, help_text="The JSON sent, the same on every attempt."
    )
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    retry_until = models.DateTimeField(
        help_text="Failed attempts are tried again until then."
    )
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    # The task that makes the next attempt; any other task for this delivery
    # (one superseded by "send again") stops without sending.
    task_id = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "change"], name="delivery_once_per_endpoint"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_pending",
                condition=models.Q(state="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.change.type} → {self.endpoint.url} ({self.webhook_id})"


class Attempt(models.Model):
    """One POST of a delivery and what came of it."""

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField()
    response_excerpt = models.TextField(blank=True)

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or self.error}"
