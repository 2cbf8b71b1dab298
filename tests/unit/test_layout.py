"""The layout's rules, checked: api, core and the emulator never import Airflow; no module over 500 lines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "airflow_provider_cfg"
MAX_LINES = 500
DATA_TABLES = {"emulator/catalogue_data.py"}  # data, not logic: exempt from the size rule

IMPORT_ALL = """
import importlib, json, pkgutil, sys
import airflow_provider_cfg.{package} as root
names = [root.__name__] + [m.name for m in pkgutil.walk_packages(root.__path__, root.__name__ + ".")]
for name in names:
    importlib.import_module(name)
print(json.dumps({{"modules": names, "airflow": sorted(m for m in sys.modules if m.split(".")[0] == "airflow")}}))
"""


@pytest.mark.parametrize("package", ["api", "core", "emulator"])
def test_package_and_everything_it_imports_stay_free_of_airflow(package):
    """Every module of ``api``/``core``/``emulator`` imported in a fresh interpreter: not one Airflow module loads."""
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL.format(package=package)], capture_output=True, text=True, check=True
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(found["modules"]) > 1
    assert found["airflow"] == []


def test_no_module_is_over_500_lines():
    sizes = {
        str(path.relative_to(PACKAGE)): len(path.read_text(encoding="utf-8").splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    too_long = {name: lines for name, lines in sizes.items() if lines > MAX_LINES and name not in DATA_TABLES}
    assert too_long == {}
