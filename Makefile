# Waypoint: `make run` to try it, `make test` to check it. Both set up everything first.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

# The first Python >= 3.12 found: the .python-version interpreter (pyenv), then PATH.
PYTHON ?= $(shell for p in \
	"$$(pyenv which python 2>/dev/null)" \
	$(HOME)/.pyenv/versions/$$(cat .python-version 2>/dev/null)*/bin/python3 \
	python3.13 python3.12 python3; do \
	  [ -n "$$p" ] && command -v "$$p" >/dev/null 2>&1 \
	  && "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	  && { command -v "$$p"; break; }; \
	done)

# Local development runs with DEBUG on; production sets DJANGO_DEBUG=0 and a secret key.
export DJANGO_DEBUG ?= 1

CHROMIUM ?= $(shell command -v chromium 2>/dev/null || echo /usr/bin/chromium)
REDIS_UP := (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null

.PHONY: run serve test install setup lint format screenshots bench lighthouse clean

run: setup ## Set up, load the guide and demo accounts; web, worker and scheduler on http://127.0.0.1:8000
	WAYPOINT_HOST=$(HOST) WAYPOINT_PORT=$(PORT) $(BIN)/honcho start

# Production: DEBUG off, so DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS must be set (docs/deploy.md).
serve: export DJANGO_DEBUG = 0
serve: install ## Collect static files, migrate, load the guide once; gunicorn, worker and scheduler
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_guide
	$(BIN)/honcho --procfile Procfile.serve start

test: install ## Set up and run the whole suite (browser tests need Chromium)
	@if [ -x "$(CHROMIUM)" ]; then echo "Browser tests run in $(CHROMIUM)."; \
	else echo "NOTE: Chromium not found: the browser tests (tests/e2e) will be SKIPPED. Install it with: apt-get install chromium"; fi
	@$(REDIS_UP) || echo "NOTE: Redis is not running on 127.0.0.1:6379: the tests that need it will be SKIPPED. Start it with: redis-server --daemonize yes"
	WAYPOINT_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -rs
	@[ -x "$(CHROMIUM)" ] || echo "NOTE: browser tests were SKIPPED: Chromium not found."
	@$(REDIS_UP) || echo "NOTE: the Redis tests were SKIPPED: Redis not running."

install: $(STAMP)

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "No Python >= 3.12 found. Install Python 3.13 (see .python-version)." >&2; exit 1; fi
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: install ## Migrate, load the guide, create the demo accounts (safe to repeat)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_guide
	$(BIN)/python manage.py seed_demo

lint: install ## Lint, format check and migration check, as CI runs them
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run

screenshots: setup ## Save screenshots of the main pages to docs/screenshots/
	WAYPOINT_CHROMIUM=$(CHROMIUM) $(BIN)/python manage.py screenshots

bench: install ## Load benchmark, the weekly digest for 10,000 students, on SQLite and PostgreSQL; two app servers behind haproxy (about 30 minutes; needs wrk, haproxy)
	@command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
	$(BIN)/python bench/load.py
	$(BIN)/python -m bench.weekly_digest
	$(BIN)/python -m bench.cohort_scale
	$(BIN)/python -m bench.scale_out

LIGHTHOUSE := bench/lighthouse/node_modules/.bin/lighthouse

lighthouse: install $(LIGHTHOUSE) ## Lighthouse (mobile) on the checklist and dashboard, production server
	CHROME_PATH=$(CHROMIUM) $(BIN)/python -m bench.lighthouse $(LIGHTHOUSE_ARGS)

# The only step that needs the network: Lighthouse from the npm registry, at the locked version.
$(LIGHTHOUSE): bench/lighthouse/package.json bench/lighthouse/package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: apt-get install npm (Node 18.16 or later)" >&2; exit 1; }
	cd bench/lighthouse && npm ci --no-audit --no-fund
	touch $@

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles
