# Læremiddelkatalogen: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PIP    := $(BIN)/pip install --quiet --disable-pip-version-check

.PHONY: run serve test install clean chromium pango

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

## The whole test suite, on SQLite and PostgreSQL (TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test),
## with the browser tests in Debian's Chromium and the PDF letters in WeasyPrint on Debian's Pango (both installed
## here when missing), in TEST_WORKERS (4) processes that steal work from each other (the browser tests are long).
test: $(STAMP) chromium pango
	$(BIN)/python -m pytest -n $${TEST_WORKERS:-4} --dist worksteal --durations=30

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core; }

# WeasyPrint (the letters to parents as PDF) draws text with Pango; DejaVu is the letters' font.
pango:
	@{ ldconfig -p | grep -q 'libpangoft2-1.0.so.0' && fc-list 2>/dev/null | grep -qi 'DejaVuSans'; } || { \
	  echo "Installing Debian's Pango and DejaVu fonts for the PDF letters"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 \
	    fontconfig fonts-dejavu-core; }

clean:
	rm -rf $(VENV) var .pytest_cache
