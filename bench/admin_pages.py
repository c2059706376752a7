"""The admin as an editor meets it, timed on a bench archive: every change
list, with and without a search, each filter, "Show counts", and a change
page, signed in as a superuser, in-process through Django's test client.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/verifier_bench \\
        python bench/admin_pages.py [--rounds 3] [--timeout 20] [--explain]

Each page is requested ``--rounds`` times in interleaved rounds; the table
gives the median and the slowest time, the status, the number of queries and
the slowest query's time. A page slower than ``--timeout`` seconds in its
first round is not asked again (its statements are stopped there, as the
server's statement timeout would stop them). ``--explain`` prints the plan of
each page's slowest query and says which scan a large table (``Seq Scan``).
Benchmarks only: it signs in a ``bench-admin`` superuser it creates.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import server_env  # noqa: E402 (the project is on the path now)

# Searches an editor types: a common English word, a place in Cyrillic and
# the same place in Latin letters.
TERMS = ("strike", "Демидовка", "Demidovka")


@dataclass
class Page:
    name: str
    path: str
    times: list[float] = field(default_factory=list)
    statuses: set[int] = field(default_factory=set)
    queries: int = 0
    slowest: tuple[float, str, object] = (0.0, "", None)
    timed_out: bool = False


def setup(database_url: str) -> None:
    os.environ.update(server_env(database_url))
    # Production settings serve static files from the collected manifest.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        check=True,
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "verifier.settings"
    import django

    django.setup()


def pages() -> list[Page]:
    """Every registered change list: plain, searched, each filter's first
    choice, "Show counts"; and the change page of its newest row."""
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory
    from django.urls import reverse

    user = superuser()
    # The desk's start page: the review queues and their counts.
    found = [Page("admin index (queues)", reverse("admin:index"))]
    for model, model_admin in sorted(
        admin.site._registry.items(), key=lambda item: item[0]._meta.label
    ):
        info = (model._meta.app_label, model._meta.model_name)
        if model is get_user_model() or info[0] in ("auth", "knox", "axes"):
            continue
        url = reverse("admin:{}_{}_changelist".format(*info))
        label = model._meta.label
        found.append(Page(label, url))
        if model_admin.search_fields:
            terms = TERMS if info == ("claims", "claim") else TERMS[:2]
            found += [
                Page(f"{label} ?q={t}", f"{url}?{urlencode({'q': t})}") for t in terms
            ]
        request = RequestFactory().get(url)
        request.user = user
        changelist = model_admin.get_changelist_instance(request)
        for spec in changelist.filter_specs:
            title = getattr(spec, "title", type(spec).__name__)
            if hasattr(spec, "autocomplete_parameter"):
                # Chosen in a search box: the related table's first row.
                related = spec.autocomplete_field.remote_field.model
                first = related._default_manager.order_by("pk").first()
                if first is not None:
                    query = urlencode({spec.autocomplete_parameter: first.pk})
                    found.append(Page(f"{label} filter {title}", f"{url}?{query}"))
                continue
            choice = next(
                (c for c in spec.choices(changelist) if not c.get("selected")), None
            )
            if choice is not None:
                found.append(
                    Page(f"{label} filter {title}", url + choice["query_string"])
                )
        found.append(Page(f"{label} show counts", f"{url}?_facets=True"))
        newest = model._default_manager.order_by("-pk").values_list("pk", flat=True)
        if (pk := newest.first()) is not None:
            change = reverse("admin:{}_{}_change".format(*info), args=[pk])
            found.append(Page(f"{label} change page", change))
    return found


def superuser():
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    return user


def run(found: Sequence[Page], rounds: int, timeout: float) -> None:
    from django.db import connection
    from django.db.backends.signals import connection_created
    from django.test import Client

    def limit(sender, connection, **kwargs) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {int(timeout * 1000)}")

    connection_created.connect(limit)
    if connection.connection is not None:  # opened while the pages were listed
        limit(None, connection)
    client = Client(raise_request_exception=False, SERVER_NAME="127.0.0.1")
    client.force_login(superuser())
    for number in range(rounds):
        shift = number % len(found)
        for page in [*found[shift:], *found[:shift]]:
            if page.timed_out:
                continue
            calls: list[tuple[float, str, object]] = []

            def timed(execute, sql, params, many, context, calls=calls):
                start = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    calls.append((time.perf_counter() - start, sql, params))

            start = time.perf_counter()
            with connection.execute_wrapper(timed):
                response = client.get(page.path)
            elapsed = time.perf_counter() - start
            page.times.append(elapsed)
            page.statuses.add(response.status_code)
            page.queries = len(calls)
            page.slowest = max([page.slowest, *calls], key=lambda c: c[0])
            if elapsed > timeout:
                page.timed_out = True
        print(f"round {number + 1}/{rounds} done", file=sys.stderr)


def explain(page: Page) -> list[str]:
    from django.db import connection

    _, sql, params = page.slowest
    if not sql:
        return []
    with connection.cursor() as cursor:
        try:
            cursor.execute("EXPLAIN " + sql, params)
        except Exception as error:  # a plan we cannot ask for is shown as such
            return [f"(no plan: {error})"]
        return [row[0] for row in cursor.fetchall()]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--only", default="", help="pages whose name contains this")
    args = parser.parse_args(argv)
    database_url = os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/verifier_bench"
    )
    setup(database_url)
    from claims.models import Claim

    found = [p for p in pages() if args.only.lower() in p.name.lower()]
    run(found, args.rounds, args.timeout)
    print(f"{Claim.objects.count():,} claims; {args.rounds} rounds; superuser")
    heads = ("p50 ms", "max ms", "status", "queries", "slowest")
    print(f"{'page':<58} " + " ".join(f"{head:>8}" for head in heads))
    for page in found:
        median = statistics.median(page.times) * 1000
        mark = ">" if page.timed_out else ""
        statuses = ",".join(str(s) for s in sorted(page.statuses))
        print(
            f"{page.name[:58]:<58} {mark}{median:>7.0f} {max(page.times) * 1000:>8.0f} "
            f"{statuses:>7} {page.queries:>7} {page.slowest[0] * 1000:>8.0f}"
        )
    if args.explain:
        for page in found:
            plan = explain(page)
            scans = [line.strip() for line in plan if "Seq Scan" in line]
            print(f"\n-- {page.name}: slowest query {page.slowest[0] * 1000:.0f} ms")
            print("   " + " ".join(page.slowest[1].split())[:300])
            for line in plan:
                print("   " + line)
            print(f"   sequential scans: {len(scans)}")


if __name__ == "__main__":
    main()
