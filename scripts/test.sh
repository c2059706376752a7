#!/usr/bin/env bash
# Run the test suite against PostgreSQL. DATABASE_URL defaults to the local
# server (postgres@127.0.0.1:5432); the suite creates and drops its own
# test databases there. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh requirements-dev.txt

# The browser tests drive Debian's Chromium and inject axe-core from npm.
# Install what is missing where that is possible; elsewhere they skip, saying why.
if ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Chromium for the browser tests ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q chromium >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; } \
    || echo "Could not install Chromium: browser tests will be skipped."
fi
if [ ! -f node_modules/axe-core/axe.min.js ] && command -v npm >/dev/null; then
  npm ci --no-audit --no-fund --silent || echo "Could not install axe-core: accessibility checks will be skipped."
fi
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/verifier}"
exec python -m pytest -n "${TEST_WORKERS:-auto}" "$@"
