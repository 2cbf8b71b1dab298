"""``make test-variants``: the example DAGs, the failure matrix and the bad-input corpus under every
reading of what CFG leaves undocumented (``airflow_provider_cfg.emulator.variants``).

Running every combination of every value would be 2·2·2·5·5·2·3·2·2 = 9600 runs; instead a covering
set of five combinations plays every value of every variant at least once (the defaults first, then
the alternatives mixed so that each run departs from the defaults on most variants at once). The
variants are independent in the emulator (each changes one behaviour), so covering each value is what
proves the provider does not depend on it. The five runs go in parallel: they mostly wait on the
emulator's simulated time (about 30 s of CPU each), so the whole takes about one run's wall time.

Prints, per run, the variants and each example DAG's outcome, and a table of variant, value, DAG and outcome; exits
non-zero when any run failed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITES = ["tests/system/dags/test_example_dags.py", "tests/system/reliability/test_failure_matrix.py",
          "tests/system/reliability/test_bad_inputs.py"]
DEFAULTS = {"instances": "at_start", "operate_all": "action", "start_type": "run", "unknown_id": "documented",
            "illegal_state": "documented", "conclusion_after_end": "accepted", "language": "header",
            "end_recovers": "no", "auto_pause": "off"}
COMBINATIONS = [
    DEFAULTS,
    {**DEFAULTS, "instances": "at_creation", "operate_all": "task", "start_type": "pending",
     "unknown_id": "ResourceNotFound", "illegal_state": "FailedOperation", "conclusion_after_end": "refused",
     "language": "zh-CN", "end_recovers": "yes", "auto_pause": "on"},
    {**DEFAULTS, "operate_all": "task", "start_type": "pending", "unknown_id": "InvalidParameterValue",
     "illegal_state": "UnsupportedOperation", "conclusion_after_end": "refused", "language": "en-US",
     "auto_pause": "on"},
    {**DEFAULTS, "instances": "at_creation", "unknown_id": "InvalidParameter", "illegal_state": "OperationDenied",
     "language": "zh-CN", "end_recovers": "yes"},
    {**DEFAULTS, "operate_all": "task", "start_type": "pending", "unknown_id": "FailedOperation",
     "illegal_state": "InvalidParameterValue", "conclusion_after_end": "refused", "language": "en-US",
     "end_recovers": "yes", "auto_pause": "on"},
]


def _outcomes(junit: Path) -> dict[str, str]:
    """Test name → passed / failed / skipped, from a JUnit XML report."""
    result = {}
    for case in ET.parse(junit).iter("testcase"):
        name = case.get("name", "")
        if case.find("failure") is not None or case.find("error") is not None:
            result[name] = "FAILED"
        elif case.find("skipped") is not None:
            result[name] = "skipped"
        else:
            result[name] = "passed"
    return result


def _summary(outcomes: dict[str, str]) -> dict[str, str]:
    """Each example DAG's outcome, and the failure matrix and bad-input corpus as passed/total."""
    rows = {}
    for name, outcome in outcomes.items():
        if name.startswith("test_example_dag_end_to_end["):
            rows[name.split("[", 1)[1].split("-", 1)[0]] = outcome
        elif name.startswith("test_game_day_"):
            rows["cfg_game_day: " + name.removeprefix("test_game_day_").replace("_", " ")] = outcome
    for prefix, label in (("test_failure_matrix", "failure matrix"), ("test_bad_input", "bad inputs")):
        group = [o for n, o in outcomes.items() if n.startswith(prefix)]
        rows[label] = f"{sum(o == 'passed' for o in group)}/{len(group)} passed"
    return rows


def main() -> int:
    python = ROOT / ".venv" / "bin" / "python"
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="cfg-variants-"))
    runs = []
    for index, combination in enumerate(COMBINATIONS, start=1):
        variants = ",".join(f"{k}={v}" for k, v in combination.items())
        junit = work / f"run{index}.xml"
        log = (work / f"run{index}.log").open("w")
        env = {**os.environ, "CFG_EMULATOR_VARIANTS": variants}
        command = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", *SUITES]
        runs.append((combination, junit, log, subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                                                stderr=subprocess.STDOUT)))
    failed = False
    table: list[tuple[str, str, str, str]] = []
    for index, (combination, junit, log, process) in enumerate(runs, start=1):
        code = process.wait()
        log.close()
        failed |= code != 0
        rows = _summary(_outcomes(junit)) if junit.exists() else {"pytest": f"exit {code}, no report"}
        print(f"\n== run {index}: exit {code} ({log.name})")
        print("   " + ", ".join(f"{k}={v}" for k, v in combination.items()))
        for what, outcome in rows.items():
            print(f"   {what}: {outcome}")
        for variant, value in combination.items():
            table += [(variant, value, what, outcome) for what, outcome in rows.items()]
    print("\n| variant | value | example DAG / suite | outcome |\n|---|---|---|---|")
    for row in sorted(set(table)):
        print("| " + " | ".join(row) + " |")
    print(f"\n{len(COMBINATIONS)} runs, {'FAILED' if failed else 'all passed'}, {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
