"""Tokens (hashed, expiring, revocable), sessions, throttling and CORS."""

import base64
import datetime
import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tests.factories import PASSWORD
from verifier.throttling import SharedRateMixin

pytestmark = pytest.mark.django_db


def sign_in(username: str, password: str = PASSWORD):
    return APIClient().post(
        "/api/v1/auth/login/", {"username": username, "password": password}
    )


def with_token(token: str, scheme: str = "Token") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {token}")
    return client


def can_write(client: APIClient) -> int:
    return client.post("/api/v1/events/", {"title": "Token check"}).status_code


def test_a_username_and_password_buy_a_token_that_writes(editor):
    response = sign_in("editor")

    assert response.status_code == 200
    token = response.json()["token"]
    assert token.startswith("vrf_")
    assert response.json()["expiry"]
    assert can_write(with_token(token)) == 201


def test_http_basic_also_buys_a_token(editor):
    credentials = base64.b64encode(f"editor:{PASSWORD}".encode()).decode()

    response = APIClient().post(
        "/api/v1/auth/login/", HTTP_AUTHORIZATION=f"Basic {credentials}"
    )

    assert response.status_code == 200
    assert response.json()["token"]


@pytest.mark.parametrize(
    ("username", "password"), [("editor", "wrong"), ("nobody", PASSWORD)]
)
def test_wrong_credentials_buy_nothing(editor, username, password):
    response = sign_in(username, password)

    assert response.status_code == 401
    assert AuthToken.objects.count() == 0


def test_tokens_are_stored_hashed(editor):
    token = sign_in("editor").json()["token"]
    stored = AuthToken.objects.get()

    assert token not in stored.digest
    assert token not in str(AuthToken.objects.values().get())


def test_an_expired_token_is_refused(editor):
    token = sign_in("editor").json()["token"]
    AuthToken.objects.update(expiry=timezone.now() - datetime.timedelta(seconds=1))

    assert with_token(token).get("/api/v1/claims/").status_code == 401


def test_signing_out_revokes_the_token(editor):
    token = sign_in("editor").json()["token"]
    other = sign_in("editor").json()["token"]

    assert with_token(token).post("/api/v1/auth/logout/").status_code == 204
    assert can_write(with_token(token)) == 401
    assert can_write(with_token(other)) == 201
    assert with_token(other).post("/api/v1/auth/logout-all/").status_code == 204
    assert can_write(with_token(other)) == 401


def test_the_issue_token_command_prints_a_working_token(editor):
    out = io.StringIO()

    call_command(
        "issue_token", "editor", "--days", "7", stdout=out, stderr=io.StringIO()
    )

    token = out.getvalue().strip()
    assert can_write(with_token(token)) == 201
    expiry = AuthToken.objects.get().expiry
    assert expiry - timezone.now() < datetime.timedelta(days=7, minutes=1)


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "Token"])
def test_a_token_works_as_a_bearer_token_or_with_the_token_prefix(editor, scheme):
    token = sign_in("editor").json()["token"]

    assert can_write(with_token(token, scheme)) == 201
    assert with_token(token, scheme).post("/api/v1/auth/logout/").status_code == 204
    assert can_write(with_token(token, scheme)) == 401


@pytest.mark.parametrize("scheme", ["Bearer", "Token"])
def test_a_garbage_token_is_a_401_even_on_reads(scheme):
    response = with_token("nonsense", scheme).get("/api/v1/claims/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_session_works_for_the_browsable_api_with_csrf(client, editor):
    client.force_login(editor)

    page = client.get("/api/v1/claims/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    assert b"<html" in page.content
    csrf_client = APIClient(enforce_csrf_checks=True)
    csrf_client.force_login(editor)
    refused = csrf_client.post("/api/v1/events/", {"title": "No CSRF token"})
    assert refused.status_code == 403


@pytest.fixture
def strict_rates(monkeypatch):
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"anon": "3/minute", "user": "5/minute", "login": "2/minute"},
    )
    cache.clear()
    yield
    cache.clear()


@pytest.mark.usefixtures("strict_rates")
def test_anonymous_clients_are_throttled_with_a_json_429():
    codes = [APIClient().get("/api/v1/claims/").status_code for _ in range(4)]

    assert codes == [200, 200, 200, 429]
    response = APIClient().get("/api/v1/claims/")
    assert int(response["Retry-After"]) > 0
    assert response.json()["code"] == "throttled"


