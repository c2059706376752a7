"""Where an API claim detail's time goes, in-process, layer by layer.

``run.py`` measures over HTTP, where the load generator, gunicorn and
PostgreSQL share the machine's cores. This takes the load generator and the
server away and times one claim detail, built up a layer at a time, in
interleaved rounds on the same connection:

- the floor's work: ``bench/floor.py``'s detail (one SQL statement through
  psycopg, orjson);
- our statement alone: ``claim_detail_json`` (one prepared statement);
- the throttle's count alone (one upsert, or a Redis ``INCR`` with
  ``REDIS_URL``);
- the DRF view (authentication, permissions, both throttles, content
  negotiation, the statement, rendering), called with a bare request;
- Django's handler without middleware, then with all of it: URL resolving,
  the request and response objects, then sessions, CSRF, authentication,
  messages, security headers, CSP, request logging, CORS, axes…

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/verifier_bench \\
        python bench/overhead.py [--requests 2000] [--rounds 5]

Benchmarks only; the numbers are milliseconds per request (median of the
rounds, with min–max).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import server_env  # noqa: E402 (the project is on the path now)


def layers(slug: str) -> dict[str, Callable[[], object]]:
    from django.conf import settings
    from django.contrib.auth.models import AnonymousUser
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import RequestFactory

    from bench import floor
    from claims.api.documents import claim_detail_json
    from claims.api.views import ClaimViewSet
    from verifier.throttling import hit

    path = f"/api/v1/claims/{slug}/"
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
    }

    def wsgi(handler: WSGIHandler) -> Callable[[], object]:
        def call() -> object:
            request = {**environ, "wsgi.input": io.BytesIO(b"")}
            body = b"".join(handler(request, lambda status, headers: None))
            if not body.startswith(b'{"id"'):
                raise SystemExit(f"Not a claim: {body[:200]!r}")
            return body

        return call

    full = WSGIHandler()
    middleware = settings.MIDDLEWARE
    settings.MIDDLEWARE = []
    bare = WSGIHandler()
    settings.MIDDLEWARE = middleware

    view = ClaimViewSet.as_view({"get": "retrieve"})
    factory = RequestFactory()

    def drf_view() -> object:
        response = view(factory.get(path), slug=slug)
        if response.status_code != 200:
            raise SystemExit(f"The view answered {response.status_code}")
        return response.render()

    window = int(time.time())
    return {
        "floor: one statement via psycopg, orjson": lambda: floor.claim_detail(slug),
        "ours: the prepared statement alone": lambda: claim_detail_json(
            slug, AnonymousUser()
        ),
        "ours: the throttle's count alone": lambda: hit("overhead", window, 1),
        "ours: the DRF view": drf_view,
        "ours: Django, no middleware": wsgi(bare),
        "ours: Django, all middleware": wsgi(full),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    if "DATABASE_URL" not in os.environ:
        raise SystemExit(
            "Set DATABASE_URL to a benchmark database (bench/generate.py)."
        )
    # The settings the benchmark's servers run with: production, no throttling.
    os.environ.update(server_env(os.environ["DATABASE_URL"]))
    os.environ["DJANGO_SETTINGS_MODULE"] = "verifier.settings"

    import django

    django.setup()
    from claims.models import Claim

    slug = Claim.objects.published().order_by("pk").values_list("slug", flat=True)[0]
    timed = layers(slug)
    for call in timed.values():  # warm up: prepare, connect, import
        for _ in range(50):
            call()
    results: dict[str, list[float]] = {name: [] for name in timed}
    names = list(timed)
    for number in range(args.rounds):
        for name in names[number % len(names) :] + names[: number % len(names)]:
            call = timed[name]
            start = time.perf_counter()
            for _ in range(args.requests):
                call()
            results[name].append((time.perf_counter() - start) / args.requests * 1000)
        print(f"round {number + 1}/{args.rounds} done", file=sys.stderr)

    store = "Redis" if os.environ.get("REDIS_URL") else "the database"
    print(
        f"\nOne claim detail in-process, {args.requests} calls × {args.rounds} "
        f"interleaved rounds; throttle counters in {store}\n"
    )
    print(f"{'layer':45} {'ms':>7} {'min–max':>13}")
    for name, times in results.items():
        low, high = min(times), max(times)
        print(f"{name:45} {statistics.median(times):7.3f} {low:6.3f}–{high:.3f}")


if __name__ == "__main__":
    main()
