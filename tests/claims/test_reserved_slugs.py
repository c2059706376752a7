"""A claim's slug never spells an address the API keeps beside the claims
(``/api/v1/claims/export/``, ``/similar/``): such a claim could not be
reached at its own address."""

import pytest

from claims import services
from claims.models import Claim


@pytest.mark.parametrize("word", ["Export", "Similar"])
def test_a_claim_named_like_a_collection_route_gets_a_slug_of_its_own(
    api, editor, word
):
    response = api(editor).post("/api/v1/claims/", {"text": word}, format="json")

    assert response.status_code == 201
    slug = response.json()["slug"]
    assert slug == f"{word.lower()}-2"
    fetched = api(editor).get(f"/api/v1/claims/{slug}/")
    assert fetched.status_code == 200
    assert fetched.json()["text"] == word


@pytest.mark.parametrize("slug", ["export", "similar"])
def test_such_a_slug_asked_for_is_refused_and_changes_nothing(api, editor, slug):
    client = api(editor)

    created = client.post(
        "/api/v1/claims/", {"text": "Bridge hit.", "slug": slug}, format="json"
    )

    assert created.status_code == 400
    assert "API" in " ".join(created.json()["errors"]["slug"])
    assert not Claim.objects.filter(slug=slug).exists()

    claim = services.create_claim(by=editor, text="Bridge hit.")
    edited = client.patch(
        f"/api/v1/claims/{claim.slug}/",
        {"slug": slug},
        format="json",
        HTTP_IF_MATCH=claim.etag,
    )

    assert edited.status_code == 400
    assert "slug" in edited.json()["errors"]
    claim.refresh_from_db()
    assert claim.slug == "bridge-hit"
    assert claim.version == 1


def test_the_admin_form_says_so_on_the_slug_field(client, editor):
    client.force_login(editor)

    response = client.post(
        "/admin/claims/claim/add/",
        {"text": "Bridge hit.", "slug": "export", "places": []},
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "slug" in errors
    assert not Claim.objects.filter(slug="export").exists()
