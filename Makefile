# One entry point for developers. `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
ASSETS := carerecord/web/static/nhsuk/.copied
DEMO_DB ?= sqlite:///carerecord-demo.db

.PHONY: demo serve test lint fix bench clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(ASSETS): $(INSTALLED) node_modules/.package-lock.json
	$(BIN)/python -m carerecord.web.assets
	touch $@

## demo: seed a synthetic demo database (first run only) and serve it on 127.0.0.1:8000
demo: $(INSTALLED) $(ASSETS)
	$(BIN)/carerecord demo --db $(DEMO_DB)

## serve: serve the database named by CARERECORD_DB (default sqlite:///carerecord.db)
serve: $(INSTALLED) $(ASSETS)
	$(BIN)/carerecord serve

COVERAGE_FLOOR ?= 95
# One worker more than the cores: the suite waits on browsers, servers and PostgreSQL often
# enough that a third worker on two cores finishes sooner (8 min 42 s on 2, 7 min 6 s on 3).
TEST_WORKERS ?= $(shell $(PYTHON) -c "import os; print(len(os.sched_getaffinity(0)) + 1)")

# Bytecode is cached even where the environment says not to: without it every worker, and every
# server and process the tests start, compiles the package and rewrites each test file again.
## test: lint, type-check and run the whole suite (SQLite, PostgreSQL, browser), on every core,
## failing below the coverage floor
test: lint $(ASSETS)
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --cov --cov-report=term --cov-fail-under=$(COVERAGE_FLOOR)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

fix: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench: every benchmark (ingest, push, MLLP, record view, audit) on SQLite and PostgreSQL, then
## one table of every figure and one JSON line per figure; BENCH_ARGS=--quick for a smoke run
bench: $(INSTALLED)
	$(BIN)/python bench/all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules carerecord/web/static/nhsuk test-artifacts
