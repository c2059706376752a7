"""The production server's settings hold together: database waits end before
gunicorn's worker timeout, so a slow or absent database is a 503, not a
killed worker."""

import os
import runpy
from pathlib import Path

from tests.test_settings import manage, production_env

ROOT = Path(__file__).resolve().parent.parent

SHOW = (
    "from django.db import connection;"
    "c = connection.cursor();"
    "c.execute('SHOW statement_timeout');"
    "print(c.fetchone()[0], connection.settings_dict['OPTIONS']['connect_timeout'])"
)


def gunicorn_config(monkeypatch) -> dict:
    monkeypatch.delenv("DATABASE_STATEMENT_TIMEOUT", raising=False)
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    config["statement_timeout_ms"] = int(os.environ["DATABASE_STATEMENT_TIMEOUT"])
    return config


def test_database_waits_end_before_the_worker_timeout(monkeypatch):
    config = gunicorn_config(monkeypatch)

    assert config["statement_timeout_ms"] / 1000 < config["timeout"]
    assert config["worker_class"] == "gthread"
    assert config["max_requests"] > 0
    assert config["max_requests_jitter"] > 0


def test_the_server_sets_a_statement_timeout_and_commands_do_not():
    # Any database on the test server answers SHOW.
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    env = {**production_env(), "DATABASE_URL": url}
    server = manage(
        "shell", "-v0", "-c", SHOW, **env, DATABASE_STATEMENT_TIMEOUT="20000"
    )
    command = manage("shell", "-v0", "-c", SHOW, **env, DATABASE_STATEMENT_TIMEOUT="0")

    assert server.stdout.split() == ["20s", "5"], server.stderr
    assert command.stdout.split() == ["0", "5"], command.stderr


def test_health_probes_are_exempt_from_the_https_redirect():
    result = manage(
        "shell",
        "-v0",
        "-c",
        "from django.test import Client;"
        "c = Client(HTTP_HOST='verifier.example.org');"
        "print(c.get('/healthz').status_code, c.get('/').status_code)",
        **production_env(),
    )

    assert result.stdout.splitlines()[-1].split() == ["200", "301"], result.stderr
