# Two commands a user needs: `make demo` (the main job) and `make test`. Both create .venv and
# install the project into it on first use; only Python 3.11 and access to PyPI are needed.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test bench lint clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/pcf demo

# TEST_JOBS pytest-xdist workers (one per core on the 2-core reference machine); each worker
# builds its own temporary Brightway directories, so the workers share nothing
TEST_JOBS ?= 2
test: $(STAMP) lint
	$(BIN)/python -m pytest -n $(TEST_JOBS)

# ruff (lint + format) on the whole tree; mypy on the pure maths and the solver
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy lca/maths.py lca/solver.py

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf .pcf pcf-output .pytest_cache benchmarks/.cache
