"""`make compat-lock`: requirements/airflow-<version>.lock for each supported Airflow version.

Each lock is uv's resolve of requirements/airflow-<version>.in (Airflow and the pins that keep its
core working) plus pyproject.toml's dependencies, for Python 3.11. Airflow's own constraints files
are not reachable from here, so these stand in for them. The reason written beside a pin in the
``.in`` file is copied beside that pin in the lock, so the lock says why it holds a version back.

    python scripts/compat_lock.py UV VERSION [VERSION ...]
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements"
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)\s*#\s*(.+)$")


def lock(uv: str, version: str) -> None:
    source = REQUIREMENTS / f"airflow-{version}.in"
    target = REQUIREMENTS / f"airflow-{version}.lock"
    subprocess.run(
        [uv, "pip", "compile", "-q", "--python-version", "3.11", "pyproject.toml", str(source.relative_to(
            REQUIREMENTS.parent)), "-o", str(target.relative_to(REQUIREMENTS.parent))],
        check=True, cwd=REQUIREMENTS.parent,
    )
    reasons = {m[1].lower(): (m[2], m[3]) for line in source.read_text().splitlines() if (m := PIN.match(line))}
    lines = target.read_text().splitlines()
    for index, line in enumerate(lines):
        name = line.split("==", 1)[0].lower()
        if name in reasons and line == f"{line.split('==', 1)[0]}=={reasons[name][0]}":
            lines[index] = f"{line}  # pinned: {reasons[name][1]}"
            del reasons[name]
    if reasons:
        raise SystemExit(f"{target.name}: pins of {sorted(reasons)} not found in the resolve")
    target.write_text("\n".join(lines) + "\n")
    print(f"{target.relative_to(REQUIREMENTS.parent)}: {sum(1 for x in lines if '==' in x)} pins")


if __name__ == "__main__":
    for each in sys.argv[2:]:
        lock(sys.argv[1], each)
