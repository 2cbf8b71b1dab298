# Every target sets itself up from a fresh clone: a uv venv with bytecode compilation,
# installed from the committed lock file.
VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
export UV_COMPILE_BYTECODE := 1
export PYTHONDONTWRITEBYTECODE :=

.PHONY: setup test demo bench bench-smoke lock clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements/ci.lock pyproject.toml
	@test -x $(UV) || { python3 -m venv $(VENV) && $(VENV)/bin/pip install -q "uv==$(UV_VERSION)"; }
	$(UV) pip install -q --python $(PY) -r requirements/ci.lock -e .
	@touch $@

test: setup
	$(PY) -m pytest -q -p no:cacheprovider

demo: setup
	bash scripts/demo.sh

# Benchmarks (bench/): contenders side by side, medians and ratios; rewrites BENCHMARKS.md.
bench: setup
	$(PY) -m bench

# Every benchmark path with a few rounds (CI smoke): prints the report, asserts no timing.
bench-smoke: setup
	$(PY) -m bench --quick

lock:
	$(UV) pip compile -q --python-version 3.11 --universal requirements/ci.in -o requirements/ci.lock

clean:
	rm -rf $(VENV) .demo
