# Bangfu — the two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE ?= bangfu.settings.base

.PHONY: help install install-spark install-bench demo serve test lint typecheck archcheck pytest bench lock messages clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

install: $(STAMP)  ## create .venv and install the locked dependencies and Bangfu itself

$(STAMP): requirements/dev.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  echo "Could not create a virtual environment. On Debian: apt-get install python3-venv"; exit 1; }
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

install-spark: $(VENV)/.installed-spark  ## also install PySpark (the engine's `--engine spark`; Java 17+ needed)

$(VENV)/.installed-spark: requirements/spark.lock $(STAMP)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/spark.lock
	@touch $@

install-bench: $(VENV)/.installed-bench  ## also install the peer libraries the benchmarks measure

$(VENV)/.installed-bench: requirements/bench.lock $(STAMP)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/bench.lock
	@touch $@

demo: install  ## build the demo database under var/ and serve it on http://127.0.0.1:8000
	$(BIN)/bangfu demo

serve: install  ## serve the existing database
	$(BIN)/bangfu serve

test: lint archcheck typecheck pytest  ## everything CI checks (ruff, import contracts, mypy, pytest)

lint: install
	$(BIN)/ruff check src tests bench

archcheck: install
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

pytest: install
	DJANGO_SETTINGS_MODULE=bangfu.settings.test $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install-bench  ## benchmarks with their peers (see bench/README.md)
	$(BIN)/python bench/run.py

lock: install  ## re-pin every dependency (needs the network to PyPI)
	$(BIN)/python -m pip install --quiet "uv==0.13.9"
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --universal --python-version 3.11 -o requirements/dev.lock
	$(BIN)/uv pip compile pyproject.toml --extra postgres --generate-hashes --universal --python-version 3.11 -o requirements/prod.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra spark -c requirements/dev.lock --generate-hashes --universal --python-version 3.11 -o requirements/spark.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra bench -c requirements/dev.lock --generate-hashes --universal --python-version 3.11 -o requirements/bench.lock

messages: install  ## extract strings into the zh-Hans catalogue and compile it
	cd src/bangfu && ../../$(BIN)/bangfu makemessages -l zh_Hans --no-obsolete --no-location
	$(BIN)/python tools/compile_messages.py

clean:  ## remove the virtual environment and local data
	rm -rf $(VENV) var test-artifacts .mypy_cache .ruff_cache .pytest_cache
