"""Places and events: the reference data claims are about.

A place or event is public once a published claim uses it, or when a reviewer
marks it as public reference data (``is_reference``). Claims are declared in
``claims.models``, which imports these; the querysets that ask about claims
import them when asked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, connections, models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from sources.models import PublicQuerySet, validate_string_list
from verifier.encoders import UnicodeJSONEncoder
from verifier.models import Versioned
from verifier.slugs import SLUG_NOT_ALL_DIGITS, validate_slug_not_all_digits

from .choices import GeoPrecision, TimePrecision, Visibility


def coarse(
    value: Decimal | None, precision: str = GeoPrecision.POINT
) -> Decimal | None:
    """What the public is shown of a coordinate of a place located to
    ``precision``: never more than two decimals (about a kilometre, enough to
    find a town, not a position), fewer for a district or a region, none for
    a country. Exact positions in a live conflict are for signed-in staff
    (``sees_exact_coordinates``).
    """
    decimals = GeoPrecision(precision).decimals
    if value is None or decimals is None:
        return None
    return value.quantize(Decimal(1).scaleb(-decimals))


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
    def _shown_by_themselves(
        self, among: list[int] | None = None
    ) -> tuple[list[str], list[Any]]:
        """The statements naming the places shown by themselves: one a
        published claim or its event is about, and reference data (with
        ``among``, only those of these places); and their parameters."""
        from .models import Claim

        place = connection.ops.quote_name(Place._meta.db_table)
        about = connection.ops.quote_name(Claim.places.through._meta.db_table)
        event_places = connection.ops.quote_name(Event.places.through._meta.db_table)
        claim = connection.ops.quote_name(Claim._meta.db_table)
        narrow, extra = "{} IS NOT NULL", []
        if among is not None:
            extra = list(among) or [0]
            narrow = f"{{}} IN ({', '.join(['%s'] * len(extra))})"
        statements = [
            # Table names are ours, values parameters.
            f"SELECT a.place_id FROM {about} a JOIN {claim} c ON c.id = a.claim_id "  # noqa: S608
            f"WHERE c.visibility = %s AND {narrow.format('a.place_id')}",
            f"SELECT e.place_id FROM {event_places} e JOIN {claim} c "  # noqa: S608
            "ON c.event_id = e.event_id "
            f"WHERE c.visibility = %s AND {narrow.format('e.place_id')}",
            f"SELECT id FROM {place} WHERE is_reference AND {narrow.format('id')}",  # noqa: S608
        ]
        published = Visibility.PUBLISHED
        return statements, [published, *extra, published, *extra, *extra]

    def public(self) -> PlaceQuerySet:
        """Reference data, a place a published claim or its event is about,
        and every place those lie in."""
        place = connection.ops.quote_name(Place._meta.db_table)
        statements, params = self._shown_by_themselves()
        shown = RawSQL(  # noqa: S611 - no outside text in the statement
            f"""
            WITH RECURSIVE shown(id) AS (
                {" UNION ".join(statements)}
                UNION
                SELECT p.parent_id FROM {place} p JOIN shown ON p.id = shown.id
                 WHERE p.parent_id IS NOT NULL
            )
            SELECT id FROM shown
            """,  # noqa: S608 - table names are ours, values parameters
            params,
        )
        return self.filter(pk__in=shown)

    def shows(self, pk: int) -> bool:
        """Whether the public may see the place ``pk``: whether a place inside
        it (or itself) is shown by itself. One place in milliseconds, where
        ``public()`` walks up from every shown place of the archive (seconds
        at a million claims)."""
        statements, params = self._shown_by_themselves(among=self.subtree_ids(pk))
        with connections[self.db].cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM ({' UNION ALL '.join(statements)}) s LIMIT 1",  # noqa: S608
                params,
            )
            return cursor.fetchone() is not None

    def subtree_ids(self, root: Place | int) -> list[int]:
        """The place and every place inside it, at any depth, in one query."""
        table = self.model._meta.db_table
        with connections[self.db].cursor() as cursor:
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
    geo_precision = models.CharField(
        "precision",
        max_length=10,
        choices=GeoPrecision.choices,
        default=GeoPrecision.SETTLEMENT,
        db_default=GeoPrecision.SETTLEMENT,
        help_text="How precisely the coordinates locate the place. The public "
        "sees two decimals for a point or a settlement, one for a district, "
        "none for a region, and no coordinates for a country.",
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
            models.CheckConstraint(
                condition=Q(geo_precision__in=GeoPrecision.values),
                name="place_geo_precision_valid",
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

    @property
    def located(self) -> str:
        """Where, as precisely as the place is known: ``near Demidovka``."""
        return GeoPrecision(self.geo_precision).words(self.name)

    def public_coordinates(self) -> tuple[Decimal, Decimal] | None:
        """Latitude and longitude as the public sees them (``coarse``), or
        ``None`` when there are none to show."""
        latitude = coarse(self.latitude, self.geo_precision)
        longitude = coarse(self.longitude, self.geo_precision)
        if latitude is None or longitude is None:
            return None
        return latitude, longitude

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
        from .models import Claim

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
    time_precision = models.CharField(
        max_length=10,
        choices=TimePrecision.choices,
        default=TimePrecision.DAY,
        db_default=TimePrecision.DAY,
        help_text="How precisely the start and end dates are known.",
    )
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
                condition=Q(time_precision__in=TimePrecision.values),
                name="event_time_precision_valid",
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


@dataclass
class PlaceTree:
    """All public places, once: for the place picker, ancestors and children."""

    places: list[Place]
    by_id: dict[int, Place] = field(init=False)
    children: dict[int | None, list[Place]] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {place.pk: place for place in self.places}
        self.children = defaultdict(list)
        for place in self.places:
            self.children[place.parent_id].append(place)

    @classmethod
    def load(cls) -> PlaceTree:
        return cls(list(Place.objects.public().order_by("name")))

    def ancestors(self, place: Place) -> list[Place]:
        chain: list[Place] = []
        parent = self.by_id.get(place.parent_id)
        while parent is not None and parent not in chain and parent != place:
            chain.append(parent)
            parent = self.by_id.get(parent.parent_id)
        return chain[::-1]

    def walk(
        self,
        parent: int | None = None,
        depth: int = 0,
        seen: frozenset[int] = frozenset(),
    ) -> Iterator[tuple[int, Place]]:
        """(depth, place) for every place inside ``parent`` (``None``: the
        outermost), by name, each followed by the places inside it."""
        for place in sorted(self.children.get(parent, []), key=lambda p: p.name):
            if place.pk not in seen:
                yield depth, place
                yield from self.walk(place.pk, depth + 1, seen | {place.pk})
