"""Import cost: what a DAG file pays to import our operators, sensors and hook.

Fresh interpreters (subprocesses of this Python, a throw-away ``AIRFLOW_HOME``), alternating:

* baseline — ``import airflow.sdk``;
* with the provider — ``import airflow.sdk``, then every module a DAG file imports from us
  (:data:`PROVIDER_MODULES`).

Each interpreter times its own import statements (``perf_counter`` and ``process_time``), so the
interpreter start-up is left out. The headline *added* cost is the median, over the runs with the
provider, of the time spent importing our modules after ``airflow.sdk``: the difference of the
two totals' medians is also reported, but ``import airflow.sdk`` alone takes one to two seconds
and varies by more than what we add. One warm-up run of each kind (bytecode caches) is discarded.

The heaviest imports we add come from ``python -X importtime``: the modules imported with the
provider and never by the baseline, ranked by self time and, for the modules outside our own
package, by cumulative time (median over the ``-X importtime`` runs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.stats import median, summary

ROOT = Path(__file__).resolve().parent.parent


def _dag_file_modules() -> list[str]:
    """The operator, sensor and hook modules the provider declares (what a DAG file imports)."""
    from airflow_provider_cfg.get_provider_info import get_provider_info

    info = get_provider_info()
    return [module for kind in ("operators", "sensors", "hooks") for entry in info[kind]
            for module in entry["python-modules"]]


PROVIDER_MODULES = _dag_file_modules()

TARGET_MS = 50.0

_PROGRAM = """
import time
_w0, _c0 = time.perf_counter(), time.process_time()
import airflow.sdk
_w1, _c1 = time.perf_counter(), time.process_time()
{provider_imports}
_w2, _c2 = time.perf_counter(), time.process_time()
import json, sys
print("BENCH-IMPORT " + json.dumps({{"sdk_wall": _w1 - _w0, "sdk_cpu": _c1 - _c0,
                                     "ours_wall": _w2 - _w1, "ours_cpu": _c2 - _c1, "modules": len(sys.modules)}}))
"""


def program(with_provider: bool) -> str:
    imports = "\n".join(f"import {name}" for name in PROVIDER_MODULES) if with_provider else "pass"
    return _PROGRAM.format(provider_imports=imports)


def _env(airflow_home: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW") and k != "PYTHONPROFILEIMPORTTIME"}
    env.update({
        "AIRFLOW_HOME": airflow_home,
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    })
    return env


def _run(with_provider: bool, env: dict[str, str], importtime: bool = False) -> tuple[dict[str, float], str]:
    args = [sys.executable, *(["-X", "importtime"] if importtime else []), "-c", program(with_provider)]
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"import benchmark interpreter failed ({done.returncode}):\n{done.stderr[-2000:]}")
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH-IMPORT ")), None)
    if line is None:
        raise RuntimeError(f"import benchmark interpreter printed no result:\n{done.stdout[-2000:]}")
    return json.loads(line.removeprefix("BENCH-IMPORT ")), done.stderr


def parse_importtime(stderr: str) -> dict[str, tuple[int, int]]:
    """``{module: (self us, cumulative us)}`` (microseconds) from ``-X importtime`` output."""
    modules: dict[str, tuple[int, int]] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3:
            continue
        try:
            own, cumulative = int(parts[0]), int(parts[1])
        except ValueError:
            continue  # the header line
        modules.setdefault(parts[2].strip(), (own, cumulative))
    return modules


def _top_added(with_runs: list[dict[str, tuple[int, int]]], base_runs: list[dict[str, tuple[int, int]]],
               top: int) -> dict[str, Any]:
    baseline_modules = set().union(*base_runs) if base_runs else set()
    added = sorted(set().union(*with_runs) - baseline_modules)

    def med(name: str, index: int) -> float:
        return median([run[name][index] for run in with_runs if name in run]) / 1000

    rows = [{"module": name, "self_ms": med(name, 0), "cumulative_ms": med(name, 1)} for name in added]
    by_self = sorted(rows, key=lambda row: row["self_ms"], reverse=True)[:top]
    outside = [row for row in rows if not row["module"].startswith("airflow_provider_cfg")]
    by_cumulative = sorted(outside, key=lambda row: row["cumulative_ms"], reverse=True)[:top]
    ours = [row for row in rows if row["module"].startswith("airflow_provider_cfg")]
    return {
        "added_modules": len(added),
        "added_own_modules": len(ours),
        "added_self_ms_total": sum(row["self_ms"] for row in rows),
        "top_by_self": by_self,
        "top_outside_by_cumulative": by_cumulative,
    }


def run_import_cost(
    runs: int = 10,
    importtime_runs: int = 3,
    warmup: int = 1,
    top: int = 10,
    log: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Run the benchmark (see the module doc); returns the samples, medians and top added imports."""
    with tempfile.TemporaryDirectory(prefix="cfg-bench-airflow-") as airflow_home:
        env = _env(airflow_home)
        for _ in range(warmup):
            _run(False, env)
            _run(True, env)
        base: list[dict[str, float]] = []
        with_provider: list[dict[str, float]] = []
        for number in range(runs):
            # Alternate, and swap which goes first every other run.
            for flag in ((False, True) if number % 2 == 0 else (True, False)):
                sample, _ = _run(flag, env)
                (with_provider if flag else base).append(sample)
            log(f"import cost: run {number + 1}/{runs}: airflow.sdk {base[-1]['sdk_wall'] * 1e3:.0f} ms, "
                f"+ ours {with_provider[-1]['ours_wall'] * 1e3:.1f} ms")
        base_times: list[dict[str, tuple[int, int]]] = []
        with_times: list[dict[str, tuple[int, int]]] = []
        for _ in range(importtime_runs):
            base_times.append(parse_importtime(_run(False, env, importtime=True)[1]))
            with_times.append(parse_importtime(_run(True, env, importtime=True)[1]))

    def ms(samples: list[dict[str, float]], key: str) -> list[float]:
        return [sample[key] * 1e3 for sample in samples]

    base_total = [s["sdk_wall"] * 1e3 for s in base]
    with_total = [(s["sdk_wall"] + s["ours_wall"]) * 1e3 for s in with_provider]
    added_wall = ms(with_provider, "ours_wall")
    return {
        "runs": runs,
        "importtime_runs": importtime_runs,
        "modules": PROVIDER_MODULES,
        "target_ms": TARGET_MS,
        "baseline_sdk_wall_ms": summary(base_total),
        "baseline_sdk_cpu_ms": summary(ms(base, "sdk_cpu")),
        "with_provider_total_wall_ms": summary(with_total),
        "added_wall_ms": summary(added_wall),
        "added_cpu_ms": summary(ms(with_provider, "ours_cpu")),
        "added_wall_ms_difference_of_medians": median(with_total) - median(base_total),
        "modules_loaded": {"baseline": median([s["modules"] for s in base]),
                           "with_provider": median([s["modules"] for s in with_provider])},
        "met": median(added_wall) <= TARGET_MS,
        **_top_added(with_times, base_times, top),
    }
