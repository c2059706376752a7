"""A database that answers reads and refuses writes (a hot standby, a failover
in progress) serves every read and answers every write with a 503 to retry:
never a 500, and nothing changed.

The database really is read-only: ``ALTER DATABASE … SET
default_transaction_read_only = on``, as a standby behaves to each session,
and the app's connection opened anew, as after a failover.
"""

import logging

import psycopg
import pytest
from django.db import DatabaseError, connections
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

import verifier.throttling
from claims.models import Claim
from tests.claims.test_admin import change_url, claim_form
from tests.factories import PASSWORD, PublishedClaimFactory
from tests.test_redis_down import redis_server, use_redis  # noqa: F401 (fixtures)
from verifier.postgresql.errors import refuses_writes

pytestmark = pytest.mark.django_db(transaction=True)


def alter_database(setting: str) -> None:
    """``ALTER DATABASE`` the test database, from the maintenance database as
    an administrator would (the test database may be refusing writes)."""
    settings_dict = connections["default"].settings_dict
    with psycopg.connect(
        host=settings_dict["HOST"],
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"],
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(f'ALTER DATABASE "{settings_dict["NAME"]}" {setting}')
    # Sessions take the setting when they start: the next query reconnects.
    for connection in connections.all(initialized_only=True):
        connection.close()


@pytest.fixture
def read_only(transactional_db, monkeypatch):
    """Makes the test database refuse writes; ``read_only.end()`` lets it take
    them again (so does the end of the test)."""
    # Each test's process finds the database writable at first.
    monkeypatch.setattr(
        verifier.throttling, "_refusals", verifier.throttling._Refusals()
    )

    class Switch:
        def begin(self) -> None:
            alter_database("SET default_transaction_read_only = on")

        def end(self) -> None:
            alter_database("RESET default_transaction_read_only")

    switch = Switch()
    yield switch
    switch.end()


@pytest.fixture
def client():
    # As in production: an exception becomes the error page, not a test failure.
    return Client(raise_request_exception=False)


@pytest.fixture
def api():
    return APIClient(raise_request_exception=False)


def assert_refused(response) -> None:
    """The API's 503 to retry, as during a database outage."""
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "5"
    body = response.json()
    assert (body["status"], body["code"]) == (503, "unavailable")
    assert body["detail"]


def sign_in_wrong_then_right(api):
    """The editor signs in to the API with a wrong password, then the right one."""
    return [
        api.post(
            "/api/v1/auth/login/",
            {"username": "editor", "password": password},
            format="json",
        )
        for password in ("guess", PASSWORD)
    ]


def test_refuses_writes_knows_a_read_only_transaction_from_other_errors(read_only):
    claim = PublishedClaimFactory()
    read_only.begin()
    with pytest.raises(DatabaseError) as refused:
        Claim.objects.filter(pk=claim.pk).update(text="Changed.")
    read_only.end()
    with pytest.raises(DatabaseError) as broken:
        Claim.objects.raw("SELECT nonsense FROM nowhere")[0]

    assert refuses_writes(refused.value)
    assert not refuses_writes(broken.value)
    assert not refuses_writes(None)


def test_anonymous_and_signed_in_reads_are_served(read_only, api, client, editor):
    claim = PublishedClaimFactory()
    _, token = AuthToken.objects.create(user=editor)
    read_only.begin()

    listing = api.get("/api/v1/claims/")
    detail = api.get(f"/api/v1/claims/{claim.slug}/")
    sources = api.get("/api/v1/sources/")
    export = api.get("/api/v1/claims/export/")
    home = client.get("/")
    page = client.get(claim.get_absolute_url())
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    signed_in = api.get("/api/v1/claims/")

    assert [r.status_code for r in (listing, detail, sources, export)] == [200] * 4
    assert [item["slug"] for item in listing.json()["results"]] == [claim.slug]
    assert detail.json()["text"] == claim.text
    assert claim.slug in b"".join(export.streaming_content).decode()
    assert (home.status_code, page.status_code) == (200, 200)
    assert claim.text in page.content.decode()
    assert signed_in.status_code == 200


def test_signed_in_staff_read_the_admin(read_only, client, editor):
    claim = PublishedClaimFactory()
    client.force_login(editor)
    read_only.begin()

    assert client.get("/admin/").status_code == 200
    assert client.get(change_url(claim)).status_code == 200


def test_api_writes_are_a_503_and_change_nothing(read_only, api, editor):
    claim = PublishedClaimFactory(text="As it was.")
    _, token = AuthToken.objects.create(user=editor)
    etag = api.get(f"/api/v1/claims/{claim.slug}/")["ETag"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    read_only.begin()

    created = api.post(
        "/api/v1/claims/",
        {"text": "Written on a standby."},
        format="json",
        HTTP_IDEMPOTENCY_KEY="6b1c0f7e-read-only-0001",
    )
    patched = api.patch(
        f"/api/v1/claims/{claim.slug}/",
        {"text": "Changed on a standby."},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    read_only.end()

    assert_refused(created)
    assert_refused(patched)
    claim.refresh_from_db()
    assert (claim.text, claim.version) == ("As it was.", 1)
    assert list(Claim.objects.values_list("slug", flat=True)) == [claim.slug]


def test_a_write_retried_once_the_database_takes_writes_is_made_once(
    read_only, api, editor
):
    """The client's retry of a refused POST, with its key, after the failover."""
    _, token = AuthToken.objects.create(user=editor)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    body = {"text": "Written across a failover."}
    key = "6b1c0f7e-read-only-0002"
    read_only.begin()

    refused = api.post("/api/v1/claims/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    read_only.end()
    made = api.post("/api/v1/claims/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    replayed = api.post(
        "/api/v1/claims/", body, format="json", HTTP_IDEMPOTENCY_KEY=key
    )

    assert_refused(refused)
    assert made.status_code == 201
    assert replayed.status_code == 201
    assert replayed["Idempotent-Replayed"] == "true"
    assert Claim.objects.filter(text=body["text"]).count() == 1


def test_an_admin_save_is_the_unavailable_page_and_changes_nothing(
    read_only, client, editor
):
    claim = PublishedClaimFactory(text="As it was.")
    client.force_login(editor)
    form = claim_form(claim, text="Reworded on a standby.")
    read_only.begin()

    response = client.post(change_url(claim), form)
    read_only.end()

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"Briefly unavailable" in response.content
    claim.refresh_from_db()
    assert (claim.text, claim.version) == ("As it was.", 1)


def test_sign_ins_are_refused_not_let_through_uncounted(read_only, api, client, editor):
    read_only.begin()

    wrong, right = sign_in_wrong_then_right(api)
    form = client.post(
        "/admin/login/?next=/admin/", {"username": "editor", "password": PASSWORD}
    )

    assert_refused(wrong)
    assert_refused(right)
    assert "token" not in right.json()
    assert form.status_code == 503
    assert b"Briefly unavailable" in form.content
    assert "sessionid" not in client.cookies


def test_readiness_says_whether_the_database_takes_writes(read_only, client):
    writable = client.get("/readyz")
    read_only.begin()
    standby = client.get("/readyz")

    assert writable.status_code == 200
    assert writable.json() == {
        "status": "ok",
        "database": "ok",
        "writable": True,
        "cache": "not configured",
    }
    assert standby.status_code == 200  # it serves reads: keep it in rotation
    assert standby.json() == {
        "status": "ok",
        "database": "ok",
        "writable": False,
        "cache": "not configured",
    }


def test_each_refused_write_is_one_error_line_and_the_throttle_one_warning(
    read_only, api, client, editor, caplog, monkeypatch
):
    """No traceback, no "Unhandled error", no 500; the throttle's switch to
    letting reads through is said once, and its end once."""
    claim = PublishedClaimFactory()
    _, token = AuthToken.objects.create(user=editor)
    writer = APIClient(raise_request_exception=False)
    writer.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    client.force_login(editor)
    caplog.set_level(logging.INFO)
    # Every read tries the counter: still one line, not one per request.
    monkeypatch.setattr(verifier.throttling, "RECHECK_SECONDS", 0)
    read_only.begin()

    reads = [api.get("/api/v1/claims/").status_code for _ in range(5)]
    writes = [
        writer.post("/api/v1/claims/", {"text": f"Try {n}."}, format="json")
        for n in range(3)
    ]
    page = client.post(change_url(claim), claim_form(claim, text="Reworded."))
    read_only.end()
    after = api.get("/api/v1/claims/")

    assert reads == [200] * 5
    assert [w.status_code for w in writes] == [503] * 3
    assert after.status_code == 200
    assert "RateLimit" in after
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage().split(":")[0] for r in errors] == [
        "Database refuses writes on POST /api/v1/claims/"
    ] * 3 + [f"Database refuses writes on POST {change_url(claim)}"]
    assert all(r.exc_info is None for r in errors)
    assert "read-only transaction" in errors[0].getMessage()
    switches = [
        r.getMessage() for r in caplog.records if r.name == "verifier.throttling"
    ]
    assert len(switches) == 2
    assert switches[0].startswith("The database refuses writes")
    assert switches[1].startswith("The database takes writes again")
    assert "Traceback" not in caplog.text
    assert "Unhandled error" not in caplog.text
    statuses = [
        r.getMessage().split()[2]
        for r in caplog.records
        if r.name == "verifier.request"
    ]
    assert "500" not in statuses
    assert page.status_code == 503


@pytest.mark.sqlite
def test_readiness_on_the_quickstart_database_says_it_takes_writes(client):
    """SQLite has no ``transaction_read_only``: its file takes writes."""
    ready = client.get("/readyz")

    assert ready.status_code == 200
    assert ready.json()["writable"] is True


def test_with_redis_counting_sign_ins_are_still_refused(
    read_only,
    api,
    use_redis,  # noqa: F811 (the fixture imported above)
    redis_server,  # noqa: F811
    editor,
):
    """Redis counts the attempts, but no failure could be recorded against the
    account: neither a right nor a wrong password gets an answer but a 503."""
    use_redis(redis_server.url)
    read_only.begin()

    wrong, right = sign_in_wrong_then_right(api)

    assert redis_server.counters()
    assert_refused(wrong)
    assert_refused(right)


def test_a_session_the_database_cannot_change_is_a_503(read_only, client, editor):
    """Signing out deletes the session row: refused, the reader is told to
    retry, and stays signed in."""
    client.force_login(editor)
    read_only.begin()

    response = client.post("/admin/logout/")
    read_only.end()

    assert response.status_code == 503
    assert b"Briefly unavailable" in response.content
    assert client.get("/admin/").status_code == 200
