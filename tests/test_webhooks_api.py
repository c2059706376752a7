"""``/api/v1/webhooks/`` and the webhooks in the admin: admins only; the
secret shown once; targets on private addresses refused."""

from __future__ import annotations

import pytest
from django.db import transaction
from standardwebhooks import Webhook

from tests.factories import PublishedClaimFactory
from verifier.changes.log import record
from verifier.webhooks.models import Attempt, Delivery, Endpoint
from verifier.webhooks.send import signed_headers

pytestmark = pytest.mark.django_db

PUBLIC = "https://93.184.216.34/hooks/verifier"


def test_an_admin_adds_an_endpoint_and_sees_its_secret_once(api, superuser):
    client = api(superuser)
    answer = client.post(
        "/api/v1/webhooks/",
        {"url": PUBLIC, "types": ["claim.published"], "statuses": ["confirmed"]},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    created = answer.json()
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert created["types"] == ["claim.published"]
    # It signs as a receiver's library expects.
    body = '{"type": "claim.published"}'
    headers = signed_headers(secret, "msg_1", body, _now())
    assert Webhook(secret).verify(body, headers) == {"type": "claim.published"}

    again = client.get(f"/api/v1/webhooks/{created['id']}/").json()
    assert "secret" not in again
    assert secret not in str(client.get("/api/v1/webhooks/").content)


def _now():
    import datetime

    return datetime.datetime.now(datetime.UTC)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_a_private_target_is_refused(api, superuser, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    answer = api(superuser).post("/api/v1/webhooks/", {"url": url}, format="json")
    assert answer.status_code == 400, answer.content
    assert "url" in answer.json()["errors"]
    assert not Endpoint.objects.exists()


def test_a_private_target_is_taken_when_allowed(api, superuser, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    answer = api(superuser).post(
        "/api/v1/webhooks/", {"url": "http://127.0.0.1:9/hook"}, format="json"
    )
    assert answer.status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://93.184.216.34/x"},
        {"url": "not a url"},
        {"url": PUBLIC, "types": ["everything"]},
        {"url": PUBLIC, "types": "claim.published"},
        {"url": PUBLIC, "statuses": ["very-true"]},
        {"url": PUBLIC, "events": ["not a slug"]},
        {"url": PUBLIC, "sources": ["isw"] * 51},
        {"url": PUBLIC, "enabled": "maybe"},
    ],
)
def test_bad_input_is_a_400_and_changes_nothing(api, superuser, body):
    answer = api(superuser).post("/api/v1/webhooks/", body, format="json")
    assert answer.status_code == 400, answer.content
    assert answer["Content-Type"] == "application/problem+json"
    assert not Endpoint.objects.exists()


def test_the_secret_cannot_be_written(api, superuser):
    endpoint = Endpoint.objects.create(url=PUBLIC)
    secret = endpoint.secret
    answer = api(superuser).patch(
        f"/api/v1/webhooks/{endpoint.pk}/", {"secret": "whsec_AAAA"}, format="json"
    )
    assert answer.status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.secret == secret


@pytest.mark.parametrize("role", ["reader", "editor", "reviewer"])
def test_only_admins_see_the_webhooks(request, api, role):
    Endpoint.objects.create(url=PUBLIC)
    client = api(request.getfixturevalue(role))
    assert client.get("/api/v1/webhooks/").status_code == 403
    assert api().get("/api/v1/webhooks/").status_code == 401


def _deliveries(endpoint: Endpoint, count: int) -> None:
    for _ in range(count):
        with transaction.atomic():
            record("claim.updated", PublishedClaimFactory(), public=True)
    for delivery in endpoint.deliveries.all():
        for number in (1, 2):
            Attempt.objects.create(
                delivery=delivery,
                number=number,
                status_code=500 if number == 1 else 200,
                duration_ms=12,
                response_excerpt="fine",
            )


def test_the_delivery_log_of_an_endpoint(api, superuser):
    endpoint = Endpoint.objects.create(url=PUBLIC)
    Endpoint.objects.create(url=PUBLIC + "/other")
    _deliveries(endpoint, 2)

    answer = api(superuser).get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/")

    assert answer.status_code == 200
    results = answer.json()
    assert len(results) == 2
    assert {r["webhook_id"] for r in results} == set(
        endpoint.deliveries.values_list("webhook_id", flat=True)
    )
    assert results[0]["type"] == "claim.updated"
    assert [a["status_code"] for a in results[0]["attempt_log"]] == [500, 200]


@pytest.mark.parametrize(
    "path", ["/api/v1/webhooks/", "/api/v1/webhooks/{}/deliveries/"]
)
def test_lists_take_as_many_queries_for_many_rows_as_for_few(
    api, superuser, django_assert_max_num_queries, path
):
    endpoint = Endpoint.objects.create(url=PUBLIC)
    client = api(superuser)
    _deliveries(endpoint, 1)
    with django_assert_max_num_queries(8) as few:
        assert client.get(path.format(endpoint.pk)).status_code == 200
    for n in range(30):
        Endpoint.objects.create(url=f"{PUBLIC}/{n}")
    _deliveries(endpoint, 30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(path.format(endpoint.pk)).status_code == 200


def test_unknown_parameters_are_a_400(api, superuser):
    endpoint = Endpoint.objects.create(url=PUBLIC)
    client = api(superuser)
    assert client.get("/api/v1/webhooks/?colour=red").status_code == 400
    answer = client.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/?page_size=500")
    assert answer.status_code == 400


class TestAdmin:
    def test_adding_an_endpoint_shows_its_secret_once(self, client, superuser):
        client.force_login(superuser)
        answer = client.post(
            "/admin/webhooks/endpoint/add/",
            {
                "url": PUBLIC,
                "description": "Newsroom",
                "types": "[]",
                "events": "[]",
                "sources": "[]",
                "statuses": "[]",
                "enabled": "on",
            },
            follow=True,
        )
        endpoint = Endpoint.objects.get()
        assert endpoint.secret in answer.content.decode()
        page = client.get(f"/admin/webhooks/endpoint/{endpoint.pk}/change/")
        assert page.status_code == 200
        assert endpoint.secret not in page.content.decode()

    def test_a_private_target_is_a_form_error(self, client, superuser, settings):
        settings.WEBHOOK_ALLOW_PRIVATE = False
        client.force_login(superuser)
        answer = client.post(
            "/admin/webhooks/endpoint/add/",
            {
                "url": "http://169.254.169.254/",
                "types": "[]",
                "events": "[]",
                "sources": "[]",
                "statuses": "[]",
            },
        )
        assert answer.status_code == 200
        assert "link-local" in answer.content.decode()
        assert not Endpoint.objects.exists()

    def test_the_delivery_log_and_send_again(self, client, superuser):
        endpoint = Endpoint.objects.create(url=PUBLIC)
        _deliveries(endpoint, 1)
        delivery = Delivery.objects.get()
        Delivery.objects.update(state="failed", last_error="HTTP 503")
        client.force_login(superuser)
        listing = client.get(
            f"/admin/webhooks/delivery/?endpoint__id__exact={endpoint.pk}"
        )
        assert delivery.webhook_id in listing.content.decode()
        page = client.get(f"/admin/webhooks/delivery/{delivery.pk}/change/")
        assert "fine" in page.content.decode()  # the response excerpt

        answer = client.post(
            "/admin/webhooks/delivery/",
            {"action": "send_again_action", "_selected_action": [delivery.pk]},
            follow=True,
        )

        assert "1 deliveries will be sent again now" in answer.content.decode()
        delivery.refresh_from_db()
        assert delivery.state == "pending"
        assert delivery.webhook_id == Delivery.objects.get().webhook_id
        from django_tasks_db.models import DBTaskResult

        assert DBTaskResult.objects.get(id=delivery.task_id).args_kwargs == {
            "args": [delivery.webhook_id],
            "kwargs": {},
        }

    @pytest.mark.parametrize("role", ["editor", "reviewer"])
    def test_staff_who_are_not_admins_cannot_see_them(self, request, client, role):
        Endpoint.objects.create(url=PUBLIC)
        client.force_login(request.getfixturevalue(role))
        for path in ("/admin/webhooks/endpoint/", "/admin/webhooks/delivery/"):
            assert client.get(path).status_code == 403
