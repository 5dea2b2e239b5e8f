# Loopdesk: `make run` starts everything with demo data on SQLite; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
APPS := $(notdir $(patsubst %/,%,$(dir $(wildcard loopdesk/*/apps.py))))

.PHONY: run test test-browser lint messages bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/loopdesk run

test: $(STAMP)
	$(BIN)/loopdesk makemigrations --check --dry-run
	$(BIN)/pytest -n 2 --dist loadfile

test-browser: $(STAMP)
	$(BIN)/pytest -m browser -p no:xdist

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

messages: $(STAMP)
	for app in loopdesk/*/; do \
	  if [ -d $$app/locale ]; then (cd $$app && ../../$(BIN)/loopdesk makemessages -l zh_Hans -l en --no-obsolete >/dev/null); fi; \
	done
	# The project-wide catalogue (loopdesk/locale): base templates and settings, every app's files ignored.
	$(BIN)/loopdesk makemessages -l zh_Hans -l en --no-obsolete --ignore='.venv/*' --ignore='var/*' \
	  --ignore='tests/*' --ignore='bench/*' $(foreach app,$(APPS),--ignore='loopdesk/$(app)/*') >/dev/null
	$(BIN)/loopdesk compilemessages -v0 --ignore='.venv/*'

# The benchmark needs PostgreSQL: a dedicated database (dropped and refilled unless BENCH_ARGS=--reuse).
bench: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/loopdesk_bench} $(BIN)/loopdesk bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
