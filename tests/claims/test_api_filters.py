"""Lists: every filter, ordering, full-text search and stable cursor pages."""

import datetime

import pytest
from django.utils import timezone

from claims.models import Claim
from tests.factories import (
    PlaceFactory,
    PublishedClaimFactory,
    SourceFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["slug"] for item in response.json()["results"]]


def test_status_filter_takes_one_or_more(api, world):
    client = api()

    assert slugs(client.get("/api/v1/claims/?status=disputed")) == ["published-claim"]
    assert set(slugs(client.get("/api/v1/claims/?status=disputed,unverified"))) == {
        "published-claim",
        "other-claim",
    }
    assert client.get("/api/v1/claims/?status=bogus").status_code == 400


def test_event_filter_by_slug_or_id(api, world):
    client = api()
    expected = {"published-claim", "other-claim"}

    assert set(slugs(client.get("/api/v1/claims/?event=belgorod-2025"))) == expected
    assert set(slugs(client.get(f"/api/v1/claims/?event={world.event.pk}"))) == expected
    assert slugs(client.get("/api/v1/claims/?event=spare-event")) == []


def test_place_filter_includes_sub_places(api, world):
    """A claim about Demidovka is a claim about Belgorod region and Russia."""
    client = api()

    for place in ("demidovka", "belgorod-region", "russia", str(world.country.pk)):
        assert slugs(client.get(f"/api/v1/claims/?place={place}")) == [
            "published-claim"
        ]
    assert slugs(client.get("/api/v1/claims/?place=spare-place")) == []
    assert client.get("/api/v1/claims/?place=nowhere").status_code == 400


def test_a_claim_in_two_sub_places_is_listed_once(api, world):
    world.published.places.add(world.region)

    assert slugs(api().get("/api/v1/claims/?place=russia")) == ["published-claim"]


def test_source_stance_and_grade_filters_match_one_statement(api, world):
    client = api()

    assert slugs(client.get("/api/v1/claims/?source=zelensky")) == ["published-claim"]
    assert slugs(client.get(f"/api/v1/claims/?source={world.source.pk}")) == [
        "published-claim"
    ]
    assert slugs(client.get("/api/v1/claims/?stance=denies")) == ["published-claim"]
    assert slugs(client.get("/api/v1/claims/?grade=E")) == ["published-claim"]
    assert slugs(client.get("/api/v1/claims/?grade=A,B")) == []
    # Zelensky asserts, the MoD denies: no statement is a denial by Zelensky.
    assert slugs(client.get("/api/v1/claims/?source=zelensky&stance=denies")) == []
    assert slugs(client.get("/api/v1/claims/?source=mod&stance=denies&grade=E")) == [
        "published-claim"
    ]


def test_visibility_filter_is_for_staff(api, world, editor):
    assert slugs(api(editor).get("/api/v1/claims/?visibility=draft")) == ["draft-claim"]
    assert slugs(api().get("/api/v1/claims/?visibility=draft")) == []


def test_updated_since_returns_what_changed_for_sync_clients(api, world, editor):
    mark = timezone.now()
    api(editor).patch(
        "/api/v1/claims/other-claim/",
        {"text": "Changed."},
        HTTP_IF_MATCH=world.other.etag,
    )

    response = api().get("/api/v1/claims/", {"updated_since": mark.isoformat()})

    assert slugs(response) == ["other-claim"]
    assert api().get("/api/v1/claims/?updated_since=yesterday").status_code == 400


def test_ordering_can_be_chosen_and_unknown_fields_are_refused(api, world):
    world.other.updated_at = timezone.now() + datetime.timedelta(seconds=1)
    world.other.save()
    client = api()

    assert slugs(client.get("/api/v1/claims/?ordering=-updated_at"))[0] == "other-claim"
    assert slugs(client.get("/api/v1/claims/?ordering=updated_at"))[0] == (
        "published-claim"
    )
    assert client.get("/api/v1/claims/?ordering=text").status_code == 400


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Demydivka", "published-claim"),  # a place's transliteration
        ("Демидовка", "published-claim"),  # in Cyrillic
        ("Zelenskyy", "published-claim"),  # a source's alias
        ("Zelensky", "published-claim"),  # a source's name
        pytest.param(  # a misspelling of the name
            "Zelenskiy", "published-claim", marks=pytest.mark.postgresql
        ),
        ("repelled", "published-claim"),  # words of a quote
        ("operating inside Belgorod", "published-claim"),  # the claim's words
        pytest.param(  # a small misspelling
            "Belgorot", "published-claim", marks=pytest.mark.postgresql
        ),
    ],
)
@pytest.mark.sqlite
def test_search_finds_claims_across_text_quotes_sources_and_places(
    api, world, query, expected
):
    assert expected in slugs(api().get("/api/v1/claims/", {"q": query}))


def test_search_ranks_the_best_match_first_and_hides_drafts(api, world, editor):
    PublishedClaimFactory(
        slug="weak", text="Shelling reported in several border villages."
    )
    best = PublishedClaimFactory(slug="best", text="Shelling of Demidovka village.")
    best.places.set([world.village])

    public = slugs(api().get("/api/v1/claims/", {"q": "Demidovka shelling"}))
    staff = slugs(api(editor).get("/api/v1/claims/", {"q": "Sudzha"}))

    assert public[0] == "best"
    assert "draft-claim" not in slugs(api().get("/api/v1/claims/", {"q": "Sudzha"}))
    assert staff == ["draft-claim"]


