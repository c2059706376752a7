"""A database outage is a 503 to retry, never a 500, and service comes back
by itself once the database does.

The outage is real: the app's connection is pointed at a port nothing listens
on, or its PostgreSQL backend is terminated.
"""

import logging
import socket
import time

import psycopg
import pytest
from django.db import connections
from django.test import Client

from tests.factories import PublishedClaimFactory
from verifier.middleware import RequestIdFilter
from verifier.postgresql.base import has_input

pytestmark = pytest.mark.django_db(transaction=True)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def database_down():
    """The default connection can no longer reach PostgreSQL."""
    connection = connections["default"]
    settings_dict = connection.settings_dict
    saved = settings_dict["HOST"], settings_dict["PORT"]
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", closed_port()
    yield
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = saved


@pytest.fixture
def client():
    # As in production: an exception becomes the error page, not a test failure.
    return Client(raise_request_exception=False)


def as_administrator(sql: str, *params: object) -> tuple | None:
    """Run ``sql`` on a connection of its own, as an administrator would; the
    first row of its answer."""
    settings_dict = connections["default"].settings_dict
    with psycopg.connect(
        host=settings_dict["HOST"],
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"],
        dbname=settings_dict["NAME"],
        autocommit=True,
    ) as admin:
        return admin.execute(sql, params).fetchone()


def terminate(pid: int) -> None:
    """End the PostgreSQL session ``pid`` from another connection, as a
    restart, a failover or an administrator would."""
    as_administrator("SELECT pg_terminate_backend(%s)", pid)


def assert_api_unavailable(response) -> None:
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"].isdigit()
    assert response.json()["status"] == 503
    assert response.json()["code"] == "unavailable"


def test_api_answers_json_503_with_retry_after(client, database_down):
    assert_api_unavailable(client.get("/api/v1/claims/"))


def test_api_write_with_a_token_is_a_json_503(client, editor):
    from knox.models import AuthToken

    _, token = AuthToken.objects.create(user=editor)
    connection = connections["default"]
    saved = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = closed_port()
    try:
        response = client.post(
            "/api/v1/claims/",
            {"text": "A claim sent while the database is down."},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {token}",
        )
    finally:
        connection.close()
        connection.settings_dict["PORT"] = saved

    assert_api_unavailable(response)


def test_pages_answer_a_plain_503_page(client, database_down):
    response = client.get("/")

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"].isdigit()
    assert b"Briefly unavailable" in response.content


def test_a_session_loaded_by_middleware_gives_a_503_not_a_500(client, editor):
    """The signed-in user is loaded outside any view, from the session."""
    client.force_login(editor)
    connection = connections["default"]
    saved = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = closed_port()
    try:
        response = client.get("/admin/")
        api_response = client.get("/api/v1/claims/")
    finally:
        connection.close()
        connection.settings_dict["PORT"] = saved

    assert response.status_code == 503
    assert b"Briefly unavailable" in response.content
    assert_api_unavailable(api_response)


def test_health_stays_up_and_readiness_says_unavailable(client, database_down):
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json() == {
        "status": "unavailable",
        "database": "unavailable",
        "writable": False,
        "cache": "not configured",
    }
    assert ready["Retry-After"].isdigit()


def test_one_clear_log_line_with_the_request_id(client, database_down, caplog):
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO)

    response = client.get("/claims/some-claim/", HTTP_X_REQUEST_ID="outage-test-0001")

    assert response.status_code == 503
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(failures) == 1
    assert failures[0].exc_info is not None
    assert "Database unavailable on GET /claims/some-claim/" in failures[0].message
    assert "OperationalError" in caplog.text
    assert failures[0].request_id == "outage-test-0001"
    access = [r for r in caplog.records if r.name == "verifier.request"]
    assert [r.getMessage().split()[:3] for r in access] == [
        ["GET", "/claims/some-claim/", "503"]
    ]


@pytest.mark.parametrize(
    "path", ["/api/v1/claims/", "/api/v1/claims/some-claim/", "/readyz"]
)
def test_api_and_probe_outages_are_one_log_line_each(
    client, database_down, caplog, path
):
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO)

    response = client.get(path)

    assert response.status_code == 503
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(problems) == 1, [r.getMessage() for r in problems]
    assert "unavailable" in problems[0].getMessage()
    assert problems[0].request_id == response["X-Request-ID"]


def test_service_returns_when_the_database_does(client):
    claim = PublishedClaimFactory()
    connection = connections["default"]
    saved = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = closed_port()
    try:
        assert client.get(claim.get_absolute_url()).status_code == 503
    finally:
        connection.settings_dict["PORT"] = saved

    # No restart, no reset: the next request reconnects.
    assert client.get(claim.get_absolute_url()).status_code == 200
    assert client.get("/readyz").status_code == 200


def test_a_connection_killed_under_the_app_is_replaced(client):
    """The server ends the app's session (a restart, a failover, an admin):
    that request fails as a 503 at most, and the next one reconnects."""
    assert client.get("/readyz").status_code == 200
    connection = connections["default"]
    pid = connection.connection.info.backend_pid
    terminate(pid)

    first = client.get("/readyz")
    second = client.get("/readyz")

    assert first.status_code in {200, 503}
    assert second.status_code == 200
    assert connection.connection.info.backend_pid != pid


def test_prepared_statements_are_made_again_on_a_new_session(client):
    """Pages and the claim API run statements prepared once per session. When
    the server ends a session, the request start's health check opens a new
    one, which has prepared nothing: it must prepare again, not fail."""
    claim = PublishedClaimFactory()
    paths = ["/", claim.get_absolute_url(), f"/api/v1/claims/{claim.slug}/"]
    connection = connections["default"]
    for path in paths:
        assert client.get(path).status_code == 200
    pid = end_session(connection)

    for path in paths:
        # What the start of every request does (the test client skips it).
        connection.close_if_unusable_or_obsolete()
        assert client.get(path).status_code == 200, path

    assert connection.connection.info.backend_pid != pid


def last_statement(pid: int) -> str:
    """The last statement session ``pid`` ran, as the server saw it."""
    return as_administrator("SELECT query FROM pg_stat_activity WHERE pid = %s", pid)[0]


def test_the_health_check_of_a_live_connection_sends_nothing():
    connection = connections["default"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'last words'")
    pid = connection.connection.info.backend_pid

    assert connection.is_usable()

    assert last_statement(pid) == "SELECT 'last words'"


def end_session(connection) -> int:
    """End the connection's session and wait until its socket says so."""
    pid = connection.connection.info.backend_pid
    terminate(pid)
    deadline = time.monotonic() + 5
    while not has_input(connection.connection.fileno()):
        assert time.monotonic() < deadline, "the server never hung up"
        time.sleep(0.005)
    return pid


def test_the_health_check_sees_a_session_the_server_ended():
    connection = connections["default"]
    connection.ensure_connection()
    assert connection.is_usable()

    end_session(connection)

    assert not connection.is_usable()
    connection.close()


def test_after_a_session_ends_the_next_request_reconnects_without_an_error(client):
    """Between requests the server ends the session: the next request's health
    check notices before any query fails, so no reader sees a 503."""
    claim = PublishedClaimFactory()
    connection = connections["default"]
    assert client.get(claim.get_absolute_url()).status_code == 200
    pid = end_session(connection)

    # What the start of every request does (the test client skips it).
    connection.close_if_unusable_or_obsolete()
    assert client.get(f"/api/v1/claims/{claim.slug}/").status_code == 200
    assert connection.connection.info.backend_pid != pid
