"""Lists in request bodies: at most 100 items, each once, refused before any
item is looked up, so a long list cannot hold a worker."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.models import Claim, Place
from sources.models import Source

pytestmark = pytest.mark.django_db


def _patch_counting(client, url, body, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.patch(url, body, format="json", **headers)
    return response, len(queries)


def test_a_long_list_of_places_is_refused_before_any_place_is_read(api, world, editor):
    client = api(editor)
    url = f"/api/v1/claims/{world.draft.slug}/"
    etag = client.get(url)["ETag"]

    short, short_queries = _patch_counting(
        client, url, {"places": [999_999]}, HTTP_IF_MATCH=etag
    )
    long, long_queries = _patch_counting(
        client, url, {"places": [world.village.pk] * 5000}, HTTP_IF_MATCH=etag
    )

    assert short.status_code == 400
    assert long.status_code == 400
    assert long["Content-Type"] == "application/problem+json"
    assert "at most 100" in str(long.json()["errors"]["places"])
    # The short list reads its one place; the long one reads none.
    assert long_queries == short_queries - 1
    assert not world.draft.places.exists()
    assert Claim.objects.get(pk=world.draft.pk).version == world.draft.version


def test_a_place_named_twice_is_refused_before_it_is_read(api, world, editor):
    client = api(editor)
    url = f"/api/v1/claims/{world.draft.slug}/"
    etag = client.get(url)["ETag"]

    _once, once_queries = _patch_counting(
        client, url, {"places": [999_999]}, HTTP_IF_MATCH=etag
    )
    twice, twice_queries = _patch_counting(
        client, url, {"places": [999_999, "999999"]}, HTTP_IF_MATCH=etag
    )

    assert twice.status_code == 400
    assert "more than once" in str(twice.json()["errors"]["places"])
    assert twice_queries == once_queries - 1


def test_a_place_named_by_id_and_by_slug_is_refused(api, world, editor):
    client = api(editor)
    url = f"/api/v1/claims/{world.draft.slug}/"
    response = client.patch(
        url,
        {"places": [world.village.pk, world.village.slug]},
        format="json",
        HTTP_IF_MATCH=client.get(url)["ETag"],
    )

    assert response.status_code == 400
    assert not world.draft.places.exists()


def test_an_event_with_too_many_places_is_refused(api, world, editor):
    response = api(editor).patch(
        f"/api/v1/events/{world.event.slug}/",
        {"places": [world.village.slug] * 101},
        format="json",
    )

    assert response.status_code == 400
    assert "at most 100" in str(response.json()["errors"]["places"])
    assert not world.event.places.exists()


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/places/demidovka/", "alternate_names"),
        ("/api/v1/sources/zelensky/", "aliases"),
    ],
)
def test_a_name_given_twice_is_refused(api, world, editor, url, field):
    response = api(editor).patch(
        url, {field: ["Zelenskyy", "Zelenskyy"]}, format="json"
    )

    assert response.status_code == 400
    assert "more than once" in str(response.json()["errors"][field])
    assert Place.objects.get(slug="demidovka").alternate_names == [
        "Demydivka",
        "Демидовка",
    ]
    assert Source.objects.get(slug="zelensky").aliases == ["Zelenskyy", "Зеленський"]


def test_evidence_named_twice_in_a_status_change_is_refused(api, world, reviewer):
    client = api(reviewer)
    url = f"/api/v1/claims/{world.published.slug}/"
    response = client.post(
        f"{url}status/",
        {
            "status": "confirmed",
            "rationale": "Two agencies confirm.",
            "evidence": [world.evidence.pk, world.evidence.pk],
        },
        format="json",
        HTTP_IF_MATCH=client.get(url)["ETag"],
    )

    assert response.status_code == 400
    assert "more than once" in str(response.json()["errors"]["evidence"])


def test_the_schema_bounds_every_list_in_a_request_body(api):
    schema = api().get("/api/v1/schema/?format=json").json()
    bodies = {
        name: component
        for name, component in schema["components"]["schemas"].items()
        if name.endswith("Request")
    }
    lists = [
        (name, field, prop)
        for name, component in bodies.items()
        for field, prop in component.get("properties", {}).items()
        if prop.get("type") == "array"
    ]

    assert lists
    for name, field, prop in lists:
        assert prop.get("maxItems") == 100, (name, field)
        assert prop.get("uniqueItems") is True, (name, field)
