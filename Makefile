# The two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

SERVE_APP_PORT ?= 8001

.PHONY: run serve test test-unit test-e2e lint format migrations-check mongo-migrations ci bench screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# A local .env with a fresh random SECRET_KEY, served over plain HTTP on loopback.
.env:
	@echo "Writing .env for local use (edit it to change settings)"
	@printf 'DEBUG=False\nSECRET_KEY=%s\nALLOWED_HOSTS=127.0.0.1,localhost\nSECURE_SSL_REDIRECT=False\nSESSION_COOKIE_SECURE=False\nCSRF_COOKIE_SECURE=False\nSECURE_HSTS_SECONDS=0\n' \
		"$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env

run: $(STAMP) .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py seed_demo --allow-demo-passwords
	@echo "Serving on http://127.0.0.1:$(PORT)  (student1/student123, admin1/admin123)"
	@echo "The site and its task worker run together (Procfile); Ctrl-C stops both."
	$(BIN)/honcho start -f Procfile -p $(PORT)

# The production topology on this machine, in the foreground (issue 15): nginx on
# PORT in front of gunicorn on SERVE_APP_PORT, and the task worker. Ctrl-C stops all.
serve: $(STAMP) .env
	@command -v nginx >/dev/null 2>&1 || apt-get install -y nginx >/dev/null 2>&1 || \
		(echo "nginx is needed: apt-get install -y nginx" && false)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py seed_demo --allow-demo-passwords
	$(BIN)/python deploy/render_nginx.py --listen 127.0.0.1:$(PORT) \
		--upstream 127.0.0.1:$(SERVE_APP_PORT) --run-dir run/nginx
	@echo "Serving on http://127.0.0.1:$(PORT) through nginx; Ctrl-C stops nginx, gunicorn and the worker."
	SERVE_APP_PORT=$(SERVE_APP_PORT) $(BIN)/honcho start -f Procfile.serve

test: $(STAMP)
	$(BIN)/pytest -q -m "not e2e"
	@$(MAKE) --no-print-directory test-e2e

# axe-core (accessibility checks) comes from npm, pinned in package-lock.json.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# Chromium and npm: installed by .ci/test-tools on Debian as root, else it says
# exactly what to install and the browser tests are NOT run (CI fails instead).
test-e2e: $(STAMP)
	@if .ci/test-tools; then \
		$(MAKE) --no-print-directory $(NODE_STAMP) && \
		$(BIN)/pytest -q -m e2e; \
	else \
		echo "*** Browser tests NOT run: install the above, then make test-e2e."; \
	fi

# PNGs of every student and console page at 1280 and 375 px, into docs/screenshots/.
screenshots: $(STAMP) $(NODE_STAMP)
	$(BIN)/pytest -q tests/e2e/screenshots.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The site under load against a /ping baseline in the same run, then the
# scenarios against gunicorn alone and through nginx (issue 15); writes
# docs/benchmarks.md. DATABASE_URL=postgres://... benches PostgreSQL instead,
# BENCH_REDIS_URL=redis://... a Redis cache; BENCH_SKIP=... leaves parts out.
bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk)
	@command -v nginx >/dev/null 2>&1 || apt-get install -y -qq nginx >/dev/null 2>&1 || \
		(echo "nginx is needed for the front-server scenarios: apt-get install -y nginx" && false)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/analytics.py  # the analytics page, in-process (issue 19)

migrations-check: $(STAMP)
	DEBUG=True $(BIN)/python manage.py makemigrations --check --dry-run

# ---- MongoDB (issue 18) ----
# Adds to the MongoDB migration tree (portal/mongo_migrations/) what the models
# changed, against a throwaway test server. The tree was made from scratch until
# MongoDB support shipped (with accounts' email_key); from then on it only grows,
# as the SQL one does, so a deployed MongoDB database migrates forward (a data
# change needs its RunPython written by hand there too).
MONGO_MIGRATIONS_PORT ?= 27117
mongo-migrations: $(STAMP)
	@dir=$$(mktemp -d /tmp/mongo-migrations.XXXXXX) && \
	MONGO_SERVER_PORT=$(MONGO_MIGRATIONS_PORT) MONGO_SERVER_DIR=$$dir .ci/mongo-server >/dev/null && \
	trap "kill \$$(cat $$dir/server.pid); sleep 3; rm -rf $$dir" EXIT && \
	export DEBUG=True DATABASE_URL="mongodb://127.0.0.1:$(MONGO_MIGRATIONS_PORT)/portal?directConnection=true&retryWrites=false" && \
	$(BIN)/python manage.py makemigrations $$($(BIN)/python manage.py shell --no-imports -c \
		"from django.conf import settings; print(*settings.MIGRATION_MODULES)")

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
