# Two entry points, each creating its own virtual environment on first use:
#   make demo   - install and run `openai-sansio demo` against the built-in emulator
#   make test   - install with the test extra, then lint, type-check and run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-test
BASE   := $(VENV)/.installed
CHECKED := openai_sansio tests bench fuzz

.PHONY: demo test lint typecheck pytest bench fuzz fuzz-smoke clean

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

# Fuzzing (fuzz/README.md): every atheris target for FUZZ_SECONDS each on its corpus; prints
# each target's executions per second and total, exits non-zero on a finding.
FUZZ_SECONDS ?= 60
FUZZ_STAMP := $(VENV)/.installed-fuzz

$(FUZZ_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[fuzz]'
	touch $(FUZZ_STAMP)

fuzz: $(FUZZ_STAMP)
	$(BIN)/python fuzz/run.py --seconds $(FUZZ_SECONDS)

fuzz-smoke: $(FUZZ_STAMP)
	$(BIN)/python fuzz/run.py --seconds 5

clean:
	rm -rf $(VENV) .coverage .hypothesis .mypy_cache .ruff_cache
