"""One log line per request, with an id that the response carries, and
nothing secret in it."""

import logging

import pytest

from verifier.middleware import RequestIdFilter

pytestmark = pytest.mark.django_db


@pytest.fixture
def access_log(caplog):
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.DEBUG, logger="verifier.request")

    def lines() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == "verifier.request"]

    return lines


def test_one_line_per_request_with_method_path_status_and_duration(client, access_log):
    response = client.get("/api/v1/claims/")

    [line] = access_log()
    method, path, status, duration, user = line.getMessage().split()
    assert (method, path, status) == ("GET", "/api/v1/claims/", "200")
    assert duration.endswith("ms")
    assert float(duration.removesuffix("ms")) >= 0
    assert user == "user=-"
    assert line.levelno == logging.INFO
    assert line.request_id == response["X-Request-ID"]


def test_a_new_request_id_each_time(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]

    assert len(first) >= 16
    assert first != second


def test_a_well_formed_incoming_request_id_is_kept(client, access_log):
    response = client.get("/api/v1/claims/", HTTP_X_REQUEST_ID="lb-7f3a9c2e-0001")

    assert response["X-Request-ID"] == "lb-7f3a9c2e-0001"
    assert access_log()[0].request_id == "lb-7f3a9c2e-0001"


@pytest.mark.parametrize(
    "hostile",
    ["short", "x" * 200, "abc def ghi jkl", "abcdefgh\nforged log line", "<script>1"],
)
def test_a_malformed_incoming_request_id_is_replaced(client, hostile):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=hostile)

    assert response["X-Request-ID"] != hostile
    assert response["X-Request-ID"].isalnum()


def test_the_signed_in_user_is_logged_by_id_not_name(api, editor, access_log):
    api(editor).get("/api/v1/claims/")

    assert access_log()[-1].getMessage().endswith(f"user={editor.pk}")
    assert "editor" not in access_log()[-1].getMessage()


def test_no_token_password_or_cookie_reaches_the_log(client, editor, caplog):
    caplog.set_level(logging.DEBUG)
    client.cookies["sessionid"] = "session-secret-abc123"
    client.get(
        "/api/v1/claims/?token=query-secret-1&password=query-secret-2&key=k3",
        HTTP_AUTHORIZATION="Token header-secret-xyz",
    )
    client.post(
        "/api/v1/auth/login/",
        {"username": "editor", "password": "body-secret-pw"},
        content_type="application/json",
    )

    for secret in (
        "session-secret",
        "query-secret",
        "k3",
        "header-secret",
        "body-secret",
    ):
        assert secret not in caplog.text
    assert "/api/v1/claims/" in caplog.text


def test_health_probes_are_logged_at_debug_only(client, access_log):
    client.get("/healthz")
    client.get("/readyz")

    assert [r.levelno for r in access_log()] == [logging.DEBUG, logging.DEBUG]


def test_probes_answer_small_json_and_are_never_cached(client):
    health = client.get("/healthz")
    ready = client.get("/readyz")

    assert health.json() == {"status": "ok"}
    assert ready.json() == {
        "status": "ok",
        "database": "ok",
        "writable": True,
        "cache": "not configured",
    }
    assert "no-cache" in health["Cache-Control"]
    assert "no-cache" in ready["Cache-Control"]
