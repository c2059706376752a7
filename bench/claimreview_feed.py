"""Time ``/claimreview.json``, the ClaimReview data feed, over an archive.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/verifier_bench \\
        python bench/claimreview_feed.py [--runs 5]

Reads only: the session is read-only, so nothing is written to the archive
(fill one with ``make bench-data SIZE=10k``). Requests the feed through
Django's test client, in-process, reads it to the end, checks that it parses
and holds every published rated claim, and prints per run the time to the
first piece and to the last, the size and the number of queries; then the
medians, the largest piece sent (what the server holds at once, whatever the
archive's size) and the time of a ``304`` to a reader holding the ``ETag``.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verifier.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from claims.claim_review import rated_claims  # noqa: E402

URL = "/claimreview.json"


def run(client: Client) -> dict[str, float]:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(URL)
        if response.status_code != 200:
            raise SystemExit(f"{URL} answered {response.status_code}")
        pieces = iter(response.streaming_content)
        first = next(pieces)
        first_at = time.perf_counter() - started
        size, largest = len(first), len(first)
        body = [first]
        for piece in pieces:
            body.append(piece)
            size += len(piece)
            largest = max(largest, len(piece))
        total = time.perf_counter() - started
    feed = json.loads(b"".join(body))
    return {
        "first_ms": first_at * 1000,
        "total_ms": total * 1000,
        "bytes": size,
        "largest_piece": largest,
        "queries": len(queries),
        "elements": len(feed["dataFeedElement"]),
        "etag": response["ETag"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    # Django's test client calls itself testserver.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    expected = rated_claims().count()
    client = Client()
    results = []
    print(f"{expected} published rated claims")
    print(f"{'run':>3} {'first ms':>9} {'total ms':>9} {'MB':>6} {'queries':>8}")
    for number in range(1, options.runs + 1):
        result = run(client)
        if result["elements"] != expected:
            raise SystemExit(f"{result['elements']} elements, {expected} expected")
        results.append(result)
        print(
            f"{number:>3} {result['first_ms']:9.1f} {result['total_ms']:9.1f} "
            f"{result['bytes'] / 1e6:6.2f} {result['queries']:8d}"
        )
    revalidated = Client(headers={"If-None-Match": results[-1]["etag"]})
    not_modified = []
    for _ in range(options.runs):
        started = time.perf_counter()
        if revalidated.get(URL).status_code != 304:
            raise SystemExit(f"{URL} did not answer 304 to its own ETag")
        not_modified.append((time.perf_counter() - started) * 1000)
    print(
        f"median: first piece {statistics.median(r['first_ms'] for r in results):.1f}"
        f" ms, whole feed {statistics.median(r['total_ms'] for r in results):.1f} ms,"
        f" {results[-1]['bytes'] / 1e6:.2f} MB in pieces of at most"
        f" {max(r['largest_piece'] for r in results) / 1e6:.2f} MB;"
        f" 304 {statistics.median(not_modified):.1f} ms"
    )


if __name__ == "__main__":
    main()
