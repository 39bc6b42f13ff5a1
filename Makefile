# Læremiddelkatalogen: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PIP    := $(BIN)/pip install --quiet --disable-pip-version-check

.PHONY: run serve test test-fast install clean bench

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.lock
	$(PIP) --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

## Serve the service with demo data on http://127.0.0.1:8000 (HOST/PORT override; DATABASE_URL picks PostgreSQL).
run: $(STAMP)
	DEMO_MODE=$${DEMO_MODE:-true} $(BIN)/catalogue serve

## Serve without demo data (production-like).
serve: $(STAMP)
	$(BIN)/catalogue serve

## The whole test suite, on SQLite and PostgreSQL (TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test).
test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) var .pytest_cache
