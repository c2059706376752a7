"""``Idempotency-Key`` on the API's POSTs: a retry returns the first answer
and creates nothing twice; a key reused for another request is a 422."""

import datetime
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from claims.models import (
    Claim,
    ClaimLink,
    Event,
    Evidence,
    Place,
    Statement,
    StatusChange,
)
from sources.models import Document, Source
from verifier.idempotency.models import IdempotencyKey

pytestmark = pytest.mark.django_db


def creates(world):
    """Every POST of the API that makes something: (path, body, If-Match, model)."""
    etag = world.draft.etag
    return [
        (
            "/api/v1/sources/",
            {
                "name": "ISW",
                "slug": "isw",
                "kind": "think_tank",
                "affiliation": "independent",
            },
            None,
            Source,
        ),
        (
            "/api/v1/documents/",
            {"title": "ISW update", "url": "https://example.org/isw-21-march"},
            None,
            Document,
        ),
        (
            "/api/v1/places/",
            {"name": "Sudzha", "slug": "sudzha", "kind": "town"},
            None,
            Place,
        ),
        ("/api/v1/events/", {"title": "Kursk", "slug": "kursk-2025"}, None, Event),
        ("/api/v1/claims/", {"text": "Судже угрожает окружение."}, None, Claim),
        (
            "/api/v1/statements/",
            {
                "claim": world.draft.slug,
                "source": world.other_source.pk,
                "stance": "denies",
                "stated_on": "2025-03-19",
                "quote": "Все атаки отражены.",
                "quote_language": "ru",
            },
            etag,
            Statement,
        ),
        (
            "/api/v1/evidence/",
            {
                "claim": world.draft.slug,
                "document": world.spare_document.pk,
                "stance": "refutes",
            },
            etag,
            Evidence,
        ),
        (
            "/api/v1/links/",
            {
                "from_claim": world.draft.slug,
                "to_claim": world.other.slug,
                "kind": "supports",
            },
            etag,
            ClaimLink,
        ),
        (
            f"/api/v1/claims/{world.draft.slug}/status/",
            {
                "status": "disputed",
                "rationale": "Kyiv and Moscow disagree.",
                "evidence": [world.draft_evidence.pk],
            },
            etag,
            StatusChange,
        ),
    ]


CREATES = [
    "sources",
    "documents",
    "places",
    "events",
    "claims",
    "statements",
    "evidence",
    "links",
    "status",
]


@pytest.mark.parametrize("index", range(len(CREATES)), ids=CREATES)
def test_a_retry_with_the_same_key_returns_the_first_answer_and_creates_once(
    api, world, reviewer, index
):
    path, body, etag, model = creates(world)[index]
    client = api(reviewer)
    headers = {"HTTP_IDEMPOTENCY_KEY": "4f1c9a52-retry"}
    if etag:
        headers["HTTP_IF_MATCH"] = etag
    before = model.objects.count()

    first = client.post(path, body, format="json", **headers)
    retry = client.post(path, body, format="json", **headers)

    assert first.status_code in {200, 201}, first.content
    assert model.objects.count() == before + 1
    assert retry.status_code == first.status_code
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    for header in ("Location", "ETag"):
        assert retry.get(header) == first.get(header)


def test_without_a_key_a_repeated_post_creates_twice(api, reviewer):
    client = api(reviewer)

    client.post("/api/v1/claims/", {"text": "Twice."}, format="json")
    client.post("/api/v1/claims/", {"text": "Twice."}, format="json")

    assert Claim.objects.filter(text="Twice.").count() == 2


def test_the_same_key_with_another_body_is_a_422(api, reviewer):
    client = api(reviewer)
    key = {"HTTP_IDEMPOTENCY_KEY": "key-1"}
    client.post("/api/v1/claims/", {"text": "First words."}, format="json", **key)

    response = client.post(
        "/api/v1/claims/", {"text": "Other words."}, format="json", **key
    )

    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["detail"]
    assert not Claim.objects.filter(text="Other words.").exists()


def test_the_same_key_on_another_address_is_a_422(api, reviewer):
    client = api(reviewer)
    key = {"HTTP_IDEMPOTENCY_KEY": "key-2"}
    client.post(
        "/api/v1/places/", {"name": "Kursk", "slug": "kursk", "kind": "town"}, **key
    )

    response = client.post("/api/v1/events/", {"name": "Kursk", "slug": "kursk"}, **key)

    assert response.status_code == 422
    assert not Event.objects.filter(slug="kursk").exists()


