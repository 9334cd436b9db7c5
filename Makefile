# Uncounted — the two commands of the README, and their helpers.
#   make demo   set up .venv and run the demo on the embedded SQLite store
#   make test   set up .venv and run lint, type checks and the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench docs clean install messages

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -e '.[dev]'
	@touch $(STAMP)

# Builds the demo store and summarises it; in a terminal it then serves it in the browser
# (Ctrl+C to stop). Non-interactive runs (CI, pipes) stop after the summary.
demo: $(STAMP)
	$(BIN)/uncounted demo
	@if [ -t 1 ] && [ -z "$$CI" ]; then $(BIN)/uncounted serve --demo; \
	else echo "Browse the demo: .venv/bin/uncounted serve --demo"; fi

lint: $(STAMP)
	$(BIN)/ruff check
	$(BIN)/ruff format --check

typecheck: $(STAMP)
	$(BIN)/mypy

# axe-core (npm, pinned by tests/e2e/package-lock.json) for the browser accessibility checks
AXE := tests/e2e/node_modules/axe-core/axe.min.js

$(AXE): tests/e2e/package-lock.json
	npm ci --prefix tests/e2e --no-audit --no-fund --silent
	@touch $(AXE)

pytest: $(STAMP) $(AXE)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python -m pytest benchmarks -q -p no:randomly $(PYTEST_ARGS)

docs: $(STAMP)
	$(BIN)/python -m uncounted.cli.docs > docs/cli.md

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# The web app's catalogues: re-extract the marked text of templates and Python into
# messages.pot, then update every language's messages.po (new strings empty: English shows).
# Run after adding or changing page text; translators then fill the empty msgstr lines.
LOCALE := src/uncounted/web/locale
messages: $(STAMP)
	PYTHONPATH=src $(BIN)/pybabel extract -F babel.cfg -k N_ -k _from_rule:3 -k _id:2 --no-location --sort-output \
	  --project=Uncounted --msgid-bugs-address=translators@uncounted.invalid \
	  -o $(LOCALE)/messages.pot .
	@for po in $(LOCALE)/*/LC_MESSAGES/messages.po; do \
	  lang=$$(basename $$(dirname $$(dirname $$po))); \
	  $(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i $(LOCALE)/messages.pot -d $(LOCALE) -l $$lang; \
	done
