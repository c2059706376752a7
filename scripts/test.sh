#!/usr/bin/env bash
# Run the test suite against PostgreSQL. DATABASE_URL defaults to the local
# server (postgres@127.0.0.1:5432); the suite creates and drops its own
# test databases there. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh requirements-dev.txt
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/verifier}"
exec python -m pytest -n "${TEST_WORKERS:-auto}" "$@"