@pytest.fixture
def clock(monkeypatch):
    """The throttles' clock, 10 s into a minute, moved by the test."""
    now = [6_000_010.0]
    monkeypatch.setattr(SharedRateMixin, "timer", staticmethod(lambda: now[0]))
    return now


def from_address(address: str) -> APIClient:
    return APIClient(REMOTE_ADDR=address)


@pytest.mark.usefixtures("strict_rates")
def test_every_api_response_tells_the_rate_limit_and_what_is_left(clock, api, editor):
    anonymous = [APIClient().get("/api/v1/claims/") for _ in range(2)]
    missing = APIClient().get("/api/v1/claims/no-such-claim/")
    write = api(editor).post("/api/v1/events/", {"title": "Counted"})
    login = sign_in("editor", "guess")

    assert [r["RateLimit-Policy"] for r in anonymous] == ['"anon";q=3;w=60'] * 2
    assert [r["RateLimit"] for r in anonymous] == [
        '"anon";r=2;t=110',
        '"anon";r=1;t=110',
    ]
    assert missing.status_code == 404
    assert missing["RateLimit"] == '"anon";r=0;t=110'
    assert write.status_code == 201
    assert write["RateLimit-Policy"] == '"user";q=5;w=60'
    assert write["RateLimit"] == '"user";r=4;t=110'
    assert login["RateLimit-Policy"] == '"login";q=2;w=60'


@pytest.mark.usefixtures("strict_rates")
def test_a_client_that_waits_retry_after_is_served_and_not_a_second_sooner(clock):
    start = clock[0]
    patient, hasty = from_address("192.0.2.1"), from_address("192.0.2.2")
    for client in (patient, hasty):
        responses = [client.get("/api/v1/claims/") for _ in range(4)]
        assert [r.status_code for r in responses] == [200, 200, 200, 429]
    wait = int(responses[-1]["Retry-After"])
    assert responses[-1]["RateLimit"] == f'"anon";r=0;t={wait}'

    clock[0] = start + wait - 1
    assert hasty.get("/api/v1/claims/").status_code == 429
    clock[0] = start + wait
    assert patient.get("/api/v1/claims/").status_code == 200


@pytest.mark.usefixtures("strict_rates")
def test_signed_in_clients_have_their_own_larger_allowance(api, editor):
    client = api(editor)

    codes = [client.get("/api/v1/claims/").status_code for _ in range(6)]

    assert codes == [200] * 5 + [429]


@pytest.mark.usefixtures("strict_rates")
def test_sign_in_attempts_are_throttled(editor):
    codes = [sign_in("editor", "guess").status_code for _ in range(3)]

    assert codes == [401, 401, 429]


@pytest.mark.usefixtures("strict_rates")
def test_sign_in_attempts_with_http_basic_are_throttled_too(editor):
    wrong = base64.b64encode(b"editor:guess").decode()

    codes = [
        APIClient()
        .post("/api/v1/auth/login/", HTTP_AUTHORIZATION=f"Basic {wrong}")
        .status_code
        for _ in range(3)
    ]

    assert codes == [401, 401, 429]


@pytest.mark.usefixtures("strict_rates")
def test_a_sign_in_counts_once_against_the_limit(editor):
    codes = [sign_in("editor").status_code for _ in range(3)]

    assert codes == [200, 200, 429]


def test_cors_allows_any_origin_to_read():
    response = APIClient().get(
        "/api/v1/claims/", HTTP_ORIGIN="https://newsroom.example"
    )

    assert response["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response["Access-Control-Expose-Headers"]


def test_cors_preflight_offers_safe_methods_only():
    response = APIClient().options(
        "/api/v1/claims/",
        HTTP_ORIGIN="https://newsroom.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )

    allowed = {m.strip() for m in response["Access-Control-Allow-Methods"].split(",")}
    assert allowed == {"GET", "HEAD", "OPTIONS"}


def test_cors_is_for_the_api_only(client):
    response = client.get("/admin/login/", HTTP_ORIGIN="https://newsroom.example")

    assert "Access-Control-Allow-Origin" not in response
