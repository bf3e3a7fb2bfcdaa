# Postbank: `make run` serves the demo, `make test` runs every check and test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements-dev.lock
CHROMIUM ?= /usr/bin/chromium
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
TEST_CELERY_BROKER_URL ?= redis://127.0.0.1:6379/1
PYTEST_WORKERS ?= 2
APPS := enrollment accounts transfers certcenter fx
# The private PostgreSQL server (postbank/localdb.py) unless DATABASE_URL / TEST_DATABASE_URL
# names another one.
LOCALDB := $(BIN)/python -m postbank.localdb --
ifdef TEST_DATABASE_URL
TEST_DB := env DATABASE_URL=$(TEST_DATABASE_URL)
else
TEST_DB := env -u DATABASE_URL $(LOCALDB)
endif

.PHONY: run test smoke lint fmt lock audit messages worker beat bench chromium redis clean

# Every install comes from the lock, checked against its hashes.
$(STAMP): $(LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Re-resolve the locks after a change of pyproject.toml (uv is only needed here).
lock:
	$(PYTHON) -m pip install --quiet uv
	printf 'setuptools>=69\n' | $(PYTHON) -m uv pip compile pyproject.toml - --quiet \
	  --generate-hashes --python-version 3.11 --custom-compile-command "make lock" -o requirements.lock
	printf 'setuptools>=69\n' | $(PYTHON) -m uv pip compile pyproject.toml - --quiet --extra dev \
	  --generate-hashes --python-version 3.11 --custom-compile-command "make lock" -o $(LOCK)

# The demo on the private PostgreSQL server (data in var/postgres), tasks in-process.
run: $(STAMP)
	DEBUG=1 $(LOCALDB) sh -c '$(BIN)/python manage.py migrate --no-input && \
	  $(BIN)/python manage.py seed_demo && exec $(BIN)/python manage.py runserver 127.0.0.1:8000'

# Playwright cannot download its browser here: tests drive Debian's Chromium.
chromium:
	@test -x $(CHROMIUM) || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# Redis for the tests: Debian's package when missing, a private server when none answers.
redis:
	@command -v redis-server >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; }
	@redis-cli -u $(TEST_REDIS_URL) ping >/dev/null 2>&1 || { mkdir -p var/redis && \
	  redis-server --daemonize yes --bind 127.0.0.1 --save "" --appendonly no --dir var/redis \
	    --port $$(echo $(TEST_REDIS_URL) | sed -E 's#^.*:([0-9]+)(/.*)?$$#\1#') \
	    --logfile redis.log && for try in 1 2 3 4 5 6 7 8 9 10; do \
	      redis-cli -u $(TEST_REDIS_URL) ping 2>/dev/null && break; sleep 0.2; done; }

lint: $(STAMP)
	$(BIN)/ruff check .

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: $(STAMP)
	for app in $(APPS); do mkdir -p $$app/locale; \
	  (cd $$app && DEBUG=1 ../$(BIN)/python ../manage.py makemessages -l ko --no-obsolete); done
	DEBUG=1 $(BIN)/python manage.py makemessages -l ko --no-obsolete $(foreach app,$(APPS) .venv bench tests,-i '$(app)/*')
	DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv

# Known vulnerabilities in the locked packages. Not part of `make test`: it needs PyPI's
# per-release JSON API (or OSV), which the build machines cannot reach.
audit: $(STAMP)
	$(BIN)/pip-audit --progress-spinner off --require-hashes --disable-pip -r $(LOCK)

test: $(STAMP) chromium redis
	$(BIN)/ruff check .
	$(BIN)/deptry .
	DEBUG=1 $(TEST_DB) $(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=0 SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	  PERSONAL_DATA_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(32))')" \
	  ALLOWED_HOSTS=bank.example DATABASE_URL=postgres://bank.example/postbank \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING
	DEBUG=1 REDIS_URL=$(TEST_REDIS_URL) CELERY_BROKER_URL=$(TEST_CELERY_BROKER_URL) \
	  CHROMIUM=$(CHROMIUM) $(TEST_DB) $(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The compose services' own commands on this machine: deploy/smoke.py.
smoke: $(STAMP) redis
	REDIS_URL=$(TEST_REDIS_URL) $(TEST_DB) $(BIN)/python -m deploy.smoke

worker: $(STAMP)
	$(LOCALDB) $(BIN)/celery -A postbank worker --loglevel=INFO

beat: $(STAMP)
	$(LOCALDB) $(BIN)/celery -A postbank beat --loglevel=INFO

bench: $(STAMP)
	DEBUG=1 REDIS_URL=$(TEST_REDIS_URL) $(TEST_DB) $(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var staticfiles
