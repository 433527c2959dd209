# Two entry points, each creating its own virtual environment on first use:
#   make demo   - install and run `openai-sansio demo` against the built-in emulator
#   make test   - install with the test extra, then lint, type-check and run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-test
BASE   := $(VENV)/.installed
CHECKED := openai_sansio tests bench fuzz

.PHONY: demo test lint typecheck pytest bench fuzz-smoke clean

$(BASE): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $(BASE)

$(STAMP): $(BASE)
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	touch $(STAMP)

demo: $(BASE)
	$(BIN)/openai-sansio demo

lint: $(STAMP)
	$(BIN)/ruff check $(CHECKED)
	$(BIN)/ruff format --check $(CHECKED)

typecheck: $(STAMP)
	$(BIN)/mypy --strict openai_sansio

pytest: $(STAMP)
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} $(BIN)/coverage run -m pytest -q
	$(BIN)/coverage report --include='openai_sansio/protocol/*' --precision=1

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .coverage .hypothesis .mypy_cache .ruff_cache
