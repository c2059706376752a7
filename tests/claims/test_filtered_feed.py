"""``/feed/?status=…&event=…``: the Atom feed of any search of the claim
list, refused as the list refuses it, linked from the pages it follows."""

import re
from urllib.parse import urlencode

import feedparser
import pytest

from claims.models import Status
from tests.factories import (
    ClaimFactory,
    DocumentFactory,
    EventFactory,
    EvidenceFactory,
    PlaceFactory,
    PublishedClaimFactory,
    SourceFactory,
    StatementFactory,
    StatusChangeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


class Newsroom:
    """Published claims of two events, in a region and elsewhere, stated by
    two sources of different grades, each with a verdict change; a draft."""

    def __init__(self) -> None:
        user = UserFactory()
        self.event = EventFactory(slug="sudzha-2025", title="Sudzha offensive")
        self.other_event = EventFactory(slug="kharkiv-2025", title="Kharkiv strikes")
        self.region = PlaceFactory(slug="kursk-region", name="Kursk region")
        self.town = PlaceFactory(slug="sudzha", name="Sudzha", parent=self.region)
        self.isw = SourceFactory(slug="isw", name="ISW", reliability="B")
        self.mod = SourceFactory(slug="mod", name="Russian MoD", reliability="E")
        self.bridge = self.claim(
            "The bridge at Sudzha was destroyed.", Status.CONFIRMED, self.event
        )
        self.bridge.places.add(self.town)
        StatementFactory(claim=self.bridge, source=self.isw)
        self.retreat = self.claim(
            "Russian forces left Sudzha.", Status.DISPUTED, self.event
        )
        self.retreat.places.add(self.region)
        StatementFactory(claim=self.retreat, source=self.mod)
        self.strike = self.claim(
            "A missile struck Kharkiv’s centre.", Status.CONFIRMED, self.other_event
        )
        StatementFactory(claim=self.strike, source=self.mod, stance="denies")
        self.draft = ClaimFactory(
            text="A draft about Sudzha.", status=Status.CONFIRMED, event=self.event
        )
        self.draft.places.add(self.town)
        StatementFactory(claim=self.draft, source=self.isw)
        StatusChangeFactory(
            claim=self.draft, changed_by=user, new_status=Status.CONFIRMED
        )
        self.user = user

    def claim(self, text: str, status: Status, event):
        claim = PublishedClaimFactory(text=text, status=status, event=event)
        StatusChangeFactory(
            claim=claim, changed_by=UserFactory(), new_status=status, rationale="Why."
        )
        return claim

    @property
    def published(self) -> list:
        return [self.bridge, self.retreat, self.strike]


@pytest.fixture
def newsroom() -> Newsroom:
    return Newsroom()


def feed(client, query: str):
    response = client.get(f"/feed/?{query}")
    assert response.status_code == 200, response.content
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    return parsed


def claims_in_feed(parsed) -> set[str]:
    """The claim pages the feed's entries link to."""
    return {
        re.sub(r"^http://testserver|#change-\d+$", "", entry.link)
        for entry in parsed.entries
    }


def claims_on_list(client, query: str) -> set[str]:
    html = client.get(f"/?{query}").content.decode()
    return set(re.findall(r'href="(/claims/[^/"]+/)"', html))


QUERIES = [
    "status=confirmed",
    "status=disputed",
    "status=false",
    "event=sudzha-2025",
    "source=isw",
    "source=mod",
    "grade=E",
    "place=kursk-region",
    "place=sudzha",
    "status=confirmed&event=sudzha-2025",
    "status=confirmed&source=mod",
]


@pytest.mark.parametrize("query", QUERIES)
def test_a_search_feed_holds_the_changes_of_the_claims_the_list_shows(
    client, newsroom, query
):
    parsed = feed(client, query)

    assert claims_in_feed(parsed) == claims_on_list(client, query)
    assert newsroom.draft.get_absolute_url() not in claims_in_feed(parsed)


def test_filters_narrow_the_feed_as_they_narrow_the_list(client, newsroom):
    def titles(query: str) -> set[str]:
        return {entry.title.split(": ", 1)[1] for entry in feed(client, query).entries}

    bridge, retreat, strike = (c.text for c in newsroom.published)
    assert titles("status=confirmed") == {bridge, strike}
    assert titles("event=sudzha-2025") == {bridge, retreat}
    # A region holds the places inside it.
    assert titles("place=kursk-region") == {bridge, retreat}
    assert titles("place=sudzha") == {bridge}
    # A source is on a claim it asserts or denies.
    assert titles("source=mod") == {retreat, strike}
    assert titles("status=confirmed&source=mod") == {strike}
    assert titles("status=false") == set()
    assert titles("") == {bridge, retreat, strike}


@pytest.mark.sqlite
def test_a_text_search_has_its_feed(client, newsroom):
    parsed = feed(client, "q=bridge")

    assert claims_in_feed(parsed) == {newsroom.bridge.get_absolute_url()}
    assert parsed.feed.title == "Verifier: verdicts (search “bridge”)"


def test_the_feed_says_what_it_follows_and_where_it_lives(client, newsroom):
    parsed = feed(client, "event=sudzha-2025&status=confirmed&before=1-1&utm=x")

    assert parsed.feed.title == (
        "Verifier: verdicts (Confirmed · event Sudzha offensive)"
    )
    links = {link.rel: link.href for link in parsed.feed.links}
    # Its own address and the list it follows carry the filters, not the page.
    assert links["self"] == (
        "http://testserver/feed/?status=confirmed&event=sudzha-2025"
    )
    assert links["alternate"] == (
        "http://testserver/?status=confirmed&event=sudzha-2025"
    )
    [entry] = parsed.entries
    assert entry.title == "Unverified → Confirmed: The bridge at Sudzha was destroyed."
    assert entry.link.startswith(
        f"http://testserver{newsroom.bridge.get_absolute_url()}#change-"
    )


def test_every_filter_is_named_in_the_title(client, newsroom):
    query = urlencode(
        {
            "status": "confirmed",
            "event": "sudzha-2025",
            "source": "isw",
            "grade": "B",
            "place": "kursk-region",
        }
    )

    parsed = feed(client, query)

    assert parsed.feed.title == (
        "Verifier: verdicts (Confirmed · event Sudzha offensive · source ISW (B)"
        " · source grade B — Usually reliable · place Kursk region)"
    )


def test_no_filter_is_the_feed_of_every_verdict(client, newsroom):
    for query in ("", "status=&event=", "q=%00", "before=1-1"):
        parsed = feed(client, query)

        assert parsed.feed.title == "Verifier: verdicts and corrections"
        assert {link.rel: link.href for link in parsed.feed.links}["self"] == (
            "http://testserver/feed/"
        )
        assert len(parsed.entries) == 3


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("status=nope", "Status"),
        ("event=no-such-event", "Event"),
        ("source=no-such-source", "Source"),
        ("grade=Z", "Source grade"),
        ("place=atlantis", "Place"),
        ("q=" + "x" * 201, "Search"),
        ("status=confirmed&event=%00", "Event"),
    ],
)
def test_a_bad_filter_is_a_clear_400_not_an_empty_feed(client, newsroom, query, named):
    response = client.get(f"/feed/?{query}")

    assert response.status_code == 400
    html = response.content.decode()
    assert "This feed&#x27;s filters are not valid." in html
    assert f"{named}:" in html
    assert not response.has_header("ETag")
    # The list refuses it too.
    assert client.get(f"/?{query}").status_code == 400


