"""``manage.py db_worker``: django-tasks-db's worker, which also

- runs again the deliveries a killed worker left half-done (at start, then
  every few seconds, in a thread of its own: see ``requeue_abandoned``);
- outlives the database: when PostgreSQL restarts, it waits and reconnects
  instead of exiting;
- commits without waiting for PostgreSQL to flush to disk
  (``synchronous_commit=off``, its sessions only). What it writes is the
  record of its work; a database crash can lose the last moments of that
  record, never a change or its delivery (the app writes those, durably), and
  a delivery whose record was lost is made again: at least once.

Run as many as needed: each task runs in one worker at a time.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    connection,
    connections,
)
from django_tasks_db.management.commands import db_worker

logger = logging.getLogger("verifier.webhooks.worker")

# Seconds between two tries to reach a database that went away, at most.
RECONNECT_MAX_WAIT = 10.0


def _sweep_forever(stop: threading.Event) -> None:
    from verifier.webhooks.tasks import requeue_abandoned

    every = min(max(settings.WEBHOOK_LEASE_SECONDS / 4, 1.0), 30.0)
    while True:
        try:
            requeue_abandoned()
        except DatabaseError as error:
            logger.warning("Could not look for abandoned deliveries: %s", error)
        finally:
            connection.close()
        if stop.wait(every):
            return


def _commit_without_waiting_for_disk() -> None:
    for alias in connections:
        wrapper = connections[alias]
        if wrapper.vendor != "postgresql":
            continue
        options = wrapper.settings_dict.setdefault("OPTIONS", {})
        options["options"] = (
            f"{options.get('options', '')} -c synchronous_commit=off".strip()
        )
        wrapper.close()


class Command(db_worker.Command):
    help = (
        "Run a background worker: webhook deliveries and any other task. "
        "Several may run at once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        _commit_without_waiting_for_disk()
        stop = threading.Event()
        sweeper = threading.Thread(
            target=_sweep_forever, args=(stop,), name="requeue", daemon=True
        )
        sweeper.start()
        wait = 0.5
        try:
            while True:
                started = time.monotonic()
                try:
                    super().handle(*args, **options)
                    return
                except (OperationalError, InterfaceError) as error:
                    if connection.in_atomic_block:
                        # Called inside a transaction (a test): that is lost.
                        raise
                    if time.monotonic() - started > RECONNECT_MAX_WAIT:
                        wait = 0.5
                    logger.warning(
                        "Database unavailable (%s); trying again in %.1f s.",
                        str(error).strip().splitlines()[0] if str(error) else error,
                        wait,
                    )
                    for alias in connections:
                        try:
                            connections[alias].close()
                        except DatabaseError:
                            connections[alias].connection = None
                    time.sleep(wait)
                    wait = min(wait * 2, RECONNECT_MAX_WAIT)
        finally:
            stop.set()
