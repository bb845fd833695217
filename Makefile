# salesmetrics: `make run` serves the demo; `make test` checks everything; `make bench` measures.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
DB ?= salesmetrics.duckdb
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test bench venv system lint types contract pytest format clean docs screenshots i18n

$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed

run: venv
	@test -e $(DB) || $(BIN)/salesmetrics demo --db $(DB)
	@$(BIN)/salesmetrics serve --db $(DB) --host $(HOST) --port $(PORT)

system:
	@bash scripts/ensure-system.sh

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

types: venv
	$(BIN)/mypy

contract: venv
	$(BIN)/lint-imports

pytest: venv system
	@url=$$(bash scripts/pg-test-cluster.sh start) || exit 1; \
	trap 'bash scripts/pg-test-cluster.sh stop' EXIT; \
	SALESMETRICS_TEST_PG=$$url $(BIN)/pytest -n 2 --timeout 600 --durations=25 $(PYTEST_ARGS)

test: lint types contract pytest

bench: venv
	$(PY) bench/run.py
	$(PY) bench/scale_bench.py  # builds the 100M-line demo once into /var/tmp (long), then reuses it

format: venv
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

docs: venv
	$(PY) scripts/gen_docs.py

screenshots: venv system
	$(PY) scripts/screenshots.py

i18n: venv
	$(PY) scripts/i18n.py update
	$(PY) scripts/i18n.py check
