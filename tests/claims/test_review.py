"""The way to publication: draft → in review → published, returned to draft
with a note, unpublished back to draft; who may take each step, through the
services, the API and the admin."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from claims import services
from claims.models import Claim, Note, ReviewStep, Visibility
from tests.factories import (
    ClaimFactory,
    EvidenceFactory,
    InReviewClaimFactory,
    PublishedClaimFactory,
)

pytestmark = pytest.mark.django_db


def stored(claim: Claim) -> Claim:
    return Claim.objects.get(pk=claim.pk)


def steps(claim: Claim) -> list[str]:
    return [str(step) for step in ReviewStep.objects.filter(claim=claim)]


# --- services: each step, who may take it -----------------------------------


@pytest.mark.parametrize("role", ["editor", "reviewer", "superuser"])
def test_staff_who_edit_submit_a_draft_for_review(role, request):
    claim = ClaimFactory()
    by = request.getfixturevalue(role)

    services.submit_claim(claim, by=by, expected_version=1)

    after = stored(claim)
    assert after.visibility == Visibility.IN_REVIEW
    assert after.version == 2
    assert claim.visibility == Visibility.IN_REVIEW
    assert after.history.first().history_user == by
    assert steps(claim) == [f"Submitted for review by {by}"]


def test_a_reader_cannot_submit(reader):
    claim = ClaimFactory()

    with pytest.raises(PermissionDenied):
        services.submit_claim(claim, by=reader)

    assert stored(claim).visibility == Visibility.DRAFT
    assert not ReviewStep.objects.exists()


@pytest.mark.parametrize(
    "factory", [InReviewClaimFactory, PublishedClaimFactory], ids=["review", "pub"]
)
def test_only_a_draft_is_submitted(factory, editor):
    claim = factory()

    with pytest.raises(ValidationError) as excinfo:
        services.submit_claim(claim, by=editor)

    assert (
        "Only a draft can be submitted" in excinfo.value.message_dict["visibility"][0]
    )
    assert stored(claim).version == 1


def test_a_reviewer_returns_a_claim_with_a_note(reviewer):
    claim = InReviewClaimFactory()

    services.return_claim(
        claim, by=reviewer, note="  Needs a second source.  ", expected_version=1
    )

    after = stored(claim)
    assert after.visibility == Visibility.DRAFT
    assert after.version == 2
    note = Note.objects.get(claim=claim)
    assert (note.kind, note.text, note.author) == (
        "returned",
        "Needs a second source.",
        reviewer,
    )
    assert steps(claim) == ["Returned by reviewer: Needs a second source."]


@pytest.mark.parametrize("note", ["", "   \n"])
def test_a_claim_is_not_returned_without_a_note(note, reviewer):
    claim = InReviewClaimFactory()

    with pytest.raises(ValidationError) as excinfo:
        services.return_claim(claim, by=reviewer, note=note)

    assert "note" in excinfo.value.message_dict
    assert stored(claim).visibility == Visibility.IN_REVIEW
    assert not Note.objects.exists()
    assert not ReviewStep.objects.exists()


@pytest.mark.parametrize("role", ["reader", "editor"])
def test_only_reviewers_return_a_claim(role, request):
    claim = InReviewClaimFactory()

    with pytest.raises(PermissionDenied):
        services.return_claim(claim, by=request.getfixturevalue(role), note="No.")

    assert stored(claim).visibility == Visibility.IN_REVIEW
    assert not Note.objects.exists()


@pytest.mark.parametrize(
    "factory", [ClaimFactory, PublishedClaimFactory], ids=["draft", "published"]
)
def test_only_a_claim_in_review_is_returned(factory, reviewer):
    claim = factory()

    with pytest.raises(ValidationError):
        services.return_claim(claim, by=reviewer, note="Needs work.")

    assert stored(claim).version == 1
    assert not Note.objects.exists()


def test_a_draft_is_not_published_before_review(reviewer):
    claim = ClaimFactory()

    with pytest.raises(ValidationError) as excinfo:
        services.publish_claim(claim, by=reviewer)

    assert "Submit it for review first." in excinfo.value.message_dict["visibility"][0]
    assert stored(claim).visibility == Visibility.DRAFT


@pytest.mark.parametrize("role", ["reader", "editor"])
def test_only_reviewers_publish_and_unpublish(role, request):
    by = request.getfixturevalue(role)
    in_review, published = InReviewClaimFactory(), PublishedClaimFactory()

    with pytest.raises(PermissionDenied):
        services.publish_claim(in_review, by=by)
    with pytest.raises(PermissionDenied):
        services.unpublish_claim(published, by=by)

    assert stored(in_review).visibility == Visibility.IN_REVIEW
    assert stored(published).visibility == Visibility.PUBLISHED


def test_the_whole_way_is_recorded_in_order(editor, reviewer):
    """Submitted, returned, resubmitted, published, unpublished: the desk's
    steps say who did each."""
    claim = ClaimFactory()

    services.submit_claim(claim, by=editor)
    services.return_claim(claim, by=reviewer, note="Name the village.")
    services.submit_claim(claim, by=editor)
    services.publish_claim(claim, by=reviewer)
    services.unpublish_claim(claim, by=reviewer)

    assert steps(claim) == [
        "Submitted for review by editor",
        "Returned by reviewer: Name the village.",
        "Submitted for review by editor",
        "Published by reviewer",
        "Unpublished by reviewer",
    ]
    assert stored(claim).visibility == Visibility.DRAFT
    assert stored(claim).version == 6


@pytest.mark.parametrize(
    ("factory", "step"),
    [
        (ClaimFactory, lambda c, u: services.submit_claim(c, by=u, expected_version=1)),
        (
            InReviewClaimFactory,
            lambda c, u: services.return_claim(
                c, by=u, note="Stale.", expected_version=1
            ),
        ),
        (
            InReviewClaimFactory,
            lambda c, u: services.publish_claim(c, by=u, expected_version=1),
        ),
        (
            PublishedClaimFactory,
            lambda c, u: services.unpublish_claim(c, by=u, expected_version=1),
        ),
    ],
    ids=["submit", "return", "publish", "unpublish"],
)
def test_a_step_on_a_stale_version_is_refused(factory, step, reviewer, other_editor):
    claim = factory()
    services.update_claim(stored(claim), by=other_editor, text="Reworded meanwhile.")

    with pytest.raises(services.StaleVersion):
        step(claim, reviewer)

    assert stored(claim).visibility == claim.visibility
    assert not ReviewStep.objects.exists()
    assert not Note.objects.exists()


def test_review_steps_never_reach_the_public_timeline(client, editor, reviewer):
    claim = ClaimFactory(slug="desk-only", text="A claim through the desk.")
    services.submit_claim(claim, by=editor)
    services.return_claim(claim, by=reviewer, note="Secret desk remark.")
    services.submit_claim(claim, by=editor)
    services.publish_claim(claim, by=reviewer)

    page = client.get(claim.get_absolute_url())
    history = client.get(f"/api/v1/claims/{claim.slug}/history/")

    assert page.status_code == 200
    for text in (page.content.decode(), history.content.decode()):
        assert "Secret desk remark." not in text
        assert "Submitted for review" not in text


def test_a_claim_in_review_is_not_public(client, api):
    claim = InReviewClaimFactory(slug="in-review", text="Under review.")

    assert client.get(claim.get_absolute_url()).status_code == 404
    assert api().get("/api/v1/claims/in-review/").status_code == 404
    listed = api().get("/api/v1/claims/?visibility=in_review").json()["results"]
    assert listed == []


# --- the API ----------------------------------------------------------------


def test_the_api_takes_a_claim_through_review(api, editor, reviewer):
    claim = ClaimFactory(slug="through-review")
    path = f"/api/v1/claims/{claim.slug}/"

    submitted = api(editor).post(f"{path}submit/", HTTP_IF_MATCH=claim.etag)
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["visibility"] == "in_review"
    in_review = api(editor).get("/api/v1/claims/?visibility=in_review").json()
    assert [c["slug"] for c in in_review["results"]] == ["through-review"]

    returned = api(reviewer).post(
        f"{path}return/",
        {"note": "Add the MoD's denial."},
        format="json",
        HTTP_IF_MATCH=submitted["ETag"],
    )
    assert returned.status_code == 200, returned.content
    assert returned.json()["visibility"] == "draft"
    notes = api(editor).get(f"{path}notes/").json()
    assert [(n["kind"], n["text"]) for n in notes] == [
        ("returned", "Add the MoD's denial.")
    ]

    again = api(editor).post(f"{path}submit/", HTTP_IF_MATCH=returned["ETag"])
    published = api(reviewer).post(f"{path}publish/", HTTP_IF_MATCH=again["ETag"])
    assert published.status_code == 200, published.content
    assert published.json()["visibility"] == "published"


def test_the_api_refuses_a_return_without_a_note(api, reviewer):
    claim = InReviewClaimFactory()

    response = api(reviewer).post(
        f"/api/v1/claims/{claim.slug}/return/",
        {"note": ""},
        format="json",
        HTTP_IF_MATCH=claim.etag,
    )

    assert response.status_code == 400
    assert "note" in response.json()["errors"]
    assert stored(claim).visibility == Visibility.IN_REVIEW


def test_the_api_refuses_to_publish_a_draft_clearly(api, reviewer):
    claim = ClaimFactory()

    response = api(reviewer).post(
        f"/api/v1/claims/{claim.slug}/publish/", HTTP_IF_MATCH=claim.etag
    )

    assert response.status_code == 400
    assert "Submit it for review first." in response.content.decode()
    assert stored(claim).visibility == Visibility.DRAFT


def test_the_api_refuses_a_stale_submit_with_412(api, editor, other_editor):
    claim = ClaimFactory()
    old = claim.etag
    services.update_claim(stored(claim), by=other_editor, text="Reworded meanwhile.")

    response = api(editor).post(
        f"/api/v1/claims/{claim.slug}/submit/", HTTP_IF_MATCH=old
    )

    assert response.status_code == 412
    assert stored(claim).visibility == Visibility.DRAFT


# --- the admin ---------------------------------------------------------------


def change_url(claim: Claim) -> str:
    return reverse("admin:claims_claim_change", args=[claim.pk])


def test_the_claim_page_offers_the_next_step_by_state(client, editor, reviewer):
    draft, in_review = ClaimFactory(), InReviewClaimFactory()
    published = PublishedClaimFactory()

    client.force_login(editor)
    editor_draft = client.get(change_url(draft)).text
    editor_review = client.get(change_url(in_review)).text
    client.force_login(reviewer)
    reviewer_review = client.get(change_url(in_review)).text
    reviewer_published = client.get(change_url(published)).text

    assert 'value="submit"' in editor_draft
    assert "Return to draft…" not in editor_review
    assert "Publish…" not in editor_review
    assert "Return to draft…" in reviewer_review
    assert "Publish…" in reviewer_review
    assert 'value="submit"' not in reviewer_review
    assert 'value="unpublish"' in reviewer_published
    assert "Publish…" not in reviewer_published


def test_an_editor_submits_from_the_claim_page(client, editor):
    claim = ClaimFactory()
    client.force_login(editor)

    response = client.post(
        reverse("admin:claims_claim_visibility", args=[claim.pk]),
        {"action": "submit", "version": 1},
        follow=True,
    )

    assert "Submitted for review: “" in response.text
    assert stored(claim).visibility == Visibility.IN_REVIEW
    assert "Submitted for review by editor" in response.text


def test_a_reviewer_returns_through_a_form_that_needs_a_note(client, reviewer):
    claim = InReviewClaimFactory()
    url = reverse("admin:claims_claim_return", args=[claim.pk])
    client.force_login(reviewer)

    empty = client.post(url, {"note": "  ", "version": 1})
    assert empty.status_code == 200
    assert "This field is required." in empty.text
    assert stored(claim).visibility == Visibility.IN_REVIEW

    done = client.post(url, {"note": "Check the date.", "version": 1}, follow=True)
    assert "Returned to draft: “" in done.text
    assert stored(claim).visibility == Visibility.DRAFT
    assert "Returned by reviewer: Check the date." in done.text


def test_an_editor_cannot_open_the_return_form(client, editor):
    claim = InReviewClaimFactory()
    client.force_login(editor)

    response = client.get(reverse("admin:claims_claim_return", args=[claim.pk]))

    assert response.status_code == 403


def test_the_publish_page_shows_what_goes_out_before_it_does(client, reviewer):
    claim = InReviewClaimFactory(slug="going-out")
    evidence = EvidenceFactory(claim=claim)
    services.change_status(
        claim,
        to="disputed",
        rationale="Kyiv and Moscow disagree.",
        evidence=[evidence],
        by=reviewer,
    )
    client.force_login(reviewer)

    page = client.get(reverse("admin:claims_claim_publish", args=[claim.pk]))

    assert page.status_code == 200
    assert "Disputed" in page.text
    assert "Kyiv and Moscow disagree." in page.text
    assert 'href="/claims/going-out/"' in page.text
    assert 'value="publish"' in page.text
    assert stored(claim).visibility == Visibility.IN_REVIEW

    client.post(
        reverse("admin:claims_claim_visibility", args=[claim.pk]),
        {"action": "publish", "version": stored(claim).version},
    )
    assert stored(claim).is_published


def test_the_list_actions_submit_and_report_refusals(client, editor):
    draft, published = ClaimFactory(), PublishedClaimFactory()
    client.force_login(editor)

    response = client.post(
        reverse("admin:claims_claim_changelist"),
        {"action": "submit", "_selected_action": [draft.pk, published.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Submitted 1 claim." in response.text
    assert "Only a draft can be submitted for review" in response.text
    assert stored(draft).visibility == Visibility.IN_REVIEW
    assert stored(published).visibility == Visibility.PUBLISHED


def test_publishing_a_draft_from_the_list_says_to_submit_it(client, reviewer):
    draft = ClaimFactory()
    client.force_login(reviewer)

    response = client.post(
        reverse("admin:claims_claim_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
        follow=True,
    )

    assert "Submit it for review first." in response.text
    assert stored(draft).visibility == Visibility.DRAFT


def test_the_claims_history_page_shows_the_desk_steps(client, editor, reviewer):
    claim = ClaimFactory()
    services.submit_claim(claim, by=editor)
    services.return_claim(claim, by=reviewer, note="Which village?")
    services.submit_claim(claim, by=editor)
    services.publish_claim(claim, by=reviewer)
    client.force_login(editor)

    page = client.get(reverse("admin:claims_claim_history", args=[claim.pk])).text

    assert "Submitted for review by editor" in page
    assert "Returned by reviewer: Which village?" in page
    assert "Published by reviewer" in page


def test_a_history_page_of_no_claim_is_a_404(client, editor):
    client.force_login(editor)

    response = client.get("/admin/claims/claim/nonsense/history/")

    assert response.status_code == 404
