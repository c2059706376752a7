"""Claims, who made them, what the evidence shows, and how each verdict changed.

Models hold data and the invariants the database can enforce. Every change of
state goes through ``claims.services``; nothing else writes ``Claim.status``.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, CharField, Count, F, Func, Q, Value, When
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from sources.models import Document, Source
from verifier.json_shape import computed
from verifier.models import CountingQuerySet
from verifier.slugs import (
    SLUG_NOT_ALL_DIGITS,
    validate_slug_not_a_route,
    validate_slug_not_all_digits,
)

from .choices import (
    Credibility,
    EvidenceStance,
    LinkKind,
    Stance,
    Status,
    TimePrecision,
    Visibility,
)
from .desk import Note as Note
from .desk import ReviewStep as ReviewStep
from .querysets import ClaimQuerySet
from .querysets import sees_drafts as sees_drafts
from .querysets import sees_exact_coordinates as sees_exact_coordinates
from .reference import Event, Place
from .reference import PlaceKind as PlaceKind
from .reference import PlaceTree as PlaceTree
from .reference import coarse as coarse
from .snapshot import Snapshot
from .timeline import StatusChange as StatusChange
from .timeline import StatusChangeEvidence as StatusChangeEvidence

if TYPE_CHECKING:
    pass


class ToChar(Func):
    """PostgreSQL's ``to_char``: a date or time written in a pattern (month
    names in English, as ``TimePrecision.words`` writes them)."""

    function = "to_char"
    output_field = CharField()


def end_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time.min, tzinfo=datetime.UTC
    )


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
    # Who on the desk has the claim in hand: work in progress, not part of
    # the record, so a departed user's claims fall back to nobody.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="assigned_claims",
    )
    # Whom a draft returned from review goes back to: who submitted it. The
    # desk's "Returned to me" reads it through an index; the review steps
    # (``claims.desk.ReviewStep``) hold the full story. Set by the return,
    # cleared by the next step (``claims.services.review``).
    returned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        db_index=False,
    )
    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="Incremented by every write; a write carrying an older one is "
        "refused.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    # What an editor writes, in the order forms show it: the admin's form, the
    # API's writes and ``services.create_claim`` / ``update_claim`` take these.
    # Status and visibility change through their own actions.
    EDITABLE = ("text", "slug", "event", "places")

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
            # The API's ?ordering=created_at / -created_at, either direction.
            models.Index(fields=["-created_at", "-id"], name="claim_created"),
            models.Index(
                fields=["returned_to"],
                condition=Q(returned_to__isnull=False),
                name="claim_returned_to",
            ),
        ]
        constraints = [
            # Only a draft is ever "returned to" someone.
            models.CheckConstraint(
                condition=Q(returned_to__isnull=True) | Q(visibility=Visibility.DRAFT),
                name="claim_returned_is_draft",
            ),
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
                condition=~Q(visibility=Visibility.PUBLISHED)
                | Q(published_at__isnull=False),
                name="claim_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.text if len(self.text) <= 80 else f"{self.text[:79]}…"

    def get_absolute_url(self) -> str:
        return reverse("claims:claim", kwargs={"slug": self.slug})

    def clean(self) -> None:
        try:
            validate_slug_not_a_route(self.slug, type(self))
        except ValidationError as error:
            raise ValidationError({"slug": error}) from None

    @property
    def is_published(self) -> bool:
        return self.visibility == Visibility.PUBLISHED

    @property
    def etag(self) -> str:
        """The HTTP entity tag of this version, for conditional requests."""
        return f'"{self.pk}.{self.version}"'

    def snapshot(self, as_of: datetime.date | None = None) -> Snapshot:
        """What the claim showed at the end of the day ``as_of`` (UTC), or now:
        its verdict, timeline, statements and evidence, read from what
        ``for_page`` loaded."""
        statements = list(self.statements.all())
        changes = list(self.status_changes.all())
        evidence = list(self.evidence.all())
        if as_of is not None:
            moment = end_of(as_of)
            changes = [change for change in changes if change.changed_at < moment]
            statements = [s for s in statements if s.stated_on <= as_of]
            cited = {item.pk for change in changes for item in change.evidence.all()}
            # Evidence has no date of its own worth trusting; its document does.
            evidence = [
                item
                for item in evidence
                if item.pk in cited
                or (item.document.published_at and item.document.published_at < moment)
            ]
            status = Status(changes[-1].new_status) if changes else Status.UNVERIFIED
        else:
            status = Status(self.status)
        return Snapshot(
            status=status,
            changes=changes,
            asserts=[s for s in statements if s.stance == Stance.ASSERTS],
            denies=[s for s in statements if s.stance == Stance.DENIES],
            evidence=evidence,
        )


class StatementQuerySet(CountingQuerySet):
    def track_record(self, source: Source) -> dict[str, Any]:
        """How the published claims the source asserted or denied were resolved.

        Counted from the data in one grouped query: claims, not statements, so a
        source repeating itself counts once.
        """
        counts = {
            (row["stance"], row["claim__status"]): row["claims"]
            for row in self.filter(
                source=source, claim__visibility=Visibility.PUBLISHED
            )
            .values("stance", "claim__status")
            .annotate(claims=Count("claim", distinct=True))
            .order_by()
        }
        rows = [
            {
                "stance": stance,
                "counts": [
                    counts.get((stance.value, status.value), 0) for status in Status
                ],
                "total": sum(counts.get((stance.value, s.value), 0) for s in Status),
            }
            for stance in Stance
        ]

        def n(stance: Stance, *statuses: Status) -> int:
            return sum(counts.get((stance.value, s.value), 0) for s in statuses)

        return {
            "statuses": list(Status),
            "rows": rows,
            "borne_out": n(Stance.ASSERTS, Status.CONFIRMED, Status.PARTLY_CONFIRMED)
            + n(Stance.DENIES, Status.FALSE),
            "contradicted": n(Stance.ASSERTS, Status.FALSE)
            + n(Stance.DENIES, Status.CONFIRMED),
            "misleading": n(Stance.ASSERTS, Status.MISLEADING),
            "open": n(
                Stance.ASSERTS, Status.UNVERIFIED, Status.DISPUTED, Status.UNVERIFIABLE
            )
            + n(Stance.DENIES, Status.UNVERIFIED, Status.DISPUTED, Status.UNVERIFIABLE),
        }


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
    time_precision = models.CharField(
        max_length=10,
        choices=TimePrecision.choices,
        default=TimePrecision.DAY,
        db_default=TimePrecision.DAY,
        help_text="How precisely the date is known; exact shows the time too.",
    )
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
    credibility = models.PositiveSmallIntegerField(
        "information credibility",
        choices=Credibility.choices,
        default=Credibility.CANNOT_BE_JUDGED,
        db_default=Credibility.CANNOT_BE_JUDGED,
        help_text="Admiralty 1–6: how far what was said is borne out. With the "
        "source's grade it makes the pair shown to readers, e.g. B2.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = StatementQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["stated_on", "stated_time", "id"]
        indexes = [
            models.Index(fields=["source", "stance"], name="statement_source_stance"),
            # The API's ?ordering=created_at, either direction.
            models.Index(fields=["created_at", "id"], name="statement_created"),
            # The admin's order and its date filter.
            models.Index(
                fields=["stated_on", "stated_time", "id"], name="statement_date"
            ),
            # The admin's credibility filter, its counts and its order.
            models.Index(
                fields=["credibility", "stated_on", "stated_time", "id"],
                name="statement_credibility",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(stance__in=Stance.values), name="statement_stance_valid"
            ),
            models.CheckConstraint(
                condition=Q(credibility__in=Credibility.values),
                name="statement_credibility_valid",
            ),
            models.CheckConstraint(
                condition=Q(time_precision__in=TimePrecision.values),
                name="statement_time_precision_valid",
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

    @computed(Concat("source__reliability", Cast("credibility", CharField())))
    def admiralty(self) -> str:
        """The Admiralty pair: the source's grade and the information's
        credibility, ``B2``."""
        return f"{self.source.reliability}{self.credibility}"

    @property
    def admiralty_meaning(self) -> str:
        """The pair spelt out: ``B — Usually reliable source; 2 — Probably true``."""
        return (
            f"{self.source.get_reliability_display()} source; "
            f"{self.get_credibility_display()}"
        )

    @computed(
        Case(
            When(
                Q(time_precision=TimePrecision.EXACT, stated_time__isnull=False),
                then=Concat(
                    ToChar("stated_on", Value("FMDD FMMonth YYYY")),
                    Value(", "),
                    ToChar("stated_time", Value("HH24:MI")),
                ),
            ),
            When(
                time_precision=TimePrecision.WEEK,
                then=Concat(
                    Value("about "), ToChar("stated_on", Value("FMDD FMMonth YYYY"))
                ),
            ),
            When(
                time_precision=TimePrecision.MONTH,
                then=ToChar("stated_on", Value("FMMonth YYYY")),
            ),
            default=ToChar("stated_on", Value("FMDD FMMonth YYYY")),
            output_field=CharField(),
        )
    )
    def stated_when(self) -> str:
        """When it was said, as precisely as it is known: ``about 19 March 2025``."""
        return TimePrecision(self.time_precision).words(
            self.stated_on, self.stated_time
        )

    @computed(
        F("document__publisher"),
        when=Q(document__publisher__isnull=False) & ~Q(document__publisher=F("source")),
    )
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
        indexes = [models.Index(fields=["created_at", "id"], name="evidence_created")]
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


class PageVersion(models.Model):
    """How many times something public pages show has changed, by name.

    A counter written in the transaction of the change it counts, so a new
    value becomes visible exactly when the change does; ``claims.page_versions``
    says which changes count where, and reads them as the pages' validators.
    """

    name = models.CharField(max_length=40, primary_key=True)
    counter = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.counter}"


from .presence import ClaimPresence as ClaimPresence  # noqa: E402
