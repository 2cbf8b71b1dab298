# Every target sets itself up from a fresh clone: a uv venv with bytecode compilation,
# installed from the committed lock file.
VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
export UV_COMPILE_BYTECODE := 1
export PYTHONDONTWRITEBYTECODE :=

.PHONY: setup test test-unit test-integration test-system demo bench bench-smoke ui ui-check lint package lock compat compat-lock test-variants clean stack-check stack-lock

setup: $(VENV)/.installed

$(VENV)/.installed: requirements/ci.lock pyproject.toml
	@test -x $(UV) || { python3 -m venv $(VENV) && $(VENV)/bin/pip install -q "uv==$(UV_VERSION)"; }
	$(UV) pip install -q --python $(PY) -r requirements/ci.lock -e .
	@touch $@

# The everyday loop (a couple of minutes): tests/unit (mirrors the package, no server) and tests/integration
# (against the emulator over loopback). The slow tier, tests/system (example DAGs end to end, airflow
# standalone, failure matrix, soak, benchmarks, compose), is `make test-system`; CI runs both.
test: setup
	$(PY) -m pytest -q -p no:cacheprovider tests/unit tests/integration

test-unit test-integration test-system: test-%: setup
	$(PY) -m pytest -q -p no:cacheprovider tests/$*

# The example DAGs, the failure matrix and the bad-input corpus under every reading of what CFG leaves
# undocumented (emulator variants): a covering set of combinations, run in parallel (scripts/test_variants.py).
test-variants: setup
	$(PY) scripts/test_variants.py

demo: setup
	bash scripts/demo.sh

# Benchmarks (bench/): contenders side by side, medians and ratios; rewrites BENCHMARKS.md.
bench: setup
	$(PY) -m bench

# Every benchmark path with a few rounds (CI smoke): prints the report, asserts no timing.
bench-smoke: setup
	$(PY) -m bench --quick

# Try the provider in Airflow's web UI (scripts/ui.py): the emulator and `airflow standalone` with the
# example DAGs and the connection; prints the URL and login; Ctrl-C stops everything.
ui: setup
	$(PY) scripts/ui.py

# The provider in Airflow's web UI (scripts/ui_check.py): a real `airflow standalone`, the emulator,
# cfg_game_day run by the scheduler and triggerer, checked in Debian's headless Chromium driven by
# Playwright (never `playwright install`: it downloads browsers); screenshots in docs/img/.
# The game-day report's Mermaid chart is drawn by mermaid.js from the npm registry (pinned, checked).
CHROMIUM := /usr/bin/chromium
MERMAID_VERSION := 12.3.0
MERMAID_SHA256 := 336df803d87a38b70a01e736e666c8f7601d2ce42f5e47c8fafe5d721074b9a3
MERMAID_JS := $(VENV)/share/mermaid/mermaid.min.js
ui-check: setup $(MERMAID_JS)
	@test -x $(CHROMIUM) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@$(PY) -c "import playwright" 2>/dev/null || $(UV) pip install -q --python $(PY) "$$(grep '^playwright==' requirements/ci.lock)"
	$(PY) scripts/ui_check.py
	$(PY) scripts/ui_check_gamedays.py  # Browse → Game days and the report page (docs/ui.md)

$(MERMAID_JS):
	@mkdir -p $(@D)
	cd $(@D) && npm pack -q mermaid@$(MERMAID_VERSION) >/dev/null \
		&& tar xzf mermaid-$(MERMAID_VERSION).tgz --strip-components=2 package/dist/mermaid.min.js \
		&& rm mermaid-$(MERMAID_VERSION).tgz
	echo "$(MERMAID_SHA256)  $@" | sha256sum -c --quiet || { rm -f $@; exit 1; }

# Static checks: ruff (with Airflow's AIR rules) over everything, mypy over the package (pyproject.toml).
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# The release check: build wheel + sdist, twine check, contents, and a wheel-only install into a
# fresh venv with Airflow (provider registered, emulator answers a signed flow).
package: setup
	bash scripts/package_check.sh

lock:
	$(UV) pip compile -q --python-version 3.11 --universal requirements/ci.in -o requirements/ci.lock

# The compatibility matrix (scripts/compat_check.sh): per supported Airflow version, a fresh venv with
# requirements/airflow-<version>.lock and the built wheel; providers list/hooks/links, the connection
# form, every example DAG with `airflow dags test` against the emulator. COMPAT_VERSIONS picks some
# (e.g. `make compat COMPAT_VERSIONS=3.1.8`); COMPAT_JOBS (default 2) run side by side.
COMPAT_VERSIONS ?= 2.11.2 3.0.6 3.1.8 3.2.2 3.3.2
compat: setup
	bash scripts/compat_check.sh $(COMPAT_VERSIONS)

# One lock per supported Airflow version: requirements/airflow-<version>.in (Airflow and the pins that
# keep its core working, each with its reason) plus pyproject.toml's dependencies, resolved by uv.
compat-lock: setup
	$(PY) scripts/compat_lock.py $(UV) $(COMPAT_VERSIONS)

# The provider on a production-shaped deployment, natively (scripts/stack/): Debian's Postgres and Redis,
# Airflow with the CeleryExecutor (api-server, scheduler, dag-processor, two triggerers, two Celery workers)
# configured from deploy/airflow.env (what docker-compose.yml reads), the emulator; concurrent game days,
# deployment faults and what people do; prints the table and writes it to docs/deployment.md.
# Its own venv from requirements/stack.lock (the Celery provider, celery 5.6.3, psycopg2, redis).
STACK_VENV := .stack-venv
stack-check: setup $(STACK_VENV)/.installed
	$(STACK_VENV)/bin/python scripts/stack_check.py $(STACK_VENV)

$(STACK_VENV)/.installed: requirements/stack.lock pyproject.toml
	@test -x $(STACK_VENV)/bin/python || $(UV) venv -q --python $(PY) $(STACK_VENV)
	$(UV) pip install -q --python $(STACK_VENV)/bin/python -r requirements/stack.lock -e .
	@touch $@

stack-lock: setup
	$(UV) pip compile -q --python-version 3.11 pyproject.toml requirements/stack.in -c requirements/ci.lock -o requirements/stack.lock

clean:
	rm -rf $(VENV) $(STACK_VENV) .demo .compat dist
