# Two commands: `make run` starts the app, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501

.PHONY: run test lint deps test-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.deps: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test-deps: requirements-test.txt requirements.txt $(VENV)/.deps
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@

deps: $(VENV)/.deps
test-deps: $(VENV)/.test-deps

# The allocator settings of the Dockerfile (read from it, so the two cannot drift apart):
# glibc otherwise gives every thread its own heap arena and keeps freed NumPy arrays, and an
# idle `make run` server stayed at several hundred MB after a class left (docs/deployment.md).
MALLOC_ENV := $(shell sed -n 's/^ *\(MALLOC_[A-Z_]*=[^ ]*\).*/\1/p' Dockerfile)

run: $(VENV)/.deps
	env $(MALLOC_ENV) $(BIN)/streamlit run app.py --server.port $(PORT)

lint: $(VENV)/.test-deps
	$(BIN)/ruff check .

test: $(VENV)/.test-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
