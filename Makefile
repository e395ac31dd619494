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
	$(PUBDB) import bib/*.bib
	$(PUBDB) owner set "Zhengchun Liu"
	$(PUBDB) tag title ml-systems "Papers on Machine Learning and Systems"
	$(PUBDB) tag title ai-science "Papers on AI/HPC for Science"
	$(PUBDB) tag order ml-systems ai-science
	$(PUBDB) award list
	$(PUBDB) export --format markdown --style cv --group-by tag

test: venv
	$(BIN)/python -m pip install --quiet -e '.[test,postgres]'
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest
