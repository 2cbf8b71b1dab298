#!/usr/bin/env bash
# The release check (`make package`): build the wheel and sdist, check them with twine, check what
# the wheel carries, then install ONLY the wheel (no checkout on the path) into a fresh venv with
# Airflow and prove that the provider registers and its emulator answers a signed call.
# Non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
ROOT=$PWD
export PATH="$ROOT/$VENV/bin:$PATH"
say() { printf '\n== %s ==\n' "$*"; }

say "build wheel and sdist"
rm -rf dist
python -m build --installer uv --outdir dist . 2>&1 | tail -n 3
WHEEL=$(ls dist/*.whl)
SDIST=$(ls dist/*.tar.gz)

say "twine check --strict"
twine check --strict dist/*

say "contents"
python scripts/package_contents.py "$WHEEL" "$SDIST"

say "install the wheel alone into a fresh venv with Airflow"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
uv venv -q --python "$(python -c 'import sys; print(sys.executable)')" "$WORK/venv"
# The lock pins Airflow and its dependencies to what the tests ran with; only the wheel is ours.
uv pip install -q --python "$WORK/venv/bin/python" -c requirements/ci.lock "$ROOT/$WHEEL" "apache-airflow==3.3.2"

say "the installed provider, from outside the checkout"
cd "$WORK"
export AIRFLOW_HOME="$WORK/airflow_home" PYTHONPATH= PYTHONSAFEPATH=1
"$WORK/venv/bin/python" "$ROOT/scripts/package_smoke.py"
"$WORK/venv/bin/airflow" providers list 2>/dev/null | grep -F "airflow-provider-cfg" \
    || { echo "airflow providers list does not show airflow-provider-cfg" >&2; exit 1; }
echo "package check passed: $(basename "$WHEEL") $(basename "$SDIST")"
