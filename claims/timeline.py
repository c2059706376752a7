"""A claim's verification timeline: each change of its verdict (or
correction of its wording) with its rationale and the evidence it rests on.
Append-only; written by ``claims.services`` only (``change_status``,
``update_claim``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from .choices import Status


class StatusChange(models.Model):
    """One step of a claim's verification timeline. Append-only."""

    claim = models.ForeignKey(
        "claims.Claim", on_delete=models.PROTECT, related_name="status_changes"
    )
    old_status = models.CharField(max_length=20, choices=Status.choices)
    new_status = models.CharField(max_length=20, choices=Status.choices)
    rationale = models.TextField()
    evidence = models.ManyToManyField(
        "claims.Evidence",
        through="StatusChangeEvidence",
        related_name="status_changes",
        blank=True,
    )
    is_correction = models.BooleanField(
        default=False,
        help_text="The verdict or the wording of a published claim changed.",
    )
    old_text = models.TextField(
        blank=True, help_text="The claim's wording before, when this entry corrects it."
    )
    new_text = models.TextField(
        blank=True, help_text="The claim's wording after, when this entry corrects it."
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["changed_at", "id"]
        get_latest_by = ["changed_at", "id"]
        indexes = [
            models.Index(
                fields=["claim", "changed_at"], name="statuschange_claim_time"
            ),
            # The admin's filters by verdict and their counts, newest first.
            models.Index(
                fields=["new_status", "-changed_at"], name="statuschange_new_status"
            ),
            models.Index(
                fields=["old_status", "-changed_at"], name="statuschange_old_status"
            ),
            models.Index(
                fields=["-changed_at"],
                condition=Q(is_correction=True),
                name="statuschange_corrections",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(old_status__in=Status.values),
                name="statuschange_old_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(new_status__in=Status.values),
                name="statuschange_new_status_valid",
            ),
            # An entry changes the verdict, or corrects the wording and keeps it.
            models.CheckConstraint(
                condition=(~Q(old_status=F("new_status")) & Q(new_text=""))
                | (
                    Q(old_status=F("new_status"))
                    & ~Q(new_text="")
                    & ~Q(old_text=F("new_text"))
                ),
                name="statuschange_changes_status_or_text",
            ),
            models.CheckConstraint(
                condition=~Q(rationale=""), name="statuschange_rationale_not_empty"
            ),
        ]

    def __str__(self) -> str:
        if self.corrects_text:
            return "Wording corrected"
        return f"{self.get_old_status_display()} → {self.get_new_status_display()}"

    @property
    def corrects_text(self) -> bool:
        """The entry corrects the claim's wording; the verdict stays."""
        return bool(self.new_text)

    @property
    def summary(self) -> str:
        """What changed, in words, for the page, the feed and ClaimReview."""
        if self.corrects_text:
            return f"wording changed from “{self.old_text}” to “{self.new_text}”"
        return (
            f"verdict changed from {self.get_old_status_display()} "
            f"to {self.get_new_status_display()}"
        )


class StatusChangeEvidence(models.Model):
    """The evidence a verdict rests on; protected so the record cannot lose it."""

    status_change = models.ForeignKey(StatusChange, on_delete=models.CASCADE)
    evidence = models.ForeignKey("claims.Evidence", on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["status_change", "evidence"], name="statuschange_evidence_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.status_change} ← {self.evidence}"
