"""Who makes or carries claims, and the artefacts in which they did.

This app knows nothing of claims: ``claims`` depends on it, never the reverse.
"""

from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Concat
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from verifier.encoders import UnicodeJSONEncoder
from verifier.json_shape import computed
from verifier.models import Versioned, is_staff
from verifier.slugs import SLUG_NOT_ALL_DIGITS, validate_slug_not_all_digits

SHA256_PATTERN = r"^[0-9a-f]{64}$"


class SourceKind(models.TextChoices):
    PERSON = "person", "Person"
    GOVERNMENT = "government", "Government body"
    MILITARY = "military", "Military"
    THINK_TANK = "think_tank", "Think tank"
    MEDIA = "media", "Media outlet"
    COLLECTIVE = "collective", "Collective"
    ORGANISATION = "organisation", "Other organisation"


class Affiliation(models.TextChoices):
    """The side a source speaks for."""

    UKRAINE = "ukraine", "Ukraine"
    RUSSIA = "russia", "Russia"
    UNITED_STATES = "united_states", "United States"
    INDEPENDENT = "independent", "Independent"
    OTHER = "other", "Other"


class Reliability(models.TextChoices):
    """Admiralty (NATO) source reliability grade.

    The letters are the standard's own codes, so they stay upper-case.
    """

    A = "A", "A — Completely reliable"
    B = "B", "B — Usually reliable"
    C = "C", "C — Fairly reliable"
    D = "D", "D — Not usually reliable"
    E = "E", "E — Unreliable"
    F = "F", "F — Reliability cannot be judged"


# What makes a source or document public is its use by a published claim.
# This app knows nothing of claims, so the uses are named here only by the
# reverse relations the claims app declares (statements, evidence).
_PUBLISHED = "published"


class PublicQuerySet(models.QuerySet):
    """Rows the public may see (``public()``), and what ``user`` may see."""

    def public(self) -> models.QuerySet:
        raise NotImplementedError

    def shows(self, pk: int) -> bool:
        """Whether the public may see the row ``pk``."""
        return self.public().filter(pk=pk).exists()

    def visible_to(self, user: Any) -> models.QuerySet:
        """Everything for staff who may view the model; the public rows else."""
        meta = self.model._meta
        if is_staff(user) and user.has_perm(f"{meta.app_label}.view_{meta.model_name}"):
            return self.all()
        return self.public()


class SourceQuerySet(PublicQuerySet):
    def public(self) -> models.QuerySet:
        """Reference data, or a source that spoke on a published claim or
        published a document one uses.

        A probe per source (its statements, then its documents), each
        stopping at the first: one source is answered in milliseconds, and a
        page of them without reading every statement (``IN`` over the
        statements of published claims took a second at a million claims).
        """
        statement = cast(
            "type[models.Model]", self.model._meta.get_field("statements").related_model
        )
        spoke = statement._default_manager.filter(
            source=OuterRef("pk"), claim__visibility=_PUBLISHED
        )
        published = Document.objects.public().filter(publisher=OuterRef("pk"))
        return self.filter(Q(is_reference=True) | Exists(spoke) | Exists(published))


class DocumentQuerySet(PublicQuerySet):
    def public(self) -> models.QuerySet:
        """A document a published claim's statements or evidence cite.

        A probe per document and relation (its document index, then the
        claim), each stopping at the first citation: a list in the order of an
        index stops after its page. (``EXISTS`` joined by ``OR`` lets
        PostgreSQL hash every cited document first, seconds at a million
        claims.)"""
        probes = {}
        for relation in ("statements", "evidence"):
            part = cast(
                "type[models.Model]", self.model._meta.get_field(relation).related_model
            )
            citing = part._default_manager.filter(
                document=OuterRef("pk"), claim__visibility=_PUBLISHED
            ).order_by()
            probes[f"cited_by_{relation}"] = Subquery(citing.values("pk")[:1])
        return self.alias(**probes).filter(
            Q(cited_by_statements__isnull=False) | Q(cited_by_evidence__isnull=False)
        )


def validate_string_list(value: object) -> None:
    """Aliases and alternate names are a JSON list of non-empty strings."""
    if not isinstance(value, list) or not all(
        isinstance(item, str) and item.strip() for item in value
    ):
        raise ValidationError("Enter a list of non-empty names.", code="invalid")


class Source(Versioned):
    name = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=200, unique=True, validators=[validate_slug_not_all_digits]
    )
    kind = models.CharField(max_length=20, choices=SourceKind)
    affiliation = models.CharField(max_length=20, choices=Affiliation)
    aliases = models.JSONField(
        default=list,
        encoder=UnicodeJSONEncoder,
        blank=True,
        validators=[validate_string_list],
        help_text="Other spellings, in any language and script: Zelenskyy, Зеленський.",
    )
    description = models.TextField(blank=True)
    homepage = models.URLField(max_length=500, blank=True)
    reliability = models.CharField(
        "reliability grade",
        max_length=1,
        choices=Reliability,
        default=Reliability.F,
        db_index=True,
    )
    is_reference = models.BooleanField(
        "public reference data",
        default=False,
        help_text="Public even before a published claim uses it. Set by reviewers.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SourceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        permissions = [
            ("set_reference_source", "Can mark a source as public reference data"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SourceKind.values), name="source_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(affiliation__in=Affiliation.values),
                name="source_affiliation_valid",
            ),
            models.CheckConstraint(
                condition=Q(reliability__in=Reliability.values),
                name="source_reliability_valid",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="source_name_not_empty"),
            models.CheckConstraint(condition=~Q(slug=""), name="source_slug_not_empty"),
            models.CheckConstraint(
                condition=SLUG_NOT_ALL_DIGITS, name="source_slug_not_all_digits"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        # Resolved by name: the page lives with the claims it shows, and this
        # app still imports nothing from there.
        return reverse("claims:source", kwargs={"slug": self.slug})

    @computed(Concat("name", Value(" ("), "reliability", Value(")")))
    def label(self) -> str:
        """How a statement shows its source: ``ISW (B)``."""
        return f"{self.name} ({self.reliability})"


class Document(Versioned):
    """A concrete artefact where something was said or shown."""

    title = models.CharField(max_length=500)
    url = models.URLField("URL", max_length=2000, blank=True)
    publisher = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
    )
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    language = models.CharField(
        max_length=35, blank=True, help_text="BCP 47 tag, e.g. uk, ru, en."
    )
    archive_url = models.URLField("archive URL", max_length=2000, blank=True)
    content_sha256 = models.CharField(
        "content SHA-256",
        max_length=64,
        blank=True,
        help_text="Hex digest of the content as it was seen.",
    )
    excerpt = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DocumentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-published_at", "title"]
        indexes = [
            # The API's order (newest first) and the admin's search by digest.
            models.Index(fields=["-created_at", "-id"], name="document_created"),
            models.Index(fields=["-updated_at", "-id"], name="document_updated"),
            models.Index(
                fields=["content_sha256"],
                condition=~Q(content_sha256=""),
                name="document_sha256",
                opclasses=["varchar_pattern_ops"],  # a prefix of the digest too
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(title=""), name="document_title_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(content_sha256="")
                | Q(content_sha256__regex=SHA256_PATTERN),
                name="document_sha256_hex",
            ),
            models.UniqueConstraint(
                fields=["url"],
                condition=~Q(url=""),
                name="document_url_unique",
                violation_error_message="A document with this URL already exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        # Digests are compared as text: store them in one canonical form.
        self.content_sha256 = self.content_sha256.strip().lower()
