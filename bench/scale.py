"""Goals 4 to 7, at scale: search, a deep cursor page, the streamed export and
the app under load. Run through ``run.py --scale`` (see there)."""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import statistics
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from bench.run import Server, fetch, free_port, running, server_env, wrk

# The search terms: a word in most claims, one in about 3%, a rare one, and a
# place name with a letter dropped (Graivoron).
VERY_COMMON = "forces"
SLOW = 10
MISSPELLED_PLACE = "Graivorn"


@dataclass
class Timed:
    name: str
    path: str
    latencies: list[float] = field(default_factory=list)

    def p(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def claim_terms(database_url: str) -> list[tuple[str, str, float]]:
    """(class, term, share of claims it matches) for each term class, by the
    words of the claims' search documents (text, quotes, sources, places)."""
    with psycopg.connect(database_url) as connection:
        total = connection.execute("SELECT count(*) FROM claims_claim").fetchone()[0]
        # Words of a sample of claims, by how many sampled claims have them.
        words = connection.execute(
            "SELECT word, ndoc FROM ts_stat($$SELECT search_document "
            "FROM claims_claim WHERE id % 100 = 0$$) WHERE word ~ '^[a-z]{5,}$' "
            "ORDER BY ndoc DESC, word"
        ).fetchall()
        sampled = max(1, total // 100)
        common = min(words, key=lambda w: abs(w[1] / sampled - 0.03))[0]
        rare = next((w for w, n in reversed(words) if n == 1), words[-1][0])

        def share(term: str) -> float:
            found = connection.execute(
                "SELECT count(*) FROM claims_claim "
                "WHERE search_document @@ to_tsquery('simple', %s)",
                [term],
            ).fetchone()[0]
            return found / total

        return [
            ("rare", rare, share(rare)),
            ("common", common, share(common)),
            ("very common", VERY_COMMON, share(VERY_COMMON)),
            ("misspelled place", MISSPELLED_PLACE, 0.0),
        ]


def explain(database_url: str, term: str) -> list[str]:
    """The plan of the app's search for ``term`` (``ClaimQuerySet.search``)."""
    if "django" not in sys.modules:
        os.environ.update(server_env(database_url))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verifier.settings")
        import django

        django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from claims.models import Claim

    # Every statement the search runs for this term (the exact match, and
    # for a word matched nowhere its close words and the retry), as sent.
    with CaptureQueriesContext(connection) as queries:
        Claim.objects.search(term, published_only=True)
    plan = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            cursor.execute("EXPLAIN " + query["sql"])
            plan += [row[0] for row in cursor.fetchall()]
    return plan


def timed_requests(url: str, rounds: Sequence[Timed], count: int) -> None:
    """``count`` requests per target, interleaved; a request's latency is until
    its last byte. A connection each: a slow answer outlasts keep-alive."""
    parsed = urllib.parse.urlsplit(url)
    for _ in range(count):
        for target in rounds:
            connection = http.client.HTTPConnection(
                parsed.hostname, parsed.port, timeout=600
            )
            start = time.perf_counter()
            connection.request("GET", target.path)
            response = connection.getresponse()
            response.read()
            target.latencies.append(time.perf_counter() - start)
            connection.close()
            if response.status != 200:
                raise SystemExit(f"{target.path} answered {response.status}")


def api_orderings(database_url: str) -> list[Timed]:
    """Every list of the API, plain and in each ``ordering`` it accepts, both
    directions, as the API's own viewsets declare them."""
    os.environ.update(server_env(database_url))
    os.environ["DJANGO_SETTINGS_MODULE"] = "verifier.settings"
    import django

    django.setup()
    from django.utils.module_loading import import_string

    from verifier.api import VIEWSETS

    found = []
    for prefix, name, _ in VIEWSETS:
        viewset = import_string(name)
        if getattr(viewset, "reads_need_a_role", False):
            continue  # not a list the anonymous read (webhooks: admins only)
        path = f"/api/v1/{prefix}/"
        found.append(Timed(f"{prefix}", path))
        for name in getattr(viewset, "ordering_fields", None) or []:
            for ordering in (name, f"-{name}"):
                query = f"?ordering={ordering}"
                found.append(Timed(f"{prefix} {query}", path + query))
    return found


def cursor_past(database_url: str, rows: int) -> tuple[str, int]:
    """A cursor of the API list (newest first) after ``rows`` published claims,
    as the API writes it, and the number of published claims."""
    with psycopg.connect(database_url) as connection:
        published = connection.execute(
            "SELECT count(*) FROM claims_claim WHERE visibility = 'published'"
        ).fetchone()[0]
        rows = max(0, min(rows, published - 60))
        (position,) = connection.execute(
            "SELECT updated_at FROM claims_claim WHERE visibility = 'published' "
            "ORDER BY updated_at DESC, id DESC OFFSET %s LIMIT 1",
            [rows],
        ).fetchone()
    token = urllib.parse.urlencode({"p": str(position)})
    return base64.b64encode(token.encode()).decode(), rows


def worker_peak_rss(server: Server) -> int:
    """The highest resident memory of any of the server's workers, in kB."""
    peak = 0
    for status_file in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status_file.read_text().splitlines()
            )
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
        if int(fields.get("PPid", "0")) == server.process.pid and "VmHWM" in fields:
            peak = max(peak, int(fields["VmHWM"].split()[0]))
    return peak


def export_run(database_url: str) -> dict[str, tuple[int, float]]:
    """Rows and seconds of a CSV and of a JSON Lines export, one after the
    other on a freshly started server, and its peak worker memory (kB)."""
    server = Server("app", "verifier.wsgi", free_port(), server_env(database_url))
    results: dict[str, tuple[int, float]] = {}
    with running([server]):
        fetch(f"{server.url}/api/v1/claims/?page_size=1")
        parsed = urllib.parse.urlsplit(server.url)
        for kind in ("csv", "jsonl"):
            connection = http.client.HTTPConnection(parsed.hostname, parsed.port)
            start = time.perf_counter()
            connection.request("GET", f"/api/v1/claims/export/?format={kind}")
            response = connection.getresponse()
            lines = 0
            while chunk := response.read(1 << 16):
                lines += chunk.count(b"\n")
            connection.close()
            rows = lines - (1 if kind == "csv" else 0)
            results[kind] = (rows, time.perf_counter() - start)
        results["peak"] = (worker_peak_rss(server), 0.0)
    return results


def sessions(database_url: str) -> int:
    """Connections ever opened to this database (PostgreSQL ≥ 14)."""
    with psycopg.connect(database_url) as connection:
        return connection.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()[0]


def main(
    database_url: str,
    small_database_url: str,
    *,
    binary: str,
    duration: int,
    count: int,
    connections: int,
    rounds: int = 3,
    load_seconds: int | None = None,
    search_only: bool = False,
) -> None:
    with psycopg.connect(database_url) as connection:
        total = connection.execute("SELECT count(*) FROM claims_claim").fetchone()[0]
    print(f"\n== Goals 4–7 on {total:,} claims ==")
    failed_under_load = 0

    terms = claim_terms(database_url)
    print("\n4. Search: the plan of each query (scans only)")
    for kind, term, _ in terms:
        plan = explain(database_url, term)
        print(f"-- q={term} ({kind})")
        for line in plan:
            if "Scan" in line:
                print("   " + line.strip())
        indexed = [line for line in plan if re.search(r"Index (Only )?Scan", line)]
        seq = [line for line in plan if "Seq Scan" in line]
        print(f"   index scans: {len(indexed)}, sequential scans: {len(seq)}")

    env = server_env(database_url)
    server = Server("app", "verifier.wsgi", free_port(), env)
    with running([server]):
        targets = [Timed("list page", "/api/v1/claims/")] + [
            Timed(
                f"q: {kind} ({term}, {share:.1%})",
                "/api/v1/claims/?" + urllib.parse.urlencode({"q": term}),
            )
            for kind, term, share in terms
        ]
        # A request over SLOW seconds is timed once, not in the rounds.
        slow = []
        for target in list(targets):
            start = time.perf_counter()
            urllib.request.urlopen(server.url + target.path, timeout=600).read()  # noqa: S310
            if time.perf_counter() - start > SLOW:
                target.latencies = [time.perf_counter() - start]
                targets.remove(target)
                slow.append(target)
        timed_requests(server.url, targets, count)
        targets += slow
        print(f"\n4. Search: {count} requests each, interleaved, one client")
        print(f"{'request':<44} {'p50 ms':>8} {'p95 ms':>8} {'p95 / list':>11}")
        print(f"(over {SLOW} s at the first request: timed once)")
        base = targets[0].p(0.95)
        for t in targets:
            print(
                f"{t.name:<44} {t.p(0.5):8.1f} {t.p(0.95):8.1f} "
                f"{t.p(0.95) / base:10.2f}×"
            )
        # Every list and every order the API accepts, anonymous, as the list
        # page above; over SLOW seconds at the first request: timed once.
        lists = api_orderings(database_url)
        slow = []
        for target in list(lists):
            start = time.perf_counter()
            urllib.request.urlopen(server.url + target.path, timeout=600).read()  # noqa: S310
            if time.perf_counter() - start > SLOW:
                target.latencies = [time.perf_counter() - start]
                lists.remove(target)
                slow.append(target)
        timed_requests(server.url, lists, count)
        print(f"\n4. Lists in every order: {count} requests each, interleaved")
        print(f"{'request':<44} {'p50 ms':>8} {'p95 ms':>8}")
        for t in lists + slow:
            print(f"{t.name:<44} {t.p(0.5):8.1f} {t.p(0.95):8.1f}")
        if search_only:
            return

        cursor, depth = cursor_past(database_url, 900_000)
        first = "/api/v1/claims/"
        deep = f"/api/v1/claims/?cursor={urllib.parse.quote(cursor)}"
        status, _, body = fetch(server.url + deep)
        if status != 200 or not json.loads(body)["results"]:
            raise SystemExit(f"deep page: {status}")
        rates: dict[str, list[float]] = {first: [], deep: []}
        p99s: dict[str, list[float]] = {first: [], deep: []}
        for _ in range(rounds):
            for path in (first, deep):
                rate, p99, errors = wrk(
                    binary, server.url + path, duration, connections, {}
                )
                rates[path].append(rate)
                p99s[path].append(p99)
        first_rate = statistics.median(rates[first])
        deep_rate = statistics.median(rates[deep])
        print(f"\n5. Cursor pages (wrk -c{connections}, {rounds} interleaved runs)")
        print(
            f"first page:                 {first_rate:7.0f} req/s, p99 "
            f"{statistics.median(p99s[first]):6.1f} ms"
        )
        print(
            f"page after {depth:,} rows: {deep_rate:7.0f} req/s, p99 "
            f"{statistics.median(p99s[deep]):6.1f} ms"
        )
        cost = first_rate / deep_rate
        print(f"deep page cost / first page cost (goal ≤ 1.5): {cost:.2f}×")

        load_seconds = load_seconds or duration * 2
        print(f"\n7. Under load (wrk -c{connections * 4}, {load_seconds} s each)")
        slug = json.loads(fetch(server.url + "/api/v1/claims/?page_size=1")[2])[
            "results"
        ][0]["slug"]
        for name, path in (
            ("claim page (HTML)", f"/claims/{slug}/"),
            ("API list", "/api/v1/claims/"),
        ):
            before = sessions(database_url)
            rate, p99, errors = wrk(
                binary, server.url + path, load_seconds, connections * 4, {}
            )
            failed_under_load += errors
            # our own reading of the counter is one session
            opened = sessions(database_url) - before - 1
            requests = rate * load_seconds
            print(
                f"{name:<20} {rate:7.0f} req/s  p99 {p99:7.1f} ms  errors {errors}  "
                f"new DB connections per 1,000 requests: "
                f"{1000 * opened / max(requests, 1):.2f} ({opened} in ~{requests:,.0f})"
            )

    print("\n6. Export, streamed; one fresh server per database")
    print(f"{'export':<22} {'rows':>10} {'rows/s':>9} {'peak worker RSS':>16}")
    peaks = {}
    databases = {"small": small_database_url, "large": database_url}
    for label, url in databases.items():
        if label == "large" and url == small_database_url:  # the smoke run
            peaks["large"] = peaks["small"]
            break
        results = export_run(url)
        peaks[label] = results.pop("peak")[0]
        for kind, (rows, seconds) in results.items():
            print(
                f"{kind + ' (' + label + ')':<22} {rows:10,} {rows / seconds:9,.0f} "
                f"{peaks[label] / 1024:13.1f} MB"
            )
    print(
        "peak worker memory, large / small (goal ≤ 1.5): "
        f"{peaks['large'] / peaks['small']:.2f}×"
    )
    if failed_under_load:
        raise SystemExit(f"{failed_under_load} requests failed under load")
