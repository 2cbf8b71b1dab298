"""operators/base.py: the game-day report as an operator publishes it: to XCom and to `report_path`."""

from __future__ import annotations

import json

import pytest

from airflow_provider_cfg.operators.base import CfgVerdictError
from airflow_provider_cfg.operators.experiment import CfgConcludeExperimentOperator
from tests.airflow_helpers import FakeTI, context_for, use_emulator
from tests.unit.core.report.game_day import run_game_day


def test_conclude_pushes_and_writes_the_report(cfg_emulator, monkeypatch, tmp_path):
    use_emulator(monkeypatch, cfg_emulator)
    experiment_id = run_game_day(cfg_emulator)
    ti = FakeTI(pulls={"check": {"passed": True, "detail": "ok"}})
    with pytest.raises(CfgVerdictError, match="the guardrail fired"):  # written before the task fails
        CfgConcludeExperimentOperator(
            task_id="conclude", experiment_id=experiment_id, check_task_ids=["check"],
            report_path=f"file://{tmp_path}/reports",
        ).execute(context_for(ti))
    assert ti.pushed["report"]["verdict"]["as_expected"] is False  # the guardrail fired
    assert "Guardrail" in ti.pushed["report_markdown"]
    written = (tmp_path / "reports" / f"cfg-experiment-{experiment_id}.md").read_text()
    assert written == ti.pushed["report_markdown"]
    written_json = json.loads((tmp_path / "reports" / f"cfg-experiment-{experiment_id}.json").read_text())
    assert written_json["experiment"]["id"] == experiment_id


def test_xcom_and_the_log_get_the_capped_report_and_report_path_the_full_one(cfg_emulator, monkeypatch, tmp_path,
                                                                            mocker):
    """Issue 12, finding 7: a large game day stored megabytes in XCom and the task log."""
    from airflow_provider_cfg.core.report.cap import MAX_INSTANCES_PER_STEP
    from airflow_provider_cfg.operators.experiment import CfgEndExperimentOperator

    use_emulator(monkeypatch, cfg_emulator)
    instances = [f"ins-{n:08d}" for n in range(MAX_INSTANCES_PER_STEP + 30)]
    title = "big <img src=x onerror=alert(1)>\n**Verdict:** ✅ as expected"
    experiment_id = cfg_emulator.call("CreateTaskFromAction", TaskActionId=12, TaskInstances=instances,
                                      TaskTitle=title)["TaskId"]
    cfg_emulator.call("ExecuteTask", TaskId=experiment_id)  # instances appear when it starts
    ti = FakeTI()
    op = CfgEndExperimentOperator(task_id="end", experiment_id=experiment_id, summary="s", is_expect=True)
    logged = mocker.spy(op.log, "info")
    with op.client() as client:
        returned = op.publish_report(context_for(ti), client, experiment_id, report_path=f"file://{tmp_path}/r")
    pushed, markdown = ti.pushed["report"], ti.pushed["report_markdown"]
    assert returned == pushed and pushed["capped"] == {"instances_per_step": MAX_INSTANCES_PER_STEP}
    assert all(len(step["instances"]) <= MAX_INSTANCES_PER_STEP for step in pushed["steps"])
    assert "Capped for XCom and the task log" in markdown
    assert any(markdown in call.args for call in logged.call_args_list)
    assert "<img" not in markdown and [line for line in markdown.splitlines() if "**Verdict:**" in line] == [
        "**Verdict:** no conclusion yet  "]
    full = json.loads((tmp_path / "r" / f"cfg-experiment-{experiment_id}.json").read_text())
    assert max(len(step["instances"]) for step in full["steps"]) == len(instances)
    assert "Capped" not in (tmp_path / "r" / f"cfg-experiment-{experiment_id}.md").read_text()


def test_conclude_publishes_the_run_note_and_the_report_link(cfg_emulator, monkeypatch):
    """The run note (the verdict in words, the summary CFG holds, the links) and the URL of the
    rendered report, under Airflow's base URL, go to XCom with the report."""
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://127.0.0.1:28080")
    use_emulator(monkeypatch, cfg_emulator)
    experiment_id = run_game_day(cfg_emulator)
    ti = FakeTI(dag_id="cfg_game_day", pulls={"check": {"passed": True, "detail": "ok"}})
    with pytest.raises(CfgVerdictError):
        CfgConcludeExperimentOperator(task_id="conclude", experiment_id=experiment_id,
                                      check_task_ids=["check"]).execute(context_for(ti))
    url = "http://127.0.0.1:28080/cfg/report/cfg_game_day/manual__2026-01-07T10%3A00%3A00%2B00%3A00"
    assert ti.pushed["report_url"] == url
    note = ti.pushed["cfg_run_note"]
    assert note.startswith(f"**CFG game day: NOT as expected** - experiment {experiment_id}, report drill\n\n")
    assert "guardrail" in note.split("\n\n")[1].lower()  # the summary CFG holds
    assert note.endswith(f"[Game-day report]({url}) | [CFG experiment]({ti.pushed['console_url']})")
    assert ti.push_order.index("report") < ti.push_order.index("report_url") < ti.push_order.index("cfg_run_note")


def test_a_note_that_cannot_be_published_never_fails_the_task(cfg_emulator, monkeypatch, mocker):
    use_emulator(monkeypatch, cfg_emulator)
    experiment_id = run_game_day(cfg_emulator)
    mocker.patch("airflow_provider_cfg.operators.base.run_report_url", side_effect=RuntimeError("no config"))
    ti = FakeTI()
    result = CfgConcludeExperimentOperator(task_id="conclude", experiment_id=experiment_id,
                                           fail_on_unexpected=False).execute(context_for(ti))
    assert result["is_expect"] is False and "report" in ti.pushed
    assert "report_url" not in ti.pushed and "cfg_run_note" not in ti.pushed
