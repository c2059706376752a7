"""Webhooks: a change is POSTed, signed, to each endpoint that asked for it,
by the task worker, as a receiver on 127.0.0.1 sees it."""

from __future__ import annotations

import datetime
import json

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from standardwebhooks import Webhook

from claims.models import Status
from tests.factories import (
    ClaimFactory,
    EventFactory,
    PublishedClaimFactory,
    SourceFactory,
    StatementFactory,
)
from verifier.changes.log import record
from verifier.changes.models import Change
from verifier.webhooks.models import Attempt, Delivery, Endpoint
from verifier.webhooks.tasks import requeue_abandoned
from verifier.webhooks.testing import Receiver

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture(autouse=True)
def _local_receivers(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_TIMEOUT = 2.0


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def change(type: str, obj, *, public: bool = True) -> Change:
    with transaction.atomic():
        return record(type, obj, public=public)


def run_worker() -> None:
    """What ``manage.py db_worker`` does with each task due, until none is.

    (Its loop closes the connection between tasks, which would end the
    test's transaction: the tests of the command itself run it as a process,
    in tests/test_webhooks_worker.py.)
    """
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test",
        excluded_queue_names=[],
    )
    while (task := DBTaskResult.objects.ready().first()) is not None:
        task.claim(worker.worker_id)
        worker.run_task(task)


def later() -> None:
    """Time passes: every task waiting to be retried is due."""
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())


def verified(endpoint: Endpoint, request) -> dict:
    """The body as a receiver reads it: only once its signature checks out."""
    return Webhook(endpoint.secret).verify(request.body, request.headers)


def test_a_public_change_is_posted_signed_with_the_claims_public_json(receiver, client):
    endpoint = Endpoint.objects.create(url=receiver.url)
    claim = PublishedClaimFactory(slug="sudzha")
    made = change("claim.published", claim)

    run_worker()

    [request] = receiver.received
    body = verified(endpoint, request)
    assert body["type"] == "claim.published"
    assert body["data"]["change"] == made.pk
    assert body["data"]["slug"] == "sudzha"
    # What an anonymous reader of the API gets.
    assert body["data"]["claim"] == client.get("/api/v1/claims/sudzha/").json()
    assert request.headers["content-type"] == "application/json"
    delivery = Delivery.objects.get()
    assert request.headers["webhook-id"] == delivery.webhook_id
    assert delivery.state == "delivered"
    [attempt] = Attempt.objects.all()
    assert (attempt.number, attempt.status_code, attempt.error) == (1, 200, "")
    assert attempt.response_excerpt == "ok"


def test_a_tampered_body_fails_verification(receiver):
    endpoint = Endpoint.objects.create(url=receiver.url)
    change("claim.published", PublishedClaimFactory())
    run_worker()
    [request] = receiver.received
    with pytest.raises(Exception, match="signature"):
        Webhook(endpoint.secret).verify(
            request.body.replace(b"claim", b"clam"), request.headers
        )


def test_only_public_changes_of_the_types_asked_for_are_sent(receiver):
    Endpoint.objects.create(url=receiver.url, types=["claim.published"])
    everything = Endpoint.objects.create(url=receiver.url.replace("hook", "all"))
    draft = ClaimFactory()
    published = PublishedClaimFactory()

    change("claim.updated", draft, public=False)
    change("claim.updated", published)
    change("claim.published", published)
    run_worker()

    paths = sorted((r.path, json.loads(r.body)["type"]) for r in receiver.wait_for(3))
    assert paths == [
        ("/all", "claim.published"),
        ("/all", "claim.updated"),
        ("/hook", "claim.published"),
    ]
    assert everything.deliveries.count() == 2


def test_a_type_pattern_takes_every_change_of_a_kind(receiver):
    Endpoint.objects.create(url=receiver.url, types=["claim.*"])
    change("claim.updated", PublishedClaimFactory())
    change("source.created", SourceFactory())
    run_worker()
    [request] = receiver.received
    assert json.loads(request.body)["type"] == "claim.updated"


