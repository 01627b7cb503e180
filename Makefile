# gisgrid: `make demo` and `make test` set up everything they need on a fresh machine.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: setup system venv assets demo demo-data test lint lock db-up db-down clean

setup: system venv assets

system:
	@scripts/ensure_system.sh

# The venv is installed from requirements.lock (exact versions, resolved by `make lock`),
# so a fresh clone gets what the tests last passed with; `pip check` fails when
# pyproject.toml asks for something the lock lacks (then run `make lock`).
venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml requirements.lock
	@test -x $(PY) || python3 -m venv $(VENV)
	@echo "python: installing gisgrid and its locked dependencies into $(VENV)"
	@$(PY) -m pip install -q -r requirements.lock
	@$(PY) -m pip install -q --no-deps -e .
	@$(PY) -m pip check >/dev/null || { $(PY) -m pip check; \
	  echo "requirements.lock does not satisfy pyproject.toml: run 'make lock'" >&2; exit 1; }
	@touch $@

# Resolve the newest versions pyproject.toml allows (all extras used by make), in a
# throwaway venv, and pin them in requirements.lock.
lock:
	@rm -rf .lock-venv && python3 -m venv .lock-venv
	@.lock-venv/bin/python -m pip install -q --upgrade pip setuptools
	@.lock-venv/bin/python -m pip install -q '.[dev,osm]'
	@{ echo "# Exact versions make installs (make lock writes this file; do not edit by hand)."; \
	  .lock-venv/bin/python -m pip freeze --exclude gisgrid; } > requirements.lock
	@rm -rf .lock-venv build
	@echo "requirements.lock: $$(grep -vc '^#' requirements.lock) packages pinned"

assets: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	@echo "map assets: npm ci (Leaflet and friends, served by gisgrid itself)"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

demo: setup
	@$(VENV)/bin/gisgrid db up
	@$(VENV)/bin/gisgrid demo
	@$(VENV)/bin/gisgrid users demo
	@$(VENV)/bin/gisgrid serve --host $(HOST) --port $(PORT)

# Regenerate data/demo/yuyang.gpkg (needs cnmaps, which only the generator uses).
demo-data: venv
	@$(PY) -m pip install -q -e '.[generate]'
	@$(PY) data/generate_demo.py

test: setup
	@$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	@$(VENV)/bin/ruff check gisgrid api maps tests data bench

db-up: venv
	@$(VENV)/bin/gisgrid db up

db-down: venv
	@$(VENV)/bin/gisgrid db down

clean:
	-@$(VENV)/bin/gisgrid db down 2>/dev/null
	rm -rf $(VENV) node_modules .gisgrid .lock-venv
