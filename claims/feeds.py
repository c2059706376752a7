"""Atom feeds of verdicts: every status change of a published claim.

A change on a published claim is a correction, and its entry says so.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from sources.models import Source

from .models import Event, Statement, StatusChange, Visibility
from .page_cache import public_page

ENTRIES = 50


class StatusChangeFeed(Feed):
    feed_type = Atom1Feed
    title = "Verifier: verdicts and corrections"
    subtitle = "Every change of verdict on a published claim, newest first."

    def __call__(
        self, request: HttpRequest, *args: object, **kwargs: object
    ) -> HttpResponse:
        self.request = request
        return super().__call__(request, *args, **kwargs)

    def link(self, obj: object = None) -> str:
        return reverse("claims:index")

    def author_name(self) -> str:
        return settings.PUBLISHER_NAME

    def author_link(self) -> str:
        return settings.PUBLISHER_URL or self.request.build_absolute_uri("/")

    def changes(self) -> QuerySet[StatusChange]:
        return StatusChange.objects.filter(
            claim__visibility=Visibility.PUBLISHED
        ).select_related("claim")

    def items(self, obj: object = None) -> list[StatusChange]:
        return list(self.changes().order_by("-changed_at", "-id")[:ENTRIES])

    def item_title(self, item: StatusChange) -> str:
        verdict = (
            "Wording corrected"
            if item.corrects_text
            else f"{item.get_old_status_display()} → {item.get_new_status_display()}"
        )
        prefix = "Correction: " if item.is_correction else ""
        return f"{prefix}{verdict}: {item.claim.text}"

    def item_description(self, item: StatusChange) -> str:
        notice = (
            f"Correction after publication: the {item.summary}. "
            if item.is_correction
            else ""
        )
        return f"{notice}{item.rationale}"

    def item_link(self, item: StatusChange) -> str:
        return f"{item.claim.get_absolute_url()}#change-{item.pk}"

    def item_pubdate(self, item: StatusChange):
        return item.changed_at

    def item_updateddate(self, item: StatusChange):
        return item.changed_at

    def item_categories(self, item: StatusChange) -> list[str]:
        labels = [item.get_new_status_display()]
        return [*labels, "Correction"] if item.is_correction else labels


class EventFeed(StatusChangeFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Event:
        return get_object_or_404(Event.objects.public(), slug=slug)

    def title(self, obj: Event) -> str:
        return f"Verifier: {obj.title}"

    def subtitle(self, obj: Event) -> str:
        return "Every change of verdict on a published claim about this event."

    def link(self, obj: Event) -> str:
        return obj.get_absolute_url()

    def items(self, obj: Event) -> list[StatusChange]:
        changes = self.changes().filter(claim__event=obj)
        return list(changes.order_by("-changed_at", "-id")[:ENTRIES])


class SourceFeed(StatusChangeFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Source:
        return get_object_or_404(Source.objects.public(), slug=slug)

    def title(self, obj: Source) -> str:
        return f"Verifier: claims by {obj.label}"

    def subtitle(self, obj: Source) -> str:
        return (
            "Every change of verdict on a published claim this source asserted "
            "or denied."
        )

    def link(self, obj: Source) -> str:
        return obj.get_absolute_url()

    def items(self, obj: Source) -> list[StatusChange]:
        claims = Statement.objects.filter(source=obj).values("claim_id")
        changes = self.changes().filter(claim__in=claims)
        return list(changes.order_by("-changed_at", "-id")[:ENTRIES])


feed = public_page(StatusChangeFeed())
event_feed = public_page(EventFeed())
source_feed = public_page(SourceFeed())
