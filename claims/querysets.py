"""Which claims a query asks for, and what it fetches with them: who may see
drafts, the joins each page needs, search and near duplicates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, Exists, FloatField, OuterRef, Prefetch, Value, When

from verifier.models import CountingQuerySet, is_staff

from . import models
from .choices import Visibility
from .search import SEARCH_CANDIDATES, matching_ids, rank, similar_scores

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser


def sees_drafts(user: AbstractUser | AnonymousUser) -> bool:
    """Staff who may view claims see drafts; everyone else, published claims."""
    return is_staff(user) and user.has_perm("claims.view_claim")


def sees_exact_coordinates(user: AbstractUser | AnonymousUser) -> bool:
    """Staff see places where they are; the public, to about a kilometre."""
    return is_staff(user)


class ClaimQuerySet(CountingQuerySet):
    def published(self) -> ClaimQuerySet:
        return self.filter(visibility=Visibility.PUBLISHED)

    def visible_to(self, user: AbstractUser | AnonymousUser) -> ClaimQuerySet:
        """Drafts only for staff who may view claims; everyone sees published."""
        return self.all() if sees_drafts(user) else self.published()

    def with_attribution(self) -> ClaimQuerySet:
        """Everything a claim page shows, in a fixed number of queries."""
        return self.select_related("event").prefetch_related(
            "places",
            Prefetch(
                "statements",
                queryset=models.Statement.objects.select_related(
                    "source", "document__publisher"
                ),
            ),
            Prefetch(
                "evidence",
                queryset=models.Evidence.objects.select_related("document__publisher"),
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
                    queryset=models.StatusChange.objects.order_by(
                        "changed_at", "id"
                    ).prefetch_related(
                        Prefetch(
                            "evidence",
                            queryset=models.Evidence.objects.select_related("document"),
                        )
                    ),
                ),
            )
        )

    def with_links(self, user: AbstractUser | AnonymousUser) -> ClaimQuerySet:
        """Related claims in both directions, only those ``user`` may see."""
        visible = models.Claim.objects.visible_to(user)
        return self.prefetch_related(
            Prefetch(
                "links_out",
                queryset=models.ClaimLink.objects.filter(
                    to_claim__in=visible
                ).select_related("to_claim"),
            ),
            Prefetch(
                "links_in",
                queryset=models.ClaimLink.objects.filter(
                    from_claim__in=visible
                ).select_related("from_claim"),
            ),
        )

    def stated_by(self, **source_filter: object) -> ClaimQuerySet:
        """Claims with a statement by a source matching ``source_filter``."""
        statements = models.Statement.objects.filter(
            claim=OuterRef("pk"),
            **{f"source__{key}": value for key, value in source_filter.items()},
        )
        return self.filter(Exists(statements))

    def about(self, place_ids: Iterable[int]) -> ClaimQuerySet:
        """Claims about any of these places, each once, without a DISTINCT."""
        through = models.Claim.places.through
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
            self.model._default_manager.all(),
            text,
            published_only=published_only,
            limit=limit,
        )
        if not ids:
            return self.none().annotate(search_rank=Value(0))
        return self.filter(id__in=ids).annotate(search_rank=rank(ids))

    def similar(
        self, text: str, *, user: AbstractUser | AnonymousUser, limit: int = 5
    ) -> ClaimQuerySet:
        """The ``limit`` claims ``user`` may see closest to ``text``, best first,
        each with its ``similarity`` in [0, 1] (``claims.search``): near
        duplicates of a claim being written, in any spelling the search
        forgives."""
        scores = similar_scores(
            self.model._default_manager.all(),
            text,
            published_only=not sees_drafts(user),
            limit=limit,
        )
        if not scores:
            return self.none().annotate(similarity=Value(0.0))
        return (
            self.filter(id__in=[pk for pk, _ in scores])
            .annotate(
                similarity=Case(
                    *(When(id=pk, then=Value(score)) for pk, score in scores),
                    output_field=FloatField(),
                )
            )
            .order_by("-similarity", "-id")
        )
