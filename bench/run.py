"""Benchmark the API and the public pages over HTTP, side by side with the
DRF baseline and the floor, in interleaved rounds.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/verifier_bench \\
        python bench/run.py [--rounds 5] [--duration 5] [--connections 4]
    python bench/run.py --smoke        # CI: 100 claims, a few seconds

Fill the database first (``make bench-data SIZE=10k``). Four gunicorn
servers start with ``gunicorn.conf.py``: the app (``verifier.wsgi``), the app
with its page cache off (``bench/uncached_settings.py``: the cost of rendering
a public page), the DRF baseline (``bench/baseline.py``) and the floor
(``bench/floor.py``). ``wrk``
(Debian package ``wrk``; installed here with apt-get when missing and
possible) loads one URL at a time from a second process. Each round runs every
scenario once, in a rotated order, so drift of a noisy machine spreads over
all of them; the table gives the median and min–max of requests/s and the
ratios the issue sets goals for.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
SMOKE_DATABASE = "verifier_bench_smoke"


@dataclass
class Scenario:
    name: str
    server: str
    path: str
    expect: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    rates: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    errors: int = 0


@dataclass
class Server:
    name: str
    app: str
    port: int
    env: dict[str, str]
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if os.geteuid() == 0 and apt:
        print("Installing wrk (apt-get install wrk) ...", file=sys.stderr)
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = [apt, "install", "-y", "-q", "wrk"]
        if subprocess.run(install, env=env, check=False, **quiet).returncode:  # noqa: S603
            subprocess.run([apt, "update", "-q"], env=env, check=False, **quiet)  # noqa: S603
            subprocess.run(install, env=env, check=False, **quiet)  # noqa: S603
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is needed: apt-get install wrk")
    return found


def server_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        # The benchmark is one client hammering, where production has many:
        # rates that never refuse, and a throttle history of one second, about
        # as long as a real client's. Both throttles count anonymous clients.
        "API_THROTTLE_ANON": "1000000/second",
        "API_THROTTLE_USER": "1000000/second",
        "PYTHONPATH": str(ROOT),
    }


@contextmanager
def running(servers: Sequence[Server]) -> Iterator[None]:
    try:
        for server in servers:
            server.process = subprocess.Popen(  # noqa: S603
                [
                    PYTHON,
                    "-m",
                    "gunicorn",
                    "-c",
                    str(ROOT / "gunicorn.conf.py"),
                    "--bind",
                    f"127.0.0.1:{server.port}",
                    server.app,
                ],
                cwd=ROOT,
                env=server.env,
            )
        for server in servers:
            wait_until_up(server)
        yield
    finally:
        for server in servers:
            if server.process and server.process.poll() is None:
                server.process.send_signal(signal.SIGTERM)
        for server in servers:
            if server.process:
                try:
                    server.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.process.kill()


def wait_until_up(server: Server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process and server.process.poll() is not None:
            raise SystemExit(f"The {server.name} server exited at start.")
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"The {server.name} server did not start.")


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def shape(value: object) -> object:
    """The keys and nesting of a JSON value, without its data."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return None


