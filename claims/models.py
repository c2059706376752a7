"""Claims, who made them, what the evidence shows, and how each verdict changed.

Models hold data and the invariants the database can enforce. Every change of
state goes through ``claims.services``; nothing else writes ``Claim.status``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import (
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    Value,
)
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from sources.models import (
    Document,
    PublicQuerySet,
    Source,
    validate_string_list,
)
from verifier.encoders import UnicodeJSONEncoder
from verifier.models import CountingQuerySet, Versioned
from verifier.slugs import SLUG_NOT_ALL_DIGITS, validate_slug_not_all_digits

from .search import SEARCH_CANDIDATES, matching_ids, rank

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


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
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


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


class PlaceKind(models.TextChoices):
    COUNTRY = "country", "Country"
    REGION = "region", "Region"
    DISTRICT = "district", "District"
    CITY = "city", "City"
    TOWN = "town", "Town"
    VILLAGE = "village", "Village"
    SITE = "site", "Site"
    OTHER = "other", "Other"


class PlaceQuerySet(PublicQuerySet):
    def public(self) -> PlaceQuerySet:
        """Reference data, a place a published claim or its event is about,
        and every place those lie in."""
        place = connection.ops.quote_name(Place._meta.db_table)
        about = connection.ops.quote_name(Claim.places.through._meta.db_table)
        event_places = connection.ops.quote_name(Event.places.through._meta.db_table)
        claim = connection.ops.quote_name(Claim._meta.db_table)
        shown = RawSQL(  # noqa: S611 - no outside text in the statement
            f"""
            WITH RECURSIVE shown(id) AS (
                SELECT a.place_id FROM {about} a JOIN {claim} c ON c.id = a.claim_id
                 WHERE c.visibility = %s
                UNION
                SELECT e.place_id FROM {event_places} e JOIN {claim} c
                    ON c.event_id = e.event_id WHERE c.visibility = %s
                UNION
                SELECT id FROM {place} WHERE is_reference
                UNION
                SELECT p.parent_id FROM {place} p JOIN shown ON p.id = shown.id
                 WHERE p.parent_id IS NOT NULL
            )
            SELECT id FROM shown
            """,  # noqa: S608 - table names are ours, values parameters
            [Visibility.PUBLISHED, Visibility.PUBLISHED],
        )
        return self.filter(pk__in=shown)

    def subtree_ids(self, root: Place | int) -> list[int]:
        """The place and every place inside it, at any depth, in one query."""
        table = self.model._meta.db_table
        with connection.cursor() as cursor:
            # UNION (not UNION ALL) ends the walk even on a corrupt cycle.
            cursor.execute(
                f"""
                WITH RECURSIVE tree(id) AS (
                    SELECT id FROM {table} WHERE id = %s
                    UNION
                    SELECT child.id FROM {table} child JOIN tree
                        ON child.parent_id = tree.id
                )
                SELECT id FROM tree
                """,  # noqa: S608 - the table name is ours, the id a parameter
                [root if isinstance(root, int) else root.pk],
            )
            return [row[0] for row in cursor.fetchall()]


class Place(Versioned):
    name = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=200, unique=True, validators=[validate_slug_not_all_digits]
    )
    kind = models.CharField(max_length=20, choices=PlaceKind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    alternate_names = models.JSONField(
        default=list,
        encoder=UnicodeJSONEncoder,
        blank=True,
        validators=[validate_string_list],
        help_text="Other names and transliterations: Demydivka, Демидовка.",
    )
    latitude = models.DecimalField(
        max_digits=8, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True
    )
    is_reference = models.BooleanField(
        "public reference data",
        default=False,
        help_text="Public even before a published claim is about it. Set by reviewers.",
    )

    objects = PlaceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        permissions = [
            ("set_reference_place", "Can mark a place as public reference data"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=PlaceKind.values), name="place_kind_valid"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="place_name_not_empty"),
            models.CheckConstraint(condition=~Q(slug=""), name="place_slug_not_empty"),
            models.CheckConstraint(
                condition=SLUG_NOT_ALL_DIGITS, name="place_slug_not_all_digits"
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("id")), name="place_not_own_parent"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="place_coordinates_paired",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True)
                | Q(latitude__gte=-90, latitude__lte=90),
                name="place_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True)
                | Q(longitude__gte=-180, longitude__lte=180),
                name="place_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("claims:place", kwargs={"slug": self.slug})

    def clean(self) -> None:
        # A cycle needs more than one row, so the database cannot refuse it.
        seen = {self.pk}
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk in seen:
                raise ValidationError({"parent": "A place cannot be inside itself."})
            seen.add(ancestor.pk)
            ancestor = ancestor.parent

    def ancestors(self) -> list[Place]:
        """From the outermost place down to this one's parent."""
        chain: list[Place] = []
        ancestor = self.parent
        while ancestor is not None and ancestor not in chain and ancestor != self:
            chain.append(ancestor)
            ancestor = ancestor.parent
        return chain[::-1]


