"""Repeated failed sign-ins to the admin lock that username out for a while."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")


def sign_in(client, username: str, password: str):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
    )


@pytest.fixture
def limit(settings) -> int:
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
    return 5


def test_a_correct_password_signs_in(client, editor):
    response = sign_in(client, "editor", PASSWORD)

    assert response.status_code == 302
    assert response.url == "/admin/"


def test_failures_below_the_limit_only_show_the_form_again(client, editor, limit):
    for _ in range(limit - 1):
        response = sign_in(client, "editor", "wrong")
        assert response.status_code == 200
        assert "Please enter the correct username and password" in response.text

    assert sign_in(client, "editor", PASSWORD).status_code == 302


def test_the_limit_of_failures_locks_the_username_out(client, editor, limit):
    for _ in range(limit):
        sign_in(client, "editor", "wrong")

    response = sign_in(client, "editor", PASSWORD)

    assert response.status_code == 429
    assert "Sign-in paused" in response.text
    assert "Try again in 15 minutes" in response.text
    assert "_auth_user_id" not in client.session


def test_the_lockout_ends_after_the_cool_off(client, editor, limit):
    for _ in range(limit):
        sign_in(client, "editor", "wrong")
    # given the failures were 16 minutes ago
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - datetime.timedelta(minutes=16)
    )

    assert sign_in(client, "editor", PASSWORD).status_code == 302


def test_a_lockout_does_not_touch_other_users(client, editor, reviewer, limit):
    for _ in range(limit):
        sign_in(client, "editor", "wrong")

    assert sign_in(client, "reviewer", PASSWORD).status_code == 302


def test_a_success_clears_earlier_failures(client, editor, limit):
    for _ in range(limit - 1):
        sign_in(client, "editor", "wrong")
    assert sign_in(client, "editor", PASSWORD).status_code == 302
    client.logout()

    for _ in range(limit - 1):
        sign_in(client, "editor", "wrong")

    assert sign_in(client, "editor", PASSWORD).status_code == 302


# The API's token sign-in (POST /api/v1/auth/login/) is guarded the same way.

TOKEN_LOGIN = "/api/v1/auth/login/"


def token_sign_in(username: str, password: str):
    from rest_framework.test import APIClient

    return APIClient().post(
        TOKEN_LOGIN, {"username": username, "password": password}, format="json"
    )


def basic_sign_in(username: str, password: str):
    import base64

    from rest_framework.test import APIClient

    credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
    return APIClient().post(TOKEN_LOGIN, HTTP_AUTHORIZATION=f"Basic {credentials}")


@pytest.mark.parametrize("attempt", [token_sign_in, basic_sign_in])
def test_the_limit_of_failed_token_sign_ins_locks_the_username_out(
    editor, limit, attempt
):
    from knox.models import AuthToken

    codes = [attempt("editor", "wrong").status_code for _ in range(limit)]

    response = attempt("editor", PASSWORD)

    # The failure that reaches the limit is already answered with the lockout.
    assert codes == [401] * (limit - 1) + [429]
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "locked_out"
    assert int(response["Retry-After"]) == 15 * 60
    assert not AuthToken.objects.exists()


def test_a_token_lockout_does_not_touch_other_users(editor, reviewer, limit):
    for _ in range(limit):
        token_sign_in("editor", "wrong")

    assert token_sign_in("reviewer", PASSWORD).status_code == 200


def test_failed_token_sign_ins_also_lock_the_admin(client, editor, limit):
    for _ in range(limit):
        token_sign_in("editor", "wrong")

    assert sign_in(client, "editor", PASSWORD).status_code == 429


def test_the_admin_lockout_says_when_to_retry(client, editor, limit):
    for _ in range(limit):
        sign_in(client, "editor", "wrong")

    response = sign_in(client, "editor", PASSWORD)

    assert response.status_code == 429
    assert int(response["Retry-After"]) == 15 * 60


# Password spraying: many usernames from one address. Every sign-in form
# counts against the same per-address `login` throttle as the token sign-in.

SESSION_LOGIN = "/api/v1/auth/session/login/"


@pytest.fixture
def sign_in_rate(monkeypatch) -> int:
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {**SimpleRateThrottle.THROTTLE_RATES, "login": "10/minute"},
    )
    return 10


def form_sign_in(client, url: str, username: str):
    return client.post(url, {"username": username, "password": "guess", "next": "/"})


@pytest.mark.parametrize("url", [LOGIN, SESSION_LOGIN])
def test_spraying_passwords_over_many_usernames_is_throttled_by_address(
    client, sign_in_rate, url
):
    codes = [form_sign_in(client, url, f"user{n}").status_code for n in range(30)]

    assert codes == [200] * sign_in_rate + [429] * (30 - sign_in_rate)
    assert not AccessAttempt.objects.filter(username="user29").exists()


def test_the_admin_form_says_when_to_try_again(client, sign_in_rate):
    for n in range(sign_in_rate):
        form_sign_in(client, LOGIN, f"user{n}")

    response = form_sign_in(client, LOGIN, "editor")

    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert "Sign-in paused" in response.text
    assert f"Try again in {wait} seconds" in response.text


def test_the_browsable_api_form_answers_problem_details(client, sign_in_rate):
    for n in range(sign_in_rate):
        form_sign_in(client, SESSION_LOGIN, f"user{n}")

    response = form_sign_in(client, SESSION_LOGIN, "editor")

    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) >= 1


def test_every_sign_in_door_shares_one_count_per_address(client, editor, sign_in_rate):
    for n in range(sign_in_rate // 2):
        form_sign_in(client, LOGIN, f"user{n}")
    for n in range(sign_in_rate // 2):
        token_sign_in(f"other{n}", "guess")

    assert form_sign_in(client, SESSION_LOGIN, "editor").status_code == 429
    assert token_sign_in("editor", PASSWORD).status_code == 429
    assert (
        sign_in(
            client.__class__(REMOTE_ADDR="192.0.2.9"), "editor", PASSWORD
        ).status_code
        == 302
    )