def test_a_rolled_back_change_sends_nothing(receiver):
    Endpoint.objects.create(url=receiver.url)
    claim = PublishedClaimFactory()

    def failing_change() -> None:
        with transaction.atomic():
            record("claim.updated", claim, public=True)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    assert not Delivery.objects.exists()
    assert not DBTaskResult.objects.exists()
    run_worker()
    assert receiver.received == []


def test_a_disabled_endpoint_gets_nothing(receiver):
    Endpoint.objects.create(url=receiver.url, enabled=False)
    change("claim.updated", PublishedClaimFactory())
    run_worker()
    assert not Delivery.objects.exists()
    assert receiver.received == []


def test_a_5xx_is_tried_again_later_with_the_same_id_and_body(receiver):
    endpoint = Endpoint.objects.create(url=receiver.url)
    receiver.answers = [(503, {}, 0.0)]
    change("claim.updated", PublishedClaimFactory())

    run_worker()
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert delivery.last_error == "HTTP 503"
    waiting = DBTaskResult.objects.get(status="READY")
    assert waiting.run_after == delivery.next_attempt_at
    first_attempt = delivery.attempt_log.get()
    assert waiting.run_after - first_attempt.at == datetime.timedelta(seconds=5)
    run_worker()  # not due yet
    assert len(receiver.received) == 1

    later()
    run_worker()

    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert verified(endpoint, second)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("delivered", 2)
    assert [a.status_code for a in delivery.attempt_log.all()] == [503, 200]
    endpoint.refresh_from_db()
    assert endpoint.failure_streak == 0


def test_the_wait_doubles_after_each_failure(receiver, settings):
    settings.WEBHOOK_RETRY_BASE = 10.0
    Endpoint.objects.create(url=receiver.url)
    receiver.default = 500
    change("claim.updated", PublishedClaimFactory())
    waits = []
    for _ in range(3):
        later()
        run_worker()
        delivery = Delivery.objects.get()
        last = delivery.attempt_log.last()
        assert DBTaskResult.objects.get(status="READY").run_after == (
            delivery.next_attempt_at
        )
        waits.append((delivery.next_attempt_at - last.at).total_seconds())
    assert waits == [10, 20, 40]
    assert Delivery.objects.get().attempts == 3


def test_a_4xx_is_not_tried_again(receiver):
    Endpoint.objects.create(url=receiver.url)
    receiver.answers = [(410, {}, 0.0)]
    change("claim.updated", PublishedClaimFactory())
    run_worker()
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.last_error) == ("failed", "HTTP 410")
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_a_redirect_is_not_followed(receiver):
    Endpoint.objects.create(url=receiver.url)
    receiver.answers = [(302, {"Location": "http://169.254.169.254/"}, 0.0)]
    change("claim.updated", PublishedClaimFactory())
    run_worker()
    assert len(receiver.received) == 1
    delivery = Delivery.objects.get()
    assert delivery.state == "failed"
    assert "redirects are not followed" in delivery.last_error


def test_a_timeout_and_a_refused_connection_are_tried_again(receiver, settings):
    settings.WEBHOOK_TIMEOUT = 0.3
    slow = Endpoint.objects.create(url=receiver.url)
    receiver.answers = [(200, {}, 1.0)]
    down = Receiver().start()
    down.stop()  # nothing listens on its port any more
    gone = Endpoint.objects.create(url=down.url)
    change("claim.updated", PublishedClaimFactory())
    run_worker()
    assert slow.deliveries.get().last_error == "Timed out"
    assert gone.deliveries.get().last_error.startswith("Connection failed")
    assert set(Delivery.objects.values_list("state", flat=True)) == {"pending"}
    assert DBTaskResult.objects.filter(status="READY").count() == 2


