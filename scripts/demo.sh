#!/usr/bin/env bash
# Run Verifier with the demo data on http://127.0.0.1:8000.
# Zero setup: a SQLite file (db.sqlite3) unless DATABASE_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh requirements.txt
export DEBUG="${DEBUG:-1}"
python manage.py migrate --noinput
python manage.py load_demo
address="${ADDRESS:-127.0.0.1:8000}"
python manage.py demo_accounts --url "http://$address/admin/"
exec python manage.py runserver "$address"
