# Two commands on a fresh machine with Python 3.11 and pip:
#   make run    installs nnviz into .venv and renders the default animation
#   make test   installs nnviz with its test extras and runs the suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test bench bench-engine clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/nnviz animate

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_render.py

# PyTorch columns need torch in the venv (not a dependency): pip install torch (CPU wheel).
bench-engine: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_engine.py

clean:
	rm -rf $(VENV) outputs/*
