# The README names `make run` and `make test`; the rest are the steps they are made of.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
BIN := .venv/bin

.PHONY: install run test bench lint fmt types contracts unit clean

install:  ## create .venv and install the project with its dev tools
	bash scripts/install.sh

run: install  ## start the whole conveyor on this machine
	$(BIN)/python -m conveyor.devkit.run $(ARGS)

test:  ## everything CI runs: setup, lint, types, import contracts, all tests
	bash scripts/install.sh --test-deps
	$(MAKE) --no-print-directory lint types contracts
	$(BIN)/pytest

bench: install  ## the benchmarks (bench/README.md); ARGS="--quick" for a smoke run
	$(BIN)/python -m bench $(ARGS)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

types:
	$(BIN)/mypy

contracts:
	$(BIN)/lint-imports

unit:
	$(BIN)/pytest tests/unit

clean:  ## remove caches and build output (keeps .venv and the Kafka jar cache)
	rm -rf .mypy_cache .ruff_cache .pytest_cache build dist
	find . -path ./.venv -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	find . -path ./.venv -prune -o -name "*.egg-info" -type d -prune -exec rm -rf {} +
