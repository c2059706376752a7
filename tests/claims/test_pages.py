"""The public pages: content, drafts hidden, caching, headers, hostile input."""

import datetime
import json
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims import services
from claims.models import Claim, Place, Status
from tests.factories import (
    ClaimFactory,
    ClaimLinkFactory,
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

BELGOROD = "ukrainian-forces-operating-in-belgorod-region"
REPELLED = "all-ukrainian-incursions-into-belgorod-repelled"
EVENT = "belgorod-cross-border-operations-2025"


@pytest.fixture
def demo():
    call_command("load_demo", stdout=StringIO())


def demo_urls() -> list[str]:
    """One address of every kind of public page, from the demo data."""
    return [
        "/",
        f"/claims/{BELGOROD}/",
        f"/claims/{BELGOROD}/?as_of=2025-03-20",
        f"/events/{EVENT}/",
        "/sources/institute-for-the-study-of-war/",
        "/places/belgorod-region/",
        "/places/sudzha/",
        "/feed/",
        f"/events/{EVENT}/feed/",
        "/sources/volodymyr-zelensky/feed/",
        "/sitemap.xml",
        "/robots.txt",
    ]


def text_of(response) -> str:
    return response.content.decode()


def visible(html: str) -> str:
    """The page's text, tags dropped and whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# The list ------------------------------------------------------------------


def test_index_lists_published_claims_newest_change_first(client):
    older = PublishedClaimFactory(
        text="Older claim.", updated_at=timezone.now() - datetime.timedelta(days=2)
    )
    newer = PublishedClaimFactory(text="Newer claim.", status=Status.DISPUTED)
    ClaimFactory(text="A draft nobody may see.")

    html = text_of(client.get("/"))

    assert html.index(newer.text) < html.index(older.text)
    assert "A draft nobody may see." not in html
    assert 'class="badge badge-disputed">Disputed<' in html


def test_index_filters_by_status_event_source_grade_and_place(client):
    event = EventFactory(slug="the-event")
    region = PlaceFactory(slug="region", kind="region")
    village = PlaceFactory(slug="village", parent=region)
    isw = SourceFactory(slug="isw", reliability="B")
    in_village = PublishedClaimFactory(text="In the village.", event=event)
    in_village.places.add(village)
    StatementFactory(claim=in_village, source=isw)
    confirmed = PublishedClaimFactory(text="Confirmed one.", status=Status.CONFIRMED)

    def shown(query: str) -> set[str]:
        html = text_of(client.get(f"/?{query}"))
        return {claim.text for claim in (in_village, confirmed) if claim.text in html}

    assert shown("status=confirmed") == {"Confirmed one."}
    assert shown("event=the-event") == {"In the village."}
    assert shown("source=isw") == {"In the village."}
    assert shown("grade=B") == {"In the village."}
    assert shown("grade=A") == set()
    # A region includes the places inside it.
    assert shown("place=region") == {"In the village."}


@pytest.mark.sqlite
def test_search_finds_claims_by_text_quote_and_source_alias_in_cyrillic(client, demo):
    html = text_of(client.get("/", {"q": "Зеленський"}))

    assert "Ukrainian forces are conducting ground operations" in html
    assert "Kryvyi Rih on 4 April" not in html
    # Zelensky's claim about the 225th regiment is still a draft.
    assert "225th Assault Regiment" not in html
    assert "Sudzha" in text_of(client.get("/", {"q": "Суджа"}))


def test_index_pages_by_key_without_repeats_or_gaps(client):
    now = timezone.now()
    claims = [
        PublishedClaimFactory(text=f"Claim {n:02d}.", updated_at=now) for n in range(45)
    ]
    seen: list[str] = []
    query = ""
    pages = 0
    while True:
        html = text_of(client.get(f"/?{query}"))
        seen += re.findall(r"Claim \d\d\.", html)
        pages += 1
        older = re.search(r'href="\?([^"]+)" rel="next"', html)
        if not older:
            break
        query = older[1].replace("&amp;", "&")
    assert pages == 3
    assert sorted(seen) == sorted(claim.text for claim in claims)

    # and back again
    newer = re.search(r'href="\?([^"]+)" rel="prev"', html)
    back = text_of(client.get(f"/?{newer[1].replace('&amp;', '&')}"))
    assert len(re.findall(r"Claim \d\d\.", back)) == 20
    assert not set(re.findall(r"Claim \d\d\.", back)) & set(
        re.findall(r"Claim \d\d\.", html)
    )


@pytest.mark.parametrize(
    "query",
    [
        "status=bogus",
        "event=no-such-event",
        "grade=Z",
        "before=garbage",
        "before=12-",
        "before=1-99999999999999999999",
        "after=1-2%003",
        f"q={'x' * 500}",
    ],
)
def test_bad_filters_are_a_clear_400(client, query):
    response = client.get(f"/?{query}")

    assert response.status_code == 400
    assert 'role="alert"' in text_of(response) or "error" in text_of(response)
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize(
    "url",
    [
        "/?q=%00",
        "/?q=a%00b",
        "/?page=99999999999999999999999",
        "/?q=%E2%80%AE%F0%9F%92%A5",
        "/claims/x%00/",
        "/places/%D0%91/",
        "/events/..%2F..%2Fetc/",
        "/sources/a/feed/",
    ],
)
def test_hostile_input_never_gives_a_server_error(client, url):
    assert client.get(url).status_code in {200, 400, 404}


# The claim page ---------------------------------------------------------------


def test_claim_page_sets_who_asserts_beside_who_denies(client, demo):
    html = text_of(client.get(f"/claims/{BELGOROD}/"))
    page = visible(html)

    asserts = html[html.index("side-asserts") : html.index("side-denies")]
    denies = html[html.index("side-denies") : html.index("evidence-heading")]
    # Each source with its Admiralty pair: its grade and the credibility.
    assert "Institute for the Study of War · B2" in visible(asserts)
    assert "Volodymyr Zelensky · C1" in visible(asserts)
    assert "Russian Ministry of Defence · D4" in visible(denies)
    assert "Russia · D — Not usually reliable source; 4 — Doubtful" in visible(denies)
    assert "war must return to where it came from" in asserts
    assert "Zelensky&#x27;s evening address, 7 April 2025" in asserts
    # The verdict, its rationale and the evidence it rests on.
    assert 'badge-confirmed">Confirmed<' in html
    assert "Only the Russian MoD denies." in page
    assert "Russian Offensive Campaign Assessment, March 21, 2025" in html
    assert 'href="https://www.understandingwar.org/backgrounder/' in html


def test_claim_page_shows_the_timeline_with_correction_notices(client, demo):
    page = visible(text_of(client.get(f"/claims/{BELGOROD}/")))

    assert "Unverified → Disputed" in page
    assert "Disputed → Partly confirmed Correction" in page
    assert "Partly confirmed → Confirmed Correction" in page
    assert (
        "the verdict changed from Partly confirmed to Confirmed after publication"
        in page
    )


def test_claim_page_shows_who_relayed_a_statement(client, demo):
    html = visible(text_of(client.get("/claims/fighting-in-demidovka/")))

    # The bloggers' words reached us through ISW's assessment.
    assert "relayed by Institute for the Study of War (B)" in html


def test_claim_page_lists_related_published_claims_only(client, demo):
    claim = Claim.objects.get(slug=BELGOROD)
    draft = ClaimFactory(text="An unpublished related claim.")
    ClaimLinkFactory(from_claim=draft, to_claim=claim, kind="supports")

    html = visible(text_of(client.get(f"/claims/{BELGOROD}/")))

    assert "Contradicted by: Every Ukrainian attempt" in html
    assert "Supported by: Fighting took place inside the village of Demidovka" in html
    assert "An unpublished related claim." not in html


def test_claim_page_can_be_shared_with_its_verdict(client, demo):
    html = text_of(client.get(f"/claims/{REPELLED}/"))

    assert '<meta property="og:title" content="False: Every Ukrainian attempt' in html
    assert (
        f'<meta property="og:url" content="http://testserver/claims/{REPELLED}/">'
        in html
    )


def test_a_drafts_address_is_a_404(client):
    draft = ClaimFactory()

    assert client.get(f"/claims/{draft.slug}/").status_code == 404
    assert client.get("/claims/no-such-claim/").status_code == 404


def test_quote_is_marked_with_its_language_and_translation(client):
    claim = PublishedClaimFactory()
    StatementFactory(
        claim=claim,
        quote="Ми продовжуємо активні операції",
        quote_language="uk",
        translation="We continue active operations",
    )

    html = text_of(client.get(claim.get_absolute_url()))

    assert '<blockquote lang="uk">' in html
    assert "Ми продовжуємо активні операції" in html
    assert "We continue active operations" in html


# As of a past day -----------------------------------------------------------


def test_as_of_shows_the_verdict_timeline_and_statements_of_that_day(client, demo):
    html = visible(text_of(client.get(f"/claims/{BELGOROD}/?as_of=2025-03-20")))

    verdict = html[html.index("Verdict on") : html.index("Who asserts it")]
    assert "Disputed" in verdict
    assert "Confirmed" not in verdict
    assert "end of 20 March 2025" in html
    timeline = html[html.index("Timeline of verdicts") : html.index("Related claims")]
    assert "Unverified → Disputed" in timeline
    assert "Partly confirmed" not in timeline
    # ISW spoke on 21 March, Zelensky's address came on 7 April.
    assert "Institute for the Study of War · B" not in html
    assert "war must return" not in html
    assert "Russian Ministry of Defence · D4" in html


def test_as_of_before_the_claim_existed_says_so(client, demo):
    html = visible(text_of(client.get(f"/claims/{BELGOROD}/?as_of=2025-01-01")))

    assert "had not been recorded yet" in html
    assert "Unverified" in html


def test_as_of_page_is_not_indexed_and_carries_no_review(client, demo):
    html = text_of(client.get(f"/claims/{BELGOROD}/?as_of=2025-04-08"))

    assert '<meta name="robots" content="noindex">' in html
    assert "application/ld+json" not in html
    assert 'rel="canonical"' in html


@pytest.mark.parametrize(
    "as_of",
    ["2025-02-30", "yesterday", "2025-1-1", "%00", "2025-04-01%00", "9999-01-01"],
)
def test_a_bad_as_of_date_is_a_clear_400(client, demo, as_of):
    response = client.get(f"/claims/{BELGOROD}/?as_of={as_of}")

    assert response.status_code == 400
    assert "as_of" in text_of(response) or "no such day" in text_of(response)


# ClaimReview ------------------------------------------------------------------


def claim_review(html: str) -> dict:
    match = re.search(
        r'<script type="application/ld\+json">(.*?)</script>', html, flags=re.S
    )
    assert match, "no JSON-LD on the page"
    return json.loads(match[1])


def test_every_demo_claim_carries_a_complete_claim_review(client, demo, settings):
    settings.PUBLISHER_NAME = "Example Fact Desk"
    settings.PUBLISHER_URL = "https://desk.example.org/"
    claims = list(Claim.objects.published().with_attribution())
    assert len(claims) >= 8

    for claim in claims:
        review = claim_review(text_of(client.get(claim.get_absolute_url())))

        assert review["@context"] == "https://schema.org"
        assert review["@type"] == "ClaimReview"
        assert review["claimReviewed"] == claim.text
        assert review["url"] == f"http://testserver{claim.get_absolute_url()}"
        assert review["datePublished"] == claim.published_at.date().isoformat()
        assert review["author"] == {
            "@type": "Organization",
            "name": "Example Fact Desk",
            "url": "https://desk.example.org/",
        }
        status = Status(claim.status)
        if status.rating_value is None:
            assert "reviewRating" not in review, claim.slug
        else:
            assert review["reviewRating"] == {
                "@type": "Rating",
                "ratingValue": status.rating_value,
                "bestRating": 5,
                "worstRating": 1,
                "alternateName": status.label,
            }
        item = review["itemReviewed"]
        assert item["@type"] == "Claim"
        asserting = [s for s in claim.statements.all() if s.stance == "asserts"]
        if not asserting:
            # Nobody on record asserts it (the Kryvyi Rih casualty count).
            assert "author" not in item
            continue
        first = asserting[0]
        kind = "Person" if first.source.kind == "person" else "Organization"
        assert item["author"]["@type"] == kind
        assert item["author"]["name"] == first.source.name
        assert item["datePublished"] == first.stated_on.isoformat()
        if first.document:
            assert item["appearance"]["@type"] == "CreativeWork"
            assert item["appearance"]["headline"] == first.document.title
            if first.document.url:
                assert item["appearance"]["url"] == first.document.url


def test_claim_review_of_the_demo_has_every_rating_and_a_person_and_org(client, demo):
    reviews = {
        claim.slug: claim_review(text_of(client.get(claim.get_absolute_url())))
        for claim in Claim.objects.published()
    }

    assert reviews[BELGOROD]["itemReviewed"]["author"]["@type"] == "Person"
    assert reviews[REPELLED]["itemReviewed"]["author"]["@type"] == "Organization"
    assert reviews[REPELLED]["reviewRating"]["ratingValue"] == 1
    assert (
        reviews["ukrainian-troops-consolidating-near-demidovka-and-prilesye"][
            "itemReviewed"
        ]["appearance"]["url"]
    ).startswith("https://www.understandingwar.org/")
    unverifiable = reviews["cross-border-operations-aim-to-protect-sumy-and-kharkiv"]
    assert "reviewRating" not in unverifiable


def test_claim_review_carries_its_corrections(client, demo):
    review = claim_review(text_of(client.get(f"/claims/{REPELLED}/")))

    assert [c["@type"] for c in review["correction"]] == ["CorrectionComment"]
    assert review["correction"][0]["text"].startswith(
        "Verdict changed from Disputed to False"
    )
    assert review["reviewBody"].startswith("Fighting inside Belgorod region")


def test_json_ld_cannot_close_its_script_element(client):
    claim = PublishedClaimFactory(text="</script><script>alert(1)</script>")

    html = text_of(client.get(claim.get_absolute_url()))

    assert "</script><script>alert(1)" not in html
    assert claim_review(html)["claimReviewed"] == claim.text


# Events, sources, places ------------------------------------------------------


def test_event_page_is_a_matrix_of_claims_and_sources(client, demo):
    html = text_of(client.get(f"/events/{EVENT}/"))

    matrix = html[html.index("<table") : html.index("</table>")]
    assert matrix.count('<th scope="row">') == 6
    header = visible(matrix[: matrix.index("</thead>")])
    for label in (
        "Institute for the Study of War (B)",
        "Russian Ministry of Defence (D)",
        "Russian military bloggers (D)",
        "Volodymyr Zelensky (C)",
    ):
        assert label in header
    belgorod = next(
        visible(row)
        for row in re.findall(r"<tr>.*?</tr>", matrix, flags=re.S)
        if BELGOROD in row
    )
    # Columns ordered by side: independent ISW, then Russia (MoD, bloggers), Ukraine.
    assert belgorod.endswith("Confirmed Asserts Denies Asserts Asserts")
    consolidating = next(
        visible(row)
        for row in re.findall(r"<tr>.*?</tr>", matrix, flags=re.S)
        if "consolidating" in row
    )
    assert consolidating.endswith("Asserts — silent — silent — silent")


def test_event_without_published_claims_is_a_404(client):
    event = EventFactory()
    ClaimFactory(event=event)

    assert client.get(event.get_absolute_url()).status_code == 404
    assert client.get(f"{event.get_absolute_url()}feed/").status_code == 404
    assert client.get("/events/no-such-event/").status_code == 404


def test_source_track_record_counts_resolved_claims_from_the_data(client):
    source = SourceFactory(name="Ministry", reliability="D", slug="ministry")

    def stated(stance: str, status: Status, *, published: bool = True, times=1):
        factory = PublishedClaimFactory if published else ClaimFactory
        claim = factory(status=status)
        for day in range(times):
            StatementFactory(
                claim=claim,
                source=source,
                stance=stance,
                stated_on=datetime.date(2025, 3, 1 + day),
            )

    stated("asserts", Status.CONFIRMED, times=2)  # said twice, counted once
    stated("asserts", Status.FALSE)
    stated("asserts", Status.FALSE)
    stated("asserts", Status.MISLEADING)
    stated("asserts", Status.DISPUTED)
    stated("denies", Status.CONFIRMED)
    stated("denies", Status.FALSE)
    stated("asserts", Status.FALSE, published=False)  # a draft does not count

    html = visible(text_of(client.get("/sources/ministry/")))

    assert "2 borne out" in html  # asserted+confirmed, denied+false
    assert "3 contradicted" in html  # asserted+false ×2, denied+confirmed
    assert "1 asserted and found misleading" in html
    assert "1 still open" in html
    # Stance × status: Unverified Disputed Partly Confirmed Misleading False Unverif.
    assert "Asserts 0 1 0 1 1 2 0 5" in html
    assert "Denies 0 0 0 1 0 1 0 2" in html
    assert "Ministry (D)" in html


def test_source_page_lists_its_statements_on_published_claims_only(client):
    source = SourceFactory(slug="speaker")
    published = PublishedClaimFactory(text="Said in public.")
    draft = ClaimFactory(text="Said in a draft.")
    StatementFactory(claim=published, source=source)
    StatementFactory(claim=draft, source=source)

    html = text_of(client.get("/sources/speaker/"))

    assert "Said in public." in html
    assert "Said in a draft." not in html
    assert client.get("/sources/nobody/").status_code == 404


def test_place_page_coarsens_coordinates_for_the_public(client, demo):
    html = visible(text_of(client.get("/places/kryvyi-rih/")))

    assert "47.91, 33.39" in html
    assert "47.9105" not in html
    assert "33.3918" not in html
    assert "rounded to two decimals" in html


def test_staff_see_exact_coordinates_in_a_private_page(client, demo, editor):
    client.force_login(editor)

    response = client.get("/places/kryvyi-rih/")

    assert "47.910500, 33.391800" in visible(text_of(response))
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def test_coordinates_round_half_away_from_the_exact_point(client):
    place = PlaceFactory(latitude=Decimal("50.123456"), longitude=Decimal("-0.005"))
    claim = PublishedClaimFactory()
    claim.places.add(place)

    html = visible(text_of(client.get(place.get_absolute_url())))

    assert "50.12, -0.00" in html or "50.12, -0.01" in html
    assert "50.123456" not in html


def test_place_page_includes_claims_about_the_places_inside_it(client, demo):
    html = text_of(client.get("/places/russia/"))

    assert "Fighting took place inside the village of Demidovka" in html
    assert "Kursk region" in html
    assert "Kryvyi Rih" not in html
    page = visible(text_of(client.get("/places/demidovka/")))
    assert "Russia › Belgorod region" in page
    assert "Демидовка" in page


# Feeds, sitemap, robots ---------------------------------------------------------


def test_atom_feed_parses_and_carries_corrections(client, demo):
    feedparser = pytest.importorskip("feedparser")
    ClaimFactory(text="Draft claim.")

    feed = feedparser.parse(client.get("/feed/").content)

    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    titles = [entry.title for entry in feed.entries]
    assert any(
        t.startswith("Correction: Partly confirmed → Confirmed:") for t in titles
    )
    correction = next(e for e in feed.entries if e.title.startswith("Correction"))
    assert "Correction after publication: the verdict changed from" in (
        correction.summary
    )
    assert correction.link.startswith("http://testserver/claims/")
    assert "#change-" in correction.link
    assert not any("Draft claim." in t for t in titles)
    # Newest first.
    dates = [entry.updated_parsed for entry in feed.entries]
    assert dates == sorted(dates, reverse=True)


def test_event_and_source_feeds_parse_and_are_scoped(client, demo):
    feedparser = pytest.importorskip("feedparser")

    event = feedparser.parse(client.get(f"/events/{EVENT}/feed/").content)
    kryvyi = feedparser.parse(
        client.get("/events/kryvyi-rih-missile-strike-2025-04-04/feed/").content
    )
    trump = feedparser.parse(client.get("/sources/donald-trump/feed/").content)

    for feed in (event, kryvyi, trump):
        assert not feed.bozo, feed.bozo_exception
    assert len(kryvyi.entries) == 1
    assert "Kryvyi Rih" in kryvyi.entries[0].title
    assert all("Kryvyi Rih" not in e.title for e in event.entries)
    assert [e.title for e in trump.entries] == [
        "Unverified → Partly confirmed: Russia is bombing Ukraine heavily in early "
        "April 2025."
    ]
    assert client.get("/events/nope/feed/").status_code == 404
    assert client.get("/sources/nope/feed/").status_code == 404


def test_sitemap_lists_every_published_claim_and_no_draft(client, demo):
    draft = ClaimFactory()

    xml = text_of(client.get("/sitemap.xml"))

    for claim in Claim.objects.published():
        assert f"<loc>http://testserver{claim.get_absolute_url()}</loc>" in xml
    assert draft.slug not in xml
    assert f"/events/{EVENT}/" in xml
    assert "/sources/institute-for-the-study-of-war/" in xml
    assert "/places/demidovka/" in xml


def test_robots_txt_points_at_the_sitemap(client):
    response = client.get("/robots.txt")

    assert response["Content-Type"].startswith("text/plain")
    assert "Sitemap: http://testserver/sitemap.xml" in text_of(response)
    assert "Disallow: /admin/" in text_of(response)


# Caching and headers --------------------------------------------------------------


def test_every_page_answers_a_repeated_request_with_304(client, demo):
    for url in demo_urls():
        first = client.get(url)
        assert first.status_code == 200, url
        assert first["Cache-Control"] == "public, max-age=60", url
        # The entity tag is the validator: the counters say what changed, not when.
        assert "Last-Modified" not in first, url

        again = client.get(url, headers={"If-None-Match": first["ETag"]})

        assert again.status_code == 304, url
        assert again.content == b"", url


def test_a_change_to_the_data_invalidates_the_etag(client, demo, reviewer):
    url = f"/claims/{BELGOROD}/"
    first = client.get(url)
    source = Claim.objects.get(slug=BELGOROD).statements.first().source
    source.name = "Renamed source"
    source.save()

    again = client.get(url, headers={"If-None-Match": first["ETag"]})

    assert again.status_code == 200
    assert "Renamed source" in text_of(again)


def test_different_filters_have_different_etags(client):
    PublishedClaimFactory()

    assert client.get("/")["ETag"] != client.get("/?status=confirmed")["ETag"]


def test_every_page_sends_the_security_headers(client, demo):
    for url in [*demo_urls(), "/claims/no-such-claim/", "/?status=bogus"]:
        response = client.get(url)

        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy, url
        assert "unsafe-inline" not in policy, url
        assert "frame-ancestors 'none'" in policy, url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "same-origin", url
        assert response["X-Frame-Options"] == "DENY", url


def test_pages_need_no_external_resources(client, demo):
    for url in demo_urls()[:7]:
        html = text_of(client.get(url))
        assert not re.search(r'src="(https?:)?//', html)
        assert not re.search(r'<link rel="(stylesheet|icon)" href="(https?:)?//', html)


def test_pages_refuse_writes(client):
    assert client.post("/").status_code == 405


# Query counts --------------------------------------------------------------------


def world(n: int, *, event, place, sources, document, user) -> None:
    """``n`` published claims of one event and place, each stated by every source,
    with evidence and a verdict change resting on it."""
    for _ in range(n):
        claim = PublishedClaimFactory(event=event, status=Status.DISPUTED)
        claim.places.add(place)
        for source in sources:
            StatementFactory(claim=claim, source=source, document=document)
        evidence = EvidenceFactory(claim=claim, document=document)
        StatusChangeFactory(claim=claim, changed_by=user).evidence.add(evidence)


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


LISTS = [
    "/",
    "/?q=claim&status=disputed&event=big-event&source=speaker-0&place=region",
    "/events/big-event/",
    "/sources/speaker-0/",
    "/places/region/",
    "/feed/",
    "/events/big-event/feed/",
    "/sources/speaker-0/feed/",
    "/sitemap.xml",
]


def test_no_page_makes_more_queries_for_more_claims(client):
    # given 10 claims, then 100
    world_of = {
        "event": EventFactory(slug="big-event"),
        "place": PlaceFactory(parent=PlaceFactory(slug="region")),
        "sources": [SourceFactory(slug=f"speaker-{n}") for n in range(3)],
        "document": DocumentFactory(publisher=None),
        "user": UserFactory(),
    }
    world(10, **world_of)
    with_ten = {url: queries(client, url) for url in LISTS}
    cached_ten = {url: queries(client, url) for url in LISTS}

    world(90, **world_of)
    with_hundred = {url: queries(client, url) for url in LISTS}
    cached_hundred = {url: queries(client, url) for url in LISTS}

    assert with_hundred == with_ten
    assert max(with_ten.values()) <= 10, with_ten
    # read again, each page is the stored one, after one query for its validator
    assert set(cached_ten.values()) == set(cached_hundred.values()) == {1}


def test_claim_page_makes_no_more_queries_for_more_statements(
    client, django_assert_num_queries
):
    claim = PublishedClaimFactory()
    user = UserFactory()
    document = DocumentFactory(publisher=None)

    def grow(n: int) -> None:
        for _ in range(n):
            source = SourceFactory()
            for stance in ("asserts", "denies"):
                StatementFactory(
                    claim=claim, source=source, stance=stance, document=document
                )
            evidence = EvidenceFactory(claim=claim, document__publisher=None)
            StatusChangeFactory(claim=claim, changed_by=user).evidence.add(evidence)
            other = PublishedClaimFactory(event=None)
            ClaimLinkFactory(from_claim=claim, to_claim=other)
            ClaimLinkFactory(from_claim=other, to_claim=claim, kind="contradicts")

    grow(10)
    with_ten = queries(client, claim.get_absolute_url())
    grow(90)
    with django_assert_num_queries(with_ten):
        client.get(claim.get_absolute_url())
    with django_assert_num_queries(with_ten):
        client.get(f"{claim.get_absolute_url()}?as_of=2025-03-20")
    with django_assert_num_queries(1):
        client.get(claim.get_absolute_url())
    with django_assert_num_queries(1):
        client.get(f"{claim.get_absolute_url()}?as_of=2025-03-20")


def test_get_absolute_url_of_every_public_model():
    assert PublishedClaimFactory.build(slug="c").get_absolute_url() == "/claims/c/"
    assert EventFactory.build(slug="e").get_absolute_url() == "/events/e/"
    assert SourceFactory.build(slug="s").get_absolute_url() == "/sources/s/"
    assert Place(slug="p").get_absolute_url() == "/places/p/"
    assert reverse("claims:index") == "/"
    assert DocumentFactory.build().title


# The page cache ------------------------------------------------------------------


def test_a_repeated_anonymous_read_is_served_in_one_query(
    client, demo, django_assert_num_queries
):
    for url in demo_urls():
        first = client.get(url)
        with django_assert_num_queries(1):
            again = client.get(url)

        assert again.status_code == 200, url
        assert again.content == first.content, url
        assert again["ETag"] == first["ETag"], url
        assert again["Content-Type"] == first["Content-Type"], url
        assert again["Cache-Control"] == "public, max-age=60", url


def test_an_edit_shows_on_the_next_request(client, demo, reviewer):
    url = f"/claims/{BELGOROD}/"
    claim = Claim.objects.get(slug=BELGOROD)
    client.get(url)
    client.get(url)

    services.update_claim(claim, by=reviewer, text="Reworded after review.")

    assert "Reworded after review." in text_of(client.get(url))
    assert "Reworded after review." in text_of(client.get("/"))


def test_a_documents_edit_shows_on_the_next_request(client, demo):
    url = f"/claims/{BELGOROD}/"
    document = Claim.objects.get(slug=BELGOROD).evidence.first().document
    client.get(url)

    document.title = "Retitled document"
    document.save()

    assert "Retitled document" in text_of(client.get(url))


def test_staff_never_get_the_anonymous_page_nor_the_reverse(client, demo, editor):
    url = "/places/kryvyi-rih/"
    anonymous = text_of(client.get(url))
    staff = Client()
    staff.force_login(editor)

    for_staff = staff.get(url)
    again = visible(text_of(client.get(url)))

    assert "47.910500, 33.391800" in visible(text_of(for_staff))
    assert "private" in for_staff["Cache-Control"]
    assert "47.91, 33.39" in again
    assert "47.9105" not in again
    assert again == visible(anonymous)


def test_signed_in_readers_get_pages_rendered_for_them(client, demo):
    url = f"/claims/{BELGOROD}/"
    signed_in = Client()
    signed_in.force_login(UserFactory())

    signed_in_counts = [queries(signed_in, url), queries(signed_in, url)]
    first_anonymous = queries(client, url)

    assert min(signed_in_counts) > 1
    # nothing was stored for the signed-in reader
    assert first_anonymous > 1
    assert queries(client, url) == 1


def test_as_of_pages_are_cached_apart(client, demo):
    url = f"/claims/{BELGOROD}/"
    now = text_of(client.get(url))
    then = text_of(client.get(f"{url}?as_of=2025-03-20"))
    before = text_of(client.get(f"{url}?as_of=2025-01-01"))

    assert text_of(client.get(url)) == now
    assert text_of(client.get(f"{url}?as_of=2025-03-20")) == then
    assert text_of(client.get(f"{url}?as_of=2025-01-01")) == before
    assert len({now, then, before}) == 3
    assert "application/ld+json" in now
    assert "application/ld+json" not in then
    assert "had not been recorded yet" in before


def test_an_error_page_is_never_stored(client, demo):
    url = "/claims/no-such-claim/"
    client.get(url)

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)

    assert response.status_code == 404
    assert len(captured) > 1