def test_the_same_body_respaced_is_the_same_request(api, reviewer):
    client = api(reviewer)
    key = {"HTTP_IDEMPOTENCY_KEY": "key-3"}
    client.post(
        "/api/v1/places/",
        '{"name": "Kursk", "slug": "kursk", "kind": "town"}',
        content_type="application/json",
        **key,
    )

    retry = client.post(
        "/api/v1/places/",
        '{ "slug":"kursk",  "kind":"town",  "name":"Kursk" }',
        content_type="application/json",
        **key,
    )

    assert retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"


def test_a_refused_request_leaves_the_key_free_for_the_corrected_one(api, reviewer):
    client = api(reviewer)
    key = {"HTTP_IDEMPOTENCY_KEY": "key-4"}

    refused = client.post("/api/v1/places/", {"name": ""}, format="json", **key)
    corrected = client.post(
        "/api/v1/places/",
        {"name": "Sumy", "slug": "sumy", "kind": "town"},
        format="json",
        **key,
    )

    assert refused.status_code == 400
    assert corrected.status_code == 201
    assert "Idempotent-Replayed" not in corrected
    assert Place.objects.filter(slug="sumy").count() == 1


def test_keys_belong_to_their_user(api, editor, other_editor):
    key = {"HTTP_IDEMPOTENCY_KEY": "shared-key"}

    mine = api(editor).post("/api/v1/claims/", {"text": "Mine."}, **key)
    theirs = api(other_editor).post("/api/v1/claims/", {"text": "Theirs."}, **key)

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in theirs
    assert theirs.json()["text"] == "Theirs."


@pytest.mark.parametrize("key", ["", "x" * 256, "clé", "two words"])
def test_a_malformed_key_is_a_400_and_creates_nothing(api, reviewer, key):
    response = api(reviewer).post(
        "/api/v1/claims/", {"text": "Keyed."}, HTTP_IDEMPOTENCY_KEY=key
    )

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert not Claim.objects.filter(text="Keyed.").exists()


def test_an_expired_key_runs_the_request_again(api, reviewer, settings):
    client = api(reviewer)
    key = {"HTTP_IDEMPOTENCY_KEY": "old-key"}
    client.post("/api/v1/claims/", {"text": "Again."}, **key)
    IdempotencyKey.objects.update(
        created_at=timezone.now() - datetime.timedelta(hours=25)
    )

    retry = client.post("/api/v1/claims/", {"text": "Again."}, **key)

    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry
    assert Claim.objects.filter(text="Again.").count() == 2


def test_clear_idempotency_keys_deletes_only_expired_ones(api, reviewer, capsys):
    client = api(reviewer)
    client.post("/api/v1/claims/", {"text": "Old."}, HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyKey.objects.update(
        created_at=timezone.now() - datetime.timedelta(hours=25)
    )
    client.post("/api/v1/claims/", {"text": "New."}, HTTP_IDEMPOTENCY_KEY="new")

    call_command("clear_idempotency_keys")

    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
    assert "Deleted 1 expired" in capsys.readouterr().out


def test_the_schema_documents_the_header_on_posts(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()

    for path in (
        "/api/v1/claims/",
        "/api/v1/sources/",
        "/api/v1/claims/{slug}/status/",
    ):
        operation = schema["paths"][path]["post"]
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert "Idempotency-Key" in headers, path
        assert "422" in operation["responses"], path
    patch = schema["paths"]["/api/v1/claims/{slug}/"]["patch"]
    assert "Idempotency-Key" not in {p["name"] for p in patch["parameters"]}


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_create_once(api, editor):
    """Eight copies of one request at once, as a client retrying on timeouts
    would send: one claim, and every copy answers with it."""
    clients = [api(editor) for _ in range(8)]
    start = threading.Barrier(len(clients))
    answers = []

    def send(client) -> None:
        try:
            start.wait()
            answers.append(
                client.post(
                    "/api/v1/claims/",
                    {"text": "Raced."},
                    format="json",
                    HTTP_IDEMPOTENCY_KEY="raced-key",
                )
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Claim.objects.filter(text="Raced.").count() == 1
    assert [a.status_code for a in answers] == [201] * 8
    assert len({a.json()["slug"] for a in answers}) == 1
    assert sum("Idempotent-Replayed" in a for a in answers) == 7
