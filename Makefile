# One command per job; pre-commit hooks and .ci/run call these same targets.
#   make note   serve the notebooks (http://localhost:8080)
#   make test   run the test suite
#   make lint   ruff, formatting, boundary checks, marimo check, hadolint (the pre-commit hooks)
#   make bench  the benchmarks (slow; results in benchmarks/results/)
#   make wheel-check  build the wheel, install it into a fresh venv, run the workflow notebooks
# Each target creates .venv on first use and re-installs only when pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stargazer-installed
PORT ?= 8080
HOST ?= 127.0.0.1
PYTEST_ARGS ?=

.PHONY: note test lint bench install clean wheel-check

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Stargazer needs Python 3.11 or newer: set PYTHON=python3.11 (or newer)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# compile scanpy/UMAP's numba code now, so the first scRNA run does not (one line, ~1 min)
	@$(BIN)/python -m stargazer.tasks.scrna.warm_up || echo "scRNA warm-up failed: the first scRNA run compiles instead"
	@touch $@

install: $(STAMP)

note: $(STAMP)
	$(BIN)/stargazer note --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/pre-commit run --all-files --show-diff-on-failure

bench: $(STAMP)
	@for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# The Dockerfile's install steps (scripts/package.sh build + install), plus the notebooks.
wheel-check:
	PYTHON=$(PYTHON) scripts/package.sh check

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist src/*.egg-info
