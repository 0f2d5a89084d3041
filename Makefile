# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1

.PHONY: run test check bench browser clean help

help:  ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)  ## set up, then start the service on 127.0.0.1:8000
	$(BIN)/matcher serve

browser:  ## headless Chromium for the browser tests (Debian's package)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: 'sudo apt-get install chromium' (browser tests will be skipped)"; fi; }

test: $(STAMP) browser  ## set up, then run the whole suite (models, API, browser, notebook)
	$(BIN)/python -m pytest

check: $(STAMP)  ## static checks: formatting, lint, types (mypy strict on matcher and service)
	$(BIN)/ruff format --check matcher service tests bench
	$(BIN)/ruff check matcher service tests bench
	$(BIN)/mypy

bench: $(STAMP)  ## speed and memory benchmarks (writes bench/results/)
	$(BIN)/python -m bench

clean:  ## remove the venv and caches (keeps var/ with the database)
	rm -rf $(VENV) .pytest_cache var/cache
