"""Stated precision: statements and events say how precisely their time is
known, places how precisely they are located; pages and the API say it in
words, and the public never sees coordinates more precise than the place."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from claims.choices import GeoPrecision, TimePrecision
from claims.models import Place, Statement
from tests.factories import (
    EventFactory,
    PlaceFactory,
    PublishedClaimFactory,
    SourceFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db

DAY = datetime.date(2025, 3, 19)
TIME = datetime.time(14, 5)


@pytest.mark.parametrize(
    ("precision", "time", "words"),
    [
        ("exact", TIME, "19 March 2025, 14:05"),
        ("exact", None, "19 March 2025"),
        ("day", TIME, "19 March 2025"),
        ("day", None, "19 March 2025"),
        ("week", None, "about 19 March 2025"),
        ("month", TIME, "March 2025"),
    ],
)
def test_a_moment_is_told_as_precisely_as_it_is_known(precision, time, words):
    assert TimePrecision(precision).words(DAY, time) == words


@pytest.mark.parametrize(
    ("precision", "name", "words"),
    [
        ("point", "Demidovka checkpoint", "at Demidovka checkpoint"),
        ("settlement", "Demidovka", "near Demidovka"),
        ("district", "Krasnaya Yaruga district", "in the Krasnaya Yaruga district"),
        ("region", "Belgorod region", "in the Belgorod region"),
        ("region", "Belgorod Oblast", "in Belgorod Oblast"),
        ("country", "Russia", "in Russia"),
    ],
)
def test_a_place_is_told_as_precisely_as_it_is_known(precision, name, words):
    assert GeoPrecision(precision).words(name) == words


@pytest.fixture
def dated(db):
    """A published claim with a statement of each time precision."""
    claim = PublishedClaimFactory(slug="dated-claim")
    statements = {
        precision: StatementFactory(
            claim=claim,
            source=SourceFactory(slug=f"source-{precision}"),
            stated_on=DAY,
            stated_time=TIME,
            time_precision=precision,
        )
        for precision in TimePrecision.values
    }
    return claim, statements


EXPECTED = {
    "exact": "19 March 2025, 14:05",
    "day": "19 March 2025",
    "week": "about 19 March 2025",
    "month": "March 2025",
}


def test_the_claim_in_the_api_tells_when_each_statement_was_made(api, dated):
    claim, statements = dated

    detail = api().get(f"/api/v1/claims/{claim.slug}/").json()
    listed = api().get("/api/v1/claims/").json()["results"]

    for shown in (detail["statements"], listed[0]["statements"]):
        by_id = {s["id"]: s for s in shown}
        for precision, statement in statements.items():
            assert by_id[statement.pk]["time_precision"] == precision
            assert by_id[statement.pk]["stated_when"] == EXPECTED[precision]


def test_the_statement_api_tells_the_same_words(api, dated):
    claim, _ = dated

    response = api().get(f"/api/v1/statements/?claim={claim.slug}")

    assert response.status_code == 200
    words = {s["time_precision"]: s["stated_when"] for s in response.json()["results"]}
    assert words == EXPECTED


def test_the_claim_page_tells_when_each_statement_was_made(client, dated):
    claim, _ = dated

    html = client.get(claim.get_absolute_url()).content.decode()

    for words in EXPECTED.values():
        assert f'<time datetime="2025-03-19">{words}</time>' in html


def _post_statement(api, editor, claim, **fields):
    return api(editor).post(
        "/api/v1/statements/",
        {
            "claim": claim.slug,
            "source": SourceFactory().slug,
            "stance": "asserts",
            "stated_on": "2025-03-19",
            "quote": "Fighting near the village.",
            **fields,
        },
        format="json",
        HTTP_IF_MATCH=claim.etag,
    )


def test_a_statement_given_a_time_but_no_precision_is_exact(api, editor):
    claim = PublishedClaimFactory()

    response = _post_statement(api, editor, claim, stated_time="14:05")

    assert response.status_code == 201, response.content
    assert response.json()["time_precision"] == "exact"
    assert response.json()["stated_when"] == "19 March 2025, 14:05"


def test_a_statement_given_only_a_date_is_to_the_day(api, editor):
    claim = PublishedClaimFactory()

    response = _post_statement(api, editor, claim)

    assert response.status_code == 201, response.content
    assert response.json()["time_precision"] == "day"


def test_a_stated_precision_is_kept_even_with_a_time(api, editor):
    claim = PublishedClaimFactory()

    response = _post_statement(
        api, editor, claim, stated_time="14:05", time_precision="week"
    )

    assert response.status_code == 201, response.content
    assert response.json()["stated_when"] == "about 19 March 2025"


@pytest.mark.parametrize("value", ["hour", "", None, "EXACT", 3])
def test_an_unknown_time_precision_is_a_400_that_writes_nothing(api, editor, value):
    claim = PublishedClaimFactory()
    before = Statement.objects.count()

    response = _post_statement(api, editor, claim, time_precision=value)

    assert response.status_code == 400
    assert "time_precision" in response.json()["errors"]
    assert Statement.objects.count() == before


def test_the_database_refuses_an_unknown_precision():
    place = PlaceFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Place.objects.filter(pk=place.pk).update(geo_precision="street")


# Events ----------------------------------------------------------------------


@pytest.fixture
def month_event(db):
    event = EventFactory(
        slug="spring-offensive",
        title="Spring offensive",
        starts_on=datetime.date(2025, 3, 1),
        ends_on=datetime.date(2025, 4, 1),
        time_precision="month",
    )
    PublishedClaimFactory(event=event)
    return event


def test_an_events_page_tells_its_dates_as_precisely_as_known(client, month_event):
    html = client.get(month_event.get_absolute_url()).content.decode()

    assert '<time datetime="2025-03-01">March 2025</time>' in html
    assert '<time datetime="2025-04-01">April 2025</time>' in html


def test_an_events_precision_is_in_the_api_and_editable(api, month_event, editor):
    assert api().get("/api/v1/events/spring-offensive/").json()["time_precision"] == (
        "month"
    )

    changed = api(editor).patch(
        "/api/v1/events/spring-offensive/", {"time_precision": "week"}, format="json"
    )
    refused = api(editor).patch(
        "/api/v1/events/spring-offensive/", {"time_precision": "year"}, format="json"
    )

    assert changed.status_code == 200, changed.content
    assert refused.status_code == 400
    assert "time_precision" in refused.json()["errors"]
    month_event.refresh_from_db()
    assert month_event.time_precision == "week"


# Places ----------------------------------------------------------------------

EXACT = ("50.123456", "35.987654")


@pytest.fixture
def located(db):
    """A public place of each geo precision, all at the same exact spot."""
    claim = PublishedClaimFactory()
    places = {
        precision: PlaceFactory(
            slug=f"spot-{precision}",
            name=f"Spot {precision}",
            geo_precision=precision,
            latitude=EXACT[0],
            longitude=EXACT[1],
        )
        for precision in GeoPrecision.values
    }
    claim.places.set(places.values())
    return places


PUBLIC = {
    "point": (50.12, 35.99),
    "settlement": (50.12, 35.99),
    "district": (50.1, 36.0),
    "region": (50.0, 36.0),
    "country": (None, None),
}


@pytest.mark.parametrize("role", [None, "reader"])
def test_the_public_sees_coordinates_no_finer_than_the_place(
    api, located, request, role
):
    client = api(request.getfixturevalue(role) if role else None)

    for precision, place in located.items():
        data = client.get(f"/api/v1/places/{place.slug}/").json()
        assert (data["latitude"], data["longitude"]) == PUBLIC[precision], precision
        assert data["geo_precision"] == precision
        assert data["located"] == GeoPrecision(precision).words(place.name)

    listed = client.get("/api/v1/places/?q=Spot").json()["results"]
    for data in listed:
        assert (data["latitude"], data["longitude"]) == PUBLIC[data["geo_precision"]]


def test_staff_see_exact_coordinates_whatever_the_precision(api, located, editor):
    for place in located.values():
        data = api(editor).get(f"/api/v1/places/{place.slug}/").json()
        assert (data["latitude"], data["longitude"]) == (50.123456, 35.987654)


def test_public_coordinates_never_have_more_than_two_decimals(api, located):
    for place in located.values():
        text = api().get(f"/api/v1/places/{place.slug}/").content.decode()
        assert "50.123" not in text
        assert "35.987" not in text


def test_the_place_page_tells_where_and_rounds_to_the_precision(client, located):
    settlement = client.get(located["settlement"].get_absolute_url())
    district = client.get(located["district"].get_absolute_url())
    country = client.get(located["country"].get_absolute_url())

    assert "near Spot settlement" in settlement.content.decode()
    assert '<span class="coordinates">50.12, 35.99</span>' in (
        settlement.content.decode()
    )
    assert '<span class="coordinates">50.1, 36.0</span>' in district.content.decode()
    assert "rounded to one decimal" in district.content.decode()
    assert 'class="coordinates"' not in country.content.decode()
    for response in (settlement, district, country):
        assert "50.123" not in response.content.decode()


def test_staff_see_the_exact_coordinates_on_the_place_page(client, located, editor):
    client.force_login(editor)

    response = client.get(located["country"].get_absolute_url())

    assert "50.123456, 35.987654" in response.content.decode()


def test_the_claim_page_says_where_in_words(client):
    claim = PublishedClaimFactory()
    claim.places.set(
        [
            PlaceFactory(name="Demidovka", geo_precision="settlement"),
            PlaceFactory(name="Belgorod region", geo_precision="region"),
        ]
    )

    html = client.get(claim.get_absolute_url()).content.decode()

    assert ">near Demidovka</a>" in html
    assert ">in the Belgorod region</a>" in html


def test_the_place_precision_is_editable_by_staff_and_refuses_unknown_values(
    api, located, editor
):
    place = located["settlement"]

    changed = api(editor).patch(
        f"/api/v1/places/{place.slug}/", {"geo_precision": "region"}, format="json"
    )
    refused = api(editor).patch(
        f"/api/v1/places/{place.slug}/", {"geo_precision": "street"}, format="json"
    )

    assert changed.status_code == 200, changed.content
    assert refused.status_code == 400
    assert "geo_precision" in refused.json()["errors"]
    assert api().get(f"/api/v1/places/{place.slug}/").json()["latitude"] == 50.0
