"""The desk's own records of a claim: staff notes, and the steps of its way
to publication (submitted, returned, published, unpublished).

Neither is ever public: no public page, feed, export or API body for a
non-staff reader reads them, and writing one moves no claim version and no
page counter. Written through ``claims.services`` only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .choices import NoteKind, ReviewAction


class Note(models.Model):
    """A staff-only remark on a claim; a returned claim's reason is one."""

    claim = models.ForeignKey(
        "claims.Claim", on_delete=models.CASCADE, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField()
    kind = models.CharField(
        max_length=10, choices=NoteKind.choices, default=NoteKind.NOTE
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["claim", "-created_at"], name="note_claim_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=NoteKind.values), name="note_kind_valid"
            ),
            models.CheckConstraint(condition=~Q(text=""), name="note_text_not_empty"),
        ]

    def __str__(self) -> str:
        when = f"{self.created_at:%Y-%m-%d %H:%M}"
        return f"{self.get_kind_display()} by {self.author} at {when}"


class ReviewStep(models.Model):
    """One step of a claim through the desk. Append-only."""

    claim = models.ForeignKey(
        "claims.Claim", on_delete=models.CASCADE, related_name="review_steps"
    )
    action = models.CharField(max_length=12, choices=ReviewAction.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.OneToOneField(
        Note,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="review_step",
        help_text="Why it was returned.",
    )

    class Meta:
        ordering = ["at", "id"]
        get_latest_by = ["at", "id"]
        indexes = [
            models.Index(fields=["claim", "-at", "-id"], name="reviewstep_claim_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=ReviewAction.values),
                name="reviewstep_action_valid",
            ),
            # A claim is returned with a reason, and only then.
            models.CheckConstraint(
                condition=Q(action=ReviewAction.RETURNED, note__isnull=False)
                | (~Q(action=ReviewAction.RETURNED) & Q(note__isnull=True)),
                name="reviewstep_returned_has_note",
            ),
        ]

    def __str__(self) -> str:
        text = f"{self.get_action_display()} by {self.by}"
        if self.note is not None:
            text += f": {self.note.text}"
        return text
