"""Near-duplicates at scale: ``GET /api/v1/claims/similar/`` beside the API
list page, requests interleaved, one client, as ``scale.py`` times search.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/verifier_bench1m \\
        python bench/similar.py [--requests 100] [--texts 50]

The texts are those of claims drawn at random (seeded), as an editor would
retype them: the claim's own words, the same with a word dropped and a
letter changed, and a few words common to most claims.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import sys
import time
import urllib.parse
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import Server, fetch, free_port, running, server_env
from bench.scale import Timed

COMMON = "Ukrainian forces attacked the bridge near the border"


def reworded(text: str, rng: random.Random) -> str:
    """The text with one word dropped and a letter of another changed."""
    words = text.rstrip(".").split()
    if len(words) > 3:
        del words[rng.randrange(len(words))]
    i = rng.randrange(len(words))
    word = words[i]
    if len(word) > 4:
        j = rng.randrange(1, len(word) - 1)
        words[i] = word[:j] + rng.choice("aeiouy") + word[j + 1 :]
    return " ".join(words)


def sample_texts(database_url: str, count: int, seed: int) -> list[str]:
    with psycopg.connect(database_url) as connection:
        (top,) = connection.execute("SELECT max(id) FROM claims_claim").fetchone()
        rng = random.Random(seed)  # noqa: S311 (a sample, not a secret)
        ids = [rng.randint(1, top) for _ in range(count * 2)]
        rows = connection.execute(
            "SELECT text FROM claims_claim WHERE id = ANY(%s) "
            "AND visibility = 'published' ORDER BY id",
            [ids],
        ).fetchall()
    return [text for (text,) in rows][:count]


def get(connection_url: str, path: str) -> float:
    parsed = urllib.parse.urlsplit(connection_url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=600)
    start = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    elapsed = time.perf_counter() - start
    connection.close()
    if response.status != 200:
        raise SystemExit(f"{path} answered {response.status}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--texts", type=int, default=50)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    database_url = os.environ["DATABASE_URL"]
    with psycopg.connect(database_url) as connection:
        (total,) = connection.execute("SELECT count(*) FROM claims_claim").fetchone()
    texts = sample_texts(database_url, args.texts, args.seed)
    rng = random.Random(args.seed)  # noqa: S311
    kinds = {
        "similar: a claim's own text": texts,
        "similar: reworded": [reworded(text, rng) for text in texts],
        "similar: common words only": [COMMON],
    }
    server = Server("app", "verifier.wsgi", free_port(), server_env(database_url))
    with running([server]):
        list_page = Timed("list page", "/api/v1/claims/")
        timed = [list_page] + [Timed(name, "") for name in kinds]
        found = 0
        # warm every path once, and count how often the claim itself comes first
        for text in texts:
            status, _, body = fetch(
                server.url
                + "/api/v1/claims/similar/?"
                + urllib.parse.urlencode({"text": text, "limit": 1})
            )
            found += status == 200 and text.encode() in body
        for n in range(args.requests):
            list_page.latencies.append(get(server.url, list_page.path))
            for target, choices in zip(timed[1:], kinds.values(), strict=True):
                text = choices[n % len(choices)]
                path = "/api/v1/claims/similar/?" + urllib.parse.urlencode(
                    {"text": text}
                )
                target.latencies.append(get(server.url, path))
    print(f"\n== Near-duplicates on {total:,} claims ==")
    print(f"a claim's own text finds it first: {found} of {len(texts)}")
    print(f"{args.requests} requests each, interleaved, one client")
    print(f"{'request':<34} {'p50 ms':>8} {'p95 ms':>8} {'p95 / list':>11}")
    base = list_page.p(0.95)
    for target in timed:
        print(
            f"{target.name:<34} {target.p(0.5):8.1f} {target.p(0.95):8.1f} "
            f"{target.p(0.95) / base:10.2f}×"
        )


if __name__ == "__main__":
    main()
