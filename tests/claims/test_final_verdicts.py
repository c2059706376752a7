"""A final verdict (confirmed, false) holds for the claim it was given on:
while it stands, only reviewers reword the claim or change the evidence it
rests on, and any new wording of a published claim is a correction the
public sees on the page, in the feed and in ClaimReview."""

import datetime

import pytest

from claims import services
from claims.models import Claim, Evidence, Status, StatusChange
from tests.claims.test_admin import change_url, claim_form
from tests.claims.test_pages import claim_review, text_of

pytestmark = pytest.mark.django_db

NEW_TEXT = "Ukrainian forces operated inside Belgorod region in March 2025."


@pytest.fixture
def confirmed(world, reviewer) -> Claim:
    services.change_status(
        world.published,
        to=Status.CONFIRMED,
        rationale="Two agencies confirm.",
        evidence=[world.evidence],
        by=reviewer,
        at=datetime.datetime(2025, 3, 22, 12, tzinfo=datetime.UTC),
    )
    world.published.refresh_from_db()
    return world.published


def _patch(client, url, body, claim):
    return client.patch(url, body, format="json", HTTP_IF_MATCH=claim.etag)


def test_an_editor_cannot_reword_a_confirmed_claim(api, confirmed, editor):
    response = _patch(
        api(editor), f"/api/v1/claims/{confirmed.slug}/", {"text": NEW_TEXT}, confirmed
    )

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "Only reviewers" in response.json()["detail"]
    refreshed = Claim.objects.get(pk=confirmed.pk)
    assert refreshed.text == confirmed.text
    assert refreshed.version == confirmed.version


def test_an_editor_can_still_change_a_confirmed_claims_places(
    api, world, confirmed, editor
):
    response = _patch(
        api(editor),
        f"/api/v1/claims/{confirmed.slug}/",
        {"text": confirmed.text, "places": [world.region.slug]},
        confirmed,
    )

    assert response.status_code == 200, response.content
    assert not confirmed.status_changes.exclude(new_text="").exists()


def test_an_editor_cannot_change_the_stance_of_evidence_a_final_verdict_rests_on(
    api, world, confirmed, editor
):
    response = _patch(
        api(editor),
        f"/api/v1/evidence/{world.evidence.pk}/",
        {"stance": "refutes"},
        confirmed,
    )

    assert response.status_code == 403
    assert Evidence.objects.get(pk=world.evidence.pk).stance == "supports"


def test_an_editor_cannot_swap_the_document_of_evidence_a_final_verdict_rests_on(
    api, world, confirmed, editor
):
    response = _patch(
        api(editor),
        f"/api/v1/evidence/{world.evidence.pk}/",
        {"document": world.spare_document.pk},
        confirmed,
    )

    assert response.status_code == 403


def test_an_editor_can_annotate_evidence_of_a_final_verdict(
    api, world, confirmed, editor
):
    response = _patch(
        api(editor),
        f"/api/v1/evidence/{world.evidence.pk}/",
        {"note": "Archived copy checked."},
        confirmed,
    )

    assert response.status_code == 200, response.content


def test_an_editor_can_reword_a_disputed_claim_as_a_correction(api, world, editor):
    claim = world.published
    response = _patch(
        api(editor), f"/api/v1/claims/{claim.slug}/", {"text": NEW_TEXT}, claim
    )

    assert response.status_code == 200, response.content
    entry = claim.status_changes.get(new_text=NEW_TEXT)
    assert entry.is_correction
    assert entry.old_text == claim.text
    assert entry.old_status == entry.new_status == Status.DISPUTED


def test_a_reviewer_rewording_a_final_verdict_corrects_it_in_public(
    api, client, confirmed, reviewer
):
    old_text = confirmed.text
    response = _patch(
        api(reviewer),
        f"/api/v1/claims/{confirmed.slug}/",
        {"text": NEW_TEXT},
        confirmed,
    )
    assert response.status_code == 200, response.content

    page = text_of(client.get(confirmed.get_absolute_url()))
    assert "the wording changed from" in page
    assert old_text in page
    review = claim_review(page)
    assert review["claimReviewed"] == NEW_TEXT
    assert review["reviewBody"] == "Two agencies confirm."
    assert any(
        c["text"].startswith(f"Wording changed from “{old_text}”")
        for c in review["correction"]
    )
    feed = client.get("/feed/").content.decode()
    assert "Correction: Wording corrected" in feed
    history = api().get(f"/api/v1/claims/{confirmed.slug}/history/").json()
    assert history["status"] == "confirmed"
    assert history["changes"][-1]["new_text"] == NEW_TEXT
    assert history["changes"][-1]["is_correction"] is True


def test_rewording_a_draft_leaves_no_timeline_entry(api, world, editor):
    draft = world.draft
    response = _patch(
        api(editor), f"/api/v1/claims/{draft.slug}/", {"text": NEW_TEXT}, draft
    )

    assert response.status_code == 200
    assert not StatusChange.objects.filter(claim=draft).exists()


def test_the_admin_shows_the_refusal_to_an_editor(client, confirmed, editor):
    client.force_login(editor)

    response = client.post(
        change_url(confirmed), claim_form(confirmed, text=NEW_TEXT), follow=True
    )

    assert response.status_code == 200
    assert "Only reviewers can change the wording" in response.content.decode()
    assert Claim.objects.get(pk=confirmed.pk).text == confirmed.text
