"""Check what the built wheel and sdist carry (called by scripts/package_check.sh).

Usage: python scripts/package_contents.py dist/<wheel> dist/<sdist>
"""

from __future__ import annotations

import sys
import tarfile
import zipfile

WHEEL_MUST_HAVE = [
    "airflow_provider_cfg/__init__.py",
    "airflow_provider_cfg/py.typed",
    "airflow_provider_cfg/get_provider_info.py",
    "airflow_provider_cfg/api/client.py",
    "airflow_provider_cfg/hooks/cfg.py",
    "airflow_provider_cfg/triggers/poller.py",
    # The emulator ships with the package: its server, its action catalogue and its notes.
    "airflow_provider_cfg/emulator/__main__.py",
    "airflow_provider_cfg/emulator/server.py",
    "airflow_provider_cfg/emulator/catalogue.py",
    "airflow_provider_cfg/emulator/catalogue_data.py",
    "airflow_provider_cfg/emulator/BEHAVIOUR.md",
    # The UI plugin (Browse → Game days), loaded through the airflow.plugins entry point.
    "airflow_provider_cfg/plugins/game_days.py",
]
SDIST_MUST_HAVE = ["LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "tests/conftest.py",
                   "dags_examples/cfg_game_day.py", "airflow_provider_cfg/emulator/catalogue_data.py"]
NEVER = (".venv/", "__pycache__/", ".pyc", ".demo/", "/.ci/")


def main(wheel: str, sdist: str) -> int:
    problems: list[str] = []
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        dist_info = next(n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info"))
        entry_points = zf.read(f"{dist_info}/entry_points.txt").decode()
        metadata = zf.read(f"{dist_info}/METADATA").decode()
    problems += [f"wheel lacks {n}" for n in WHEEL_MUST_HAVE if n not in names]
    problems += [f"wheel carries {n}" for n in names if n.startswith(("tests/", "dags_examples/", "bench/"))]
    if f"{dist_info}/licenses/LICENSE" not in names:
        problems.append("wheel lacks its licence file")
    for needle in ("[apache_airflow_provider]", "provider_info = airflow_provider_cfg.get_provider_info",
                   "cfg-emulator = airflow_provider_cfg.emulator.__main__:main",
                   "[airflow.plugins]", "cfg_game_days = airflow_provider_cfg.plugins.game_days:CfgGameDaysPlugin"):
        if needle not in entry_points:
            problems.append(f"entry_points.txt lacks {needle!r}")
    for needle in ("License-Expression: Apache-2.0", "Classifier: Framework :: Apache Airflow :: Provider",
                   "Project-URL: ", "Requires-Dist: apache-airflow"):
        if needle not in metadata:
            problems.append(f"METADATA lacks {needle!r}")

    with tarfile.open(sdist) as tf:
        top = tf.getnames()[0].split("/")[0]
        snames = {n.removeprefix(f"{top}/") for n in tf.getnames()}
    problems += [f"sdist lacks {n}" for n in SDIST_MUST_HAVE if n not in snames]
    problems += [f"sdist carries {n}" for n in snames if any(bad in f"/{n}" for bad in NEVER)]

    print(f"wheel: {len(names)} files, sdist: {len(snames)} files")
    for problem in problems:
        print(f"  PROBLEM: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
