"""A kept public page is served until what it shows changes, and no longer.

Each test reads a page as an anonymous reader, then changes a row behind the
application's back (``QuerySet.update``: no validator moves). A page still
served from the page cache does not show that change; a page rendered again
does. The changes the tests make through the application decide which.
"""

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from claims import services
from claims.models import Claim
from sources.models import Source
from tests.factories import (
    ClaimFactory,
    ClaimLinkFactory,
    DocumentFactory,
    EvidenceFactory,
    PublishedClaimFactory,
    SourceFactory,
    StatementFactory,
    StatusChangeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

BEHIND = "Reworded behind the back of the application."


def hide_an_edit(claim: Claim) -> None:
    """Reword ``claim`` without the application knowing."""
    Claim.objects.filter(pk=claim.pk).update(text=BEHIND)


def read(client, url: str, **headers: str):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
    response.queries = len(captured)
    return response


@pytest.fixture
def page(client):
    """A published claim with a statement, evidence and a related claim,
    its page read once (and so kept), then reworded behind the app's back."""
    claim = PublishedClaimFactory(text="The bridge was struck.")
    StatementFactory(claim=claim, quote="We struck the bridge.")
    EvidenceFactory(claim=claim, document__title="Satellite image of the bridge")
    related = PublishedClaimFactory(text="The bridge still stands.")
    ClaimLinkFactory(from_claim=claim, to_claim=related, kind="contradicts")
    url = claim.get_absolute_url()
    first = read(client, url)
    assert first.status_code == 200
    assert "The bridge was struck." in first.content.decode()
    hide_an_edit(claim)
    claim.refresh_from_db()
    claim.etag_seen = first["ETag"]
    claim.related = related
    return claim


def assert_kept(client, claim) -> None:
    url = claim.get_absolute_url()
    again = read(client, url)
    assert again.status_code == 200
    assert BEHIND not in again.content.decode()
    # one query, the validator's; the page is the stored one
    assert again.queries == 1
    assert again["ETag"] == claim.etag_seen
    assert read(client, url, if_none_match=claim.etag_seen).status_code == 304


def assert_rendered_again(client, claim, *shown: str) -> None:
    url = claim.get_absolute_url()
    conditional = read(client, url, if_none_match=claim.etag_seen)
    assert conditional.status_code == 200
    assert conditional["ETag"] != claim.etag_seen
    html = conditional.content.decode()
    assert BEHIND in html
    for text in shown:
        assert text in html
    assert read(client, url, if_none_match=conditional["ETag"]).status_code == 304


# What a claim page does not show --------------------------------------------------


def reword_another_claim(reviewer, claim) -> None:
    other = PublishedClaimFactory()
    services.update_claim(other, by=reviewer, text="Another claim, reworded.")


def change_a_draft(reviewer, claim) -> None:
    draft = ClaimFactory()
    services.update_claim(draft, by=reviewer, text="A draft, reworded.")
    services.attribute_statement(
        draft,
        source=SourceFactory(),
        stance="asserts",
        stated_on=datetime.date(2025, 3, 1),
        quote="Said of a draft.",
        by=reviewer,
    )


def quote_on_another_claim(reviewer, claim) -> None:
    services.attribute_statement(
        PublishedClaimFactory(),
        source=SourceFactory(),
        stance="denies",
        stated_on=datetime.date(2025, 3, 1),
        quote="Said of another claim.",
        by=reviewer,
    )


def quote_on_a_related_claim(reviewer, claim) -> None:
    # The page shows a related claim's wording and verdict, not its statements.
    StatementFactory(claim=claim.related, quote="Said of the related claim.")


def link_a_draft(reviewer, claim) -> None:
    # A published claim shows no link to a draft.
    services.link_claims(claim, ClaimFactory(), kind="supports", by=reviewer)


@pytest.mark.parametrize(
    "change",
    [
        reword_another_claim,
        change_a_draft,
        quote_on_another_claim,
        quote_on_a_related_claim,
        link_a_draft,
    ],
)
def test_a_kept_claim_page_outlives_changes_it_does_not_show(
    client, page, reviewer, change
):
    change(reviewer, page)

    assert_kept(client, page)


# What it shows ------------------------------------------------------------------


def test_its_own_rewording_shows(client, page, reviewer):
    services.update_claim(page, by=reviewer, text="The bridge was hit twice.")

    assert_rendered_again(client, page, "The bridge was hit twice.")


def test_a_new_verdict_shows(client, page, reviewer):
    services.change_status(
        page,
        to="disputed",
        rationale="Two accounts disagree.",
        evidence=list(page.evidence.all()),
        by=reviewer,
    )

    assert_rendered_again(client, page, "Two accounts disagree.")


def test_a_new_statement_shows(client, page, reviewer):
    services.attribute_statement(
        page,
        source=SourceFactory(name="Mayor of the town"),
        stance="denies",
        stated_on=datetime.date(2025, 3, 2),
        quote="No bridge was struck.",
        by=reviewer,
    )

    assert_rendered_again(client, page, "No bridge was struck.", "Mayor of the town")


def test_new_evidence_shows(client, page, reviewer):
    services.add_evidence(
        page,
        document=DocumentFactory(title="Drone footage of the river"),
        stance="supports",
        by=reviewer,
    )

    assert_rendered_again(client, page, "Drone footage of the river")


def test_a_new_link_shows(client, page, reviewer):
    other = PublishedClaimFactory(text="Traffic crosses the bridge again.")

    services.link_claims(other, page, kind="supports", by=reviewer)

    assert_rendered_again(client, page, "Traffic crosses the bridge again.")


def test_a_related_claim_reworded_shows(client, page, reviewer):
    services.update_claim(page.related, by=reviewer, text="The bridge stands, damaged.")

    assert_rendered_again(client, page, "The bridge stands, damaged.")


def test_a_related_claim_published_shows(client, page, reviewer):
    draft = ClaimFactory(text="The river was closed to boats.")
    ClaimLinkFactory(from_claim=draft, to_claim=page, kind="supports")
    services.submit_claim(draft, by=reviewer)
    assert_kept(client, page)

    services.publish_claim(draft, by=reviewer)

    assert_rendered_again(client, page, "The river was closed to boats.")


def test_a_verdict_recorded_outside_the_services_shows(client, page):
    # Fixtures and commands write rows directly; the validator follows them too.
    StatusChangeFactory(
        claim=page, changed_by=UserFactory(), rationale="Recorded by a command."
    )

    assert_rendered_again(client, page, "Recorded by a command.")


def test_a_source_renamed_through_the_api_shows(client, page, api, editor):
    source = page.statements.get().source
    path = f"/api/v1/sources/{source.slug}/"

    response = api(editor).patch(path, {"name": "Renamed in the API"}, format="json")

    assert response.status_code == 200
    assert_rendered_again(client, page, "Renamed in the API")


def test_a_source_renamed_in_the_admin_shows(client, page, admin_client):
    source = page.statements.get().source
    url = f"/admin/sources/source/{source.pk}/change/"
    context = admin_client.get(url).context
    form = context["adminform"].form
    data = {
        name: form[name].value()
        for name in form.fields
        if form[name].value() not in (None, False)
    }
    for inline in context["inline_admin_formsets"]:
        # The inlines are left as they are: none of their rows is sent.
        prefix = inline.formset.prefix
        data |= {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}

    response = admin_client.post(url, {**data, "name": "Renamed in the admin"})

    assert response.status_code == 302
    assert Source.objects.get(pk=source.pk).name == "Renamed in the admin"
    assert_rendered_again(client, page, "Renamed in the admin")


def test_a_document_it_cites_retitled_shows(client, page):
    document = page.evidence.get().document
    document.title = "Retitled satellite image"
    document.save()

    assert_rendered_again(client, page, "Retitled satellite image")


def test_an_unpublished_claim_s_kept_page_is_a_404(client, page, reviewer):
    services.unpublish_claim(page, by=reviewer)

    response = read(client, page.get_absolute_url(), if_none_match=page.etag_seen)

    assert response.status_code == 404
    assert "ETag" not in response


def test_a_change_rolled_back_moves_no_validator(client, page, reviewer):
    def change_then_fail() -> None:
        with transaction.atomic():
            services.update_claim(page, by=reviewer, text="Never committed.")
            services.attribute_statement(
                page,
                source=SourceFactory(),
                stance="denies",
                stated_on=datetime.date(2025, 3, 2),
                quote="Never committed either.",
                by=reviewer,
            )
            raise RuntimeError

    with pytest.raises(RuntimeError):
        change_then_fail()

    assert_kept(client, page)


# Queries -----------------------------------------------------------------------


def test_the_claim_page_is_rendered_in_a_fixed_number_of_queries(client):
    """The validator's, then the claim and event, places, statements,
    evidence, links out, links in, the timeline and the evidence its
    verdicts rest on."""
    user = UserFactory()
    small, large = PublishedClaimFactory(), PublishedClaimFactory()
    for claim, n in ((small, 1), (large, 12)):
        for _ in range(n):
            StatementFactory(claim=claim)
            evidence = EvidenceFactory(claim=claim)
            StatusChangeFactory(claim=claim, changed_by=user).evidence.add(evidence)
            ClaimLinkFactory(from_claim=claim, to_claim=PublishedClaimFactory())
            ClaimLinkFactory(from_claim=PublishedClaimFactory(), to_claim=claim)

    counts = [
        read(client, claim.get_absolute_url()).queries for claim in (small, large)
    ]

    assert counts == [9, 9]


# Lists ---------------------------------------------------------------------------


@pytest.fixture
def index(client):
    """The index page, read once (and so kept), then a claim on it reworded
    behind the app's back."""
    claim = PublishedClaimFactory(text="Power is back in the city.")
    first = read(client, "/")
    assert "Power is back in the city." in first.content.decode()
    hide_an_edit(claim)
    return first


def test_the_index_outlives_changes_to_a_never_published_draft(client, index, reviewer):
    draft = services.create_claim(text="A draft nobody reads.", by=reviewer)
    services.update_claim(draft, by=reviewer, text="Still a draft.")
    services.add_evidence(
        draft, document=DocumentFactory(), stance="supports", by=reviewer
    )

    again = read(client, "/")

    assert again.queries == 1
    assert BEHIND not in again.content.decode()
    assert again["ETag"] == index["ETag"]


def test_the_index_is_rendered_again_when_a_published_claim_changes(
    client, index, reviewer
):
    services.update_claim(
        PublishedClaimFactory(), by=reviewer, text="Water is back too."
    )

    again = read(client, "/", if_none_match=index["ETag"])

    assert again.status_code == 200
    assert "Water is back too." in again.content.decode()
    assert BEHIND in again.content.decode()


def test_the_index_is_rendered_again_when_a_draft_is_published(client, index, reviewer):
    draft = services.create_claim(text="Schools reopen on Monday.", by=reviewer)
    services.submit_claim(draft, by=reviewer)

    services.publish_claim(draft, by=reviewer)

    again = read(client, "/", if_none_match=index["ETag"])
    assert again.status_code == 200
    assert "Schools reopen on Monday." in again.content.decode()


def test_its_event_retitled_through_the_api_shows(client, page, api, editor):
    path = f"/api/v1/events/{page.event.slug}/"

    response = api(editor).patch(path, {"title": "Strike on the bridge"}, format="json")

    assert response.status_code == 200
    assert_rendered_again(client, page, "Strike on the bridge")
