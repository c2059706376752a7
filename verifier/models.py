from typing import Any

from django.db import models, router, transaction
from django.db.models import Count, IntegerField, Subquery
from django.db.models.functions import Coalesce
from simple_history.models import HistoricalRecords

from verifier.changes.log import hold_commit_order, record

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


def _request_user() -> Any:
    """Who sent the request being answered, as the audit history has it
    (simple-history's middleware), or ``None`` outside a request."""
    request = getattr(HistoricalRecords.context, "request", None)
    return getattr(request, "user", None)


class Versioned(models.Model):
    """An editable object with a version number, for optimistic concurrency
    (``verifier.conditional``): every save of a change makes a new version,
    whoever makes it (the API, the admin, a command), and writes its entry in
    the change log (``<model>.created``, ``.updated``, ``.deleted``) in the
    same transaction. Bulk writes that bypass ``save()`` and ``delete()``
    (``QuerySet.update``, ``bulk_create``, migrations) write no entry."""

    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="Goes up by one with every saved change; names the ETag.",
    )

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            adding = self._state.adding
            if not adding:
                hold_commit_order(using)
                # The next version after the stored one, under the row lock:
                # two writers that loaded the same version still make two
                # versions.
                stored = (
                    type(self)
                    ._base_manager.using(using)
                    .select_for_update()
                    .filter(pk=self.pk)
                    .values_list("version", flat=True)
                    .first()
                )
                self.version = (stored or self.version) + 1
                if kwargs.get("update_fields") is not None:
                    kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
            super().save(*args, **kwargs)
            self._record("created" if adding else "updated", using)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            # Written while the row is there to say whether the public saw it.
            self._record("deleted", using)
            return super().delete(*args, **kwargs)

    def _record(self, what: str, using: str) -> None:
        """This change's entry in the change log, public when the row is one
        the public may see (its queryset's ``shows()``)."""
        manager = type(self)._default_manager.db_manager(using)
        public = hasattr(manager, "shows") and manager.shows(self.pk)
        record(
            f"{self._meta.model_name}.{what}",
            self,
            public=public,
            by=getattr(self, "_history_user", None) or _request_user(),
        )

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
