from django.conf import settings
from django.db import models
from django.utils import timezone


class Change(models.Model):
    """One change of one object, in the order the changes committed.

    ``type`` is ``<object>.<what>``: ``claim.updated``, ``source.created`` …
    ``public`` says whether a reader who sees only what is published may see
    the entry; a published claim leaving the public pages is kept public, so
    that such readers learn of it (as a ``claim.removed`` tombstone).
    """

    at = models.DateTimeField(default=timezone.now, editable=False)
    type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    slug = models.CharField(max_length=200, blank=True)
    version = models.PositiveIntegerField(null=True, blank=True)
    public = models.BooleanField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["public", "id"], name="change_public_id"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.type} {self.slug or self.object_id}"
