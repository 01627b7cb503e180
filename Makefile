# gisgrid: `make demo` and `make test` set up everything they need on a fresh machine.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: setup system venv assets demo demo-data test lint db-up db-down clean

setup: system venv assets

system:
	@scripts/ensure_system.sh

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@echo "python: installing gisgrid and its dependencies into $(VENV)"
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e '.[dev]'
	@touch $@

assets: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	@echo "map assets: npm ci (Leaflet and friends, served by gisgrid itself)"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

demo: setup
	@$(VENV)/bin/gisgrid db up
	@$(VENV)/bin/gisgrid demo
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
	rm -rf $(VENV) node_modules .gisgrid
