"""Lists and details cost the same number of queries for 10 items as for 100."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.models import Place
from tests.factories import (
    ClaimLinkFactory,
    DocumentFactory,
    EventFactory,
    EvidenceFactory,
    PlaceFactory,
    PublishedClaimFactory,
    SourceFactory,
    StatementFactory,
    StatusChangeFactory,
)

pytestmark = pytest.mark.django_db


def claims_with_parts(n: int) -> None:
    places = [PlaceFactory(), PlaceFactory()]
    for _ in range(n):
        claim = PublishedClaimFactory()
        claim.places.set(places)
        StatementFactory(claim=claim)
        StatementFactory(claim=claim, stance="denies")
        EvidenceFactory(claim=claim)


def links(n: int) -> None:
    for _ in range(n):
        ClaimLinkFactory(
            from_claim=PublishedClaimFactory(), to_claim=PublishedClaimFactory()
        )


def events(n: int) -> None:
    places = [PlaceFactory(), PlaceFactory()]
    for _ in range(n):
        EventFactory().places.set(places)


def places(n: int) -> None:
    parent = PlaceFactory()
    for _ in range(n):
        PlaceFactory(parent=parent)


LISTS = {
    "/api/v1/claims/": claims_with_parts,
    "/api/v1/claims/?q=Claim": claims_with_parts,
    "/api/v1/claims/?place=": claims_with_parts,
    "/api/v1/statements/": lambda n: [
        StatementFactory(claim=PublishedClaimFactory()) for _ in range(n)
    ],
    "/api/v1/evidence/": lambda n: [
        EvidenceFactory(claim=PublishedClaimFactory()) for _ in range(n)
    ],
    "/api/v1/links/": links,
    "/api/v1/events/": events,
    "/api/v1/places/": places,
    "/api/v1/sources/": lambda n: SourceFactory.create_batch(n),
    "/api/v1/documents/": lambda n: DocumentFactory.create_batch(n),
}


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries)


def measure(api, user, url: str, build, n: int) -> int:
    build(n)
    if url.endswith("place="):
        url += Place.objects.order_by("id").first().slug
    separator = "&" if "?" in url else "?"
    return count_queries(api(user), f"{url}{separator}page_size=100")


@pytest.mark.parametrize("url", LISTS)
def test_list_queries_do_not_grow_with_the_page(api, editor, url):
    small = measure(api, editor, url, LISTS[url], 10)
    # The second measure sees 110 rows and a full page of 100.
    large = measure(api, editor, url, LISTS[url], 100)

    assert small == large
    # One of them is the throttle's counter (verifier.throttling).
    assert large <= 11


def claim_with(n: int):
    claim = PublishedClaimFactory()
    claim.places.set(PlaceFactory.create_batch(3))
    for day in range(n):
        StatementFactory(
            claim=claim,
            stated_on=datetime.date(2025, 1, 1) + datetime.timedelta(days=day),
        )
        evidence = EvidenceFactory(claim=claim)
        ClaimLinkFactory(from_claim=claim, to_claim=PublishedClaimFactory())
        ClaimLinkFactory(from_claim=PublishedClaimFactory(), to_claim=claim)
        StatusChangeFactory(
            claim=claim,
            old_status="unverified" if day % 2 == 0 else "disputed",
            new_status="disputed" if day % 2 == 0 else "unverified",
        ).evidence.set([evidence])
    return claim


@pytest.mark.parametrize("suffix", ["", "history/"])
def test_claim_detail_queries_do_not_grow_with_its_parts(api, editor, suffix):
    small, large = claim_with(10), claim_with(100)
    client = api(editor)

    assert count_queries(client, f"/api/v1/claims/{small.slug}/{suffix}") == (
        count_queries(client, f"/api/v1/claims/{large.slug}/{suffix}")
    )


def test_event_detail_queries_do_not_grow_with_its_places(api, editor):
    small, large = EventFactory(), EventFactory()
    small.places.set(PlaceFactory.create_batch(10))
    large.places.set(PlaceFactory.create_batch(100))
    client = api(editor)

    assert count_queries(client, f"/api/v1/events/{small.slug}/") == count_queries(
        client, f"/api/v1/events/{large.slug}/"
    )
