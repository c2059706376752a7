"""An app server whose ``DATABASE_URL`` is a real hot standby serves every
read, answers every write with a 503 to retry and says it cannot write; once
the standby is promoted, the same server writes, without a restart.

The clusters are real and throwaway (``bench/clusters.py``): a primary on a
free port, migrated and loaded with the demo data, and a standby streaming
from it (``pg_basebackup -R``); gunicorn runs with the production settings.
"""

import json
import time
import uuid

import pytest

from bench import clusters
from bench.resilience import Client, app_env, free_port, gunicorn, prepare

pytestmark = pytest.mark.skipif(
    clusters.available() is not None,
    reason=f"no throwaway PostgreSQL clusters here: {clusters.available()}",
)


@pytest.fixture(scope="module")
def standby_server(tmp_path_factory):
    """gunicorn on the standby; yields (port, token, primary, standby, log)."""
    directory = tmp_path_factory.mktemp("standby")
    with clusters.primary_and_standby() as (primary, standby):
        port = free_port()
        env = app_env(primary.url("verifier"), port)
        env.pop("REDIS_URL", None)  # throttles count in the database
        env["WEB_CONCURRENCY"] = "2"
        token = prepare(primary.url("verifier"), env)
        clusters.wait_for_replay(primary, standby)
        on_standby = {**env, "DATABASE_URL": standby.url("verifier")}
        log = directory / "gunicorn.log"
        with gunicorn(on_standby, port, log):
            yield port, token, primary, standby, log


def test_a_standby_serves_reads_refuses_writes_and_writes_once_promoted(
    standby_server,
):
    port, token, primary, standby, log = standby_server
    anonymous, editor = Client(port), Client(port, token)
    assert standby.in_recovery()
    slug = primary.execute(
        "SELECT slug FROM claims_claim WHERE visibility = 'published' LIMIT 1",
        "verifier",
    )[0][0]

    # Reads, anonymous and signed in, pages and API: all served.
    reads = {
        path: who.request("GET", path)
        for who, path in (
            (anonymous, "/"),
            (anonymous, f"/claims/{slug}/"),
            (anonymous, "/api/v1/claims/"),
            (anonymous, f"/api/v1/claims/{slug}/"),
            (editor, "/api/v1/sources/"),
        )
    }
    assert {path: answer[0] for path, answer in reads.items()} == dict.fromkeys(
        reads, 200
    )
    assert json.loads(reads[f"/api/v1/claims/{slug}/"][2])["slug"] == slug

    # A write: a 503 to retry, the API's problem document.
    key = str(uuid.uuid4())
    body = {"text": f"Written across a promotion {key}."}
    status, headers, content = editor.request(
        "POST", "/api/v1/claims/", body, {"Idempotency-Key": key}
    )
    assert status == 503
    assert headers["content-type"] == "application/problem+json"
    assert headers["retry-after"] == "5"
    assert json.loads(content)["code"] == "unavailable"

    # Ready for reads, and saying it cannot write.
    status, _, content = anonymous.request("GET", "/readyz")
    assert status == 200
    assert json.loads(content)["writable"] is False

    # Promoted: the same server, the same connections, now writes.
    standby.promote()
    deadline = time.monotonic() + 10
    while True:
        status, headers, content = editor.request(
            "POST", "/api/v1/claims/", body, {"Idempotency-Key": key}
        )
        if status != 503 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status == 201, content
    assert json.loads(anonymous.request("GET", "/readyz")[2])["writable"] is True
    stored = standby.execute(
        "SELECT text FROM claims_claim WHERE text LIKE 'Written across%'", "verifier"
    )
    assert stored == [(body["text"],)]

    text = log.read_text()
    assert "Database refuses writes on POST /api/v1/claims/" in text
    # The throttle's switch, once per worker (2) each way, not per request.
    assert 1 <= text.count("throttles cannot count") <= 2
    assert 1 <= text.count("The database takes writes again") <= 2
    assert "Traceback" not in text
    assert "Unhandled error" not in text
