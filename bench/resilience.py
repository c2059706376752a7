"""Resilience under concurrency and database faults, against gunicorn.

    python bench/resilience.py \\
        --database-url postgres://postgres@127.0.0.1:5433/verifier_resilience \\
        --cluster 15/resil

It makes a scratch database (dropped and created again: never point it at one
that matters), migrates it, loads the demo data, makes a reviewer with a token,
starts gunicorn with ``gunicorn.conf.py`` and the production settings
(DEBUG=0, throttles raised), then runs three scenarios:

1. 8 clients x 50 updates of one claim with ``If-Match``: every 2xx is in the
   final state (the claim's version and its history), every refusal is a 412.
2. A mixed read/write load for 60 s while the PostgreSQL cluster restarts
   twice (``-m fast``, then ``-m immediate``): every acknowledged write is
   stored, retries with the same ``Idempotency-Key`` create nothing twice,
   errors fall only in the restart windows and are all 503s (JSON with
   ``Retry-After`` under /api/), and the app serves again within 5 s of the
   database, without restarting a worker.
3. The app's connections terminated (``pg_terminate_backend``) once a second
   for 30 s under load: no worker dies, at most one failed request per
   terminated connection.
4. The same mixed load for 60 s against a second gunicorn whose ``REDIS_URL``
   is a redis-server of the run's own, stopped twice for ``--redis-outage``
   seconds and started again (empty): no request fails, every acknowledged
   write is stored once, /readyz stays 200 and names the cache unavailable,
   every worker uses Redis again within ``REDIS_RECHECK_SECONDS`` (5) of its
   return, no worker restarts, and each outage is a line or two per worker in
   the log, not one per request.
F. Failover, on throwaway clusters of the run's own (``bench/clusters.py``: a
   primary and a hot standby streaming from it synchronously; no
   ``--cluster`` or ``--database-url`` needed). First a gunicorn on the
   standby while it is one: reads 200, writes a proper 503, /readyz
   ``"writable": false``. Then the mixed load for ``--duration`` seconds
   against a gunicorn whose ``DATABASE_URL`` names the primary through a
   forwarder standing for a DNS name; at a third of the run the primary is
   stopped (``-m immediate``), the standby promoted and the name pointed at
   it, and the app, never restarted, goes on: every acknowledged write is on
   the new primary, once; every error is a proper 503; the seconds from the
   primary's loss to the promotion and to the first acknowledged write.

The cluster restarted is ``--cluster VERSION/NAME``; by default the one that
serves the database URL's port (``pg_lsclusters``); scenario 4 restarts none,
so ``--scenarios 4`` may run on a cluster others use (on a database of its
own), and ``--scenarios F`` anywhere. Only backends of the
scratch database with this run's ``application_name`` are terminated. It
prints a summary with PASS/FAIL per point and exits non-zero on a failure.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import clusters  # noqa: E402 (the project is on the path now)

PYTHON = sys.executable
APPLICATION_NAME = "verifier-resilience"
RECOVERY_LIMIT = 5.0  # seconds from the database's return to the app's


@dataclass
class Answer:
    at: float
    kind: str  # "api", "page", "write"
    method: str
    path: str
    status: int  # 0: no HTTP answer at all (connection refused, reset)
    content_type: str = ""
    retry_after: bool = False
    detail: bool = False


@dataclass
class Check:
    label: str
    passed: bool
    detail: str


@dataclass
class Run:
    port: int
    token: str
    answers: list[Answer] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    def check(self, label: str, passed: bool, detail: str) -> None:
        self.checks.append(Check(label, passed, detail))
        print(f"  [{'PASS' if passed else 'FAIL'}] {label}: {detail}", flush=True)


class Client:
    """One keep-alive HTTP connection, as a browser or a CMS would hold."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.token = token
        self.connection: http.client.HTTPConnection | None = None

    def request(
        self,
        method: str,
        path: str,
        body: object = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        sent = {"Accept": "application/json", **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Token {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=60
                )
            self.connection.request(method, path, body=data, headers=sent)
            response = self.connection.getresponse()
            content = response.read()
            return (
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                content,
            )
        except (OSError, http.client.HTTPException):
            self.close()
            return 0, {}, b""

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def record(
    run: Run,
    kind: str,
    method: str,
    path: str,
    answer: tuple[int, dict[str, str], bytes],
) -> None:
    status, headers, content = answer
    detail = False
    if headers.get("content-type", "").startswith("application/"):
        try:
            detail = bool(json.loads(content).get("detail"))
        except (ValueError, AttributeError):
            detail = False
    run.answers.append(
        Answer(
            at=time.monotonic(),
            kind=kind,
            method=method,
            path=path,
            status=status,
            content_type=headers.get("content-type", ""),
            retry_after=headers.get("retry-after", "").isdigit(),
            detail=detail,
        )
    )


# --- setup ---------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}", query=""))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def default_cluster(url: str) -> str:
    port = str(urlsplit(url).port or 5432)
    listing = subprocess.run(
        ["pg_lsclusters", "--no-header"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for line in listing.splitlines():
        version, name, cluster_port, *_ = line.split()
        if cluster_port == port:
            return f"{version}/{name}"
    raise SystemExit(f"No local PostgreSQL cluster serves port {port}: give --cluster.")


def app_env(url: str, port: int) -> dict[str, str]:
    separator = "&" if urlsplit(url).query else "?"
    return {
        **os.environ,
        "DATABASE_URL": f"{url}{separator}application_name={APPLICATION_NAME}",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "AXES_ENABLED": "0",
        "API_THROTTLE_ANON": "1000000/second",
        "API_THROTTLE_USER": "1000000/second",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_LOG_LEVEL": "info",
        "PYTHONPATH": str(ROOT),
    }


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def prepare(url: str, env: dict[str, str]) -> str:
    """A fresh scratch database with the demo data; returns a reviewer's token."""
    name = database_name(url)
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    plain = {**env, "DATABASE_URL": url}
    manage(plain, "migrate", "--noinput", "-v0")
    manage(plain, "load_demo")
    manage(plain, "collectstatic", "--noinput", "-v0")
    manage(
        plain,
        "shell",
        "-c",
        "from django.contrib.auth.models import Group, User;"
        "u = User.objects.create_user('resilience', is_staff=True);"
        "u.groups.add(Group.objects.get(name='Reviewers'))",
    )
    return manage(plain, "issue_token", "resilience").strip()


@contextmanager
def gunicorn(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen]:
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603
            [
                PYTHON,
                "-m",
                "gunicorn",
                "-c",
                str(ROOT / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{port}",
                # No planned recycling during the run: a new worker pid means
                # a worker died.
                "--max-requests",
                "0",
                "verifier.wsgi",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while Client(port).request("GET", "/healthz")[0] != 200:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn did not start; see {log}")
                time.sleep(0.2)
            time.sleep(1)  # every worker booted
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()


def workers(master: subprocess.Popen) -> set[int]:
    listing = subprocess.run(  # noqa: S603
        ["ps", "-o", "pid=", "--ppid", str(master.pid)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return {int(pid) for pid in listing.split()}


def restart_cluster(cluster: str, mode: str) -> None:
    version, name = cluster.split("/")
    subprocess.run(  # noqa: S603
        [  # noqa: S607
            "pg_ctlcluster",
            "--skip-systemctl-redirect",
            version,
            name,
            "restart",
            "-m",
            mode,
        ],
        check=True,
        capture_output=True,
    )


class RedisServer:
    """A redis-server of our own on a free port, nothing saved to disk, to stop
    and start at will."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError(
                "redis-server is needed (Debian: apt-get install redis-server)"
            )
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                if self.client().ping():
                    return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_timeout=2)

    def counters(self) -> list[bytes]:
        """The throttle counters the app keeps in this Redis."""
        return self.client().keys("*throttle_*")


# --- scenario 1 ----------------------------------------------------------------


def concurrent_updates(run: Run, url: str, clients: int, updates: int) -> None:
    print(f"1. {clients} clients x {updates} updates of one claim, If-Match")
    owner = Client(run.port, run.token)
    status, _, content = owner.request(
        "POST", "/api/v1/claims/", {"text": "The claim everyone edits at once."}
    )
    if status != 201:
        raise SystemExit(f"Could not create the claim: {status} {content[:300]!r}")
    slug = json.loads(content)["slug"]
    path = f"/api/v1/claims/{slug}/"
    acknowledged: list[str] = []
    refusals: list[int] = []

    def editor(number: int) -> None:
        client = Client(run.port, run.token)
        etag = client.request("GET", path)[1].get("etag", "")
        for update in range(updates):
            text = f"Edit {update} by client {number}."
            while True:
                status, headers, _ = client.request(
                    "PATCH", path, {"text": text}, {"If-Match": etag}
                )
                if 200 <= status < 300:
                    acknowledged.append(text)
                    etag = headers["etag"]
                    break
                refusals.append(status)
                # A 412 carries the current ETag; anything else, read it again.
                etag = headers.get("etag") or client.request("GET", path)[1].get(
                    "etag", ""
                )

    threads = [threading.Thread(target=editor, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with psycopg.connect(url) as db:
        claim_id, version = db.execute(
            "SELECT id, version FROM claims_claim WHERE slug = %s", [slug]
        ).fetchone()
        stored = {
            row[0]
            for row in db.execute(
                "SELECT text FROM claims_historicalclaim WHERE id = %s", [claim_id]
            )
        }
    lost = len(acknowledged) - (version - 1)
    missing = [text for text in acknowledged if text not in stored]
    run.check(
        "1a no lost update",
        lost == 0 and not missing and len(acknowledged) == clients * updates,
        f"{len(acknowledged)} updates acknowledged (2xx); the claim is at version "
        f"{version} = 1 + {version - 1}; {len(missing)} acknowledged texts missing "
        "from its history",
    )
    others = sorted({code for code in refusals if code != 412})
    run.check(
        "1b every refused write got 412",
        not others,
        f"{len(refusals)} refused, "
        + ("all 412" if not others else f"other statuses: {others}"),
    )


# --- load for scenarios 2 and 3 ------------------------------------------------


@dataclass
class Load:
    run: Run
    prefix: str
    writers: int = 3
    readers: int = 3
    stop: threading.Event = field(default_factory=threading.Event)
    acknowledged: list[tuple[str, str, str]] = field(default_factory=list)
    retries: int = 0
    replays: int = 0
    unfinished: int = 0
    threads: list[threading.Thread] = field(default_factory=list)

    def writer(self) -> None:
        client = Client(self.run.port, self.run.token)
        while not self.stop.is_set():
            key = str(uuid.uuid4())
            text = f"{self.prefix} {key}"
            # A write is not given up: it is retried with its key until it is
            # acknowledged, even past the end of the run.
            deadline = None
            while True:
                answer = client.request(
                    "POST",
                    "/api/v1/claims/",
                    {"text": text},
                    {"Idempotency-Key": key},
                )
                record(self.run, "write", "POST", "/api/v1/claims/", answer)
                status, headers, content = answer
                if 200 <= status < 300:
                    self.acknowledged.append((key, text, json.loads(content)["slug"]))
                    self.replays += headers.get("idempotent-replayed") == "true"
                    break
                if status not in {0, 503}:
                    break
                self.retries += 1
                if self.stop.is_set():
                    deadline = deadline or time.monotonic() + 30
                    if time.monotonic() > deadline:
                        self.unfinished += 1
                        break
                time.sleep(0.2)

    def reader(self, slugs: list[str]) -> None:
        client = Client(self.run.port, self.run.token)
        anonymous = Client(self.run.port)
        n = 0
        while not self.stop.is_set():
            slug = slugs[n % len(slugs)]
            for kind, who, path in (
                ("api", client, "/api/v1/claims/?page_size=20"),
                ("api", client, f"/api/v1/claims/{slug}/"),
                ("api", anonymous, "/api/v1/sources/"),
                ("page", anonymous, "/"),
                ("page", anonymous, f"/claims/{slug}/"),
            ):
                record(self.run, kind, "GET", path, who.request("GET", path))
            n += 1

    def start(self, slugs: list[str]) -> None:
        self.threads = [
            threading.Thread(target=self.writer) for _ in range(self.writers)
        ] + [
            threading.Thread(target=self.reader, args=(slugs,))
            for _ in range(self.readers)
        ]
        for thread in self.threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()


def published_slugs(url: str) -> list[str]:
    with psycopg.connect(url) as db:
        return [
            row[0]
            for row in db.execute(
                "SELECT slug FROM claims_claim WHERE visibility = 'published' "
                "ORDER BY id LIMIT 5"
            )
        ]


def check_writes(run: Run, url: str, load: Load, labels: str) -> None:
    with psycopg.connect(url) as db:
        stored = dict(
            db.execute(
                "SELECT text, count(*) FROM claims_claim WHERE text LIKE %s "
                "GROUP BY text",
                [f"{load.prefix} %"],
            ).fetchall()
        )
        slugs = {
            row[0]
            for row in db.execute(
                "SELECT slug FROM claims_claim WHERE text LIKE %s", [f"{load.prefix} %"]
            )
        }
    lost = [
        key
        for key, text, slug in load.acknowledged
        if text not in stored or slug not in slugs
    ]
    run.check(
        f"{labels[0]} every acknowledged write is stored",
        not lost and load.unfinished == 0,
        f"{len(load.acknowledged)} writes got a 2xx, {len(lost)} missing; "
        f"{load.unfinished} never acknowledged",
    )
    duplicates = sum(count - 1 for count in stored.values() if count > 1)
    keys = {key for key, _, _ in load.acknowledged}
    run.check(
        f"{labels[1]} no duplicate from retries with the same Idempotency-Key",
        duplicates == 0 and len(stored) == len(keys),
        f"{load.retries} retries, {load.replays} answered by replay, "
        f"{duplicates} duplicates, {len(stored)} rows for {len(keys)} keys",
    )


def proper_503(answer: Answer) -> bool:
    if answer.status != 503 or not answer.retry_after:
        return False
    if answer.kind == "page":
        return answer.content_type.startswith("text/html")
    return (
        answer.content_type.split(";")[0]
        in {"application/json", "application/problem+json"}
        and answer.detail
    )


# --- scenario 2 ----------------------------------------------------------------


def restarts(run: Run, url: str, cluster: str, duration: float) -> None:
    print(f"2. mixed load for {duration:.0f} s, PostgreSQL {cluster} restarted twice")
    load = Load(run, prefix=f"Written under restarts {uuid.uuid4().hex[:8]}")
    probes: list[tuple[float, int]] = []
    first = len(run.answers)

    def probe() -> None:
        client = Client(run.port)
        while not load.stop.is_set():
            probes.append((time.monotonic(), client.request("GET", "/readyz")[0]))
            time.sleep(0.05)

    prober = threading.Thread(target=probe)
    began = time.monotonic()
    load.start(published_slugs(url))
    prober.start()
    windows: list[tuple[str, float, float]] = []
    for mode, at in (("fast", duration / 4), ("immediate", duration * 2 / 3)):
        time.sleep(max(0.0, began + at - time.monotonic()))
        start = time.monotonic()
        restart_cluster(cluster, mode)
        windows.append((mode, start, time.monotonic()))
    time.sleep(max(0.0, began + duration - time.monotonic()))
    load.finish()
    prober.join()

    check_writes(run, url, load, ("2a", "2b"))

    answers = run.answers[first:]
    errors = [a for a in answers if not 200 <= a.status < 300]
    outside = [
        a
        for a in errors
        if not any(start <= a.at <= end + RECOVERY_LIMIT for _, start, end in windows)
    ]
    improper = [a for a in errors if not proper_503(a)]
    late = [
        a
        for a in errors
        if any(end < a.at <= end + RECOVERY_LIMIT for _, _, end in windows)
    ]
    run.check(
        "2c errors only in the restart windows, all 503 (JSON + Retry-After "
        "under /api/, a plain page elsewhere)",
        not outside and not improper,
        f"{len(answers)} requests, {len(errors)} errors, {len(outside)} outside "
        f"the windows, {len(improper)} not a proper 503, "
        f"{len(late)} after the database was back"
        + (f" (e.g. {improper[0]})" if improper else ""),
    )
    recoveries = []
    for mode, _, end in windows:
        back = next((t for t, status in probes if t >= end and status == 200), None)
        write = next(
            (
                a.at
                for a in answers
                if a.kind == "write" and a.at >= end and a.status < 300
            ),
            None,
        )
        recoveries.append(
            (
                mode,
                None if back is None else back - end,
                None if write is None else write - end,
            )
        )
    run.check(
        f"2d service back within {RECOVERY_LIMIT:.0f} s of the database",
        all(r is not None and r <= RECOVERY_LIMIT for _, r, _ in recoveries),
        "; ".join(
            f"-m {mode}: database down {end - start:.1f} s, /readyz 200 after "
            f"{'never' if r is None else f'{r:.2f} s'}, first write after "
            f"{'never' if w is None else f'{w:.2f} s'}"
            for (mode, r, w), (_, start, end) in zip(recoveries, windows, strict=True)
        ),
    )


# --- scenario 3 ----------------------------------------------------------------


def terminations(
    run: Run, url: str, master: subprocess.Popen, log: Path, seconds: int
) -> None:
    print(f"3. the app's connections terminated once a second for {seconds} s")
    before = workers(master)
    booted = log.read_text().count("Booting worker")
    load = Load(run, prefix=f"Written under terminations {uuid.uuid4().hex[:8]}")
    first = len(run.answers)
    terminated = 0
    load.start(published_slugs(url))
    with psycopg.connect(url, autocommit=True) as admin:
        for _ in range(seconds):
            time.sleep(1)
            terminated += sum(
                1
                for (done,) in admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND application_name = %s "
                    "AND pid <> pg_backend_pid()",
                    [database_name(url), APPLICATION_NAME],
                )
                if done
            )
    load.finish()
    answers = run.answers[first:]
    failed = [a for a in answers if not 200 <= a.status < 300]
    after = workers(master)
    crashes = log.read_text().count("Booting worker") - booted
    run.check(
        "3a no worker crash",
        master.poll() is None and before == after and crashes == 0,
        f"{len(before)} workers before, the same {len(after & before)} after, "
        f"{crashes} restarted",
    )
    improper = [a for a in failed if not proper_503(a)]
    run.check(
        "3b at most one failed request per terminated connection, each a 503",
        len(failed) <= terminated and not improper,
        f"{terminated} connections terminated, {len(answers)} requests, "
        f"{len(failed)} failed, {len(improper)} not a proper 503",
    )
    check_writes(run, url, load, ("3c", "3d"))


# --- scenario 4 ----------------------------------------------------------------

REDIS_DOWN = "Redis unavailable at"
REDIS_BACK = "Redis is back at"


def logged_at(text: str, message: str) -> list[float]:
    """When each log line carrying ``message`` was written, as
    ``time.monotonic()`` would have said then."""
    offset = time.time() - time.monotonic()
    moments = []
    for line in text.splitlines():
        if message in line:
            stamp = datetime.datetime.strptime(
                line[:23], "%Y-%m-%d %H:%M:%S,%f"
            ).astimezone()  # the log writes local time
            moments.append(stamp.timestamp() - offset)
    return moments


def seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f} s"


def redis_outages(
    run: Run,
    url: str,
    env: dict[str, str],
    directory: Path,
    duration: float,
    outage: float,
) -> None:
    print(
        f"4. mixed load for {duration:.0f} s, the app's Redis stopped twice for "
        f"{outage:.0f} s"
    )
    server = RedisServer(directory)
    server.start()
    recheck = float(env.get("REDIS_RECHECK_SECONDS") or 5)
    port = free_port()
    log = directory / "gunicorn-redis.log"
    # The checks are the run's; the answers are this server's alone.
    here = Run(port=port, token=run.token, checks=run.checks)
    load = Load(here, prefix=f"Written under Redis outages {uuid.uuid4().hex[:8]}")
    probes: list[tuple[float, int, str]] = []
    counters: list[tuple[float, bool]] = []

    def probe() -> None:
        client = Client(port)
        while not load.stop.is_set():
            status, _, content = client.request("GET", "/readyz")
            try:
                cache = json.loads(content).get("cache", "")
            except ValueError:
                cache = ""
            probes.append((time.monotonic(), status, cache))
            try:
                counters.append((time.monotonic(), bool(server.counters())))
            except redis.RedisError:
                counters.append((time.monotonic(), False))
            time.sleep(0.05)

    try:
        with gunicorn({**env, "REDIS_URL": server.url}, port, log) as master:
            before = workers(master)
            booted = log.read_text().count("Booting worker")
            prober = threading.Thread(target=probe)
            began = time.monotonic()
            load.start(published_slugs(url))
            prober.start()
            windows: list[tuple[float, float]] = []
            for at in (duration / 4, duration * 2 / 3):
                time.sleep(max(0.0, began + at - time.monotonic()))
                start = time.monotonic()
                server.stop()
                time.sleep(outage)
                server.start()
                windows.append((start, time.monotonic()))
            time.sleep(max(0.0, began + duration - time.monotonic()))
            load.finish()
            prober.join()
            after = workers(master)
            crashes = log.read_text().count("Booting worker") - booted
            alive = master.poll() is None
    finally:
        server.stop()

    answers = here.answers
    failed = [a for a in answers if not 200 <= a.status < 300]
    errors = [a for a in answers if a.status == 0 or a.status >= 500]
    during = [a for a in answers if any(start <= a.at <= end for start, end in windows)]
    down_for = sum(end - start for start, end in windows)
    run.check(
        "4a no request fails while Redis is down",
        not failed,
        f"{len(answers)} requests ({len(during)} during the outages), "
        f"{len(failed)} not 2xx, {len(errors)} server errors or no answer; "
        f"{len(during) / down_for:.0f} requests/s while Redis was down, "
        f"{(len(answers) - len(during)) / (duration - down_for):.0f} while up"
        + (f" (e.g. {failed[0]})" if failed else ""),
    )
    check_writes(here, url, load, ("4b", "4c"))
    in_windows = [
        [(status, cache) for t, status, cache in probes if start <= t <= end]
        for start, end in windows
    ]
    run.check(
        "4d /readyz stays 200 during the outages and names the cache unavailable",
        all(
            window
            and all(status == 200 for status, _ in window)
            and any(cache == "unavailable" for _, cache in window)
            for window in in_windows
        ),
        "; ".join(
            f"outage {n}: {len(window)} probes, "
            f"{sum(s == 200 for s, _ in window)} answered 200, "
            f"{sum(c == 'unavailable' for _, c in window)} with cache unavailable"
            for n, window in enumerate(in_windows, 1)
        ),
    )
    text = log.read_text()
    backs = []
    for n, (start, end) in enumerate(windows):
        until = windows[n + 1][0] if n + 1 < len(windows) else math.inf
        ready = next((t for t, _, c in probes if t >= end and c == "ok"), None)
        counted = next((t for t, seen in counters if t >= end and seen), None)
        # Each worker's own "back" line, written on the log's clock; one may
        # come a hair before ``end``, taken once Redis had answered our ping.
        returns = [t for t in logged_at(text, REDIS_BACK) if start < t < until]
        backs.append(
            (
                None if ready is None else ready - end,
                None if counted is None else counted - end,
                max(max(returns) - end, 0) if returns else None,
                len(returns),
            )
        )
    limit = recheck + 1
    run.check(
        f"4e every worker uses Redis again within {limit:.0f} s of its return, "
        "without a restart",
        all(
            r is not None
            and c is not None
            and w is not None
            and w <= limit
            and max(r, c) <= limit
            for r, c, w, _ in backs
        ),
        "; ".join(
            f"outage {n}: /readyz cache ok after {seconds(r)}, throttle counters "
            f"in Redis after {seconds(c)}, the last of {k} workers back after "
            f"{seconds(w)}"
            for n, (r, c, w, k) in enumerate(backs, 1)
        ),
    )
    run.check(
        "4f no worker restart",
        alive and before == after and crashes == 0,
        f"{len(before)} workers before, the same {len(after & before)} after, "
        f"{crashes} restarted",
    )
    down, back = text.count(REDIS_DOWN), text.count(REDIS_BACK)
    most = len(before) * len(windows)
    run.check(
        "4g each outage logged once per worker at most, not once per request",
        1 <= down <= most and back <= most and "Traceback" not in text,
        f"{down} 'Redis unavailable' and {back} 'Redis is back' lines for "
        f"{len(before)} workers x {len(windows)} outages; "
        f"{text.count('Traceback')} tracebacks (log: {log})",
    )


# --- scenario F ----------------------------------------------------------------


class Indirection:
    """A TCP forwarder standing for the database's DNS name: the app's
    ``DATABASE_URL`` names it, and a failover points it at another server,
    as a DNS record (or a floating address) would be switched."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                downstream, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(
                    ("127.0.0.1", self.target), timeout=5
                )
            except OSError:
                downstream.close()  # as a server that is not there
                continue
            upstream.settimeout(None)
            with self.lock:
                self.open += [downstream, upstream]
            for source, sink in ((downstream, upstream), (upstream, downstream)):
                threading.Thread(
                    target=self._pump, args=(source, sink), daemon=True
                ).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def point_at(self, target: int) -> None:
        """New connections reach ``target``; the old ones are cut."""
        self.target = target
        with self.lock:
            cut, self.open = self.open, []
        for end in cut:
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def close(self) -> None:
        self.listener.close()
        self.point_at(self.target)


def failover(checks: list[Check], directory: Path, duration: float) -> None:
    print(
        f"F. failover under load for {duration:.0f} s: the primary stopped "
        "(-m immediate), the standby promoted, the database's name pointed at it"
    )
    with clusters.primary_and_standby() as (primary, standby):
        url = primary.url("verifier_failover")
        new_url = standby.url("verifier_failover")
        port = free_port()
        env = app_env(url, port)
        print("  preparing the primary and its standby ...", flush=True)
        token = prepare(url, env)
        # Commits wait for the standby: an acknowledged write survives the
        # loss of the primary (asynchronous replication may lose the last ones).
        primary.execute("ALTER SYSTEM SET synchronous_standby_names = '*'")
        primary.execute("SELECT pg_reload_conf()")
        clusters.wait_for_replay(primary, standby)
        slugs = published_slugs(url)

        # F1: an app server on the standby while it is one.
        standby_port = free_port()
        with gunicorn(
            app_env(new_url, standby_port), standby_port, directory / "gunicorn-f1.log"
        ):
            here = Run(port=standby_port, token=token, checks=checks)
            anonymous, editor = Client(standby_port), Client(standby_port, token)
            for who, path in (
                (anonymous, "/"),
                (anonymous, f"/claims/{slugs[0]}/"),
                (anonymous, "/api/v1/claims/"),
                (editor, f"/api/v1/claims/{slugs[0]}/"),
            ):
                kind = "api" if path.startswith("/api/") else "page"
                record(here, kind, "GET", path, who.request("GET", path))
            for body in ({"text": "Written on a standby."},) * 3:
                answer = editor.request("POST", "/api/v1/claims/", body)
                record(here, "write", "POST", "/api/v1/claims/", answer)
            ready = json.loads(anonymous.request("GET", "/readyz")[2] or b"{}")
        reads = [a for a in here.answers if a.method == "GET"]
        writes = [a for a in here.answers if a.method == "POST"]
        checks_f1 = (
            all(a.status == 200 for a in reads)
            and all(proper_503(a) for a in writes)
            and ready.get("writable") is False
        )
        here.check(
            "F1 an app server on a standby serves reads and refuses writes with 503s",
            checks_f1,
            f"{sum(a.status == 200 for a in reads)}/{len(reads)} reads 200, "
            f"{sum(proper_503(a) for a in writes)}/{len(writes)} writes a proper "
            f"503, /readyz {ready}",
        )

        # F2: the failover, under the mixed load.
        name = Indirection(primary.port)
        via = f"postgres://postgres@127.0.0.1:{name.port}/verifier_failover"
        run = Run(port=port, token=token, checks=checks)
        load = Load(run, prefix=f"Written across a failover {uuid.uuid4().hex[:8]}")
        try:
            with gunicorn(app_env(via, port), port, directory / "gunicorn-f2.log"):
                began = time.monotonic()
                load.start(slugs)
                time.sleep(duration / 3)
                down = time.monotonic()
                primary.stop("immediate")
                standby.promote()
                promoted = time.monotonic()
                name.point_at(standby.port)
                switched = time.monotonic()
                time.sleep(max(0.0, began + duration - time.monotonic()))
                load.finish()
                ready = json.loads(Client(port).request("GET", "/readyz")[2] or b"{}")
        finally:
            name.close()

        check_writes(run, new_url, load, ("F2a", "F2b"))
        errors = [a for a in run.answers if not 200 <= a.status < 300]
        improper = [a for a in errors if not proper_503(a)]
        first_write = next(
            (
                a.at
                for a in run.answers
                if a.kind == "write" and a.at > down and a.status < 300
            ),
            None,
        )
        run.check(
            "F2c every error during the failover is a 503 (JSON + Retry-After under "
            "/api/, a plain page elsewhere)",
            not improper,
            f"{len(run.answers)} requests, {len(errors)} errors, "
            f"{len(improper)} not a proper 503"
            + (f" (e.g. {improper[0]})" if improper else ""),
        )
        run.check(
            "F2d writes resume on the promoted standby, without restarting the app",
            first_write is not None and ready.get("writable") is True,
            f"primary down -> standby promoted {promoted - down:.1f} s -> name "
            f"switched {switched - down:.1f} s -> first acknowledged write "
            f"{seconds(None if first_write is None else first_write - down)}; "
            f"/readyz afterwards {ready}",
        )


# --- main ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "RESILIENCE_DATABASE_URL",
            "postgres://postgres@127.0.0.1:5433/verifier_resilience",
        ),
        help="A scratch database: dropped and created again.",
    )
    parser.add_argument(
        "--cluster",
        help="VERSION/NAME of the cluster to restart (default: the one on the "
        "URL's port).",
    )
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--terminate-seconds", type=int, default=30)
    parser.add_argument(
        "--redis-outage",
        type=float,
        default=5,
        help="Seconds Redis stays stopped in scenario 4 (default 5).",
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--updates", type=int, default=50)
    parser.add_argument(
        "--scenarios",
        default="1234",
        help="Which to run, e.g. 13 or F (default 1234).",
    )
    args = parser.parse_args(argv)
    directory = Path(tempfile.mkdtemp(prefix="verifier-resilience-"))
    checks: list[Check] = []
    if set(args.scenarios) & set("1234"):
        checks = on_one_database(args, directory)
    if "F" in args.scenarios.upper():
        failover(checks, directory, args.duration)

    passed = all(check.passed for check in checks)
    print()
    print(f"Summary ({'PASS' if passed else 'FAIL'}):")
    for check in checks:
        print(f"  [{'PASS' if check.passed else 'FAIL'}] {check.label}: {check.detail}")
    return 0 if passed else 1


def on_one_database(args: argparse.Namespace, directory: Path) -> list[Check]:
    """Scenarios 1 to 4, on the scratch database ``--database-url``."""
    url = args.database_url
    # Only scenario 2 restarts a cluster.
    cluster = args.cluster or (default_cluster(url) if "2" in args.scenarios else "-")
    port = free_port()
    env = app_env(url, port)
    print(f"Preparing {database_name(url)} on cluster {cluster} ...", flush=True)
    run = Run(port=port, token=prepare(url, env))
    log = directory / "gunicorn.log"
    steps: dict[str, Callable[[subprocess.Popen], None]] = {
        "1": lambda _: concurrent_updates(run, url, args.clients, args.updates),
        "2": lambda _: restarts(run, url, cluster, args.duration),
        "3": lambda master: terminations(run, url, master, log, args.terminate_seconds),
        "4": lambda _: redis_outages(
            run, url, env, directory, args.duration, args.redis_outage
        ),
    }
    with gunicorn(env, port, log) as master:
        print(
            f"gunicorn on 127.0.0.1:{port}, {len(workers(master))} workers "
            f"(log: {log})",
            flush=True,
        )
        for step in args.scenarios:
            if step in steps:
                steps[step](master)
    return run.checks


if __name__ == "__main__":
    sys.exit(main())
