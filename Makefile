# One command per job; pre-commit hooks and .ci/run call these same targets.
#   make note   serve the notebooks (http://localhost:8080)
#   make test   run the test suite
#   make lint   ruff, formatting, strict mypy, boundary checks, marimo check, hadolint (the
#               pre-commit hooks)
#   make bench  the benchmarks (slow; results in benchmarks/results/)
#   make wheel-check  build the wheel, install it into a fresh venv, run the workflow notebooks
#   make image-check  build the note / dev / task images and check them (docs/containers.md)
#   make shell  a shell with .venv active (`stargazer ...` on PATH)
# Each target creates .venv on first use and re-installs only when pyproject.toml changes; pip's
# output goes to .venv/install.log (shown when it fails).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stargazer-installed
PORT ?= 8080
HOST ?= 127.0.0.1
PYTEST_ARGS ?=

.PHONY: note test lint bench install clean wheel-check image-check shell test-deps

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Stargazer needs Python 3.11 or newer: set PYTHON=python3.11 (or newer)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing Stargazer and its tools into $(VENV) (a few minutes the first time; log: $(VENV)/install.log)"
	@{ $(BIN)/python -m pip install --upgrade pip && $(BIN)/python -m pip install -e '.[dev]'; } \
		>$(VENV)/install.log 2>&1 || { tail -n 40 $(VENV)/install.log; echo "pip install failed: the full log is $(VENV)/install.log"; exit 1; }
	@# compile scanpy/UMAP's numba code now, so the first scRNA run does not (one line, ~1 min)
	@$(BIN)/python -m stargazer.tasks.scrna.warm_up || echo "scRNA warm-up failed: the first scRNA run compiles instead"
	@touch $@

install: $(STAMP)

note: $(STAMP)
	@$(BIN)/stargazer note --host $(HOST) --port $(PORT)

test: $(STAMP) test-deps
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# System programs the tests use: Chromium (tests/e2e) and Debian's bwa (germline comparison).
test-deps:
	@scripts/system_deps.sh chromium=/usr/bin/chromium bwa=bwa

shell: $(STAMP)
	@echo "Stargazer environment ($(VENV)) active: \`stargazer --help\`; \`exit\` to leave."
	@VIRTUAL_ENV="$(CURDIR)/$(VENV)" PATH="$(CURDIR)/$(BIN):$$PATH" $${SHELL:-/bin/bash} -i

lint: $(STAMP)
	$(BIN)/pre-commit run --all-files --show-diff-on-failure

bench: $(STAMP)
	@for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# The Dockerfile's install steps (scripts/package.sh build + install), plus the notebooks.
wheel-check:
	PYTHON=$(PYTHON) scripts/package.sh check

# Docker when a daemon answers, else podman (installed with apt-get when missing).
image-check: $(STAMP)
	scripts/image_check.sh all

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist src/*.egg-info
