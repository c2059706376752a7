"""Every public page, for search engines: published claims and what they are about."""

from __future__ import annotations

import datetime

from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet
from django.urls import reverse

from sources.models import Source

from .models import Claim, Event, Place


class ClaimSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.8

    def items(self) -> QuerySet[Claim]:
        return Claim.objects.published().order_by("-updated_at", "-id")

    def lastmod(self, claim: Claim) -> datetime.datetime:
        return claim.updated_at


class EventSitemap(Sitemap):
    changefreq = "daily"

    def items(self) -> QuerySet[Event]:
        return Event.objects.public().order_by("slug")

    def lastmod(self, event: Event) -> datetime.datetime:
        return event.updated_at


class SourceSitemap(Sitemap):
    changefreq = "weekly"

    def items(self) -> QuerySet[Source]:
        return Source.objects.public().order_by("slug")


class PlaceSitemap(Sitemap):
    changefreq = "weekly"

    def items(self) -> QuerySet[Place]:
        return Place.objects.public().order_by("slug")


class IndexSitemap(Sitemap):
    changefreq = "hourly"
    priority = 1.0

    def items(self) -> list[str]:
        return ["claims:index"]

    def location(self, name: str) -> str:
        return reverse(name)


SITEMAPS = {
    "index": IndexSitemap,
    "claims": ClaimSitemap,
    "events": EventSitemap,
    "sources": SourceSitemap,
    "places": PlaceSitemap,
}