def wrk(
    binary: str, url: str, seconds: int, connections: int, headers: dict[str, str]
) -> tuple[float, float, int]:
    """Requests/s, p99 latency in ms, and errors (non-2xx/3xx, socket errors)."""
    command = [
        binary,
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        *[arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")],
        url,
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99_match = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    p99 = (
        float(p99_match.group(1))
        * {"us": 0.001, "ms": 1, "s": 1000}[p99_match.group(2)]
    )
    errors = 0
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if bad:
        errors += int(bad.group(1))
    sock = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    if sock:
        errors += sum(int(n) for n in sock.groups())
    return rate, p99, errors


def pick_claim(database_url: str) -> str:
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT slug FROM claims_claim WHERE visibility = 'published' "
            "ORDER BY updated_at DESC, id DESC LIMIT 1"
        ).fetchone()
    if row is None:
        raise SystemExit("No published claim: fill the database first.")
    return row[0]


def claim_count(database_url: str) -> int:
    with psycopg.connect(database_url) as connection:
        return connection.execute("SELECT count(*) FROM claims_claim").fetchone()[0]


def prepare_smoke(database_url: str) -> str:
    """A fresh database with 100 claims, next to the one in ``database_url``."""
    admin = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {SMOKE_DATABASE}")
        connection.execute(f"CREATE DATABASE {SMOKE_DATABASE}")
    url = database_url.rsplit("/", 1)[0] + f"/{SMOKE_DATABASE}"
    subprocess.run(  # noqa: S603
        [PYTHON, str(ROOT / "bench" / "generate.py"), "100"],
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        stderr=subprocess.DEVNULL,
    )
    return url


def scenarios_for(servers: dict[str, Server], slug: str) -> list[Scenario]:
    app = servers["app"]
    _, headers, _ = fetch(f"{app.url}/api/v1/claims/")
    list_etag = headers.get("ETag", "")
    _, headers, _ = fetch(f"{app.url}/api/v1/claims/{slug}/")
    detail_etag = headers.get("ETag", "")
    _, headers, _ = fetch(f"{app.url}/claims/{slug}/")
    page_etag = headers.get("ETag", "")
    _, headers, _ = fetch(f"{app.url}/")
    index_etag = headers.get("ETag", "")
    return [
        Scenario("list: ours", "app", "/api/v1/claims/"),
        Scenario("list: DRF baseline", "baseline", "/api/v1/claims/"),
        Scenario("list: floor", "floor", "/api/v1/claims/"),
        Scenario(
            "list: ours, 304",
            "app",
            "/api/v1/claims/",
            304,
            {"If-None-Match": list_etag},
        ),
        Scenario("detail: ours", "app", f"/api/v1/claims/{slug}/"),
        Scenario("detail: DRF baseline", "baseline", f"/api/v1/claims/{slug}/"),
        Scenario("detail: floor", "floor", f"/api/v1/claims/{slug}/"),
        Scenario("page: ours (HTML)", "app", f"/claims/{slug}/"),
        Scenario("page: ours, uncached", "uncached", f"/claims/{slug}/"),
        Scenario(
            "detail: ours, 304",
            "app",
            f"/api/v1/claims/{slug}/",
            304,
            {"If-None-Match": detail_etag},
        ),
        Scenario(
            "page: ours, 304",
            "app",
            f"/claims/{slug}/",
            304,
            {"If-None-Match": page_etag},
        ),
        Scenario("index page: ours", "app", "/"),
        Scenario("index page: uncached", "uncached", "/"),
        Scenario(
            "index page: ours, 304", "app", "/", 304, {"If-None-Match": index_etag}
        ),
    ]


def check(servers: dict[str, Server], scenarios: Sequence[Scenario]) -> None:
    """Every URL answers as expected, and the three list/detail shapes agree."""
    bodies: dict[tuple[str, str], object] = {}
    for scenario in scenarios:
        url = servers[scenario.server].url + scenario.path
        status, _, body = fetch(url, scenario.headers)
        if status != scenario.expect:
            raise SystemExit(f"{scenario.name}: {url} answered {status}")
        if body and scenario.path.startswith("/api/"):
            import json

            bodies[(scenario.server, scenario.path)] = shape(json.loads(body))
    for path in {path for _, path in bodies}:
        ours = bodies[("app", path)]
        for other in ("baseline", "floor"):
            if bodies.get((other, path)) != ours:
                raise SystemExit(f"{other} {path}: not the shape of ours")


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b else "—"


def table(scenarios: Sequence[Scenario]) -> None:
    """Requests/s (median and spread), p99 and errors of each scenario."""
    print(
        f"\n{'scenario':<26} {'req/s':>9} {'min–max':>17} {'p99 ms':>8} {'errors':>7}"
    )
    for s in scenarios:
        spread = f"{min(s.rates):.0f}–{max(s.rates):.0f}"
        p99 = statistics.median(s.p99)
        print(
            f"{s.name:<26} {statistics.median(s.rates):9.0f} {spread:>17} "
            f"{p99:8.1f} {s.errors:7d}"
        )


def report(scenarios: Sequence[Scenario]) -> None:
    by_name = {s.name: s for s in scenarios}

    def median(name: str) -> float:
        return statistics.median(by_name[name].rates)

    table(scenarios)
    goals = [
        (
            "1. list: ours / floor (goal ≥ 0.5)",
            median("list: ours"),
            median("list: floor"),
        ),
        (
            "1. list: ours / DRF baseline (goal ≥ 3)",
            median("list: ours"),
            median("list: DRF baseline"),
        ),
        (
            "2. detail: ours / floor (goal ≥ 0.5)",
            median("detail: ours"),
            median("detail: floor"),
        ),
        (
            "2. detail: ours / DRF baseline (goal ≥ 3)",
            median("detail: ours"),
            median("detail: DRF baseline"),
        ),
        (
            "2. page cost / JSON detail cost (goal ≤ 1.5)",
            median("detail: ours"),
            median("page: ours (HTML)"),
        ),
        (
            "2. uncached page cost / JSON detail cost",
            median("detail: ours"),
            median("page: ours, uncached"),
        ),
        (
            "   index page cost / JSON detail cost",
            median("detail: ours"),
            median("index page: ours"),
        ),
        (
            "   uncached index cost / JSON detail cost",
            median("detail: ours"),
            median("index page: uncached"),
        ),
        (
            "3. list 304 / 200 (goal ≥ 4)",
            median("list: ours, 304"),
            median("list: ours"),
        ),
        (
            "3. detail 304 / 200 (goal ≥ 4)",
            median("detail: ours, 304"),
            median("detail: ours"),
        ),
        (
            "3. page 304 / 200 (goal ≥ 4)",
            median("page: ours, 304"),
            median("page: ours (HTML)"),
        ),
        (
            "3. page 304 / uncached 200",
            median("page: ours, 304"),
            median("page: ours, uncached"),
        ),
        (
            "3. index page 304 / 200 (goal ≥ 4)",
            median("index page: ours, 304"),
            median("index page: ours"),
        ),
        (
            "3. index page 304 / uncached 200",
            median("index page: ours, 304"),
            median("index page: uncached"),
        ),
    ]
    print()
    for label, a, b in goals:
        print(f"{label:<48} {ratio(a, b):>8}")


def interleave(
    binary: str,
    servers: dict[str, Server],
    scenarios: Sequence[Scenario],
    args: argparse.Namespace,
) -> None:
    """Each scenario once per round (``args.rounds`` of ``args.duration``
    seconds, ``args.connections`` clients), in a rotated order, so drift of a
    noisy machine spreads over all of them."""
    rounds, duration, connections = args.rounds, args.duration, args.connections
    for round_number in range(rounds):
        shift = round_number % len(scenarios)
        for scenario in [*scenarios[shift:], *scenarios[:shift]]:
            rate, p99, errors = wrk(
                binary,
                servers[scenario.server].url + scenario.path,
                duration,
                connections,
                scenario.headers,
            )
            scenario.rates.append(rate)
            scenario.p99.append(p99)
            scenario.errors += errors
        print(f"round {round_number + 1}/{rounds} done", file=sys.stderr)


def replica_run(args: argparse.Namespace, binary: str) -> None:
    """Anonymous reads from the primary alone beside the same reads with a
    streaming replica: a throwaway primary with ``--claims`` generated claims
    and a hot standby of it (bench/clusters.py), two app servers on them."""
    from bench import clusters

    if reason := clusters.available():
        raise SystemExit(f"--replica needs throwaway clusters: {reason}")
    with clusters.primary_and_standby() as (primary, standby):
        primary.execute("CREATE DATABASE verifier")
        print(f"Generating {args.claims} claims on the primary ...", file=sys.stderr)
        subprocess.run(  # noqa: S603
            [PYTHON, str(ROOT / "bench" / "generate.py"), str(args.claims)],
            env={**os.environ, "DATABASE_URL": primary.url("verifier")},
            check=True,
        )
        clusters.wait_for_replay(primary, standby, timeout=300)
        env = server_env(primary.url("verifier"))
        env.pop("DATABASE_REPLICA_URL", None)
        servers = {
            "primary": Server("primary alone", "verifier.wsgi", free_port(), env),
            "replica": Server(
                "with a replica",
                "verifier.wsgi",
                free_port(),
                {**env, "DATABASE_REPLICA_URL": standby.url("verifier")},
            ),
        }
        slug = pick_claim(primary.url("verifier"))
        paths = {
            "list": "/api/v1/claims/",
            "detail": f"/api/v1/claims/{slug}/",
            "page": f"/claims/{slug}/",
            "index": "/",
        }
        scenarios = [
            Scenario(f"{what}: {server.name}", key, path)
            for what, path in paths.items()
            for key, server in servers.items()
        ]
        with running(list(servers.values())):
            for scenario in scenarios:
                url = servers[scenario.server].url + scenario.path
                if (status := fetch(url)[0]) != 200:
                    raise SystemExit(f"{scenario.name}: {url} answered {status}")
            before = standby.execute(
                "SELECT xact_commit FROM pg_stat_database WHERE datname = 'verifier'"
            )[0][0]
            interleave(binary, servers, scenarios, args)
            time.sleep(1)  # the standby's statistics are flushed each second
            after = standby.execute(
                "SELECT xact_commit FROM pg_stat_database WHERE datname = 'verifier'"
            )[0][0]
    print(
        f"{args.claims:,} claims; {args.rounds} interleaved rounds of "
        f"{args.duration:g} s per scenario; wrk -t1 -c{args.connections}; "
        f"{os.cpu_count()} cores; the primary, the standby and both servers on "
        "this machine"
    )
    table(scenarios)
    print()
    by_name = {s.name: statistics.median(s.rates) for s in scenarios}
    for what in paths:
        with_replica = by_name[f"{what}: with a replica"]
        alone = by_name[f"{what}: primary alone"]
        label = f"{what}: with a replica / primary alone"
        print(f"{label:<48} {ratio(with_replica, alone):>8}")
    print(f"{'transactions the standby served':<48} {after - before:>8,}")
    if any(s.errors for s in scenarios):
        raise SystemExit("Some requests failed.")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=5, help="seconds per run")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument(
        "--scale",
        action="store_true",
        help="goals 4–7 instead: search, a deep cursor page, the export and "
        "load, on DATABASE_URL (the 1m claims), the export also on "
        "--small-database",
    )
    parser.add_argument(
        "--small-database",
        default="postgres://postgres@127.0.0.1:5432/verifier_bench",
        help="the export's point of comparison (10k claims)",
    )
    parser.add_argument(
        "--requests", type=int, default=200, help="per search term (--scale)"
    )
    parser.add_argument(
        "--search-only",
        action="store_true",
        help="with --scale: goal 4 (search) alone",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="CI: a fresh 100-claim database, 2 rounds of 1 s",
    )
    parser.add_argument(
        "--replica",
        action="store_true",
        help="anonymous reads (list, detail, page, index) from the primary "
        "alone beside the same with a streaming replica, on throwaway clusters",
    )
    parser.add_argument(
        "--claims", type=int, default=1000, help="claims generated for --replica"
    )
    args = parser.parse_args(argv)
    # Stopped with SIGTERM, still stop the servers (the ``finally`` in running).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    database_url = os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/verifier_bench"
    )
    if args.smoke:
        database_url = prepare_smoke(database_url)
        args.rounds, args.duration = 2, 1
    binary = ensure_wrk()
    # Production settings serve static files from the collected manifest;
    # without it every page would be a 500.
    subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=server_env(database_url),
        check=True,
    )
    if args.replica:
        replica_run(args, binary)
        return
    if args.scale or args.smoke:
        from bench import scale

        scale.main(
            database_url,
            database_url if args.smoke else args.small_database,
            binary=binary,
            duration=args.duration,
            count=10 if args.smoke else args.requests,
            connections=args.connections,
            rounds=1 if args.smoke else 3,
            load_seconds=1 if args.smoke else None,
            search_only=args.search_only,
        )
        if args.scale:
            return
    env = server_env(database_url)
    servers = {
        "app": Server("app", "verifier.wsgi", free_port(), env),
        "baseline": Server(
            "baseline",
            "verifier.wsgi",
            free_port(),
            {**env, "DJANGO_SETTINGS_MODULE": "bench.baseline_settings"},
        ),
        "floor": Server("floor", "bench.floor:application", free_port(), env),
        # The app again with its page cache off: what rendering a page costs.
        "uncached": Server(
            "uncached",
            "verifier.wsgi",
            free_port(),
            {**env, "DJANGO_SETTINGS_MODULE": "bench.uncached_settings"},
        ),
    }
    slug = pick_claim(database_url)
    total = claim_count(database_url)
    with running(list(servers.values())):
        scenarios = scenarios_for(servers, slug)
        check(servers, scenarios)
        interleave(binary, servers, scenarios, args)
    print(
        f"{total:,} claims; {args.rounds} interleaved rounds of {args.duration:g} s "
        f"per scenario; wrk -t1 -c{args.connections}; {os.cpu_count()} cores"
    )
    report(scenarios)
    if any(s.errors for s in scenarios):
        raise SystemExit("Some requests failed.")


if __name__ == "__main__":
    main()
