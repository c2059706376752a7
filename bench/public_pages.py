"""Time the public pages over a large dataset.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/verifier_bench \\
        python bench/public_pages.py [claims]

Creates (once) ``claims`` published claims in events of 100, three statements
each, then requests every kind of page through Django's test client and prints
the median time and the number of queries. Use a scratch database: it is filled
with bulk inserts that bypass the services.
"""

import datetime
import os
import statistics
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verifier.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from claims.models import Claim, Event, Place, Statement  # noqa: E402
from sources.models import Source  # noqa: E402

PER_EVENT = 100
RUNS = 15


def fill(total: int) -> None:
    call_command("migrate", verbosity=0)
    if Claim.objects.count() >= total:
        return
    call_command("load_demo", verbosity=0)
    sources = list(Source.objects.all())
    place = Place.objects.get(slug="demidovka")
    now = timezone.now()
    for start in range(0, total, PER_EVENT):
        event = Event.objects.create(
            title=f"Bench event {start}", slug=f"bench-{start}"
        )
        claims = Claim.objects.bulk_create(
            Claim(
                text=f"Bench claim {n} about Belgorod.",
                slug=f"bench-claim-{n}",
                event=event,
                status="disputed",
                visibility="published",
                published_at=now,
                updated_at=now - datetime.timedelta(seconds=n),
            )
            for n in range(start, start + PER_EVENT)
        )
        Claim.places.through.objects.bulk_create(
            Claim.places.through(claim_id=claim.pk, place_id=place.pk)
            for claim in claims
        )
        Statement.objects.bulk_create(
            Statement(
                claim=claim,
                source=source,
                stance="asserts" if i % 2 else "denies",
                stated_on=datetime.date(2025, 3, 18),
                quote="Bench quote.",
            )
            for claim in claims
            for i, source in enumerate(sources[:3])
        )


def measure(client: Client, url: str, expect: int = 200) -> tuple[float, int]:
    timings = []
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
        if response.status_code != expect:
            raise SystemExit(f"{url} answered {response.status_code}")
    return statistics.median(timings) * 1000, len(queries)


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    fill(total)
    claim = Claim.objects.published().order_by("-updated_at").first()
    event = Event.objects.filter(slug__startswith="bench-").first()
    urls = [
        "/",
        "/?status=disputed",
        "/?q=belgorod",
        "/?q=Зеленський",
        "/?place=russia",
        "/?source=institute-for-the-study-of-war",
        f"/claims/{claim.slug}/",
        "/claims/ukrainian-forces-operating-in-belgorod-region/",
        "/claims/ukrainian-forces-operating-in-belgorod-region/?as_of=2025-03-20",
        f"/events/{event.slug}/",
        "/sources/institute-for-the-study-of-war/",
        "/places/russia/",
        "/feed/",
        "/sources/institute-for-the-study-of-war/feed/",
    ]
    client = Client()
    print(f"{Claim.objects.count()} claims, {Statement.objects.count()} statements")
    print(f"{'page':<75} {'ms':>7} {'queries':>8} {'304 ms':>7}")
    for url in urls:
        ms, queries = measure(client, url)
        etag = client.get(url)["ETag"]
        revalidated = Client(headers={"If-None-Match": etag})
        not_modified, _ = measure(revalidated, url, expect=304)
        print(f"{url:<75} {ms:7.1f} {queries:8d} {not_modified:7.1f}")


if __name__ == "__main__":
    main()
