"""The vocabularies of claims: verdicts, visibility, stances, link kinds,
credibility and precision.

Stored values are lowercase and stable; the database enforces them
(``CheckConstraint``s in ``claims.models``).
"""

from __future__ import annotations

import datetime

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


class Credibility(models.IntegerChoices):
    """Admiralty (NATO) information credibility: how far what was said is
    borne out, beside the source's own grade (``Reliability``) it makes the
    pair ``B2``. The numbers are the standard's own codes."""

    CONFIRMED = 1, "1 — Confirmed by other sources"
    PROBABLY_TRUE = 2, "2 — Probably true"
    POSSIBLY_TRUE = 3, "3 — Possibly true"
    DOUBTFUL = 4, "4 — Doubtful"
    IMPROBABLE = 5, "5 — Improbable"
    CANNOT_BE_JUDGED = 6, "6 — Truth cannot be judged"


class TimePrecision(models.TextChoices):
    """How precisely a date (and time) is known. ``exact`` is to the minute
    when a time is given; ``day`` the date alone."""

    EXACT = "exact", "Exact"
    DAY = "day", "Day"
    WEEK = "week", "About a week"
    MONTH = "month", "Month"

    def words(self, day: datetime.date, time: datetime.time | None = None) -> str:
        """The moment as a reader is told it: ``19 March 2025, 14:05``,
        ``19 March 2025``, ``about 19 March 2025``, ``March 2025``."""
        date = f"{day.day} {day:%B %Y}"
        if self is TimePrecision.EXACT and time is not None:
            return f"{date}, {time:%H:%M}"
        if self is TimePrecision.WEEK:
            return f"about {date}"
        if self is TimePrecision.MONTH:
            return f"{day:%B %Y}"
        return date


class GeoPrecision(models.TextChoices):
    """How precisely a place's coordinates locate it, and so how much of
    them the public is shown (``decimals``)."""

    POINT = "point", "Exact point"
    SETTLEMENT = "settlement", "Settlement"
    DISTRICT = "district", "District"
    REGION = "region", "Region"
    COUNTRY = "country", "Country"

    @property
    def decimals(self) -> int | None:
        """Decimals of the public coordinates; ``None``: none are shown."""
        return _PUBLIC_DECIMALS[self]

    @property
    def rounding(self) -> str:
        """What the public coordinates are rounded to, in words."""
        return _ROUNDING[self.decimals]

    def words(self, name: str) -> str:
        """Where, as a reader is told it: ``at …`` a point, ``near
        Demidovka``, ``in the Belgorod region``, ``in Russia``."""
        if self is GeoPrecision.POINT:
            return f"at {name}"
        if self is GeoPrecision.SETTLEMENT:
            return f"near {name}"
        # "the Belgorod region", but "Belgorod Oblast" and "Russia" as they are.
        common_noun = self is not GeoPrecision.COUNTRY and name.split()[-1].islower()
        return f"in the {name}" if common_noun else f"in {name}"


# Never more than two decimals (about a kilometre) for the public.
_PUBLIC_DECIMALS = {
    GeoPrecision.POINT: 2,
    GeoPrecision.SETTLEMENT: 2,
    GeoPrecision.DISTRICT: 1,
    GeoPrecision.REGION: 0,
    GeoPrecision.COUNTRY: None,
}
_ROUNDING = {
    2: "rounded to two decimals, about a kilometre",
    1: "rounded to one decimal, about ten kilometres",
    0: "rounded to whole degrees, about a hundred kilometres",
    None: "not shown",
}
