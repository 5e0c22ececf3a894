# Voronka: `make run` serves the app with demo data; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_DEALS ?= 5000
export DJANGO_SETTINGS_MODULE ?= config.settings.dev

.PHONY: run test install install-dev serve lint format test-sqlite test-postgres test-browser messages bench

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Voronka needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"

# Install, migrate SQLite, load demo data once (DEMO_DEALS=0 starts empty), create the admin,
# serve on http://$(HOST):$(PORT)
run: install
	$(BIN)/python manage.py migrate --noinput -v0
	@if [ "$(DEMO_DEALS)" = "0" ]; then echo "DEMO_DEALS=0: starting empty (sign in as admin to set up the first pipeline)."; \
	else $(BIN)/python manage.py generate_demo_data --if-empty --deals $(DEMO_DEALS); fi
	$(BIN)/python manage.py ensure_admin
	@echo "Voronka is at http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	HOST=$(HOST) PORT=$(PORT) bash scripts/serve.sh

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Every test: lint, the suite on SQLite (browser tests included), then on PostgreSQL when one
# answers at $$TEST_POSTGRES_URL (required when REQUIRE_POSTGRES=1, as in CI).
test: install-dev lint
	bash scripts/ensure-chromium.sh
	bash scripts/run-tests.sh

messages:
	cd voronka && ../$(BIN)/django-admin makemessages -l ru --settings=config.settings.dev --pythonpath=..
	cd voronka && ../$(BIN)/django-admin compilemessages --settings=config.settings.dev --pythonpath=..

# Benchmarks (bench/README.md): BENCH_SIZES=10k,100k,1m BENCH_ENGINES=sqlite,postgres
bench: install-dev
	$(BIN)/python bench/bench_suite.py --sizes $${BENCH_SIZES:-10k} --engines $${BENCH_ENGINES:-sqlite,postgres}
	$(BIN)/python bench/report.py
