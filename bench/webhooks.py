"""Webhook deliveries: how fast, and whether any is lost when things break.

Against a scratch database (dropped and made again, with the demo data) and
a real HTTP receiver on 127.0.0.1 that counts what it gets:

1. throughput: N changes waiting, then one ``manage.py db_worker``, then
   two; deliveries per second from the first to the last arrival;
2. a worker killed with SIGKILL in the middle of deliveries and another
   started, and the receiver down for a stretch and back: every change
   delivered at least once, none lost, and every duplicate with the
   ``webhook-id`` of the first;
3. with ``--cluster``: the PostgreSQL cluster restarted twice while the
   worker delivers (a cluster of its own only: it stops every database in
   it), and nothing lost;
4. the write's cost: the median time of a claim write through the API (the
   DRF test client, in-process), without and with its change row and one
   webhook endpoint to enqueue for.

    python bench/webhooks.py \\
        [--database-url postgres://postgres@127.0.0.1:5432/verifier_h2_webhooks] \\
        [--changes 1000] [--writes 300] [--cluster 15/resil]

Exits non-zero if a check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.resilience import restart_cluster  # noqa: E402 (on the path now)

PYTHON = sys.executable
LOGS = Path(os.environ.get("TMPDIR", "/tmp")) / "verifier-bench-webhooks"  # noqa: S108

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/verifier_h2_webhooks"


def env_for(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "AXES_ENABLED": "0",
        "API_THROTTLE_ANON": "1000000/second",
        "API_THROTTLE_USER": "1000000/second",
        "WEBHOOK_ALLOW_PRIVATE": "1",
        # Short waits, so that a scenario takes seconds, not hours.
        "WEBHOOK_LEASE_SECONDS": "3",
        "WEBHOOK_RETRY_BASE": "0.5",
        "WEBHOOK_RETRY_MAX_DELAY": "2",
        "WEBHOOK_TIMEOUT": "5",
        "PYTHONPATH": str(ROOT),
    }


def prepare(url: str, env: dict[str, str]) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    admin_url = urlunsplit(urlsplit(url)._replace(path="/postgres", query=""))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    for command in (["migrate", "--noinput", "-v0"], ["load_demo"]):
        subprocess.run(  # noqa: S603
            [PYTHON, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )


class Workers:
    """``manage.py db_worker`` processes, each logging to a file."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.processes: list[subprocess.Popen] = []
        self.started = 0
        LOGS.mkdir(parents=True, exist_ok=True)
        for old in LOGS.glob("worker-*.log"):
            old.unlink()

    def start(self, count: int = 1) -> list[subprocess.Popen]:
        started = []
        for _ in range(count):
            self.started += 1
            number = self.started
            log = open(LOGS / f"worker-{number}.log", "w")  # noqa: SIM115
            process = subprocess.Popen(  # noqa: S603
                [
                    PYTHON,
                    "manage.py",
                    "db_worker",
                    "--no-reload",
                    "--no-startup-delay",
                    "--interval=0.05",
                    "-v0",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            self.processes.append(process)
            started.append(process)
        return started

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes = []

    def log(self) -> str:
        return "".join(path.read_text() for path in sorted(LOGS.glob("worker-*.log")))


class Checks:
    def __init__(self) -> None:
        self.failed: list[str] = []

    def check(self, label: str, passed: bool, detail: str = "") -> None:
        print(
            f"  [{'ok' if passed else 'FAIL'}] {label}{': ' + detail if detail else ''}"
        )
        if not passed:
            self.failed.append(label)


def make_changes(count: int) -> list[int]:
    """``count`` public changes of published claims, one transaction each, as
    the domain layer writes them."""
    from django.db import transaction

    from claims.models import Claim
    from verifier.changes.log import record

    claims = list(Claim.objects.filter(visibility="published"))
    made = []
    for number in range(count):
        with transaction.atomic():
            made.append(
                record("claim.updated", claims[number % len(claims)], public=True).pk
            )
    return made


def until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def delivered(change_ids: list[int]) -> int:
    from verifier.webhooks.models import Delivery

    return Delivery.objects.filter(change__in=change_ids, state="delivered").count()


def tally(receiver, change_ids: list[int]) -> dict[str, int]:
    """What the receiver got for these changes: how many requests, how many
    changes at least once, how many lost, how many duplicates, and how many
    changes came under more than one webhook-id (must be 0)."""
    ids_by_change: dict[int, set[str]] = defaultdict(set)
    requests = 0
    wanted = set(change_ids)
    for received in list(receiver.received):
        change = json.loads(received.body)["data"]["change"]
        if change in wanted:
            requests += 1
            ids_by_change[change].add(received.headers["webhook-id"])
    return {
        "requests": requests,
        "delivered": len(ids_by_change),
        "lost": len(wanted - set(ids_by_change)),
        "duplicates": requests - len(ids_by_change),
        "changes with two ids": sum(len(ids) > 1 for ids in ids_by_change.values()),
    }


def throughput(
    checks: Checks, workers: Workers, receiver, count: int, processes: int
) -> float:
    changes = make_changes(count)
    first = len(receiver.received)
    workers.start(processes)
    finished = until(lambda: delivered(changes) == count, 300)
    workers.stop_all()
    arrivals = sorted(r.at for r in receiver.received[first:])
    rate = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) if arrivals else 0.0
    counts = tally(receiver, changes)
    checks.check(
        f"{count} changes delivered by {processes} worker(s)",
        finished and counts["lost"] == 0,
        f"{rate:.0f} deliveries/s; {counts}",
    )
    return rate


def kill_and_receiver_down(
    checks: Checks, workers: Workers, receiver, count: int
) -> None:
    changes = make_changes(count)
    first = len(receiver.received)
    [victim] = workers.start(1)
    until(lambda: len(receiver.received) - first >= count // 4, 120)
    # The next request is answered slowly: the worker dies waiting for it.
    with receiver.lock:
        receiver.answers = [(200, {}, 3.0)]
        arrivals = receiver.arrivals
    until(lambda: receiver.arrivals > arrivals, 60)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    at_kill = len(receiver.received) - first
    workers.start(1)
    until(lambda: len(receiver.received) - first >= count // 2, 120)
    port = receiver.port
    receiver.stop()
    down_at = len(receiver.received) - first
    time.sleep(5)
    receiver.start(port)
    finished = until(lambda: delivered(changes) == count, 300)
    workers.stop_all()
    counts = tally(receiver, changes)
    from verifier.webhooks.models import Attempt

    failed_attempts = Attempt.objects.filter(
        delivery__change__in=changes, status_code__isnull=True
    ).count()
    checks.check(
        "SIGKILL mid-way, the receiver down 5 s: every change delivered",
        finished
        and counts["lost"] == 0
        and counts["duplicates"] >= 1
        and counts["changes with two ids"] == 0,
        f"killed after {at_kill} requests, receiver stopped after {down_at}; "
        f"{failed_attempts} attempts refused while it was down; {counts}",
    )
    log = workers.log()
    checks.check(
        "the killed worker's deliveries were taken again",
        "Requeued" in log,
        next((line for line in log.splitlines() if "Requeued" in line), "no log line"),
    )


def restarts(
    checks: Checks, workers: Workers, receiver, count: int, cluster: str
) -> None:
    changes = make_changes(count)
    first = len(receiver.received)
    workers.start(1)
    from django.db import connections

    for mode, share in (("fast", 3), ("immediate", 2)):
        until(lambda share=share: len(receiver.received) - first >= count // share, 120)
        restart_cluster(cluster, mode)
        connections.close_all()
    finished = until(lambda: _safely(lambda: delivered(changes) == count), 300)
    alive = all(process.poll() is None for process in workers.processes)
    workers.stop_all()
    counts = tally(receiver, changes)
    checks.check(
        "PostgreSQL restarted twice (-m fast, -m immediate) under the worker",
        finished and alive and counts["lost"] == 0,
        f"worker never exited: {alive}; {counts}",
    )


def _safely(probe: Callable[[], bool]) -> bool:
    from django.db import DatabaseError, connections

    try:
        return probe()
    except DatabaseError:
        connections.close_all()
        return False


def write_cost(checks: Checks, writes: int, rounds: int) -> None:
    """A claim write through the API, without and with its change row and a
    webhook endpoint to enqueue for, in interleaved rounds."""
    from django.contrib.auth.models import Group, User
    from django.db.models.signals import post_save
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    from claims.models import Claim
    from verifier.changes.log import record
    from verifier.changes.models import Change
    from verifier.webhooks.models import Delivery, Endpoint

    user = User.objects.create_user(f"bench-{secrets.token_hex(4)}", is_staff=True)
    user.groups.add(Group.objects.get(name="Reviewers"))
    _, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    claim = Claim.objects.filter(visibility="published").first()
    path = f"/api/v1/claims/{claim.slug}/"
    etag = client.get(path)["ETag"]
    endpoint = Endpoint.objects.create(url="http://127.0.0.1:9/never", enabled=False)

    def log_change(sender, instance, **kwargs) -> None:
        record("claim.updated", instance, public=True)

    before = Change.objects.count()
    client.patch(path, {"text": f"{claim.text} "}, format="json", HTTP_IF_MATCH=etag)
    records_itself = Change.objects.count() > before
    if records_itself:
        print("  (the claim services record their changes themselves)")

    def configure(name: str) -> None:
        if not records_itself:
            post_save.disconnect(log_change, sender=Claim)
            if name != "write":
                post_save.connect(log_change, sender=Claim)
        Endpoint.objects.filter(pk=endpoint.pk).update(enabled=name == "+ webhook")

    samples: dict[str, list[float]] = defaultdict(list)
    names = ["write", "+ change row", "+ webhook"]
    if records_itself:
        names = ["write + change row", "+ webhook"]
    for round_number in range(rounds):
        for name in names if round_number % 2 == 0 else reversed(names):
            configure(name)
            for number in range(writes):
                etag = client.get(path)["ETag"]
                started = time.perf_counter()
                answer = client.patch(
                    path,
                    {"text": f"{claim.text} {round_number}-{number}-{name}"},
                    format="json",
                    HTTP_IF_MATCH=etag,
                )
                samples[name].append(time.perf_counter() - started)
                if answer.status_code != 200:
                    raise SystemExit(f"The write failed: {answer.content[:300]!r}")
    configure("write")
    medians = {
        name: statistics.median(values) * 1000 for name, values in samples.items()
    }
    for name, value in medians.items():
        print(f"  {name:>20}: median {value:.2f} ms over {len(samples[name])} writes")
    base = medians[names[0]]
    cost = (medians["+ webhook"] - base) / base
    enqueued = Delivery.objects.filter(endpoint=endpoint).count()
    checks.check(
        "a claim write with its change row and a webhook costs at most 15% more",
        cost <= 0.15 and enqueued > 0,
        f"{cost:+.1%} ({enqueued} deliveries enqueued)",
    )
    Endpoint.objects.filter(pk=endpoint.pk).delete()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument(
        "--cluster",
        help="version/name of the PostgreSQL cluster to restart (its own only)",
    )
    parser.add_argument(
        "--skip-prepare", action="store_true", help="reuse the scratch database"
    )
    parser.add_argument(
        "--scenarios", default="1234", help="which to run, e.g. 14 (default: all)"
    )
    args = parser.parse_args(argv)

    env = env_for(args.database_url)
    if not args.skip_prepare:
        print("Preparing the scratch database …")
        prepare(args.database_url, env)
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "verifier.settings"
    import django

    django.setup()
    from verifier.webhooks.models import Endpoint
    from verifier.webhooks.testing import Receiver

    checks = Checks()
    receiver = Receiver().start()
    Endpoint.objects.all().delete()
    Endpoint.objects.create(url=receiver.url)
    workers = Workers(env)
    try:
        if "1" in args.scenarios:
            print("1. throughput")
            one = throughput(checks, workers, receiver, args.changes, 1)
            two = throughput(checks, workers, receiver, args.changes, 2)
            checks.check("two workers deliver more than one", two > one)
            checks.check("one worker delivers at least 100/s", one >= 100)
        if "2" in args.scenarios:
            print("2. a worker killed, the receiver down")
            kill_and_receiver_down(checks, workers, receiver, args.changes)
        if "3" in args.scenarios and args.cluster:
            print("3. PostgreSQL restarted")
            restarts(checks, workers, receiver, args.changes, args.cluster)
        elif "3" in args.scenarios:
            print("3. PostgreSQL restarted: skipped (give --cluster, its own only)")
        if "4" in args.scenarios:
            print("4. the write's cost")
            Endpoint.objects.all().delete()
            write_cost(checks, args.writes, args.rounds)
    finally:
        workers.stop_all()
        receiver.stop()
    print("FAILED: " + "; ".join(checks.failed) if checks.failed else "All passed.")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