def test_after_the_retry_window_the_delivery_fails_and_the_endpoint_is_disabled(
    receiver, api, superuser
):
    endpoint = Endpoint.objects.create(url=receiver.url)
    receiver.default = 503
    change("claim.updated", PublishedClaimFactory())
    day_ago = timezone.now() - datetime.timedelta(hours=25)
    Delivery.objects.update(retry_until=day_ago)
    Endpoint.objects.update(failing_since=day_ago, failure_streak=40)

    run_worker()

    delivery = Delivery.objects.get()
    assert delivery.state == "failed"
    assert not DBTaskResult.objects.filter(status="READY").exists()
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    assert "no delivery succeeded for 24 hours (last: HTTP 503)" in (
        endpoint.disabled_reason
    )
    shown = api(superuser).get(f"/api/v1/webhooks/{endpoint.pk}/").json()
    assert shown["enabled"] is False
    assert shown["disabled_reason"] == endpoint.disabled_reason
    # No more deliveries for it; enabling it again is a fresh start.
    change("claim.updated", PublishedClaimFactory())
    assert Delivery.objects.count() == 1
    answer = api(superuser).patch(
        f"/api/v1/webhooks/{endpoint.pk}/", {"enabled": True}, format="json"
    )
    assert answer.status_code == 200
    assert (answer.json()["disabled_reason"], answer.json()["failure_streak"]) == (
        "",
        0,
    )


def test_filters_by_event_source_and_status(receiver):
    event = EventFactory(slug="kursk")
    source = SourceFactory(slug="isw")
    wanted = PublishedClaimFactory(event=event, status=Status.CONFIRMED)
    StatementFactory(claim=wanted, source=source)
    other_event = PublishedClaimFactory(status=Status.CONFIRMED)
    StatementFactory(claim=other_event, source=source)
    other_status = PublishedClaimFactory(event=event)
    StatementFactory(claim=other_status, source=source)
    no_source = PublishedClaimFactory(event=event, status=Status.CONFIRMED)
    Endpoint.objects.create(
        url=receiver.url, events=["kursk"], sources=["isw"], statuses=["confirmed"]
    )
    for claim in (wanted, other_event, other_status, no_source):
        change("claim.updated", claim)

    run_worker()

    [request] = receiver.received
    assert json.loads(request.body)["data"]["object_id"] == wanted.pk
    assert sorted(Delivery.objects.values_list("state", flat=True)) == [
        "delivered",
        "skipped",
        "skipped",
        "skipped",
    ]


def test_a_claim_gone_from_the_public_pages_is_announced_without_its_content(
    receiver,
):
    Endpoint.objects.create(url=receiver.url, statuses=["confirmed"])
    claim = ClaimFactory(slug="withdrawn")
    change("claim.removed", claim)
    run_worker()
    [request] = receiver.received
    data = json.loads(request.body)["data"]
    assert (data["slug"], data["claim"]) == ("withdrawn", None)


def test_a_private_target_is_refused_at_delivery_time(receiver, settings):
    Endpoint.objects.create(url=receiver.url)
    change("claim.updated", PublishedClaimFactory())
    settings.WEBHOOK_ALLOW_PRIVATE = False
    run_worker()
    assert receiver.received == []
    delivery = Delivery.objects.get()
    assert delivery.state == "failed"
    assert "loopback" in delivery.last_error


def test_a_delivery_a_killed_worker_left_running_is_run_again(receiver, settings):
    settings.WEBHOOK_LEASE_SECONDS = 60
    Endpoint.objects.create(url=receiver.url)
    change("claim.updated", PublishedClaimFactory())
    # A worker took it, then died.
    DBTaskResult.objects.update(
        status="RUNNING", started_at=timezone.now() - datetime.timedelta(seconds=61)
    )
    run_worker()
    assert receiver.received == []

    assert requeue_abandoned() == 1
    run_worker()
    assert len(receiver.received) == 1
    assert Delivery.objects.get().state == "delivered"


def test_a_delivery_whose_task_failed_gets_a_new_one(receiver, settings):
    settings.WEBHOOK_LEASE_SECONDS = 60
    Endpoint.objects.create(url=receiver.url)
    change("claim.updated", PublishedClaimFactory())
    DBTaskResult.objects.update(status="FAILED")
    Delivery.objects.update(
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=61)
    )
    assert requeue_abandoned() == 1
    assert requeue_abandoned() == 0
    run_worker()
    assert Delivery.objects.get().state == "delivered"


def test_a_running_delivery_within_its_lease_is_left_alone(receiver, settings):
    settings.WEBHOOK_LEASE_SECONDS = 60
    Endpoint.objects.create(url=receiver.url)
    change("claim.updated", PublishedClaimFactory())
    DBTaskResult.objects.update(status="RUNNING", started_at=timezone.now())
    assert requeue_abandoned() == 0
