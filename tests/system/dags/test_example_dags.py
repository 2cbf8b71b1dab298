"""Every example DAG, end to end with ``dag.test()`` against the emulator over loopback HTTP.

Deferrable steps run their trigger inline (``dag.test`` does that), so the trigger code path is
exercised too. Each run must succeed, end its experiment with 1004 and ``TaskExpect`` set, and
leave the emulator's fault ledger empty.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.airflow_setup import DAGS_FOLDER

EXPECTED_DAGS = {"cfg_game_day", "cfg_action_drill", "cfg_automatic_drill"}


@pytest.fixture(scope="module")
def dagbag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    assert bag.import_errors == {}
    return bag


def test_example_dags_import_cleanly(dagbag):
    assert set(dagbag.dag_ids) >= EXPECTED_DAGS
    for dag_id in EXPECTED_DAGS:
        dag = dagbag.get_dag(dag_id)
        assert dag.doc_md and "rollback" in dag.task_ids
        assert dag.get_task("rollback").is_teardown


def _run(dagbag, dag_id: str, emulator, monkeypatch, conf: dict | None = None):
    monkeypatch.setenv(
        "AIRFLOW_CONN_TENCENTCLOUD_CFG_DEFAULT",
        json.dumps({"conn_type": "tencentcloud_cfg", "login": emulator.secret_id, "password": emulator.secret_key,
                    "host": emulator.endpoint}),
    )
    run_conf = {"steady_state_url": f"{emulator.url}/_emulator/health", **(conf or {})}
    if dag_id == "cfg_game_day":
        run_conf.setdefault("watch_seconds", 3)
    return dagbag.get_dag(dag_id).test(run_conf=run_conf)


def _experiment(emulator, title_part: str):
    tasks = emulator.call("DescribeTaskList", Limit=100, Offset=0)["TaskList"]
    (item,) = [t for t in tasks if title_part in t["TaskTitle"]]
    return emulator.call("DescribeTask", TaskId=item["TaskId"])["Task"]


@pytest.mark.parametrize(
    ("dag_id", "title", "conf"),
    [
        ("cfg_game_day", "Game day", {}),
        ("cfg_action_drill", "Network Packet Loss", {"instance": "ins-drill001"}),
        ("cfg_automatic_drill", "Automatic CPU drill", {}),
    ],
)
def test_example_dag_end_to_end(dagbag, cfg_emulator, monkeypatch, dag_id, title, conf):
    run = _run(dagbag, dag_id, cfg_emulator, monkeypatch, conf)
    assert run.state == "success", [(ti.task_id, ti.state) for ti in run.get_task_instances()]
    task = _experiment(cfg_emulator, title)
    assert task["TaskStatus"] == 1004
    assert cfg_emulator.http().get("/_emulator/faults").json() == []
    variants = cfg_emulator.http().get("/_emulator/variants").json()
    if dag_id == "cfg_automatic_drill" and variants["conclusion_after_end"]["current"] == "refused":
        # CFG ended it itself and refused the conclusion: the verdict is Airflow's only (the run succeeded)
        assert task["TaskExpect"] is None and task["TaskStatusType"] == 1
        return
    assert task["TaskExpect"] == 1, task["TaskSummary"]
    assert "Verdict: as expected" in task["TaskSummary"]


def test_game_day_breach_mid_fault_aborts(dagbag, cfg_emulator, monkeypatch, tmp_path):
    """The steady state breaks while the fault is live: the guard triggers the guardrail, every
    fault is recovered, and the experiment is concluded with IsExpect=false."""
    run = _run(dagbag, "cfg_game_day", cfg_emulator, monkeypatch,
               {"steady_state_url": f"{cfg_emulator.url}/no-such-page", "report_path": f"file://{tmp_path}"})
    assert run.state == "failed"
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states["guard_during_fault_1"] == "failed" and states["rollback"] == "success", states
    task = _experiment(cfg_emulator, "Game day")
    assert task["TaskStatus"] == 1004 and task["TaskExpect"] == 2
    triggers = cfg_emulator.call(
        "DescribeTaskPolicyTriggerLog", TaskId=task["TaskId"], Page=1, PageSize=10)["TriggerLogs"]
    assert [t["TriggerType"] for t in triggers] == [0], triggers  # the guardrail was triggered once
    assert cfg_emulator.http().get("/_emulator/faults").json() == []
    # the abort leaves its record too: built by the teardown, since no conclusion ran
    markdown = (tmp_path / f"cfg-experiment-{task['TaskId']}.md").read_text()
    assert "**Verdict:** NOT as expected" in markdown
    assert "guardrail triggered: Airflow steady-state guard" in markdown
    # the breach is a failed check, not "no check reported"
    checks = markdown.split("## Steady-state checks\n", 1)[1].split("\n## ", 1)[0]
    assert "0 of 1 passed, 1 failed." in checks and "| steady-state guard | FAILED | breached at " in checks


def test_game_day_failing_injection_is_rolled_back(dagbag, cfg_emulator, monkeypatch):
    """An instance fails during injection: the step fails, the teardown recovers and concludes."""
    cfg_emulator.http().post(
        "/_emulator/chaos", json={"failing_instances": ["ins-ehxmry76"], "failing_actions": "fault"},
    ).raise_for_status()
    run = _run(dagbag, "cfg_game_day", cfg_emulator, monkeypatch)
    assert run.state == "failed"
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states["inject_fault_1"] == "failed" and states["rollback"] == "success"
    task = _experiment(cfg_emulator, "Game day")
    assert task["TaskStatus"] == 1004 and task["TaskExpect"] == 2
    assert "Rolled back by Airflow" in task["TaskSummary"]
    assert cfg_emulator.http().get("/_emulator/faults").json() == []


def test_game_day_leaves_a_report_whose_markdown_renders_the_timeline(dagbag, cfg_emulator, monkeypatch, tmp_path):
    run = _run(dagbag, "cfg_game_day", cfg_emulator, monkeypatch, {"report_path": f"file://{tmp_path}/reports"})
    assert run.state == "success"
    task_id = _experiment(cfg_emulator, "Game day")["TaskId"]
    markdown = (tmp_path / "reports" / f"cfg-experiment-{task_id}.md").read_text()
    report = json.loads((tmp_path / "reports" / f"cfg-experiment-{task_id}.json").read_text())
    assert report["verdict"]["as_expected"] is True
    assert set(report["checks"]) == {"guard_during_fault_1", "check_after_recovery"}
    assert report["plan"]["source"]["template_id"] == 626  # the plan the create task checked
    gantt = markdown.split("```mermaid\n", 1)[1].split("```", 1)[0]
    bars = [line for line in gantt.splitlines() if re.search(r" :(crit, )?s\d+_\d+, ", line)]
    assert len(bars) == 2, gantt  # one bar per step: the fault and its recovery
    for bar in bars:  # each bar is visible: it ends after it starts
        start, end = bar.split(", ")[-2:]
        assert end > start, bar
    for heading in ("## Timeline", "## Steps", "### Instances", "## Steady-state checks", "## Guardrail", "## Plan",
                    "## CFG execution log"):
        assert f"\n{heading}\n" in markdown, heading
    assert "| guard_during_fault_1 | passed |" in markdown
    assert "template 626 \"Empty Operation\" · manual mode · within policy" in markdown
    timeline = markdown.split("## Timeline\n", 1)[1].split("\n## ", 1)[0]
    assert "experiment ended, as expected" in timeline.splitlines()[-1]
