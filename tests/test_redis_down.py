"""An outage of Redis costs no reader a page and no client a write: pages are
rendered, throttles count in the database (sign-ins stay limited), /readyz
stays ready and says so, and the app uses Redis again once it is back.

Every Redis here is real: a redis-server of the test's own on a free port,
stopped and started by the test; a port nothing listens on; a socket that
accepts connections and never answers.
"""

import http.client
import json
import logging
import socket
import threading
import time

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

import verifier.cache
from bench.resilience import REDIS_BACK as BACK
from bench.resilience import REDIS_DOWN as DOWN
from bench.resilience import RedisServer
from tests.factories import PASSWORD, PublishedClaimFactory
from tests.test_settings import manage, production_env
from tests.test_throttling import free_port, serve
from verifier.settings import redis_caches

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 0.2  # REDIS_CONNECT_TIMEOUT and REDIS_TIMEOUT in these tests
RECHECK = 0.3  # REDIS_RECHECK_SECONDS


class SilentServer:
    """Accepts connections and never answers: a hung or overloaded Redis."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        for connection in self.accepted:
            connection.close()
        self.listener.close()


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield server
    server.close()


@pytest.fixture
def use_redis(settings, monkeypatch):
    """Point both caches at the Redis at ``url``, as ``REDIS_URL`` would."""
    # Each test's Redis starts out believed up, whatever an earlier test saw.
    monkeypatch.setattr(verifier.cache, "_breakers", {})
    settings.REDIS_RECHECK_SECONDS = RECHECK

    def point_at(url: str) -> None:
        settings.CACHES = redis_caches(url, connect_timeout=TIMEOUT, timeout=TIMEOUT)

    return point_at


@pytest.fixture
def strict_sign_ins(monkeypatch):
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {**SimpleRateThrottle.THROTTLE_RATES, "login": "2/minute"},
    )


@pytest.fixture
def outage_log(caplog):
    caplog.set_level(logging.INFO, logger="verifier.cache")

    def lines(start: str) -> list[str]:
        return [
            r.getMessage()
            for r in caplog.records
            if r.name == "verifier.cache" and r.getMessage().startswith(start)
        ]

    return lines


def closed_port_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"


def read_everything(client: APIClient, claim) -> None:
    """The home page, the claim's page and the API's list answer, correctly."""
    home = client.get("/")
    page = client.get(claim.get_absolute_url())
    listing = client.get("/api/v1/claims/")

    assert home.status_code == 200
    assert claim.text in home.content.decode()
    assert page.status_code == 200
    assert claim.text in page.content.decode()
    assert listing.status_code == 200
    assert [item["slug"] for item in listing.json()["results"]] == [claim.slug]


def sign_in_codes(attempts: int) -> list[int]:
    return [
        APIClient()
        .post("/api/v1/auth/login/", {"username": "editor", "password": "guess"})
        .status_code
        for _ in range(attempts)
    ]


def test_with_redis_up_the_caches_are_in_redis(use_redis, redis_server, client):
    """The baseline the outages depart from: counters and readiness in Redis."""
    claim = PublishedClaimFactory()
    use_redis(redis_server.url)

    read_everything(client, claim)

    assert redis_server.counters()
    assert client.get("/readyz").json() == {
        "status": "ok",
        "database": "ok",
        "writable": True,
        "cache": "ok",
    }


def test_a_closed_port_costs_no_page_and_no_answer(use_redis, client, outage_log):
    claim = PublishedClaimFactory()
    use_redis(closed_port_url())

    for _ in range(3):
        read_everything(client, claim)
    ready = client.get("/readyz")

    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ok",
        "database": "ok",
        "writable": True,
        "cache": "unavailable",
    }
    assert len(outage_log(DOWN)) == 1, outage_log(DOWN)
    assert "throttles count in the database" in outage_log(DOWN)[0]
    assert outage_log(BACK) == []


def test_the_outage_line_shows_no_password_from_the_url(use_redis, client, outage_log):
    port = free_port()
    use_redis(f"redis://:hunter2-secret@127.0.0.1:{port}/2")

    assert client.get("/api/v1/claims/").status_code == 200

    assert outage_log(DOWN)[0].startswith(f"{DOWN} 127.0.0.1:{port}/2: ")
    assert "hunter2" not in outage_log(DOWN)[0]


def test_sign_ins_stay_throttled_while_redis_is_down(
    use_redis, strict_sign_ins, editor
):
    from verifier.models import RateCounter

    use_redis(closed_port_url())

    assert sign_in_codes(3) == [401, 401, 429]
    # The database counted them, as it does without Redis.
    assert RateCounter.objects.filter(key__contains="login").get().hits == 3


def test_the_admin_sign_in_form_stays_throttled_while_redis_is_down(
    use_redis, strict_sign_ins, editor, client
):
    use_redis(closed_port_url())

    codes = [
        client.post(
            "/admin/login/", {"username": "editor", "password": "guess"}
        ).status_code
        for _ in range(3)
    ]

    assert codes == [200, 200, 429]


def test_writes_are_acknowledged_and_stored_while_redis_is_down(use_redis, api, editor):
    use_redis(closed_port_url())

    client = api(editor)

    response = client.post("/api/v1/claims/", {"text": "Written without Redis."})

    assert response.status_code == 201
    stored = client.get(f"/api/v1/claims/{response.json()['slug']}/")
    assert stored.json()["text"] == "Written without Redis."


def test_redis_stopped_mid_run_and_started_again(
    use_redis, redis_server, client, outage_log, strict_sign_ins, editor
):
    claim = PublishedClaimFactory()
    use_redis(redis_server.url)
    statuses = []

    # given: a run of requests served through Redis
    for step in range(12):
        if step == 4:
            redis_server.stop()
        if step == 8:
            # when: Redis comes back, empty (nothing was saved)
            redis_server.start()
            time.sleep(RECHECK * 2)
        read_everything(client, claim)
        statuses.append(client.get("/readyz").json()["cache"])
        if step == 6:
            # Sign-ins are limited during the outage, counted in the database.
            assert sign_in_codes(3) == [401, 401, 429]

    # then: every request was answered; readiness said what Redis was doing
    assert statuses == ["ok"] * 4 + ["unavailable"] * 4 + ["ok"] * 4
    # and the app counts in Redis again, without a restart
    assert redis_server.counters()
    assert len(outage_log(DOWN)) == 1, outage_log(DOWN)
    assert len(outage_log(BACK)) == 1, outage_log(BACK)


def test_a_redis_that_refuses_writes_costs_no_request(
    use_redis, redis_server, client, outage_log, strict_sign_ins, editor
):
    """Out of memory (or, with snapshots on, out of disk), Redis answers every
    write with an error: the app then does without it as if it were down."""
    claim = PublishedClaimFactory()
    redis_server.client().config_set("maxmemory", 1)
    use_redis(redis_server.url)

    read_everything(client, claim)

    assert sign_in_codes(3) == [401, 401, 429]
    assert redis_server.counters() == []
    assert len(outage_log(DOWN)) == 1
    assert "OutOfMemoryError: command not allowed" in outage_log(DOWN)[0]
    # The refused command's keys (the client's address) are not logged.
    assert "127.0.0.1:" not in outage_log(DOWN)[0].split(": ", 1)[1]


def test_a_redis_that_never_answers_holds_no_request(
    use_redis, silent_server, client, settings, outage_log
):
    claim = PublishedClaimFactory()
    settings.REDIS_RECHECK_SECONDS = 60
    use_redis(silent_server.url)
    done = threading.Event()

    def run() -> None:
        for _ in range(3):
            read_everything(client, claim)
        done.set()

    reader = threading.Thread(target=run)
    reader.start()
    # A liveness bound, far above the 0.2 s reply timeout: without the
    # timeout the requests would wait for an answer forever.
    reader.join(timeout=30)

    assert done.is_set()
    # One connection found Redis silent; every later call left it alone.
    assert len(silent_server.accepted) == 1
    assert len(outage_log(DOWN)) == 1
    assert "TimeoutError: Timeout reading from socket" in outage_log(DOWN)[0]
    assert client.get("/readyz").json()["cache"] == "unavailable"


def test_gunicorn_with_a_dead_redis_serves_every_page_and_answer():
    """Production settings, gunicorn, ``REDIS_URL`` at a port nothing listens
    on: the home page, a claim page and the API answer 200, /readyz stays
    ready and names the cache as unavailable, sign-ins are still throttled
    across processes, and each worker logs the outage once."""
    claim = PublishedClaimFactory()
    # The production settings serve the static files' manifest.
    collected = manage("collectstatic", "--noinput", "-v0", **production_env())
    assert collected.returncode == 0, collected.stderr
    process, port = serve(REDIS_URL=closed_port_url(), API_THROTTLE_LOGIN="2/minute")
    try:
        answers = {
            path: request(port, "GET", path)
            for path in ("/", claim.get_absolute_url(), "/api/v1/claims/", "/readyz")
        }
        sign_ins = [
            request(
                port,
                "POST",
                "/api/v1/auth/login/",
                {"username": "nobody", "password": PASSWORD},
            )[0]
            for _ in range(3)
        ]
    finally:
        process.terminate()
        _, log = process.communicate(timeout=30)

    assert {path: status for path, (status, _) in answers.items()} == dict.fromkeys(
        answers, 200
    )
    assert claim.text in answers["/"][1]
    assert claim.text in answers[claim.get_absolute_url()][1]
    assert json.loads(answers["/api/v1/claims/"][1])["results"][0]["slug"] == (
        claim.slug
    )
    assert json.loads(answers["/readyz"][1]) == {
        "status": "ok",
        "database": "ok",
        "writable": True,
        "cache": "unavailable",
    }
    assert sign_ins == [401, 401, 429]
    log = log.decode()
    assert "Traceback" not in log
    assert 1 <= log.count(DOWN) <= 2, log  # two workers, once each at most


def request(
    port: int, method: str, path: str, body: dict | None = None
) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            method,
            path,
            body=None if body is None else json.dumps(body),
            headers={"Content-Type": "application/json"} if body else {},
        )
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()
