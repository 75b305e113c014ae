# Quickstart targets: `make run` serves Logit Lab, `make test` runs the whole suite.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,load,hf]'

run: install
	$(BIN)/logitlab serve

lint: install
	$(BIN)/ruff check .

test: install lint
	$(BIN)/pytest -q

bench: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/logitlab bench

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache
