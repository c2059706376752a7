"""``/claimreview.json``: the ClaimReview of every published rated claim, as
a schema.org DataFeed, for fact-check aggregators."""

import datetime
import json
import re
from io import StringIO

import pytest
from django.core.management import call_command

from claims import services
from claims.models import Claim, Status
from tests.factories import (
    ClaimFactory,
    DocumentFactory,
    EventFactory,
    EvidenceFactory,
    InReviewClaimFactory,
    PublishedClaimFactory,
    SourceFactory,
    StatementFactory,
    StatusChangeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

URL = "/claimreview.json"
RATED = {status for status in Status if status.rating_value is not None}


@pytest.fixture
def demo():
    call_command("load_demo", stdout=StringIO())


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def feed_of(client, **headers) -> dict:
    response = client.get(URL, headers=headers)
    assert response.status_code == 200
    return json.loads(body(response))


def reviews(feed: dict) -> dict[str, dict]:
    """The feed's reviews by the claim page they review."""
    return {
        element["item"][0]["url"]: element["item"][0]
        for element in feed["dataFeedElement"]
    }


def page_review(client, claim: Claim) -> dict:
    html = client.get(claim.get_absolute_url()).content.decode()
    match = re.search(
        r'<script type="application/ld\+json">(.*?)</script>', html, flags=re.S
    )
    assert match, f"no JSON-LD on {claim.get_absolute_url()}"
    return json.loads(match[1])


def url_of(claim: Claim) -> str:
    return f"http://testserver{claim.get_absolute_url()}"


def moment(text: str) -> datetime.datetime:
    assert text.endswith("Z"), text
    return datetime.datetime.fromisoformat(text)


def rated_and_published(text: str, *, by) -> Claim:
    """A claim judged disputed in review, then published."""
    claim = InReviewClaimFactory(text=text)
    evidence = EvidenceFactory(claim=claim)
    StatementFactory(claim=claim, source=SourceFactory(kind="military"))
    services.change_status(
        claim,
        to=Status.DISPUTED,
        rationale="Sources conflict.",
        evidence=[evidence],
        by=by,
        at=datetime.datetime(2025, 3, 20, 12, tzinfo=datetime.UTC),
    )
    services.publish_claim(claim, by=by)
    claim.refresh_from_db()
    return claim


def test_the_feed_is_a_data_feed_of_claim_reviews(client, demo, settings):
    settings.PUBLISHER_NAME = "Example Fact Desk"
    settings.PUBLISHER_URL = "https://desk.example.org/"

    response = client.get(URL)
    feed = json.loads(body(response))

    assert response["Content-Type"] == "application/ld+json"
    assert feed["@context"] == "https://schema.org"
    assert feed["@type"] == "DataFeed"
    assert feed["url"] == "http://testserver/claimreview.json"
    assert feed["publisher"] == {
        "@type": "Organization",
        "name": "Example Fact Desk",
        "url": "https://desk.example.org/",
    }
    assert feed["dataFeedElement"]
    for element in feed["dataFeedElement"]:
        assert element["@type"] == "DataFeedItem"
        assert moment(element["dateModified"]) >= moment(element["dateCreated"])
        [review] = element["item"]
        assert review["@type"] == "ClaimReview"
        assert review["itemReviewed"]["@type"] == "Claim"
        assert review["reviewRating"]["@type"] == "Rating"
        assert 1 <= review["reviewRating"]["ratingValue"] <= 5
        assert review["author"]["@type"] == "Organization"
        assert review["author"]["name"] == "Example Fact Desk"
        if "author" in review["itemReviewed"]:
            assert review["itemReviewed"]["author"]["@type"] in {
                "Person",
                "Organization",
            }
    # The demo has people and organisations making claims, and a correction.
    items = [e["item"][0]["itemReviewed"] for e in feed["dataFeedElement"]]
    assert {item["author"]["@type"] for item in items if "author" in item} == {
        "Person",
        "Organization",
    }
    assert any("correction" in e["item"][0] for e in feed["dataFeedElement"])
    newest = max(moment(e["dateModified"]) for e in feed["dataFeedElement"])
    assert moment(feed["dateModified"]) >= newest


def test_every_published_rated_claim_and_nothing_else(client, demo):
    ClaimFactory(text="A draft nobody may see.", status=Status.CONFIRMED)

    feed = reviews(feed_of(client))

    published = list(Claim.objects.published())
    rated = {url_of(c) for c in published if Status(c.status) in RATED}
    unrated = {url_of(c) for c in published if Status(c.status) not in RATED}
    assert rated
    assert unrated, "the demo has published unverified or unverifiable claims"
    assert set(feed) == rated
    texts = {review["claimReviewed"] for review in feed.values()}
    assert "A draft nobody may see." not in texts
    assert not any(
        claim.text in texts for claim in Claim.objects.exclude(visibility="published")
    )


def test_each_review_is_the_one_its_claim_page_carries(client, demo):
    feed = reviews(feed_of(client))

    for claim in Claim.objects.published():
        if Status(claim.status) in RATED:
            assert feed[url_of(claim)] == page_review(client, claim), claim.slug


def test_a_correction_moves_the_review_and_shows_in_it(client, reviewer):
    # given a published claim rated disputed
    claim = rated_and_published("The bridge at Sudzha was destroyed.", by=reviewer)
    first = client.get(URL)
    before = json.loads(body(first))["dataFeedElement"][0]
    assert "correction" not in before["item"][0]

    # when a reviewer overturns it
    services.change_status(
        claim,
        to=Status.FALSE,
        rationale="Satellite images show the bridge standing.",
        evidence=[claim.evidence.get()],
        by=reviewer,
    )

    # then a reader holding the old feed gets the new one, corrected
    response = client.get(URL, headers={"If-None-Match": first["ETag"]})
    assert response.status_code == 200
    assert response["ETag"] != first["ETag"]
    after = json.loads(body(response))
    [element] = after["dataFeedElement"]
    assert moment(element["dateModified"]) > moment(before["dateModified"])
    assert element["dateCreated"] == before["dateCreated"]
    assert moment(after["dateModified"]) >= moment(element["dateModified"])
    review = element["item"][0]
    assert review["reviewRating"]["ratingValue"] == 1
    assert review["reviewRating"]["alternateName"] == "False"
    assert review["reviewBody"] == "Satellite images show the bridge standing."
    [correction] = review["correction"]
    assert correction["@type"] == "CorrectionComment"
    assert correction["text"].startswith("Verdict changed from Disputed to False")


def test_a_claim_unpublished_or_no_longer_rated_leaves_the_feed(client, reviewer):
    _kept, unrated, withdrawn = (
        rated_and_published(text, by=reviewer)
        for text in ("Kept.", "Unrated.", "Gone.")
    )
    assert len(feed_of(client)["dataFeedElement"]) == 3
    old = feed_of(client)["dateModified"]

    services.change_status(
        unrated,
        to=Status.UNVERIFIABLE,
        rationale="Nobody can reach the area.",
        evidence=[unrated.evidence.get()],
        by=reviewer,
    )
    services.unpublish_claim(withdrawn, by=reviewer)

    feed = feed_of(client)
    assert [e["item"][0]["claimReviewed"] for e in feed["dataFeedElement"]] == ["Kept."]
    assert moment(feed["dateModified"]) > moment(old)


def test_an_archive_without_ratings_is_an_empty_feed(client):
    PublishedClaimFactory(status=Status.UNVERIFIED)

    feed = feed_of(client)

    assert feed["@type"] == "DataFeed"
    assert feed["dataFeedElement"] == []


def test_answers_conditional_requests_and_may_be_cached(client, demo):
    response = client.get(URL)
    etag = response["ETag"]

    again = client.get(URL, headers={"If-None-Match": etag})

    assert again.status_code == 304
    assert not again.content
    assert again["ETag"] == etag
    assert "public" in response["Cache-Control"]
    assert "max-age=60" in response["Cache-Control"]
    # The entity tag is the public pages' one validator.
    assert not response.has_header("Last-Modified")
    assert client.get(URL, headers={"If-None-Match": '"other"'}).status_code == 200


def test_signed_in_staff_get_the_same_feed_without_drafts(client, demo, reviewer):
    ClaimFactory(text="A draft nobody may see.", status=Status.CONFIRMED)
    anonymous = feed_of(client)
    client.force_login(reviewer)

    signed_in = feed_of(client)

    assert reviews(signed_in) == reviews(anonymous)


def test_head_tells_the_feed_s_version_without_reading_the_archive(
    client, demo, django_assert_max_num_queries
):
    etag = client.get(URL)["ETag"]

    with django_assert_max_num_queries(1):
        response = client.head(URL)

    assert response.status_code == 200
    assert response["ETag"] == etag
    assert response["Content-Type"] == "application/ld+json"
    assert body(response) == b""


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_the_feed_is_read_only(client, method):
    response = getattr(client, method)(URL)

    assert response.status_code == 405


def test_the_feed_reads_no_more_for_more_claims(client, django_assert_max_num_queries):
    user = UserFactory()
    document = DocumentFactory(publisher=None)
    event = EventFactory()
    sources = [SourceFactory() for _ in range(3)]

    def grow(n: int) -> None:
        for _ in range(n):
            claim = PublishedClaimFactory(event=event, status=Status.DISPUTED)
            for source in sources:
                StatementFactory(claim=claim, source=source, document=document)
            evidence = EvidenceFactory(claim=claim, document=document)
            StatusChangeFactory(claim=claim, changed_by=user).evidence.add(evidence)
            StatusChangeFactory(
                claim=claim,
                changed_by=user,
                old_status=Status.DISPUTED,
                new_status=Status.MISLEADING,
                is_correction=True,
            )

    grow(10)
    with django_assert_max_num_queries(20) as ten:
        assert len(feed_of(client)["dataFeedElement"]) == 10
    grow(90)
    with django_assert_max_num_queries(len(ten.captured_queries)):
        assert len(feed_of(client)["dataFeedElement"]) == 100
