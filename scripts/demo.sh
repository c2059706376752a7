#!/usr/bin/env bash
# Run Verifier with the demo data on http://127.0.0.1:8000.
# Zero setup: a SQLite file (db.sqlite3) unless DATABASE_URL is set.
#   ADDRESS  where to serve (default 127.0.0.1:8000)
#   VENV     the virtual environment to create or reuse (default .venv)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh requirements.txt
export DEBUG="${DEBUG:-1}"
# Webhooks may go to receivers on this machine (http://127.0.0.1:…).
export WEBHOOK_ALLOW_PRIVATE="${WEBHOOK_ALLOW_PRIVATE:-1}"
python manage.py migrate --noinput
python manage.py load_demo
address="${ADDRESS:-127.0.0.1:8000}"
accounts=$(python manage.py demo_accounts --url "http://$address/admin/")

# The sign-in lines come last, once the server answers, so they are not lost
# above its start-up messages. The watcher gives up when the server is gone.
server=$$
(
  for _ in $(seq 600); do
    kill -0 "$server" 2>/dev/null || exit 0
    if python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
      "http://$address/healthz" 2>/dev/null; then
      printf '\n%s\n\n' "$accounts"
      exit 0
    fi
    sleep 0.2
  done
) &
# The task worker delivers webhooks beside the server, and stops with it.
python manage.py db_worker --no-reload &
worker=$!
(
  while kill -0 "$server" 2>/dev/null; do sleep 1; done
  kill "$worker" 2>/dev/null || true
) &
exec python manage.py runserver "$address"
