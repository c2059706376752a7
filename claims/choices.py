"""The vocabularies of claims: verdicts, visibility, stances and link kinds.

Stored values are lowercase and stable; the database enforces them
(``CheckConstraint``s in ``claims.models``).
"""

from __future__ import annotations

from django.db import models


class Status(models.TextChoices):
    UNVERIFIED = "unverified", "Unverified"
    DISPUTED = "disputed", "Disputed"
    PARTLY_CONFIRMED = "partly_confirmed", "Partly confirmed"
    CONFIRMED = "confirmed", "Confirmed"
    MISLEADING = "misleading", "Misleading"
    FALSE = "false", "False"
    UNVERIFIABLE = "unverifiable", "Unverifiable"

    @classmethod
    def final(cls) -> frozenset[Status]:
        """Verdicts only reviewers may set."""
        return frozenset({cls.CONFIRMED, cls.FALSE})

    @property
    def rating_value(self) -> int | None:
        """ClaimReview ``ratingValue`` (1 worst, 5 best); ``None`` is no rating."""
        return _RATING_VALUES.get(self)


_RATING_VALUES = {
    Status.DISPUTED: 3,
    Status.PARTLY_CONFIRMED: 4,
    Status.CONFIRMED: 5,
    Status.MISLEADING: 2,
    Status.FALSE: 1,
}


class Visibility(models.TextChoices):
    """Where a claim stands on its way to the public: draft → in review →
    published; returned or unpublished, it is a draft again."""

    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"


class ReviewAction(models.TextChoices):
    """A step of a claim's way through the desk (``ReviewStep``)."""

    SUBMITTED = "submitted", "Submitted for review"
    RETURNED = "returned", "Returned"
    PUBLISHED = "published", "Published"
    UNPUBLISHED = "unpublished", "Unpublished"


class NoteKind(models.TextChoices):
    NOTE = "note", "Note"
    RETURNED = "returned", "Returned to draft"


class Stance(models.TextChoices):
    """What a source's statement does to a claim."""

    ASSERTS = "asserts", "Asserts"
    DENIES = "denies", "Denies"


class EvidenceStance(models.TextChoices):
    SUPPORTS = "supports", "Supports"
    REFUTES = "refutes", "Refutes"
    CONTEXT = "context", "Context"


class LinkKind(models.TextChoices):
    CONTRADICTS = "contradicts", "Contradicts"
    SUPPORTS = "supports", "Supports"
    DUPLICATES = "duplicates", "Duplicates"
    SUPERSEDES = "supersedes", "Supersedes"

    @classmethod
    def symmetric(cls) -> frozenset[LinkKind]:
        """Kinds where A→B means B→A, so only one direction is stored."""
        return frozenset({cls.CONTRADICTS, cls.DUPLICATES})
