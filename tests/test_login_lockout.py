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
