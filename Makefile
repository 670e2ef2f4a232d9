# Rusty Coin: `make run` starts the devnet node with the web apps; `make test` runs every check.
# Both install what they need into .venv and node_modules first, and skip what is up to date.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP_RUN := $(VENV)/.stamp-run
STAMP_DEV := $(VENV)/.stamp-dev
STAMP_NPM := node_modules/.stamp
ASSETS := static/dist/app.js
FRONTEND_SRC := $(wildcard frontend/src/*.js frontend/src/*.css)
HOST ?= 127.0.0.1
PORT ?= 8000
# Python packages that node/ must not need; tests/node run once with them unimportable.
NODE_BLOCKERS := tests/_blockers

.PHONY: run test install install-dev assets lint typecheck imports test-node test-functional test-web test-all browser-deps bench clean

run: install assets
	$(PY) manage.py migrate --noinput
	$(PY) manage.py run --host $(HOST) --port $(PORT)

install: $(STAMP_RUN)
install-dev: $(STAMP_DEV)
assets: $(ASSETS)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(STAMP_RUN): requirements.txt pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -r requirements.txt
	$(PIP) install -q --no-deps -e .   # console scripts (rustycoin-cli) pointing at this checkout
	touch $@

$(STAMP_DEV): requirements-dev.txt $(STAMP_RUN)
	$(PIP) install -q -r requirements-dev.txt
	touch $@

$(STAMP_NPM): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(ASSETS): $(STAMP_NPM) $(FRONTEND_SRC)
	npm run --silent build

# Debian's chromium for the Playwright browser tests (never a downloaded browser build).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: $(STAMP_DEV)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP_DEV)
	$(VENV)/bin/mypy

imports: $(STAMP_DEV)
	$(VENV)/bin/lint-imports

# node/ must work with Django and the web stack not importable.
test-node: $(STAMP_DEV)
	PYTHONPATH=$(NODE_BLOCKERS) $(VENV)/bin/pytest tests/node -p no:django -p no:cacheprovider -n 2 -q

# Multi-node tests: real `python -m node` processes on loopback (tests/functional/framework.py).
test-functional: $(STAMP_DEV)
	PYTHONPATH=$(NODE_BLOCKERS) $(VENV)/bin/pytest tests/functional -p no:django -p no:cacheprovider -n 2 -q

test-web: $(STAMP_DEV) assets browser-deps
	$(VENV)/bin/pytest tests --ignore=tests/node --ignore=tests/functional -n 2 -q

test: lint typecheck imports test-node test-functional test-web

bench: $(STAMP_DEV)
	$(PY) -m bench primitives

clean:
	rm -rf $(VENV) node_modules static/dist staticfiles .mypy_cache .ruff_cache .pytest_cache
