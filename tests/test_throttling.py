"""Throttles hold across server processes, even under a concurrent burst.

The burst tests start the real app (gunicorn, two worker processes with two
threads each) on the test database and fire 200 requests at once against a
limit of 20: however the requests fall on the processes, at most 22 pass
and the rest are 429 with ``Retry-After``.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection

from verifier.throttling import hit, seconds_until_allowed

ROOT = Path(__file__).resolve().parent.parent
BURST = 200
LIMIT = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def serve(**env: str):
    """Start gunicorn on the test database; yields its address."""
    port = free_port()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("API_THROTTLE")},
        "DEBUG": "0",
        "SECRET_KEY": "burst-test-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url(),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "API_THROTTLE_ANON": f"{LIMIT}/minute",
        "API_THROTTLE_USER": "100000/minute",
        "API_THROTTLE_LOGIN": "100000/minute",
        **env,
    }
    if "REDIS_URL" not in env:
        environment.pop("REDIS_URL", None)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    process = subprocess.Popen(
        [gunicorn, "-c", "gunicorn.conf.py", "verifier.wsgi"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode()) from None
            time.sleep(0.1)
    return process, port


def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def burst(port: int) -> list[tuple[int, dict[str, str], bytes]]:
    with ThreadPoolExecutor(max_workers=BURST) as pool:
        return list(pool.map(lambda _: get(port, "/api/v1/claims/"), range(BURST)))


def assert_burst_held(results) -> None:
    codes = [status for status, _, _ in results]
    accepted = codes.count(200)
    assert 1 <= accepted <= LIMIT + 2, codes
    assert codes.count(429) == BURST - accepted, codes
    for status, headers, body in results:
        if status == 429:
            assert int(headers["Retry-After"]) >= 1
            assert json.loads(body)["code"] == "throttled"


@pytest.mark.django_db(transaction=True)
def test_a_burst_across_processes_passes_at_most_the_limit_postgresql():
    process, port = serve()
    try:
        results = burst(port)
    finally:
        process.terminate()
        process.wait(timeout=30)

    assert_burst_held(results)


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_available(), reason="no Redis on 127.0.0.1:6379")
@pytest.mark.django_db(transaction=True)
def test_a_burst_across_processes_passes_at_most_the_limit_redis():
    import redis

    url = "redis://127.0.0.1:6379/3"
    redis.Redis.from_url(url).flushdb()
    process, port = serve(REDIS_URL=url)
    try:
        results = burst(port)
    finally:
        process.terminate()
        process.wait(timeout=30)
        redis.Redis.from_url(url).flushdb()

    assert_burst_held(results)


@pytest.mark.django_db
def test_the_database_counter_counts_per_key_and_window():
    assert hit("a", 600, 60) == (0, 1)
    assert hit("a", 600, 60) == (0, 2)
    assert hit("b", 600, 60) == (0, 1)
    assert hit("a", 660, 60) == (2, 1)


def test_the_counter_works_on_sqlite_too(tmp_path):
    """The demo runs on SQLite: the same counter, in two statements."""
    script = (
        "import django; django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('migrate', 'verifier', verbosity=0)\n"
        "from verifier.throttling import hit\n"
        "print([hit('k', 600, 60), hit('k', 600, 60), hit('k', 660, 60)])\n"
    )
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "verifier.settings",
    }
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[(0, 1), (0, 2), (2, 1)]"


def sliding_count(previous: int, current: int, moment: float) -> float:
    """The throttle's count at ``moment`` seconds into the window of
    ``current`` (60 s), for a client that sent nothing since."""
    if moment >= 120:
        return 0
    if moment >= 60:
        return current * (1 - (moment - 60) / 60)
    return previous * (1 - moment / 60) + current


@pytest.mark.parametrize(
    ("previous", "current", "elapsed", "expected"),
    [
        # Over the limit in this window: its end, then until 19/30 has faded.
        (0, 30, 10, 50 + 60 * (1 - 19 / 30)),
        # Within it alone, but the previous window still weighs: until it fades.
        (40, 10, 0, 60 * (1 - 9 / 40)),
        (40, 10, 50, 0),
        # Exactly at the limit in this window: the next request would pass it.
        (0, 20, 30, 30 + 60 * (1 - 19 / 20)),
        # The previous window would fade only after this one ends.
        (60, 19, 30, 30 + 60 * (1 - 19 / 19)),
    ],
)
def test_retry_after_is_when_the_next_request_fits_within_the_limit(
    previous, current, elapsed, expected
):
    wait = seconds_until_allowed(
        previous=previous, current=current, elapsed=elapsed, duration=60, limit=20
    )

    assert wait == pytest.approx(expected)
    # then: at that moment the next request, counted too, is within the limit,
    assert sliding_count(previous, current, elapsed + wait) + 1 <= 20 + 1e-9
    # and a second earlier it was not
    if wait >= 1:
        assert sliding_count(previous, current, elapsed + wait - 1) + 1 > 20


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "6.6.6.6", "10.0.0.1"),
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        (1, "", "10.0.0.1"),
        (3, "203.0.113.7", "203.0.113.7"),
    ],
)
def test_the_client_address_comes_from_trusted_proxies_only(
    settings, rf, proxies, forwarded, expected
):
    from verifier.throttling import client_ip

    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected


@pytest.mark.django_db
def test_a_forged_forwarded_for_does_not_buy_a_fresh_allowance(monkeypatch):
    from rest_framework.test import APIClient
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/minute", "user": None}
    )
    codes = [
        APIClient()
        .get("/api/v1/claims/", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        .status_code
        for n in range(3)
    ]

    assert codes == [200, 200, 429]
