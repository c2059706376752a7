.PHONY: run test lint format migrations-check ci

run:  ## serve the app with demo data on 127.0.0.1:8000
	bash scripts/demo.sh

test:  ## run the test suite against PostgreSQL
	bash scripts/test.sh

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format:
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

migrations-check:
	DEBUG=1 .venv/bin/python manage.py makemigrations --check --dry-run

ci:  ## everything CI runs
	bash .ci/run
