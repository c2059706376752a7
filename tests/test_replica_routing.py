"""Which database each request reads: a replica for anonymous readers, the
primary for writes, the admin, signed-in staff and a client that just wrote.

These run with a replica alias that mirrors the test database
(``DATABASE_REPLICA_URL`` set to ``DATABASE_URL``, as ``.ci/run`` does): both
aliases hold the same rows, and the queries each connection ran tell where a
request read. tests/test_replica_streaming.py does the same against a real
streaming replica.
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext

from claims.models import Claim
from tests.factories import PublishedClaimFactory, StatementFactory
from verifier.routers import PIN_COOKIE, ReplicaRouter

pytestmark = [
    pytest.mark.skipif(
        "replica1" not in settings.DATABASES,
        reason="needs DATABASE_REPLICA_URL (the test database itself will do)",
    ),
    pytest.mark.django_db(transaction=True, databases="__all__"),
]

REPLICA = "replica1"
LIST = "/api/v1/claims/"


@contextmanager
def reads():
    """Which aliases read data while the block runs: ``{alias, …}``. The
    throttle's counter is a write, always the primary's: it does not count."""
    seen: set[str] = set()
    with ExitStack() as stack:
        captured = {
            alias: stack.enter_context(CaptureQueriesContext(connections[alias]))
            for alias in (DEFAULT_DB_ALIAS, REPLICA)
        }
        yield seen
    for alias, queries in captured.items():
        if any(
            "verifier_ratecounter" not in query["sql"]
            for query in queries.captured_queries
        ):
            seen.add(alias)


@pytest.fixture
def claim():
    claim = PublishedClaimFactory(slug="published-claim")
    StatementFactory(claim=claim)
    return claim


def test_anonymous_api_reads_come_from_the_replica(api, claim):
    for path in (LIST, f"{LIST}{claim.slug}/", f"{LIST}?q=forces"):
        with reads() as seen:
            response = api().get(path)
        assert response.status_code == 200, path
        assert seen == {REPLICA}, path


def test_anonymous_pages_come_from_the_replica(client, claim):
    for path in ("/", f"/claims/{claim.slug}/"):
        with reads() as seen:
            response = client.get(path)
        assert response.status_code == 200, path
        assert seen == {REPLICA}, path


def test_a_head_request_reads_the_replica_too(client, claim):
    with reads() as seen:
        response = client.head(f"/claims/{claim.slug}/")
    assert response.status_code == 200
    assert seen == {REPLICA}


def test_an_anonymous_export_streams_from_the_replica(api, claim):
    """The rows are read after the view returns, as the response streams."""
    with reads() as seen:
        response = api().get(f"{LIST}export/", HTTP_ACCEPT="text/csv")
        body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert claim.slug.encode() in body
    assert seen == {REPLICA}


def test_a_client_with_a_token_reads_the_primary(api, claim, editor):
    with reads() as seen:
        response = api(editor).get(f"{LIST}{claim.slug}/")
    assert response.status_code == 200
    assert seen == {DEFAULT_DB_ALIAS}


def test_signed_in_staff_and_the_admin_read_the_primary(client, claim, editor):
    client.force_login(editor)
    for path in (f"/claims/{claim.slug}/", "/admin/claims/claim/", LIST):
        with reads() as seen:
            response = client.get(path)
        assert response.status_code == 200, path
        assert seen == {DEFAULT_DB_ALIAS}, path


def test_the_admin_reads_the_primary_even_anonymously(client):
    with CaptureQueriesContext(connections[REPLICA]) as replica:
        response = client.get("/admin/login/")
    assert response.status_code == 200
    assert replica.captured_queries == []


def test_a_write_reads_the_primary_and_pins_the_client_there(
    api, claim, editor, settings
):
    settings.DATABASE_REPLICA_PIN_SECONDS = 7
    client = api(editor)
    etag = client.get(f"{LIST}{claim.slug}/")["ETag"]

    with CaptureQueriesContext(connections[REPLICA]) as replica:
        response = client.patch(
            f"{LIST}{claim.slug}/", {"text": "Changed."}, HTTP_IF_MATCH=etag
        )

    assert response.status_code == 200
    assert replica.captured_queries == []
    pin = response.cookies[PIN_COOKIE]
    assert pin["max-age"] == 7
    assert pin["httponly"]


def test_an_anonymous_write_pins_the_client_too(api):
    response = api().post(
        "/api/v1/auth/login/", {"username": "nobody", "password": "wrong"}
    )

    assert response.status_code in {400, 401}
    assert PIN_COOKIE in response.cookies


def test_a_pinned_client_reads_the_primary(api, claim):
    client = api()
    client.cookies[PIN_COOKIE] = "1"

    with reads() as seen:
        response = client.get(f"{LIST}{claim.slug}/")

    assert response.status_code == 200
    assert seen == {DEFAULT_DB_ALIAS}


def test_a_session_cookie_alone_sends_reads_to_the_primary(client, claim):
    client.cookies[settings.SESSION_COOKIE_NAME] = "not-a-session"

    with reads() as seen:
        response = client.get(f"/claims/{claim.slug}/")

    assert response.status_code == 200
    assert seen == {DEFAULT_DB_ALIAS}


def test_reads_outside_a_request_go_to_the_primary(claim):
    assert Claim.objects.all().db == DEFAULT_DB_ALIAS
    assert ReplicaRouter().allow_migrate(REPLICA, "claims") is False
    assert ReplicaRouter().allow_migrate(DEFAULT_DB_ALIAS, "claims") is True


def test_a_matching_conditional_get_is_a_304_from_the_replica(api, claim):
    etag = api().get(f"{LIST}{claim.slug}/")["ETag"]

    with reads() as seen:
        response = api().get(f"{LIST}{claim.slug}/", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert seen == {REPLICA}


@pytest.mark.parametrize("path", [f"{LIST}published-claim/", LIST, "/"])
def test_a_conditional_get_the_replica_cannot_match_is_answered_by_the_primary(
    client, claim, path
):
    """The client may hold a version the replica has not replayed yet."""
    with reads() as seen:
        response = client.get(path, HTTP_IF_NONE_MATCH='"999.999"')

    assert response.status_code == 200
    assert seen == {REPLICA, DEFAULT_DB_ALIAS}


def test_an_unreachable_replica_falls_back_to_the_primary(api, claim, caplog):
    replica = connections[REPLICA]
    replica.close()
    port = replica.settings_dict["PORT"]
    replica.settings_dict["PORT"] = "1"  # nothing listens there
    try:
        first = api().get(f"{LIST}{claim.slug}/")
        with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary:
            second = api().get(f"{LIST}{claim.slug}/")
    finally:
        replica.close()
        replica.settings_dict["PORT"] = port
        from verifier import routers

        routers._down_until.clear()

    assert first.status_code == 200
    assert second.status_code == 200
    # Left alone after its failure: the next request reads the primary, and
    # the replica is not tried again (a second warning would say so).
    assert any("claims_claim" in q["sql"] or "EXECUTE" in q["sql"] for q in primary)
    assert caplog.text.count("Replica replica1 unavailable") == 1
