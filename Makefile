# The README's two commands: `make demo` and `make test`. Nothing else is needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DB := .demo/pubdb.sqlite
PUBDB := $(BIN)/pubdb --db $(DEMO_DB)

.PHONY: demo test venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

venv: $(BIN)/python

demo: venv
	$(BIN)/python -m pip install --quiet -e .
	rm -rf .demo && mkdir -p .demo
	$(PUBDB) init

test: venv
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest
