"""Settings come from the environment and production settings are safe."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


# Set by the browser tests' conftest when it shares a worker with these tests;
# the deploy checks rightly refuse it, and production never has it.
TEST_ONLY_VARIABLES = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in TEST_ONLY_VARIABLES and not key.startswith("SECURE_")
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def production_env() -> dict[str, str]:
    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "verifier.example.org",
    }


def test_deploy_checks_pass_under_production_settings():
    """`check --deploy` reports nothing, not even a warning, in production."""
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_env())

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_missing_secret_key_stops_a_production_start_loudly():
    env = production_env()
    del env["SECRET_KEY"]

    result = manage("check", **env)

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_runs_without_a_secret_key():
    result = manage("check", DEBUG="1")

    assert result.returncode == 0, result.stderr


def test_a_misspelt_boolean_is_refused_rather_than_guessed():
    result = manage("check", **{**production_env(), "DEBUG": "maybe"})

    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr


@pytest.mark.parametrize("value", ["abc", "0", "-1", "nan", "inf"])
def test_a_redis_timeout_must_be_a_positive_number_of_seconds(value):
    result = manage("check", DEBUG="1", REDIS_TIMEOUT=value)

    assert result.returncode != 0
    assert (
        f"REDIS_TIMEOUT must be a positive number of seconds, not {value!r}."
        in result.stderr
    )


def test_redis_waits_are_short_by_default_and_set_from_the_environment():
    show = (
        "from django.conf import settings as s;"
        "o = s.CACHES['pages']['OPTIONS'];"
        "print(s.CACHES['pages']['BACKEND'], o['socket_connect_timeout'],"
        " o['socket_timeout'], s.REDIS_RECHECK_SECONDS)"
    )
    url = "redis://127.0.0.1:6379/0"
    default = manage("shell", "-v0", "-c", show, DEBUG="1", REDIS_URL=url)
    chosen = manage(
        "shell",
        "-v0",
        "-c",
        show,
        DEBUG="1",
        REDIS_URL=url,
        REDIS_CONNECT_TIMEOUT="0.25",
        REDIS_TIMEOUT="1.5",
        REDIS_RECHECK_SECONDS="30",
    )

    assert default.stdout.split() == [
        "verifier.cache.ResilientRedisCache",
        "0.5",
        "0.5",
        "5.0",
    ], default.stderr
    assert chosen.stdout.split()[1:] == ["0.25", "1.5", "30.0"], chosen.stderr


def test_without_database_url_the_quickstart_uses_a_sqlite_file():
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["DEBUG"] = "1"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "db = settings.DATABASES['default']; print(db['ENGINE'], db['NAME'])",
        ],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "verifier.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        str(ROOT / "db.sqlite3"),
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("TIME_ZONE", "UTC"),
        ("USE_TZ", True),
        ("DEFAULT_AUTO_FIELD", "django.db.models.BigAutoField"),
    ],
)
def test_project_wide_defaults(name, expected):
    assert getattr(settings, name) == expected


def test_database_connections_are_health_checked_and_reused():
    database = settings.DATABASES["default"]

    assert database["ENGINE"] == "verifier.postgresql"
    assert database["CONN_HEALTH_CHECKS"] is True
    assert database["CONN_MAX_AGE"] > 0


SHOW_DATABASES = (
    "import json; from django.conf import settings; print(json.dumps({"
    "'databases': settings.DATABASES, 'routers': settings.DATABASE_ROUTERS, "
    "'middleware': settings.MIDDLEWARE, "
    "'pin': settings.DATABASE_REPLICA_PIN_SECONDS}, default=str))"
)


def show_databases(**env: str) -> dict:
    import json

    result = manage("shell", "-c", SHOW_DATABASES, DEBUG="1", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_each_replica_is_built_like_the_primary_and_mirrors_it_in_tests():
    shown = show_databases(
        DATABASE_URL="postgres://app@db-primary:5432/verifier",
        DATABASE_REPLICA_URL=(
            "postgres://app@db-replica-1:5432/verifier, "
            "postgres://app@db-replica-2:5433/verifier"
        ),
        DATABASE_CONNECT_TIMEOUT="3",
        DATABASE_STATEMENT_TIMEOUT="20000",
        DATABASE_REPLICA_PIN_SECONDS="4",
    )

    databases = shown["databases"]
    assert list(databases) == ["default", "replica1", "replica2"]
    assert [databases[alias]["HOST"] for alias in databases] == [
        "db-primary",
        "db-replica-1",
        "db-replica-2",
    ]
    for alias in ("replica1", "replica2"):
        replica = databases[alias]
        assert replica["ENGINE"] == databases["default"]["ENGINE"]
        assert replica["ENGINE"] == "verifier.postgresql"
        assert replica["OPTIONS"] == databases["default"]["OPTIONS"]
        assert replica["OPTIONS"]["connect_timeout"] == 3
        assert replica["CONN_HEALTH_CHECKS"] is True
        assert replica["TEST"]["MIRROR"] == "default"
    assert shown["routers"] == ["verifier.routers.ReplicaRouter"]
    assert "verifier.routers.ReplicaMiddleware" in shown["middleware"]
    assert shown["pin"] == 4


def test_without_replicas_there_is_no_router():
    shown = show_databases(
        DATABASE_URL="postgres://app@db-primary:5432/verifier",
        DATABASE_REPLICA_URL="",
    )

    assert list(shown["databases"]) == ["default"]
    assert shown["routers"] == []
    assert "verifier.routers.ReplicaMiddleware" not in shown["middleware"]
    assert shown["pin"] == 10