def test_search_combines_with_filters_and_pages(api, world):
    for n in range(5):
        PublishedClaimFactory(slug=f"shelling-{n}", text=f"Shelling number {n}.")
    seen = []
    url = "/api/v1/claims/?q=shelling&page_size=2"
    while url:
        page = api().get(url).json()
        seen += [item["slug"] for item in page["results"]]
        url = page["next"]

    assert sorted(seen) == sorted(f"shelling-{n}" for n in range(5))
    assert slugs(api().get("/api/v1/claims/?q=shelling&status=disputed")) == []


@pytest.mark.sqlite
def test_a_search_that_matches_nothing_is_an_empty_page(api, world):
    assert slugs(api().get("/api/v1/claims/", {"q": "xylophone quartet"})) == []
    assert slugs(api().get("/api/v1/claims/", {"q": "!!! & | :*"})) == []


def test_cursor_pages_neither_skip_nor_repeat_while_claims_are_added(api, world):
    """A sync client walking the list meets every claim exactly once."""
    moment = timezone.now()
    for n in range(7):
        # Identical timestamps: the id breaks the tie.
        PublishedClaimFactory(slug=f"bulk-{n}", updated_at=moment)
    client = api()
    expected = set(Claim.objects.published().values_list("slug", flat=True))
    seen: list[str] = []
    url = "/api/v1/claims/?page_size=3"
    while url:
        page = client.get(url).json()
        seen += [item["slug"] for item in page["results"]]
        url = page["next"]
        # A claim added mid-walk comes first, before the cursor: not repeated.
        PublishedClaimFactory(updated_at=moment - datetime.timedelta(days=365 * 30))

    assert len(seen) == len(set(seen))
    assert expected <= set(seen)


def test_page_size_is_bounded(api, world):
    for n in range(120):
        PublishedClaimFactory(slug=f"many-{n}")

    assert len(api().get("/api/v1/claims/?page_size=100").json()["results"]) == 100
    assert len(api().get("/api/v1/claims/").json()["results"]) == 50
    assert api().get("/api/v1/claims/?page_size=1000").status_code == 400
    assert api().get("/api/v1/claims/?page_size=abc").status_code == 400


def test_lists_do_not_count_rows(api, world):
    body = api().get("/api/v1/claims/").json()

    assert set(body) == {"next", "previous", "results"}


@pytest.mark.parametrize(
    "cursor", ["garbage", "cD1ub3RhZGF0ZQ==", "%00", "cD0xMjM0NTY3ODkwMTIzNDU2Nzg5MA=="]
)
def test_a_bad_cursor_is_never_a_server_error(api, world, cursor):
    response = api().get(f"/api/v1/claims/?cursor={cursor}")

    # Characters outside base64 are dropped, so "%00" is the first page.
    assert response.status_code in {200, 400}
    assert response["Content-Type"] == (
        "application/json"
        if response.status_code == 200
        else "application/problem+json"
    )


def test_part_lists_filter_by_claim_source_stance_and_grade(api, world):
    client = api()

    def ids(url):
        return {item["id"] for item in client.get(url).json()["results"]}

    assert ids("/api/v1/statements/?claim=published-claim") == {
        world.statement.pk,
        world.denial.pk,
    }
    assert ids("/api/v1/statements/?source=mod") == {world.denial.pk}
    assert ids("/api/v1/statements/?stance=asserts&grade=C") == {world.statement.pk}
    assert ids(f"/api/v1/evidence/?claim={world.published.pk}") == {world.evidence.pk}
    assert ids("/api/v1/links/?claim=other-claim") == {world.link.pk}
    assert ids("/api/v1/links/?kind=supports") == set()


@pytest.mark.sqlite
def test_reference_lists_filter(api, world):
    client = api()

    def values(url, key="slug"):
        return {item[key] for item in client.get(url).json()["results"]}

    assert values("/api/v1/places/?within=belgorod-region") == {
        "belgorod-region",
        "demidovka",
    }
    assert values("/api/v1/places/?parent=russia") == {"belgorod-region"}
    assert values("/api/v1/places/?q=Demydivka") == {"demidovka"}
    assert values("/api/v1/places/?kind=country") == {"russia"}
    assert values("/api/v1/events/?place=russia") == set()
    world.event.places.add(world.village)
    assert values("/api/v1/events/?place=russia") == {"belgorod-2025"}
    assert values("/api/v1/sources/?q=Zelenskyy") == {"zelensky"}
    assert values("/api/v1/sources/?grade=E") == {"mod"}
    assert values(f"/api/v1/documents/?publisher={world.source.slug}", "id") == {
        world.document.pk
    }


def test_place_hierarchy_walk_survives_depth(api, world):
    parent = world.village
    for n in range(6):
        parent = PlaceFactory(slug=f"level-{n}", parent=parent)
    deep = PublishedClaimFactory(slug="deep")
    deep.places.set([parent])

    assert "deep" in slugs(api().get("/api/v1/claims/?place=russia"))


def test_a_source_with_many_statements_lists_its_claim_once(api, world):
    source = SourceFactory(slug="busy")
    for day in range(1, 4):
        StatementFactory(
            claim=world.published,
            source=source,
            stated_on=datetime.date(2025, 3, day),
        )

    assert slugs(api().get("/api/v1/claims/?source=busy")) == ["published-claim"]
