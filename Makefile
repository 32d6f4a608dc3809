# Two commands do everything on a fresh machine with python3 and make:
#   make run   - virtualenv, install, initialise the ledger, load the demo, serve on :5000
#   make test  - virtualenv with test tools, lint, type-check, the whole suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CATALOGS := $(wildcard web/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)
PYTEST_ARGS ?=

export FLASK_APP := web

.PHONY: run test lint install install-test system-tools translations extract-messages bench screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[postgres]'
	touch $@

$(VENV)/.installed-test: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,postgres]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed translations
install-test: $(VENV)/.installed-test translations

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@ --statistics

translations: $(COMPILED)

# Locally, label QR codes point at this server.
run: export LABEL_BASE_URL ?= http://127.0.0.1:5000
run: install
	HYT_ENV=$${HYT_ENV:-development} $(BIN)/flask ledger init
	HYT_ENV=$${HYT_ENV:-development} $(BIN)/flask demo seed --if-empty
	HYT_ENV=$${HYT_ENV:-development} $(BIN)/gunicorn --workers 2 --bind 127.0.0.1:5000 \
		--access-logfile - wsgi:app

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

system-tools:
	bash scripts/system_tools.sh

test: lint system-tools
	$(BIN)/pytest --durations=15 $(PYTEST_ARGS)

extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k Message -k _ -o web/translations/messages.pot \
		--no-location --sort-output --width 100 --project "Hung Yen Trace" .
	$(BIN)/pybabel update -i web/translations/messages.pot -d web/translations --no-fuzzy-matching --width 100

bench: install
	$(BIN)/python scripts/bench.py ledger

# The README walk-through's phone screenshots, from a freshly seeded demo (docs/screenshots/).
screenshots: install-test system-tools
	$(BIN)/python scripts/screenshots.py docs/screenshots

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(COMPILED)
