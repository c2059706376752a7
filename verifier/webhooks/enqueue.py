"""A delivery for each endpoint that asked for a change, written with it."""

from __future__ import annotations

from typing import Any

from verifier.changes.models import Change

from .models import Delivery, Endpoint, new_webhook_id


def on_change(sender: Any, change: Change, **kwargs: Any) -> None:
    """``change_recorded``'s receiver, in the change's transaction: a
    delivery row and its task row per endpoint it concerns. Only public
    changes are sent: a receiver sees what an anonymous reader may see."""
    if not change.public:
        return
    from .tasks import deliver, retry_window

    deliveries = []
    for endpoint in Endpoint.objects.filter(enabled=True).only("id", "types"):
        if not endpoint.takes(change.type):
            continue
        webhook_id = new_webhook_id()
        deliveries.append(
            Delivery(
                endpoint=endpoint,
                change=change,
                webhook_id=webhook_id,
                task_id=deliver.enqueue(webhook_id).id,
                retry_until=retry_window(change.at),
                next_attempt_at=change.at,
            )
        )
    Delivery.objects.bulk_create(deliveries)
