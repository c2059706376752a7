"""The delivery task, run by ``manage.py db_worker``.

Each run makes one attempt. A failure that may pass (a timeout, a refused
connection, a 5xx) enqueues the next run with ``run_after``, twice as far off
each time, until the delivery's ``retry_until``; the attempt is logged either
way. A task row is written in the transaction of the change it delivers, and
the next one in the transaction that logs the attempt, so a delivery always
has exactly one task to come until it succeeds or gives up.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

# Django 6 ships this API as ``django.tasks``; before it, its backport.
try:
    from django.tasks import TaskContext, task  # type: ignore[import-not-found]
except ImportError:
    from django_tasks import TaskContext, task

from . import payload
from .models import Attempt, Delivery, DeliveryState, Endpoint
from .send import Outcome, post

logger = logging.getLogger(__name__)


@task(takes_context=True)
def deliver(context: TaskContext, webhook_id: str) -> str:
    """Make one attempt of the delivery ``webhook_id``; what became of it."""
    task_id = str(context.task_result.id)
    delivery = (
        Delivery.objects.select_related("endpoint", "change")
        .filter(webhook_id=webhook_id)
        .first()
    )
    if delivery is None:
        return "gone"
    if delivery.state != DeliveryState.PENDING or (
        delivery.task_id is not None and str(delivery.task_id) != task_id
    ):
        return "superseded"
    endpoint = delivery.endpoint
    if not endpoint.enabled:
        _settle(delivery, DeliveryState.FAILED, last_error="The endpoint is disabled.")
        return "endpoint disabled"
    if not delivery.body:
        # Made at the first attempt and kept: every later one sends the same.
        delivery.body = payload.body(delivery.change)
        filters = {name: getattr(endpoint, name) for name in payload.FILTERS}
        if not payload.passes_filters(filters, delivery.change, delivery.body):
            _settle(delivery, DeliveryState.SKIPPED, body=delivery.body)
            return "filtered out"
    outcome = post(endpoint.url, endpoint.secret, delivery.webhook_id, delivery.body)
    return log_attempt(delivery, outcome)


def _settle(delivery: Delivery, state: str, **fields: Any) -> None:
    Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.PENDING).update(
        state=state, next_attempt_at=None, **fields
    )


def backoff(attempts: int) -> datetime.timedelta:
    """How long to wait after the ``attempts``-th failed attempt."""
    seconds = settings.WEBHOOK_RETRY_BASE * 2 ** min(attempts - 1, 30)
    return datetime.timedelta(seconds=min(seconds, settings.WEBHOOK_RETRY_MAX_DELAY))


def log_attempt(delivery: Delivery, outcome: Outcome) -> str:
    """Log the attempt; on a failure, enqueue the next one or give up.

    The delivery is updated only while it is still pending with this task's
    ``task_id``: a second run of the same task (its worker was taken for
    dead) logs its attempt and changes nothing else.
    """
    now = timezone.now()
    number = delivery.attempts + 1
    fields: dict[str, Any] = {"attempts": F("attempts") + 1, "body": delivery.body}
    with transaction.atomic():
        Attempt.objects.create(
            delivery=delivery,
            number=number,
            at=now,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
            response_excerpt=outcome.excerpt,
        )
        if outcome.delivered:
            result = "delivered"
            fields.update(
                state=DeliveryState.DELIVERED,
                delivered_at=now,
                last_error="",
                next_attempt_at=None,
            )
            if delivery.endpoint.failure_streak:
                Endpoint.objects.filter(pk=delivery.endpoint_id).update(
                    failure_streak=0, failing_since=None
                )
        else:
            fields["last_error"] = outcome.error
            if outcome.retry and now < delivery.retry_until:
                at = min(now + backoff(number), delivery.retry_until)
                fields["task_id"] = (
                    deliver.using(run_after=at).enqueue(delivery.webhook_id).id
                )
                fields["next_attempt_at"] = at
                result = "will retry"
            else:
                fields.update(state=DeliveryState.FAILED, next_attempt_at=None)
                result = "failed"
            _note_failure(delivery.endpoint_id, now, outcome.error)
        Delivery.objects.filter(
            pk=delivery.pk, state=DeliveryState.PENDING, task_id=delivery.task_id
        ).update(**fields)
    return result


def _note_failure(endpoint_pk: int, now: datetime.datetime, error: str) -> None:
    """Count the failure; an endpoint that has not taken a delivery for
    ``WEBHOOK_DISABLE_AFTER_HOURS`` is disabled, and says why."""
    endpoint = Endpoint.objects.filter(pk=endpoint_pk)
    endpoint.update(
        failure_streak=F("failure_streak") + 1,
        failing_since=Coalesce("failing_since", now),
    )
    hours = settings.WEBHOOK_DISABLE_AFTER_HOURS
    endpoint.filter(
        enabled=True, failing_since__lte=now - datetime.timedelta(hours=hours)
    ).update(
        enabled=False,
        disabled_reason=(
            f"Disabled on {now:%Y-%m-%d %H:%M} UTC: no delivery succeeded for "
            f"{hours:g} hours (last: {error})."[:300]
        ),
    )


def retry_window(start: datetime.datetime) -> datetime.datetime:
    return start + datetime.timedelta(hours=settings.WEBHOOK_RETRY_HOURS)


def send_again(deliveries: QuerySet[Delivery]) -> int:
    """Deliver these again now, with a fresh retry window and the same
    ``webhook-id``; any task still to come for them stops."""
    now = timezone.now()
    count = 0
    with transaction.atomic():
        for delivery in deliveries.select_for_update(of=("self",)):
            delivery.state = DeliveryState.PENDING
            delivery.retry_until = retry_window(now)
            delivery.next_attempt_at = now
            delivery.task_id = deliver.enqueue(delivery.webhook_id).id
            delivery.save(
                update_fields=["state", "retry_until", "next_attempt_at", "task_id"]
            )
            count += 1
    return count


def requeue_abandoned(now: datetime.datetime | None = None) -> int:
    """Run again the deliveries a worker took and never finished (it was
    killed, or lost the database mid-task); how many.

    A delivery task lasts at most about ``WEBHOOK_TIMEOUT``: one still marked
    running after ``WEBHOOK_LEASE_SECONDS`` has no worker any more. A pending
    delivery whose task ended without deciding (it failed) gets a new one.
    """
    # The worker's own model; the task API has no word for "abandoned".
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    with transaction.atomic():
        count = DBTaskResult.objects.filter(
            status="RUNNING", task_path=deliver.module_path, started_at__lt=cutoff
        ).update(status="READY", started_at=None)
        live = DBTaskResult.objects.filter(
            Q(status="READY") | Q(status="RUNNING")
        ).values("id")
        orphans = (
            Delivery.objects.filter(
                state=DeliveryState.PENDING, next_attempt_at__lt=cutoff
            )
            .exclude(task_id__in=live)
            .select_for_update(skip_locked=True)[:1000]
        )
        for delivery in orphans:
            delivery.task_id = deliver.enqueue(delivery.webhook_id).id
            delivery.save(update_fields=["task_id"])
            count += 1
    if count:
        logger.warning("Requeued %d abandoned webhook deliveries.", count)
    return count
