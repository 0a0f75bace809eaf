# The two commands of the README:
#   make serve   build the site and serve it on http://127.0.0.1:8000 (rebuilds on change)
#   make test    run the whole test suite (unit, symbolic, derivations, strict build, browser, links)
# Each creates .venv and installs what it needs on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export NO_MKDOCS_2_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: serve build test bench bench-site clean distclean help

help:
	@echo "make serve  - build and serve the site on http://127.0.0.1:8000"
	@echo "make test   - run the whole test suite"
	@echo "make build  - build the site into site/ with --strict"
	@echo "make bench  - NumPy vs PyTorch CPU autograd timings (installs torch into .venv)"
	@echo "make bench-site - cold/warm build, per-derivation time, per-page weight and time to math (Chromium)"
	@echo "make clean  - remove build products and caches"

# The virtual environment is rebuilt when pyproject.toml changes.
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

# MathJax is installed from the npm registry (pinned by package-lock.json), never committed.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

serve: $(BIN)/.installed node_modules/.installed
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

build: $(BIN)/.installed node_modules/.installed
	$(BIN)/mkdocs build --strict

# Two workers (pytest-xdist): the built site and its browser checks on one, the other files beside them
# (tests/conftest.py says how the tests are split). `make test TEST_WORKERS=0` runs in one process.
TEST_WORKERS ?= 2
test: $(BIN)/.installed node_modules/.installed
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

bench: $(BIN)/.installed
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install --quiet "torch==2.13.0"
	$(BIN)/python -m bench

# Speed of the site (not a test): cold and warm strict build, each derivation, and per page the bytes of a cold
# first load (raw and gzip) and the time until the math is visible. Clears .cache/ for the cold build.
bench-site: $(BIN)/.installed node_modules/.installed
	$(BIN)/python -m bench.site

clean:
	rm -rf site .cache .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) node_modules