def test_a_draft_shows_in_no_feed_even_to_staff(client, newsroom, reviewer):
    client.force_login(reviewer)

    for query in ("", "event=sudzha-2025", "place=sudzha", "source=isw"):
        assert newsroom.draft.get_absolute_url() not in claims_in_feed(
            feed(client, query)
        )


def test_a_search_feed_answers_conditional_requests(client, newsroom):
    response = client.get("/feed/?status=confirmed")
    etag = response["ETag"]

    again = client.get("/feed/?status=confirmed", headers={"If-None-Match": etag})
    other = client.get("/feed/?status=disputed", headers={"If-None-Match": etag})

    assert again.status_code == 304
    assert other.status_code == 200
    assert "max-age=60" in response["Cache-Control"]


def test_the_list_links_to_the_feed_of_its_search(client, newsroom):
    html = client.get("/?status=confirmed&event=sudzha-2025&before=1-1").content
    html = html.decode()

    assert (
        '<link rel="alternate" type="application/atom+xml" title="Verdicts: '
        'Confirmed · event Sudzha offensive" '
        'href="/feed/?status=confirmed&amp;event=sudzha-2025">'
    ) in html
    assert re.search(
        r'<a href="/feed/\?status=confirmed&amp;event=sudzha-2025"[^>]*>'
        r"Subscribe to this search</a>",
        html,
    )
    # What the link leads to is that search's feed.
    assert feed(client, "status=confirmed&event=sudzha-2025").entries


def test_the_unfiltered_or_refused_list_offers_no_search_feed(client, newsroom):
    for query in ("", "status=nope"):
        html = client.get(f"/?{query}").content.decode()

        assert "Subscribe to this search" not in html
        # Only the site's own feed is announced.
        assert html.count('type="application/atom+xml"') == 1


def test_a_place_page_links_to_the_feed_of_its_claims(client, newsroom):
    html = client.get("/places/kursk-region/").content.decode()

    assert (
        '<link rel="alternate" type="application/atom+xml" title="Verdicts on '
        'claims about Kursk region" href="/feed/?place=kursk-region">'
    ) in html
    assert "Subscribe to claims about Kursk region" in html
    parsed = feed(client, "place=kursk-region")
    assert claims_in_feed(parsed) == {
        newsroom.bridge.get_absolute_url(),
        newsroom.retreat.get_absolute_url(),
    }


def test_a_search_feed_reads_no_more_for_more_claims(
    client, django_assert_max_num_queries
):
    user = UserFactory()
    event = EventFactory(slug="big-event")
    place = PlaceFactory(parent=PlaceFactory(slug="region"))
    source = SourceFactory(slug="speaker")
    document = DocumentFactory(publisher=None)

    def grow(n: int) -> None:
        for _ in range(n):
            claim = PublishedClaimFactory(event=event, status=Status.DISPUTED)
            claim.places.add(place)
            StatementFactory(claim=claim, source=source, document=document)
            evidence = EvidenceFactory(claim=claim, document=document)
            StatusChangeFactory(claim=claim, changed_by=user).evidence.add(evidence)

    url = "/feed/?status=disputed&event=big-event&source=speaker&place=region"
    grow(10)
    with django_assert_max_num_queries(10) as ten:
        assert len(feedparser.parse(client.get(url).content).entries) == 10
    grow(90)
    with django_assert_max_num_queries(len(ten.captured_queries)):
        assert len(feedparser.parse(client.get(url).content).entries) == 50
