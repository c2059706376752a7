from typing import Any

from django.db import models, transaction
from django.db.models import Count, IntegerField, Subquery
from django.db.models.functions import Coalesce

# PostgreSQL's bigint; larger numbers cannot be an id and must not reach SQL.
MAX_ID = 2**63 - 1


def is_staff(user: Any) -> bool:
    """A signed-in member of the staff: who may use the admin."""
    return bool(user.is_authenticated and user.is_staff)


class RateCounter(models.Model):
    """Requests of one client in one throttle window, counted by the database
    so that every server process sees the same number (see
    ``verifier.throttling``)."""

    key = models.CharField(max_length=250)
    window = models.BigIntegerField(help_text="Start of the window, Unix seconds.")
    hits = models.PositiveIntegerField(default=0)
    expires = models.BigIntegerField(help_text="Unix seconds; then it is dropped.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key", "window"], name="ratecounter_one_row_per_window"
            )
        ]
        indexes = [models.Index(fields=["expires"], name="ratecounter_expires")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window}: {self.hits}"


class Versioned(models.Model):
    """An editable object with a version number, for optimistic concurrency
    (``verifier.conditional``): every save of a change makes a new version,
    whoever makes it (the API, the admin, a command)."""

    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="Goes up by one with every saved change; names the ETag.",
    )

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding:
            super().save(*args, **kwargs)
            return
        # The next version after the stored one, under the row lock: two
        # writers that loaded the same version still make two versions.
        with transaction.atomic(using=kwargs.get("using")):
            stored = (
                type(self)
                ._base_manager.select_for_update()
                .filter(pk=self.pk)
                .values_list("version", flat=True)
                .first()
            )
            self.version = (stored or self.version) + 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
            super().save(*args, **kwargs)

    @property
    def etag(self) -> str:
        """The HTTP entity tag of this version, for conditional requests."""
        return f'"{self.pk}.{self.version}"'


def count_for(rows: models.QuerySet, **outer: Any) -> Coalesce:
    """How many of ``rows`` point at each row of an outer query, as an
    expression to annotate it with:
    ``count_for(Statement.objects.filter(stance=...), claim=OuterRef("pk"))``.

    One small subquery per outer row: the whole table is never grouped. For
    a many-to-many relation, count the rows of its table of pairs
    (``Claim.places.through``), which needs no join.
    """
    (relation,) = outer
    return Coalesce(
        Subquery(
            rows.filter(**outer)
            .order_by()
            .values(relation)
            # COUNT(*): an index on the relation alone answers it.
            .annotate(n=Count("*"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


class CountingQuerySet(models.QuerySet):
    def count_for(self, **outer: Any) -> Coalesce:
        """``count_for(self, **outer)``: how many of these rows point at each
        row of an outer query."""
        return count_for(self, **outer)
