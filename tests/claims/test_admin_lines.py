"""Aliases and alternate names are typed one per line in the admin, not as
JSON, and stored as the list of names the search reads."""

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client

from claims.admin.forms import LinesField
from claims.models import Place
from sources.models import Source
from tests.factories import PlaceFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "names"),
    [
        ("Demydivka\nДемидовка", ["Demydivka", "Демидовка"]),
        ("  Demydivka  \r\n\r\n\tДемидовка\n", ["Demydivka", "Демидовка"]),
        ("Demydivka\nДемидовка\nDemydivka", ["Demydivka", "Демидовка"]),
        ("\n \n", []),
        ("", []),
    ],
)
def test_lines_become_a_list_of_names(typed, names):
    field = LinesField(required=False)

    assert field.clean(typed) == names


def test_a_null_character_is_refused_not_stored(reviewer):
    place = PlaceFactory(alternate_names=["Demydivka"])
    client = Client()
    client.force_login(reviewer)

    response = client.post(
        f"/admin/claims/place/{place.pk}/change/",
        place_form(place, alternate_names="Demy\x00divka"),
    )

    assert response.status_code == 200
    assert "Null characters are not allowed." in response.text
    place.refresh_from_db()
    assert place.alternate_names == ["Demydivka"]


def test_a_list_is_shown_one_name_per_line():
    assert LinesField().prepare_value(["Zelenskyy", "Зеленський"]) == (
        "Zelenskyy\nЗеленський"
    )


def place_form(place, **changes) -> dict:
    data = {
        "name": place.name,
        "slug": place.slug,
        "kind": place.kind,
        "parent": "",
        "alternate_names": "\n".join(place.alternate_names),
        "latitude": "",
        "longitude": "",
        "geo_precision": place.geo_precision,
    }
    return data | changes


def test_a_places_alternate_names_are_typed_one_per_line(reviewer):
    place = PlaceFactory(name="Demidovka", slug="demidovka", alternate_names=[])
    client = Client()
    client.force_login(reviewer)
    url = f"/admin/claims/place/{place.pk}/change/"

    response = client.post(
        url, place_form(place, alternate_names=" Demydivka \n\nДемидовка\nDemydivka")
    )

    assert response.status_code == 302, response.content
    place.refresh_from_db()
    assert place.alternate_names == ["Demydivka", "Демидовка"]
    page = client.get(url).text
    assert "<textarea" in page
    assert ">\nDemydivka\nДемидовка</textarea>" in page
    assert '["Demydivka"' not in page  # no JSON to type


def test_a_sources_aliases_are_typed_one_per_line(reviewer):
    client = Client()
    client.force_login(reviewer)

    response = client.post(
        "/admin/sources/source/add/",
        {
            "name": "Volodymyr Zelensky",
            "slug": "volodymyr-zelensky",
            "kind": "person",
            "affiliation": "ukraine",
            "reliability": "C",
            "aliases": "Zelenskyy\r\nЗеленський\r\n",
            "description": "",
            "homepage": "",
            "statements-TOTAL_FORMS": "0",
            "statements-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content
    source = Source.objects.get(slug="volodymyr-zelensky")
    assert source.aliases == ["Zelenskyy", "Зеленський"]
    assert Source.objects.filter(aliases__contains=["Зеленський"]).exists()


def test_no_names_is_an_empty_list_and_an_unchanged_list_saves_nothing(reviewer):
    source = SourceFactory(aliases=["ISW"])
    place = PlaceFactory(alternate_names=["Demydivka"])
    client = Client()
    client.force_login(reviewer)
    url = f"/admin/claims/place/{place.pk}/change/"

    client.post(url, place_form(place))  # the names as shown

    assert place.history.first().history_change_reason is None
    log = LogEntry.objects.filter(object_id=str(place.pk)).latest("action_time")
    assert log.get_change_message() == "No fields changed."
    client.post(url, place_form(place, alternate_names="\n"))
    assert Place.objects.get(pk=place.pk).alternate_names == []
    assert source.aliases == ["ISW"]
