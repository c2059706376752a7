import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotencyKeyQuerySet(models.QuerySet["IdempotencyKey"]):
    def expired(self) -> "IdempotencyKeyQuerySet":
        return self.filter(created_at__lt=timezone.now() - IdempotencyKey.lifetime())


class IdempotencyKey(models.Model):
    """The answer to a POST made with an ``Idempotency-Key``.

    Written in the transaction that made the change, so a stored key always
    means the change was committed, and a committed change made with a key
    always has its key stored.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="idempotency_keys",
    )
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    fingerprint = models.CharField(
        max_length=64, help_text="SHA-256 of the request's JSON body."
    )
    status_code = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True)
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    objects = IdempotencyKeyQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], name="idempotency_key_unique_per_user"
            )
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"

    @staticmethod
    def lifetime() -> datetime.timedelta:
        return datetime.timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)

    @property
    def is_expired(self) -> bool:
        return self.created_at < timezone.now() - self.lifetime()
