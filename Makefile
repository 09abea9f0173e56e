# The two commands a newcomer needs (see README.md):
#   make demo   set up, build a demo municipality, run its nightly batch, serve http://127.0.0.1:8000
#   make test   set up (including test tools) and run the whole test suite
PY := .venv/bin/python
DEMO_RESIDENTS ?= 5000
# The suite runs in parallel, one pytest-xdist worker per core (at most 8): each worker has its own
# test database, Redis database and folders (nhi_portal/settings/test.py). The tests that restart
# PostgreSQL and Redis (marker `serial`: tests/faults) run alone after it. The letter tests go to
# one worker together (--dist loadgroup, see tests/conftest.py). TEST_WORKERS=0 runs everything in
# one process.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); echo $$(( n > 8 ? 8 : n )))

.PHONY: demo test setup setup-test lint bench

setup:
	@bash scripts/setup.sh

setup-test:
	@bash scripts/setup.sh --test

demo: setup
	@$(PY) manage.py migrate --noinput -v0
	@$(PY) manage.py collectstatic --noinput -v0
	@$(PY) manage.py demo_setup --residents $(DEMO_RESIDENTS)
	@$(PY) manage.py runserver 127.0.0.1:8000

lint:
	@$(PY) -m ruff check .
	@$(PY) -m ruff format --check .
	@$(PY) manage.py check
	@# The migration history is checked against the database DATABASE_URL names (created and
	@# migrated here); a connection error fails instead of being skipped with a warning.
	@$(PY) scripts/ensure_database.py
	@$(PY) manage.py migrate --noinput -v0
	@$(PY) -W error::RuntimeWarning manage.py makemigrations --check --dry-run -v0
	@# Layering: the apps depend one way, the pure modules import no Django (pyproject.toml).
	@.venv/bin/lint-imports --no-cache

# pytest's status 5 (no test selected) is no failure: PYTEST_ARGS may select tests of one part only.
test: setup-test lint
	@$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --serial-tests=exclude $(PYTEST_ARGS) || [ $$? -eq 5 ]
	@$(PY) -m pytest --serial-tests=only $(PYTEST_ARGS) || [ $$? -eq 5 ]
