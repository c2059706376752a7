"""``manage.py db_worker`` as it runs in production: a process of its own
over the same database, killed, cut off from the database, started again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection, transaction

from tests.factories import PublishedClaimFactory
from verifier.changes.log import record
from verifier.webhooks.models import Delivery, Endpoint
from verifier.webhooks.testing import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


def _worker(tmp_path, name: str) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "WEBHOOK_ALLOW_PRIVATE": "1",
        "WEBHOOK_LEASE_SECONDS": "2",
        "WEBHOOK_TIMEOUT": "10",
    }
    log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 (the process's)
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-reload",
            "--no-startup-delay",
            "--interval=0.1",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _change(claim) -> None:
    with transaction.atomic():
        record("claim.updated", claim, public=True)


def _until(condition, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def test_the_worker_survives_a_kill_and_a_lost_database(tmp_path, receiver):
    endpoint = Endpoint.objects.create(url=receiver.url)
    claim = PublishedClaimFactory()
    # The first answer takes long: the worker is killed while it waits.
    receiver.answers = [(200, {}, 3.0)]
    _change(claim)
    first = _worker(tmp_path, "first")
    try:
        assert _until(lambda: receiver.arrivals == 1)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        first.kill()

    second = _worker(tmp_path, "second")
    try:
        # The killed worker's delivery is taken again once its lease is over.
        assert _until(lambda: Delivery.objects.filter(state="delivered").exists())
        delivery = Delivery.objects.get()
        sent = [r for r in receiver.wait_for(2) if r.path == "/hook"]
        assert len(sent) == 2
        assert {r.headers["webhook-id"] for r in sent} == {delivery.webhook_id}
        assert delivery.attempts == 1  # the killed attempt was never logged

        # The database drops every connection of the worker (as a restart
        # would): it reconnects by itself and goes on.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            assert cursor.fetchone()[0] >= 1
        _change(claim)
        assert _until(lambda: Delivery.objects.filter(state="delivered").count() == 2)
        assert second.poll() is None
        bodies = [json.loads(r.body) for r in receiver.wait_for(3)]
        assert [b["type"] for b in bodies] == ["claim.updated"] * 3
        assert endpoint.deliveries.count() == 2

        second.send_signal(signal.SIGTERM)
        assert second.wait(20) == 0
    finally:
        second.kill()
        second.wait()
    log = (tmp_path / "second.log").read_text()
    assert "Requeued 1 abandoned webhook deliveries" in log, log
