# Two commands on a fresh machine with Python 3.11 and pip:
#   make run    installs nnviz into .venv and renders the default animation
#   make test   installs nnviz with its test extras and runs the suite
# Every install is pinned by constraints.txt (exact versions, so the rendered
# bytes are the same everywhere); editing it or pyproject.toml reinstalls.
#   make lint   ruff check, ruff format --check, mypy (the lint dependency group, PEP 735)
#   make site   builds the docs site into site/ (mkdocs build --strict; the docs dependency group)
#   make docs   re-renders docs/blobs-tanh-lr0.01.gif and .png (after a deliberate change)
#   make lock   re-resolves constraints.txt from scratch (then review the diff)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CONSTRAINTS := constraints.txt
PIP    := $(BIN)/python -m pip install --quiet -c $(CONSTRAINTS)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint site docs bench bench-render bench-engine bench-formats bench-views bench-record lock clean

# The distribution was named nnviz before 0.4 (now nnviz-anim: the name belongs to another
# project on PyPI). A venv made before keeps that install, which would claim the nnviz package
# beside the new one (nnviz warns of the clash), so it goes first, with its stale egg-info.
DROP_OLD_NAME := if $(BIN)/python -m pip show -q nnviz 2>/dev/null; then $(BIN)/python -m pip uninstall -q -y nnviz; fi; rm -rf src/nnviz.egg-info

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

# pip first (pinned: --build-constraint needs pip >= 25.3), then the project;
# the build constraint pins setuptools inside pip's isolated build environment.
$(VENV)/.installed-run: pyproject.toml $(CONSTRAINTS) | $(BIN)/activate
	$(PIP) --upgrade pip
	@$(DROP_OLD_NAME)
	$(PIP) --build-constraint $(CONSTRAINTS) -e .
	touch $@

# The test install adds the frameworks the recorders read (nnviz.record), so their tests and
# the PyTorch parity test run: 1.9 GB and 183 s on a fresh venv here, against 0.8 GB and 46 s without.
TEST_EXTRAS := test,torch,sklearn,keras

$(VENV)/.installed-test: pyproject.toml $(CONSTRAINTS) | $(BIN)/activate
	$(PIP) --upgrade pip
	@$(DROP_OLD_NAME)
	$(PIP) --build-constraint $(CONSTRAINTS) -e ".[$(TEST_EXTRAS)]"
	touch $@ $(VENV)/.installed-run

# Lint tools are a dependency group (pip >= 25.1, pinned in constraints.txt), not a published extra;
# mypy also needs everything src imports, which the test install brings (dask included).
$(VENV)/.installed-lint: pyproject.toml $(CONSTRAINTS) $(VENV)/.installed-test
	$(PIP) --group lint
	touch $@

# The docs site's tools are a dependency group too (mkdocs.yml says what each does). The site needs
# nnviz itself (the CLI reference imports its commands, the notebooks run it), not the test extras.
$(VENV)/.installed-docs: pyproject.toml $(CONSTRAINTS) $(VENV)/.installed-run
	$(PIP) --group docs
	touch $@

run: $(VENV)/.installed-run
	$(BIN)/nnviz animate

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q --durations=10

# All three run even if one fails, so one CI log shows every problem. One line per
# finding; `ruff check src tests benchmarks tools` / `ruff format --diff src` show the details.
lint: $(VENV)/.installed-lint
	@status=0; \
	echo "+ ruff check src tests benchmarks tools"; $(BIN)/ruff check --output-format concise src tests benchmarks tools || status=1; \
	echo "+ ruff format --check src benchmarks tools"; $(BIN)/ruff format --check --output-format concise src benchmarks tools || status=1; \
	echo "+ mypy"; $(BIN)/mypy || status=1; \
	exit $$status

# Warnings are errors (a broken link, a page in no menu, a docstring mkdocstrings cannot read), and
# the notebooks in docs/notebooks/ are executed. JUPYTER_PLATFORM_DIRS: jupyter's own future default;
# NO_MKDOCS_2_WARNING: material's banner about its successor, printed on every build.
site: $(VENV)/.installed-docs
	JUPYTER_PLATFORM_DIRS=1 NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

# The README's hero animation: exactly what `nnviz animate` writes with no
# arguments (tests/test_reproducible.py compares it byte for byte).
docs: $(VENV)/.installed-run
	@tmp=$$(mktemp -d) && \
	(cd $$tmp && $(abspath $(BIN))/python -m nnviz animate --out $$tmp/blobs-tanh-lr0.01.gif --quiet) && \
	cp $$tmp/blobs-tanh-lr0.01.gif $$tmp/blobs-tanh-lr0.01.png docs/ && \
	rm -rf $$tmp && \
	sha256sum docs/blobs-tanh-lr0.01.gif docs/blobs-tanh-lr0.01.png

# The issue-21 figures in one run: every view against an independent floor (benchmarks/floor.py)
# and the fixed cost of a run; a 6-run sweep on 2 jobs against 1; peak RSS at 50 vs 500 frames in
# every animated format. Medians (ranges) of 3 rounds. bench-render: the celluloid and seaborn references.
bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_floor.py
	$(BIN)/python benchmarks/bench_sweep.py
	$(BIN)/python benchmarks/bench_formats.py --rss-only

bench-render: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_render.py

# PyTorch columns need torch, which the test install brings (the torch extra).
# Sizes of the default run and configs/spiral.toml in every animated format; peak RSS at 50 vs 500 frames.
bench-formats: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_formats.py

# ms per frame of the layers, neurons and digits views against the classic three panels; RSS 50 vs 500 frames.
bench-views: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_views.py

bench-engine: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_engine.py

# What rec.snapshot() costs a PyTorch loop, as a share of the epoch (blobs and digits sizes).
bench-record: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_record.py

# Fresh venv, newest versions allowed by pyproject.toml, then freeze. pip and setuptools (the build
# backend) are pinned too. Review `git diff constraints.txt`, then `make docs`.
lock:
	rm -rf $(VENV)-lock
	$(PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/python -m pip install --quiet --upgrade pip setuptools
	$(VENV)-lock/bin/python -m pip install --quiet -e ".[test,dask,torch,sklearn,keras]" --group lint --group docs
	grep '^#' $(CONSTRAINTS) > $(CONSTRAINTS).new
	$(VENV)-lock/bin/python -m pip freeze --all --exclude-editable | grep -v '^wheel==' | sed 's/+cpu$$//' >> $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)
	rm -rf $(VENV)-lock

clean:
	rm -rf $(VENV) outputs/*
