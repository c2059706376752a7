"""Notes are the desk's: staff read them newest first; nothing the public or
a reader's token reaches ever carries one."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import services
from claims.models import Claim, Note, PageVersion
from tests.factories import ClaimFactory, InReviewClaimFactory, PublishedClaimFactory

pytestmark = pytest.mark.django_db

SECRET = "Source asked not to be named: Colonel K."


@pytest.fixture
def noted(editor, reviewer) -> Claim:
    """A published claim with a note and a returned-to-draft reason."""
    claim = InReviewClaimFactory(slug="noted-claim", text="A claim with notes.")
    services.return_claim(claim, by=reviewer, note=f"Returned: {SECRET}")
    services.add_note(claim, by=editor, text=SECRET)
    services.submit_claim(claim, by=editor)
    services.publish_claim(claim, by=reviewer)
    return Claim.objects.get(pk=claim.pk)


# --- the service -------------------------------------------------------------


def test_an_editor_adds_a_note_without_a_new_version(editor):
    claim = ClaimFactory()
    counters = list(PageVersion.objects.values_list("name", "counter"))

    note = services.add_note(claim, by=editor, text="  Call the press office.  ")

    assert (note.text, note.kind, note.author) == (
        "Call the press office.",
        "note",
        editor,
    )
    assert Claim.objects.get(pk=claim.pk).version == 1
    assert note.history.first().history_user == editor
    assert list(PageVersion.objects.values_list("name", "counter")) == counters


def test_a_note_on_a_published_claim_moves_no_page_counter(editor):
    claim = PublishedClaimFactory()
    counters = list(PageVersion.objects.order_by("name").values_list())

    services.add_note(claim, by=editor, text="Watch for a correction.")

    assert list(PageVersion.objects.order_by("name").values_list()) == counters


@pytest.mark.parametrize("text", ["", "  \n "])
def test_an_empty_note_is_refused(text, editor):
    with pytest.raises(ValidationError) as excinfo:
        services.add_note(ClaimFactory(), by=editor, text=text)

    assert "text" in excinfo.value.message_dict
    assert not Note.objects.exists()


def test_a_reader_cannot_add_a_note(reader):
    with pytest.raises(PermissionDenied):
        services.add_note(ClaimFactory(), by=reader, text="Hello.")

    assert not Note.objects.exists()


# --- never public ------------------------------------------------------------


def test_notes_are_on_no_public_page_or_feed(client, noted):
    pages = [
        noted.get_absolute_url(),
        "/",
        f"/?q={noted.text}",
        "/feed/",
        "/sitemap.xml",
        f"/events/{noted.event.slug}/",
        f"/events/{noted.event.slug}/feed/",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        body = b"".join(response) if response.streaming else response.content
        assert SECRET not in body.decode(), path


@pytest.mark.parametrize("who", ["anonymous", "reader"])
def test_notes_are_in_no_api_answer_for_non_staff(who, request, api, noted):
    client = api(None if who == "anonymous" else request.getfixturevalue(who))
    paths = [
        "/api/v1/claims/",
        f"/api/v1/claims/{noted.slug}/",
        f"/api/v1/claims/{noted.slug}/history/",
        "/api/v1/claims/export/",
        "/api/v1/claims/export/?format=jsonl",
        f"/api/v1/claims/?q={noted.text}",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        body = (
            b"".join(response.streaming_content)
            if response.streaming
            else response.content
        )
        assert SECRET not in body.decode(), path

    notes = client.get(f"/api/v1/claims/{noted.slug}/notes/")
    assert notes.status_code == (401 if who == "anonymous" else 403)
    assert SECRET not in notes.content.decode()


def test_a_drafts_notes_are_a_404_for_non_staff(api, reader, editor):
    draft = ClaimFactory(slug="secret-draft")
    services.add_note(draft, by=editor, text=SECRET)

    for client in (api(), api(reader)):
        assert client.get("/api/v1/claims/secret-draft/notes/").status_code == 404


def test_the_claim_detail_carries_no_notes_for_staff_either(api, editor, noted):
    """Notes have their own address; the claim's body, shared with the public,
    does not grow a staff-only part."""
    body = api(editor).get(f"/api/v1/claims/{noted.slug}/").content.decode()

    assert SECRET not in body


# --- staff read and write them ----------------------------------------------


def test_staff_read_notes_newest_first(api, editor, reviewer):
    claim = ClaimFactory(slug="three-notes")
    for text in ("First.", "Second.", "Third."):
        services.add_note(claim, by=editor, text=text)
    Note.objects.filter(text="First.").update(
        created_at=datetime.datetime(2025, 3, 1, tzinfo=datetime.UTC)
    )

    response = api(reviewer).get("/api/v1/claims/three-notes/notes/")

    assert response.status_code == 200
    assert [n["text"] for n in response.json()] == ["Third.", "Second.", "First."]
    assert response.json()[0]["author"] == "editor"


def test_an_editor_posts_a_note_without_if_match(api, editor):
    claim = ClaimFactory(slug="note-me")

    response = api(editor).post(
        "/api/v1/claims/note-me/notes/", {"text": "Ring Kharkiv."}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["text"] == "Ring Kharkiv."
    assert response.json()["author"] == "editor"
    assert Claim.objects.get(pk=claim.pk).version == 1


def test_an_empty_note_is_a_400_through_the_api(api, editor):
    ClaimFactory(slug="note-me")

    response = api(editor).post(
        "/api/v1/claims/note-me/notes/", {"text": " "}, format="json"
    )

    assert response.status_code == 400
    assert "text" in response.json()["errors"]
    assert not Note.objects.exists()


def test_reading_notes_costs_the_same_for_many(api, editor):
    claim = ClaimFactory(slug="busy")
    client = api(editor)

    def read(count: int) -> int:
        Note.objects.bulk_create(
            Note(claim=claim, author=editor, text=f"Note {n}.") for n in range(count)
        )
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/claims/busy/notes/").status_code == 200
        return len(queries)

    assert read(10) == read(90)


def test_the_admin_shows_notes_newest_first_and_adds_one(client, editor):
    claim = ClaimFactory()
    services.add_note(claim, by=editor, text="Older remark.")
    services.add_note(claim, by=editor, text="Newer remark.")
    client.force_login(editor)
    url = reverse("admin:claims_claim_change", args=[claim.pk])

    page = client.get(url).text
    added = client.post(
        reverse("admin:claims_claim_note", args=[claim.pk]),
        {"text": "Newest remark."},
        follow=True,
    ).text
    refused = client.post(
        reverse("admin:claims_claim_note", args=[claim.pk]), {"text": ""}, follow=True
    )

    assert page.index("Newer remark.") < page.index("Older remark.")
    assert added.index("Newest remark.") < added.index("Newer remark.")
    assert refused.status_code == 200
    assert "Write the note." in refused.text
    assert Note.objects.filter(claim=claim).count() == 3
