.PHONY: run test lint format migrations-check ci serve bench-data bench resilience fuzz

run:  ## serve the app with demo data on 127.0.0.1:8000
	bash scripts/demo.sh

test:  ## run the test suite against PostgreSQL
	bash scripts/test.sh

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	DEBUG=1 .venv/bin/mypy

format:
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

migrations-check:
	DEBUG=1 .venv/bin/python manage.py makemigrations --check --dry-run

serve:  ## the production server (gunicorn.conf.py); needs the production settings
	.venv/bin/python manage.py collectstatic --noinput -v0
	.venv/bin/gunicorn -c gunicorn.conf.py verifier.wsgi

ci:  ## everything CI runs
	bash .ci/run

fuzz:  ## the full property-based runs: hypothesis (full profile), then schemathesis (all phases) against gunicorn
	rm -f .hostile-input-count
	HYPOTHESIS_PROFILE=full HOSTILE_INPUT_COUNT_FILE=$(CURDIR)/.hostile-input-count \
	  bash scripts/test.sh -n 2 tests/test_hostile_input.py -q
	@echo "hypothesis: $$(awk '{s += $$1} END {print s}' .hostile-input-count) examples, 0 server errors"
	bash scripts/fuzz.sh

BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/verifier_bench
SIZE ?= 10k

bench-data:  ## fill a scratch database with SIZE (100, 10k, 100k, 1m) claims
	psql "$(dir $(BENCH_DATABASE_URL))postgres" -qc "CREATE DATABASE $(notdir $(BENCH_DATABASE_URL))" 2>/dev/null || true
	DATABASE_URL=$(BENCH_DATABASE_URL) .venv/bin/python bench/generate.py $(SIZE) --reset

bench:  ## app vs DRF baseline vs floor over HTTP, on the bench database
	DATABASE_URL=$(BENCH_DATABASE_URL) .venv/bin/python bench/run.py

RESILIENCE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5433/verifier_resilience

resilience:  ## restarts PostgreSQL and stops Redis under load: point it at a cluster of its own (docs/operations.md)
	.venv/bin/python bench/resilience.py --database-url $(RESILIENCE_DATABASE_URL) $(if $(CLUSTER),--cluster $(CLUSTER))
