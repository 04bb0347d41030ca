# participate — make demo · make test · make bench
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=

.PHONY: install demo test test-sqlite test-postgres lint lint-then-sqlite bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

# make demo PORT=8080 HOST=0.0.0.0: serve on another port or address (default 127.0.0.1:5000).
demo: install
	$(VENV)/bin/participate demo $(if $(PORT),--port $(PORT)) $(if $(HOST),--host $(HOST))

lint: install
	$(VENV)/bin/ruff format --check participate tests bench
	$(VENV)/bin/ruff check participate tests bench
	$(VENV)/bin/mypy participate/core
	$(VENV)/bin/bandit -c pyproject.toml -r participate -q --severity-level medium

# The parts of the browser tests each run does (tests/browser/conftest.py), and the folders the
# PostgreSQL run leaves out: all parts and no folder, unless make test shares them.
SQLITE_BROWSER ?= desktop phone pages
POSTGRES_BROWSER ?= desktop phone pages
POSTGRES_LEAVES ?=

test-sqlite: install
	mkdir -p .pytest-tmp && PARTICIPATE_TEST_BROWSER="$(SQLITE_BROWSER)" $(PY) -m pytest -q --basetemp=.pytest-tmp/sqlite $(PYTEST_ARGS)

# Whether TEST_DATABASE_URL's server answers (empty when it does not).
postgres_up = $(shell $(PY) -c "import sys, psycopg; psycopg.connect(sys.argv[1].replace('+psycopg', ''), connect_timeout=3).close()" "$(TEST_DATABASE_URL)" 2>/dev/null && echo yes)

# PostgreSQL run: required in CI (CI=true); skipped with a warning elsewhere when unreachable.
test-postgres: install
	@if [ -n "$(postgres_up)" ]; then \
		echo "== PostgreSQL: $(TEST_DATABASE_URL)"; \
		mkdir -p .pytest-tmp && TEST_DATABASE_URL="$(TEST_DATABASE_URL)" PARTICIPATE_TEST_BROWSER="$(POSTGRES_BROWSER)" $(PY) -m pytest -q --basetemp=.pytest-tmp/postgres $(addprefix --ignore=,$(POSTGRES_LEAVES)) $(PYTEST_ARGS); \
	elif [ -n "$$CI" ]; then \
		echo "PostgreSQL is not reachable at $(TEST_DATABASE_URL), and CI requires the PostgreSQL run." >&2; exit 1; \
	else \
		echo "WARNING: PostgreSQL not reachable at $(TEST_DATABASE_URL); skipped the PostgreSQL run." >&2; \
	fi

# The two database runs go side by side (one per core); -O keeps each run's output together.
# The PostgreSQL run is the longer one, so it starts at once and lint goes before the SQLite run.
# With PostgreSQL reachable the runs share what does not depend on the database, each part once:
# the SQLite run drives every journey at desktop width and makes the browser's page checks, the
# PostgreSQL run drives every journey at phone width, and the pure rules (tests/core, which
# touch no database: test_core_is_pure.py) run in the SQLite run only. Without it, SQLite does all.
test: install
	$(MAKE) --no-print-directory -j2 -O lint-then-sqlite test-postgres \
		$(if $(postgres_up),SQLITE_BROWSER="desktop pages" POSTGRES_BROWSER=phone POSTGRES_LEAVES=tests/core)

lint-then-sqlite: lint
	$(MAKE) --no-print-directory test-sqlite

bench: install
	@command -v wrk >/dev/null || (apt-get update -q && apt-get install -y -q wrk) || echo "wrk missing: HTTP workloads fall back to the Python load generator" >&2
	$(PY) bench/run.py $(if $(QUICK),--quick)

clean:
	rm -rf instance bench/out .pytest_cache
