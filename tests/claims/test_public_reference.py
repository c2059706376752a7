"""Events, documents, sources and places become public through a published
claim that uses them (sources and places also as reference data a reviewer
marks); until then they are staff-only everywhere."""

import pytest

from claims import services
from claims.models import Claim, Place
from sources.models import Source
from tests.factories import (
    ClaimFactory,
    DocumentFactory,
    EventFactory,
    EvidenceFactory,
    PlaceFactory,
    SourceFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft_only(db):
    """An event, a place, a source and a document only a draft uses."""
    event = EventFactory(
        slug="quasarfold-offensive", title="Quasarfold offensive", summary="Secret."
    )
    place = PlaceFactory(slug="quasarfold", name="Quasarfold")
    source = SourceFactory(slug="quasar-desk", name="Quasar desk")
    document = DocumentFactory(title="Quasarfold memo", publisher=source)
    claim = ClaimFactory(slug="quasar-claim", event=event)
    claim.places.set([place])
    StatementFactory(claim=claim, source=source, document=document)
    EvidenceFactory(claim=claim, document=document)
    return {
        "claim": claim,
        "event": event,
        "place": place,
        "source": source,
        "document": document,
    }


def _anonymous_api_sees(api, draft_only) -> dict[str, bool]:
    client = api()
    return {
        "event": client.get("/api/v1/events/quasarfold-offensive/").status_code == 200,
        "place": client.get("/api/v1/places/quasarfold/").status_code == 200,
        "source": client.get("/api/v1/sources/quasar-desk/").status_code == 200,
        "document": client.get(
            f"/api/v1/documents/{draft_only['document'].pk}/"
        ).status_code
        == 200,
    }


def test_what_only_a_draft_uses_is_not_in_the_anonymous_api(api, draft_only):
    client = api()

    assert _anonymous_api_sees(api, draft_only) == dict.fromkeys(
        ["event", "place", "source", "document"], False
    )
    for path, text in (
        ("/api/v1/events/", "Quasarfold"),
        ("/api/v1/places/", "Quasarfold"),
        ("/api/v1/sources/?q=Quasar", "Quasar desk"),
        ("/api/v1/documents/", "Quasarfold memo"),
    ):
        response = client.get(path)
        assert response.status_code == 200
        assert text not in response.content.decode(), path


def test_staff_see_what_only_a_draft_uses(api, draft_only, editor):
    client = api(editor)

    assert client.get("/api/v1/events/quasarfold-offensive/").status_code == 200
    assert client.get("/api/v1/places/quasarfold/").status_code == 200
    assert "Quasar desk" in client.get("/api/v1/sources/").content.decode()


def test_what_only_a_draft_uses_has_no_page_feed_or_sitemap_entry(client, draft_only):
    for path in (
        "/events/quasarfold-offensive/",
        "/events/quasarfold-offensive/feed/",
        "/places/quasarfold/",
        "/sources/quasar-desk/",
        "/sources/quasar-desk/feed/",
    ):
        assert client.get(path).status_code == 404, path
    sitemap = client.get("/sitemap.xml").content.decode()
    assert "quasar" not in sitemap
    index = client.get("/").content.decode()
    assert "Quasar desk" not in index
    assert "Quasarfold" not in index


def test_publishing_the_claim_makes_what_it_uses_public(
    api, client, draft_only, reviewer
):
    services.submit_claim(draft_only["claim"], by=reviewer)
    services.publish_claim(draft_only["claim"], by=reviewer)

    assert _anonymous_api_sees(api, draft_only) == dict.fromkeys(
        ["event", "place", "source", "document"], True
    )
    assert client.get("/places/quasarfold/").status_code == 200
    assert client.get("/sources/quasar-desk/").status_code == 200


def test_a_place_is_public_with_the_places_it_lies_in(api, world):
    client = api()

    # Demidovka, the published claim's place, lies in Belgorod region, Russia.
    assert client.get("/api/v1/places/russia/").status_code == 200
    assert client.get("/api/v1/places/spare-place/").status_code == 404


def test_only_reviewers_mark_reference_data(api, world, editor, reviewer):
    refused = api(editor).patch(
        "/api/v1/sources/spare-source/", {"is_reference": True}, format="json"
    )
    assert refused.status_code == 403
    assert api().get("/api/v1/sources/spare-source/").status_code == 404

    marked = api(reviewer).patch(
        "/api/v1/places/spare-place/", {"is_reference": True}, format="json"
    )
    assert marked.status_code == 200, marked.content
    assert api().get("/api/v1/places/spare-place/").status_code == 200
    created = api(editor).post(
        "/api/v1/sources/",
        {
            "name": "New desk",
            "kind": "media",
            "affiliation": "other",
            "is_reference": True,
        },
        format="json",
    )
    assert created.status_code == 403
    assert not Source.objects.filter(name="New desk").exists()
    assert Place.objects.get(slug="spare-place").is_reference
    assert Claim.objects.exists()