class EventQuerySet(PublicQuerySet):
    def public(self) -> EventQuerySet:
        """An event is public through its published claims only."""
        return self.filter(
            Exists(
                Claim.objects.filter(
                    event=OuterRef("pk"), visibility=Visibility.PUBLISHED
                )
            )
        )


class Event(Versioned):
    """What a group of claims is about."""

    title = models.CharField(max_length=300)
    slug = models.SlugField(
        max_length=200, unique=True, validators=[validate_slug_not_all_digits]
    )
    summary = models.TextField(blank=True)
    places = models.ManyToManyField(Place, blank=True, related_name="events")
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EventQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[places])

    class Meta:
        ordering = ["-starts_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(title=""), name="event_title_not_empty"
            ),
            models.CheckConstraint(condition=~Q(slug=""), name="event_slug_not_empty"),
            models.CheckConstraint(
                condition=SLUG_NOT_ALL_DIGITS, name="event_slug_not_all_digits"
            ),
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True)
                | Q(ends_on__isnull=True)
                | Q(ends_on__gte=F("starts_on")),
                name="event_ends_after_start",
                violation_error_message="An event cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("claims:event", kwargs={"slug": self.slug})


def sees_drafts(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Staff who may view claims see drafts; everyone else, published claims."""
    return bool(
        user.is_authenticated and user.is_staff and user.has_perm("claims.view_claim")
    )


class ClaimQuerySet(CountingQuerySet):
    def published(self) -> ClaimQuerySet:
        return self.filter(visibility=Visibility.PUBLISHED)

    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> ClaimQuerySet:
        """Drafts only for staff who may view claims; everyone sees published."""
        return self.all() if sees_drafts(user) else self.published()

    def with_attribution(self) -> ClaimQuerySet:
        """Everything a claim page shows, in a fixed number of queries."""
        return self.select_related("event").prefetch_related(
            "places",
            Prefetch(
                "statements",
                queryset=Statement.objects.select_related(
                    "source", "document__publisher"
                ),
            ),
            Prefetch(
                "evidence",
                queryset=Evidence.objects.select_related("document__publisher"),
            ),
        )

    def for_listing(self) -> ClaimQuerySet:
        """What a list of claims shows: event and places, in two more queries."""
        return self.select_related("event").prefetch_related("places")

    def for_page(self) -> ClaimQuerySet:
        """The public claim page: attribution, timeline with its evidence, and
        related claims, published ones only, so no draft leaks through a link."""
        return (
            self.with_attribution()
            .with_links(AnonymousUser())
            .prefetch_related(
                Prefetch(
                    "status_changes",
                    queryset=StatusChange.objects.order_by(
                        "changed_at", "id"
                    ).prefetch_related(
                        Prefetch(
                            "evidence",
                            queryset=Evidence.objects.select_related("document"),
                        )
                    ),
                ),
            )
        )

    def with_links(self, user: AbstractBaseUser | AnonymousUser) -> ClaimQuerySet:
        """Related claims in both directions, only those ``user`` may see."""
        visible = Claim.objects.visible_to(user)
        return self.prefetch_related(
            Prefetch(
                "links_out",
                queryset=ClaimLink.objects.filter(to_claim__in=visible).select_related(
                    "to_claim"
                ),
            ),
            Prefetch(
                "links_in",
                queryset=ClaimLink.objects.filter(
                    from_claim__in=visible
                ).select_related("from_claim"),
            ),
        )

    def stated_by(self, **source_filter: object) -> ClaimQuerySet:
        """Claims with a statement by a source matching ``source_filter``."""
        statements = Statement.objects.filter(
            claim=OuterRef("pk"),
            **{f"source__{key}": value for key, value in source_filter.items()},
        )
        return self.filter(Exists(statements))

    def about(self, place_ids: Iterable[int]) -> ClaimQuerySet:
        """Claims about any of these places, each once, without a DISTINCT."""
        through = self.model.places.through
        return self.filter(
            Exists(
                through.objects.filter(
                    claim_id=OuterRef("pk"), place_id__in=list(place_ids)
                )
            )
        )

    def search(
        self, text: str, *, published_only: bool, limit: int = SEARCH_CANDIDATES
    ) -> ClaimQuerySet:
        """Claims matching ``text`` in their wording, quotes, sources or places.

        On PostgreSQL (``claims.search``): full-text matching against each
        claim's stored search document (see migration 0004), newest ``limit``
        matches first, ranked among themselves. When no claim matches, each
        word is swapped for the close words of the documents' vocabulary
        (trigram similarity), which forgives transliterations and small
        misspellings (Zelenskiy finds Zelensky). Elsewhere (the SQLite
        quickstart): substrings, ignoring case in any script
        (``verifier/sqlite.py``).
        The result carries ``search_rank``, 1 for the best match.
        """
        ids = matching_ids(
            self.model.objects.all(), text, published_only=published_only, limit=limit
        )
        if not ids:
            return self.none().annotate(search_rank=Value(0))
        return self.filter(id__in=ids).annotate(search_rank=rank(ids))


class Claim(models.Model):
    """One checkable proposition, in neutral words."""

    text = models.TextField(help_text="The proposition, in neutral words.")
    slug = models.SlugField(
        max_length=200, unique=True, validators=[validate_slug_not_all_digits]
    )
    event = models.ForeignKey(
        Event,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
    )
    places = models.ManyToManyField(Place, blank=True, related_name="claims")
    status = models.CharField(
        max_length=20,
        choices=Status.choices,
        default=Status.UNVERIFIED,
        editable=False,
    )
    visibility = models.CharField(
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.DRAFT,
        editable=False,
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="Incremented by every write; a write carrying an older one is "
        "refused.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ClaimQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[places])

    class Meta:
        ordering = ["-updated_at", "-id"]
        permissions = [
            ("change_claim_status", "Can change the verification status of a claim"),
            ("set_final_status", "Can set a final verdict (confirmed or false)"),
            ("publish_claim", "Can publish and unpublish claims"),
        ]
        indexes = [
            models.Index(fields=["status", "-updated_at"], name="claim_status_updated"),
            models.Index(
                fields=["visibility", "-updated_at", "-id"],
                name="claim_visibility_updated",
            ),
            models.Index(fields=["-updated_at", "-id"], name="claim_updated"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="claim_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(visibility__in=Visibility.values),
                name="claim_visibility_valid",
            ),
            models.CheckConstraint(condition=~Q(text=""), name="claim_text_not_empty"),
            models.CheckConstraint(condition=~Q(slug=""), name="claim_slug_not_empty"),
            models.CheckConstraint(
                condition=SLUG_NOT_ALL_DIGITS, name="claim_slug_not_all_digits"
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="claim_version_positive"
            ),
            models.CheckConstraint(
                condition=Q(visibility=Visibility.DRAFT)
                | Q(published_at__isnull=False),
                name="claim_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.text if len(self.text) <= 80 else f"{self.text[:79]}…"

    def get_absolute_url(self) -> str:
        return reverse("claims:claim", kwargs={"slug": self.slug})

    @property
    def is_published(self) -> bool:
        return self.visibility == Visibility.PUBLISHED

    @property
    def etag(self) -> str:
        """The HTTP entity tag of this version, for conditional requests."""
        return f'"{self.pk}.{self.version}"'

    def status_as_of(self, moment: datetime.datetime) -> Status:
        """The verdict the claim carried at ``moment``, from its timeline."""
        change = (
            self.status_changes.filter(changed_at__lte=moment)
            .order_by("-changed_at", "-id")
            .first()
        )
        return Status(change.new_status) if change else Status.UNVERIFIED


class Statement(models.Model):
    """Who said something about a claim, when, in which words, and where."""

    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="statements"
    )
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="statements"
    )
    stance = models.CharField(max_length=10, choices=Stance.choices)
    stated_on = models.DateField("date")
    stated_time = models.TimeField("time", null=True, blank=True)
    quote = models.TextField(help_text="In the original language.")
    quote_language = models.CharField(
        max_length=35, blank=True, help_text="BCP 47 tag of the quote, e.g. uk."
    )
    translation = models.TextField("English translation", blank=True)
    is_paraphrase = models.BooleanField(
        default=False, help_text="The words are a report of what was said, not a quote."
    )
    document = models.ForeignKey(
        Document,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statements",
        help_text="Where it appeared. If its publisher is not the source, it was "
        "relayed.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = CountingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["stated_on", "stated_time", "id"]
        indexes = [
            models.Index(fields=["source", "stance"], name="statement_source_stance"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(stance__in=Stance.values), name="statement_stance_valid"
            ),
            models.CheckConstraint(
                condition=~Q(quote=""), name="statement_quote_not_empty"
            ),
            models.UniqueConstraint(
                fields=["claim", "source", "stance", "stated_on"],
                name="statement_unique_per_day",
                violation_error_message=(
                    "This source already has a statement with this stance on this "
                    "claim for that date."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.get_stance_display().lower()} on {self.stated_on}"

    @property
    def relayed_by(self) -> Source | None:
        """The publisher that carried the statement, when it is not the source."""
        if self.document and self.document.publisher_id not in (None, self.source_id):
            return self.document.publisher
        return None


class Evidence(models.Model):
    """A document an editor relies on, and what it does to the claim."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="evidence")
    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, related_name="evidence"
    )
    stance = models.CharField(max_length=10, choices=EvidenceStance.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "evidence"
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stance__in=EvidenceStance.values),
                name="evidence_stance_valid",
            ),
            models.UniqueConstraint(
                fields=["claim", "document"],
                name="evidence_document_once_per_claim",
                violation_error_message=(
                    "This document is already evidence for the claim."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document} ({self.get_stance_display().lower()})"


class StatusChange(models.Model):
    """One step of a claim's verification timeline. Append-only."""

    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, related_name="status_changes"
    )
    old_status = models.CharField(max_length=20, choices=Status.choices)
    new_status = models.CharField(max_length=20, choices=Status.choices)
    rationale = models.TextField()
    evidence = models.ManyToManyField(
        Evidence,
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
    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["status_change", "evidence"], name="statuschange_evidence_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.status_change} ← {self.evidence}"


class ClaimLink(models.Model):
    from_claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="links_out"
    )
    to_claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="links_in"
    )
    kind = models.CharField(max_length=15, choices=LinkKind.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=LinkKind.values), name="claimlink_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(from_claim=F("to_claim")),
                name="claimlink_not_to_itself",
                violation_error_message="A claim cannot be linked to itself.",
            ),
            models.UniqueConstraint(
                fields=["from_claim", "to_claim", "kind"],
                name="claimlink_unique",
                violation_error_message="These claims are already linked this way.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_claim} {self.kind} {self.to_claim}"
