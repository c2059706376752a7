"""Two writers on one claim at the same moment, each on its own connection.

The test holds the claim's row lock itself until both writers are inside the
service and waiting for that lock, then lets go, so the two calls truly
overlap. With the row lock (``select_for_update``) the second writer reads the
version the first one committed and is refused; without it both would read
version 1 and both would "succeed", the second overwriting the first.

The users are superusers because a transactional test empties the database
afterwards, roles included; a superuser needs no group rows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from claims import services
from claims.models import Claim, Status, StatusChange
from tests.factories import ClaimFactory, EvidenceFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_SECONDS = 10


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _waiting_for_a_lock(pids: list[int]) -> int:
    """How many of these database sessions are blocked on a lock right now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(DISTINCT pid) FROM pg_locks "
            "WHERE NOT granted AND pid = ANY(%s)",
            [pids],
        )
        return cursor.fetchone()[0]


def race(claim: Claim, calls: list[Callable[[], object]]) -> list[object]:
    """Run ``calls`` at once in threads, released together onto the claim's row.

    Returns each call's result, or the exception it raised.
    """
    barrier = threading.Barrier(len(calls) + 1)
    pids: list[int | None] = [None] * len(calls)
    outcomes: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            pids[index] = _backend_pid()
            barrier.wait(timeout=WAIT_SECONDS)
            outcomes[index] = call()
        except Exception as exc:  # handed back to the test
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, call))
        for index, call in enumerate(calls)
    ]
    with transaction.atomic():
        # Hold the row so both writers queue on it, whatever their start-up time.
        Claim.objects.select_for_update().get(pk=claim.pk)
        for thread in threads:
            thread.start()
        barrier.wait(timeout=WAIT_SECONDS)
        deadline = time.monotonic() + WAIT_SECONDS
        while _waiting_for_a_lock(pids) < len(calls):
            assert time.monotonic() < deadline, "the writers never reached the row"
            time.sleep(0.01)
    for thread in threads:
        thread.join(timeout=WAIT_SECONDS)
        assert not thread.is_alive(), "a writer did not finish"
    return outcomes


@pytest.fixture
def writers(transactional_db):
    return [
        UserFactory(username=f"writer-{n}", is_staff=True, is_superuser=True)
        for n in (1, 2)
    ]


def _split(outcomes: list[object]) -> tuple[list[object], list[object]]:
    refused = [item for item in outcomes if isinstance(item, Exception)]
    done = [item for item in outcomes if not isinstance(item, Exception)]
    return done, refused


def test_simultaneous_edits_from_one_version_let_exactly_one_through(writers):
    """Both editors loaded version 1: one edit is saved, the other is stale."""
    # given
    claim = ClaimFactory(text="Original wording.")
    history_before = claim.history.count()
    calls = [
        lambda by=by, n=n: services.update_claim(
            Claim.objects.get(pk=claim.pk),
            by=by,
            text=f"Wording {n}.",
            expected_version=1,
        )
        for n, by in enumerate(writers, start=1)
    ]

    # when
    done, refused = _split(race(claim, calls))

    # then
    assert len(done) == 1, refused
    assert len(refused) == 1
    assert isinstance(refused[0], services.StaleVersion), repr(refused[0])
    after = Claim.objects.get(pk=claim.pk)
    assert after.version == 2
    assert after.text == done[0].text
    assert claim.history.count() == history_before + 1


def test_simultaneous_verdicts_from_one_version_let_exactly_one_through(writers):
    """Two verdicts on version 1 at once: one is recorded, the other is stale."""
    # given
    claim = ClaimFactory()
    evidence = EvidenceFactory(claim=claim)
    targets = [Status.DISPUTED, Status.MISLEADING]
    calls = [
        lambda by=by, to=to: services.change_status(
            Claim.objects.get(pk=claim.pk),
            to=to,
            rationale="Seen at the same moment.",
            evidence=[evidence],
            by=by,
            expected_version=1,
        )
        for by, to in zip(writers, targets, strict=True)
    ]

    # when
    done, refused = _split(race(claim, calls))

    # then
    assert len(done) == 1, refused
    assert len(refused) == 1
    assert isinstance(refused[0], services.StaleVersion), repr(refused[0])
    after = Claim.objects.get(pk=claim.pk)
    assert after.version == 2
    change = StatusChange.objects.get()
    assert change == done[0]
    assert change.old_status == Status.UNVERIFIED
    assert after.status == change.new_status
