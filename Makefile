# `make run` / `make test` work on a fresh machine with Python >= 3.12 and make.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint wheel-check venv clean check-python browser

check-python:
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null || { \
	  echo "forecast needs Python >= 3.12, but '$(PY)' is $$($(PY) --version 2>&1). Install Python 3.12+ (e.g. 'pyenv install 3.12') or run 'make PY=python3.12 ...'." >&2; exit 2; }

$(STAMP): pyproject.toml | check-python
	@test -x $(VPY) || $(PY) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/forecast run

# headless Chromium for the report rendering test (Debian packages chromium, chromium-driver)
browser:
	@bash scripts/install_chromium.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# the wheel carries the priors and data: install it in a fresh venv and fit from outside the checkout
wheel-check: $(STAMP)
	bash scripts/wheel_check.sh $(VPY)

test: $(STAMP) browser lint
	JAX_PLATFORMS=cpu $(VPY) -m pytest -q --durations=15
	$(MAKE) --no-print-directory wheel-check

clean:
	rm -rf $(VENV) build dist *.egg-info
