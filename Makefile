# Postbank: `make run` serves the demo, `make test` runs every check and test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postbank
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
APPS := enrollment accounts transfers certcenter fx

.PHONY: run test lint fmt migrate messages worker beat bench chromium clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

# The demo: embedded SQLite, tasks run in-process, demo logins printed.
run: $(STAMP)
	mkdir -p var
	DEBUG=1 $(BIN)/python manage.py migrate --no-input
	DEBUG=1 $(BIN)/python manage.py seed_demo
	DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:8000

# Playwright cannot download its browser here: tests drive Debian's Chromium.
chromium:
	@test -x $(CHROMIUM) || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

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

test: $(STAMP) chromium
	$(BIN)/ruff check .
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=0 SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	  PERSONAL_DATA_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(32))')" \
	  ALLOWED_HOSTS=bank.example DATABASE_URL=$(TEST_DATABASE_URL) \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING
	DEBUG=1 DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	  CHROMIUM=$(CHROMIUM) $(BIN)/pytest $(PYTEST_ARGS)

worker: $(STAMP)
	$(BIN)/celery -A postbank worker --loglevel=INFO

beat: $(STAMP)
	$(BIN)/celery -A postbank beat --loglevel=INFO

bench: $(STAMP)
	DEBUG=1 DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	  $(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var staticfiles
