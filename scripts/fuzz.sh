#!/usr/bin/env bash
# The full property-based run against the live app, as `make fuzz` runs it:
# schemathesis over every operation of the OpenAPI schema, all phases
# (examples, coverage, fuzzing, stateful), as an editor, on a scratch database
# filled with the demo data and served by gunicorn under production settings.
#
#   FUZZ_DATABASE_URL          scratch database, dropped and created again
#                              (default postgres://postgres@127.0.0.1:5432/verifier_fuzz)
#   SCHEMATHESIS_MAX_EXAMPLES  cases per operation and phase (default 100)
#   SCHEMATHESIS_SEED          a seed, to repeat a run (default: random)
#   SCHEMATHESIS_PHASES        default examples,coverage,fuzzing,stateful
#
# Extra arguments go to `st run`, e.g. to fuzz one operation again:
#   bash scripts/fuzz.sh --include-path /api/v1/claims/ --include-method POST
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh requirements-dev.txt

database_url="${FUZZ_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/verifier_fuzz}"
database="${database_url##*/}"
server_url="${database_url%/*}/postgres"
port="${FUZZ_PORT:-$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
report_dir="${FUZZ_REPORT_DIR:-fuzz-report}"

psql "$server_url" -qc "DROP DATABASE IF EXISTS \"$database\"" >/dev/null
psql "$server_url" -qc "CREATE DATABASE \"$database\"" >/dev/null

# Production settings; limits high enough that the fuzzer itself is not
# throttled (the throttles have their own tests).
export DEBUG=0 SECURE_SSL_REDIRECT=0 ALLOWED_HOSTS=127.0.0.1 \
  SECRET_KEY="fuzz-$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
  DATABASE_URL="$database_url" \
  API_THROTTLE_ANON=1000000/minute API_THROTTLE_USER=1000000/minute \
  API_THROTTLE_LOGIN=1000000/minute \
  WEB_CONCURRENCY="${WEB_CONCURRENCY:-2}" GUNICORN_BIND="127.0.0.1:$port"
unset REDIS_URL
python manage.py migrate --noinput -v0
python manage.py collectstatic --noinput -v0
python manage.py load_demo >/dev/null
token=$(python manage.py issue_token demo-editor --days 1 2>/dev/null)

gunicorn -c gunicorn.conf.py verifier.wsgi --error-logfile "$report_dir.server.log" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/api/v1/schema/" && break
  sleep 0.2
done

seed=()
[ -n "${SCHEMATHESIS_SEED:-}" ] && seed=(--seed "$SCHEMATHESIS_SEED")
# Signing out would revoke the token the rest of the run relies on.
st run "http://127.0.0.1:$port/api/v1/schema/?format=json" \
  --header "Authorization: Bearer $token" \
  --exclude-path-regex 'auth/logout' \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --phases "${SCHEMATHESIS_PHASES:-examples,coverage,fuzzing,stateful}" \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-100}" \
  "${seed[@]}" \
  --workers "${SCHEMATHESIS_WORKERS:-2}" \
  --request-timeout 30 \
  --report junit --report-dir "$report_dir" \
  "$@"
