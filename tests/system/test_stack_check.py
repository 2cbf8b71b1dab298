"""The pieces of `make stack-check` (scripts/stack/) that judge: the fault and guard arithmetic, the
DAG copies, the table in the docs. (The check itself runs in CI as `make stack-check`.)"""

from __future__ import annotations

import ast

import pytest

from scripts.stack.observe import live_seconds, unguarded_seconds
from scripts.stack.report import BEGIN, END, render
from scripts.stack.scenarios import SCENARIOS, write_dags


def test_a_fault_probed_throughout_is_guarded():
    probes = [100 + 2 * i for i in range(31)]  # every 2 s from 100 to 160
    assert unguarded_seconds([(100.0, 160.0)], probes) == pytest.approx(0, abs=0.2)


def test_unguarded_seconds_count_the_gaps_beyond_the_window():
    # live 100-160; probes 100-120 and 150-160: from 125 (5 s after the last probe) to 150 unguarded
    probes = [100 + 2 * i for i in range(11)] + [150 + 2 * i for i in range(6)]
    assert unguarded_seconds([(100.0, 160.0)], probes) == pytest.approx(25, abs=0.3)
    assert unguarded_seconds([(100.0, 160.0)], []) == pytest.approx(60, abs=0.2)
    assert unguarded_seconds([], probes) == 0


def test_live_seconds_count_overlapping_faults_once():
    assert live_seconds([(0.0, 10.0), (5.0, 20.0), (30.0, 35.0)]) == 25
    assert live_seconds([]) == 0


def test_dag_copies_differ_from_the_examples_only_by_dag_id(tmp_path):
    write_dags(tmp_path, SCENARIOS)
    files = sorted(p.name for p in tmp_path.glob("*.py"))
    assert len(files) == len({s.dag_id for s in SCENARIOS})
    for scenario in SCENARIOS:
        tree = ast.parse((tmp_path / f"{scenario.dag_id}.py").read_text())
        dag_ids = [kw.value.value for node in ast.walk(tree) if isinstance(node, ast.Call)
                   for kw in node.keywords if kw.arg == "dag_id"]
        assert dag_ids == [scenario.dag_id]


def test_every_scenario_of_the_issue_is_there_with_its_expectation():
    by_name = {s.name: s for s in SCENARIOS}
    assert sum(s.name.startswith("concurrent_") for s in SCENARIOS) >= 4 and "action_drill" in by_name
    for name in ("triggerer_sigterm", "triggerer_sigkill", "triggerer_sigstop", "worker_sigkill",
                 "scheduler_sigkill"):
        assert by_name[name].expect_green and not by_name[name].expect_rollback and by_name[name].action
    assert by_name["guard_marked_failed"].expect_green is False and by_name["guard_marked_failed"].expect_rollback
    # a cleared step either goes on watched (a new try's trigger) or is rolled back: judged on honesty
    assert by_name["step_cleared"].expect_green is None and by_name["step_cleared"].expect_rollback is None


def test_the_table_marks_a_scenario_that_is_not_as_expected():
    row = {"scenario": "x", "what": "w", "done": "", "run": "success", "experiments": 2, "verdict": "as expected",
           "injections": 2, "ledger_left": 0, "probes": 3, "live_s": 1.0, "unguarded_s": 0.5, "ok": False,
           "problems": "2 experiments"}
    table = render([row], 600)
    assert "**NO**: 2 experiments" in table and "10.0 min" in table
    assert BEGIN not in table and END not in table
