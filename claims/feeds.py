"""Atom feeds of verdicts: every status change of a published claim, of all
of them or of those a search of the list finds; and the ClaimReview data feed.

A change on a published claim is a correction, and its entry says so.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Max, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from sources.models import Source

from .claim_review import data_feed, rated_claims
from .forms import FILTERS, ClaimFilterForm
from .models import Claim, Event, Statement, StatusChange, Visibility
from .page_cache import public_page

ENTRIES = 50


class InvalidFilters(Exception):
    """A feed asked for with filters the list would refuse."""

    def __init__(self, form: ClaimFilterForm) -> None:
        super().__init__(form.error_message())


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


class SearchFeed(StatusChangeFeed):
    """The site-wide feed, narrowed by the list's filters (``/feed/?status=…``):
    a search of the list a reader subscribes to. The filters are read and
    refused by the list's own form, with the list's messages."""

    def __call__(
        self, request: HttpRequest, *args: object, **kwargs: object
    ) -> HttpResponse:
        try:
            return super().__call__(request, *args, **kwargs)
        except InvalidFilters as error:
            message = f"This feed's filters are not valid. {error}"
            return render(
                request, "claims/bad_request.html", {"message": message}, status=400
            )

    def get_object(self, request: HttpRequest) -> ClaimFilterForm | None:
        """The search, or ``None`` for every verdict. Paging and unknown
        parameters are ignored, as the list ignores what it does not know."""
        query = {name: request.GET.get(name, "") for name in FILTERS}
        if not any(query.values()):
            return None
        form = ClaimFilterForm.from_query(query)
        if not form.is_valid():
            raise InvalidFilters(form)
        return form if form.is_filtered else None

    def title(self, obj: ClaimFilterForm | None) -> str:
        if obj is None:
            return StatusChangeFeed.title
        return f"Verifier: verdicts ({obj.description()})"

    def subtitle(self, obj: ClaimFilterForm | None) -> str:
        if obj is None:
            return StatusChangeFeed.subtitle
        return (
            "Every change of verdict on a published claim this search of the "
            "list finds, newest first."
        )

    def link(self, obj: ClaimFilterForm | None) -> str:
        index = reverse("claims:index")
        return index if obj is None else f"{index}?{obj.query()}"

    def feed_url(self, obj: ClaimFilterForm | None) -> str:
        url = reverse("claims:feed")
        return url if obj is None else f"{url}?{obj.query()}"

    def items(self, obj: ClaimFilterForm | None) -> list[StatusChange]:
        changes = self.changes()
        if obj is not None:
            claims = obj.filter(Claim.objects.published())
            changes = changes.filter(claim__in=claims.values("pk"))
        return list(changes.order_by("-changed_at", "-id")[:ENTRIES])


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


def _per_request(feed: type[Feed]) -> Callable[..., HttpResponse]:
    """A view serving ``feed``, a new instance for each request: a feed keeps
    the request it answers (``StatusChangeFeed.request``), and requests are
    served side by side in threads."""

    def view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        return feed()(request, *args, **kwargs)

    view.__name__ = view.__qualname__ = feed.__name__
    view.__doc__ = feed.__doc__
    return view


feed = public_page(_per_request(SearchFeed))
event_feed = public_page(_per_request(EventFeed))
source_feed = public_page(_per_request(SourceFeed))


@public_page
def claimreview_feed(request: HttpRequest) -> StreamingHttpResponse:
    """``/claimreview.json``: the ClaimReview of every published rated claim,
    as a schema.org ``DataFeed``, streamed.

    Sent as ``application/ld+json``, JSON-LD's own media type: it names the
    ``@context`` that gives the keys their meaning, and any JSON reader takes
    it (``+json``).
    """
    content_type = "application/ld+json"
    if request.method == "HEAD":
        # The headers alone (a reader checking the ETag): the archive is not
        # read for a body nobody is sent.
        return StreamingHttpResponse([], content_type=content_type)
    claims = rated_claims()
    # Streamed after the view returns: read where this request reads (an
    # anonymous reader's from a replica).
    claims = claims.using(claims.db)
    # A claim leaving the feed (unpublished, or no longer rated) changes it
    # too: the newest change of any claim ever published.
    modified = (
        Claim.objects.using(claims.db)
        .filter(published_at__isnull=False)
        .aggregate(newest=Max("updated_at"))["newest"]
    )
    return StreamingHttpResponse(
        data_feed(request, claims, modified=modified), content_type=content_type
    )
