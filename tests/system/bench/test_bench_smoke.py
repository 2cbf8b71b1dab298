"""Smoke test of the benchmarks (``bench/``): every path runs, returns numbers and renders.

No timing is asserted anywhere: the numbers only have to exist, be finite and be positive.
"""

from __future__ import annotations

import json
import math

import pytest

from bench import client_cost, components, guard_reaction, import_cost, report, run, watching


def _positive(value: object) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


@pytest.fixture(scope="module")
def quick_results() -> dict:
    return {
        "quick": True,
        "client": client_cost.run_client_cost(rounds=2, calls=3, warmup=1, paced_cycles=2, paced_gap=0.001),
        "components": components.run_components(rounds=2, ops=5),
        "import": import_cost.run_import_cost(runs=1, importtime_runs=1, warmup=0),
        "watching": watching.run_watching_at_scale(quick=True),
        "guard": guard_reaction.run_guard_reaction(quick=True),
    }


def test_client_cost_measures_every_contender(quick_results):
    result = quick_results["client"]
    assert set(result["contenders"]) == {cls.key for cls in client_cost.CONTENDERS}
    for data in result["contenders"].values():
        assert len(data["cpu_us"]) == 2
        assert all(_positive(v) for v in data["cpu_us"] + data["wall_us"])
        assert _positive(data["cpu_us_per_call"]["median"])
    assert set(result["ratios"]) == {f"{num}/{den}" for num, den, _, _ in client_cost.RATIOS}
    assert all(_positive(ratio["median"]) for ratio in result["ratios"].values())
    assert result["response_bytes"] > 1000  # the full DescribeTask answer, not an error


def test_client_cost_paced_mode(quick_results):
    paced = quick_results["client"]["paced"]
    assert set(paced["contenders"]) == {cls.key for cls in client_cost.CONTENDERS}
    for data in paced["contenders"].values():
        assert len(data["cpu_us"]) == 2 and all(_positive(v) for v in data["cpu_us"])
    assert set(paced["ratios"]) == {f"{num}/{den}" for num, den, _, _ in client_cost.PACED_RATIOS}
    assert all(_positive(ratio["median"]) for ratio in paced["ratios"].values())


def test_components_measure_every_step(quick_results):
    result = quick_results["components"]
    assert len(result["rows"]) == 4 and result["answer_bytes"] > 1000
    for row in result["rows"]:
        assert _positive(row["public_us"]["median"]) and _positive(row["fast_us"]["median"])
        assert _positive(row["ratio"]["median"])


def test_import_cost_measures_our_modules(quick_results):
    result = quick_results["import"]
    assert _positive(result["baseline_sdk_wall_ms"]["median"])
    assert _positive(result["added_wall_ms"]["median"])
    assert result["modules_loaded"]["with_provider"] > result["modules_loaded"]["baseline"]
    assert result["added_own_modules"] > 0
    assert result["top_by_self"] and all(row["module"] for row in result["top_by_self"])


def test_parse_importtime():
    text = (
        "import time: self [us] | cumulative | imported package\n"
        "import time:       120 |        120 |   _io\n"
        "import time:      2500 |       9000 | airflow_provider_cfg.operators.create\n"
        "unrelated line\n"
    )
    assert import_cost.parse_importtime(text) == {
        "_io": (120, 120), "airflow_provider_cfg.operators.create": (2500, 9000)}


def test_watching_at_scale_measures_every_run(quick_results):
    result = quick_results["watching"]
    assert watching.PLACEHOLDER is False and result["quick"] is True
    assert [(measured["mode"], measured["watchers"]) for measured in result["runs"]] == watching.QUICK["plan"]
    for measured in result["runs"]:
        assert _positive(measured["wall_s"]) and _positive(measured["cpu_s"]) and measured["changes"] > 0
        # changes seen, no event for anything else
        assert measured["detected"] > 0 and measured["unexpected_count"] == 0
        assert _positive(measured["delay_s"]["p50"]) and _positive(measured["delay_s"]["p95"])
        polling = "DescribeTaskList" if measured["mode"] == "shared" else "DescribeTask"
        assert measured["calls"][polling] > 0 and set(measured["calls"]) <= {polling, "ModifyTaskRunStatus"}
    assert len(result["targets"]) == 4 and result["rows"]


def test_guard_reaction_measures_every_interval(quick_results):
    """The breach → guardrail call → recovery chain is timed (no timing is asserted)."""
    result = quick_results["guard"]
    assert result["failures_to_trip"] == guard_reaction.FAILURES_TO_TRIP
    for data in result["intervals"].values():
        assert len(data["samples"]) == result["rounds"]
        for sample in data["samples"]:
            assert all(_positive(sample[key]) for key in ("trip_s", "recovered_s"))
            assert math.isfinite(sample["under_way_s"]) and math.isfinite(sample["trip_overhead_s"])
        assert set(data["met"]) == {"trip", "trip_overhead", "under_way"}


def test_report_renders(quick_results, tmp_path):
    machine = report.machine_info()
    history = [report.history_entry("smoke", "a note", machine, quick_results)]
    text = report.render(quick_results, machine, report.command_line(["--quick"]), history)
    for heading in ("## Command", "## Machine", "## Summary", "## 1. Client cost",
                    "Where a round trip's client work goes", "## 2. Import cost",
                    "## 3. Watching at scale", "## 4. Guard reaction time", "## Before / after",
                    "**Paced calls**"):
        assert heading in text
    assert "-m bench --quick" in text and "Quick (smoke) run" in text and "Placeholder" not in text
    # ruff: ignore[ambiguous-unicode-character-string] - the report's own multiplication sign (bench/watching.py)
    assert "| shared | 50 |" in text and "watching, shared × 50 watchers: RequestLimitExceeded" in text
    json.dumps(quick_results)  # what --json writes


def test_cli_writes_only_where_told(tmp_path):
    out = tmp_path / "report.md"
    assert run.main(["--quick", "--quiet", "--only", "watching", "--output", str(out)]) == 0
    assert "## 3. Watching at scale" in out.read_text()
    with pytest.raises(SystemExit):
        run.main(["--quick", "--quiet", "--only", "watching", "--record", "x", "--output", str(out)])
