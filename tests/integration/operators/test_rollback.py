"""The rollback teardown and halt-all's sweep and check (operators/rollback.py) against the emulator."""

from __future__ import annotations

import pytest

from airflow_provider_cfg.core.rollback import GUARDRAIL_NAME
from airflow_provider_cfg.exceptions import CfgStepFailedError
from airflow_provider_cfg.links.console import XCOM_EXPERIMENT_ID
from airflow_provider_cfg.operators.experiment import CfgConcludeExperimentOperator, CfgStartExperimentOperator
from airflow_provider_cfg.operators.rollback import (
    CfgFindLiveExperimentsOperator,
    CfgHaltSummaryOperator,
    CfgRollbackExperimentOperator,
)
from tests.airflow_helpers import (
    INSTANCE,
    FakeTI,
    action_state,
    actions_of,
    chaos,
    context_for,
    create_managed_626,
    end,
    faults,
    log_lines,
    ok,
    run_626_cleanly,
    run_action,
    started_626,
    task_of,
    trigger_logs,
)


def test_template_fields():
    assert set(CfgRollbackExperimentOperator.template_fields) == {
        "cfg_conn_id", "region", "experiment_id", "reason", "report_path"}
    op = CfgRollbackExperimentOperator(task_id="t", experiment_id="{{ params.id }}")
    op.render_template_fields({"params": {"id": "4242"}})
    assert op.experiment_id == "4242"


# -- rollback teardown ------------------------------------------------------------------------------------------


def rollback_op(experiment_id, **kwargs) -> CfgRollbackExperimentOperator:
    return CfgRollbackExperimentOperator(task_id="rollback", experiment_id=experiment_id, poll_interval=0.05, **kwargs)


@pytest.mark.parametrize("missing", [None, "", "None"])
def test_rollback_without_experiment(emu, missing):
    assert rollback_op(missing).execute(context_for()) == {"experiment_id": None, "clean": True}


def test_rollback_operator_recovers_and_ends(emu):
    experiment_id, fault, recovery = started_626(emu)
    run_action(emu, experiment_id, fault)
    ti = FakeTI()
    result = rollback_op(str(experiment_id), reason="inject_fault_1 failed").execute(context_for(ti))
    assert result["clean"] is True and result["ended_by_rollback"] is True and result["guardrail_triggered"] is False
    assert result["recovered"] == [f"'Empty Operation (rollback)' (TaskActionId {recovery})"]
    assert result["left_injected"] == [] and result["problems"] == []
    assert ti.pushed[XCOM_EXPERIMENT_ID] == experiment_id
    assert faults(emu) == []
    task = task_of(emu, experiment_id)
    assert (task["TaskStatus"], task["TaskExpect"]) == (1004, 2)
    assert task["TaskSummary"].startswith("Rolled back by Airflow: inject_fault_1 failed.")
    # a second run (the teardown retried) changes nothing
    again = rollback_op(experiment_id).execute(context_for())
    assert again["ended_by_rollback"] is False and again["clean"] is True
    assert task_of(emu, experiment_id)["TaskEndTime"] == task["TaskEndTime"]


def test_rollback_operator_leaves_a_concluded_experiment(emu):
    experiment_id, _, _ = run_626_cleanly(emu)
    end(emu, experiment_id, "all good", True)
    before = log_lines(emu, experiment_id)
    result = rollback_op(experiment_id).execute(context_for())
    assert result["ended_by_rollback"] is False and result["clean"] is True and result["recovered"] == []
    assert task_of(emu, experiment_id)["TaskSummary"] == "all good"
    assert log_lines(emu, experiment_id) == before


def test_rollback_operator_fails_when_a_fault_stays_injected(emu):
    experiment_id, fault, recovery = started_626(emu)
    run_action(emu, experiment_id, fault)
    chaos(emu, failing_instances=[INSTANCE], failing_actions="recovery")
    with pytest.raises(CfgStepFailedError,
                       match=rf"faults may still be injected: 'Empty Operation' \(TaskActionId {fault}\)"):
        rollback_op(experiment_id).execute(context_for())
    assert [f["TaskGroupActionId"] for f in faults(emu)] == [fault]
    assert action_state(emu, experiment_id, recovery)["TaskGroupActionStatusType"] == 2
    assert [log["Name"] for log in trigger_logs(emu, experiment_id)] == [GUARDRAIL_NAME]
    assert "STILL INJECTED" in task_of(emu, experiment_id)["TaskSummary"]


def test_rollback_operator_defaults_to_retries():
    assert CfgRollbackExperimentOperator(task_id="rollback", experiment_id=1).retries == 3


def test_rollback_operator_after_a_clean_game_day_with_a_self_healing_fault(emu):
    """Template 628 ends with a MySQL switch, which has no recovery: a concluded run must not fail the teardown."""
    experiment_id = ok(emu, "CreateTaskFromTemplate", TemplateId=628, TaskConfig={
        "TaskTitle": "web and db",
        "TaskGroupsConfig": [{"TaskGroupInstances": [INSTANCE]}, {"TaskGroupInstances": ["cdb-aaaaaaaa"]}],
    })["TaskId"]
    CfgStartExperimentOperator(task_id="start", experiment_id=experiment_id).execute(context_for())
    for action in actions_of(emu, experiment_id):
        run_action(emu, experiment_id, action["TaskGroupActionId"])
    CfgConcludeExperimentOperator(
        task_id="conclude", experiment_id=experiment_id, checks={"ok": True}).execute(context_for())
    assert task_of(emu, experiment_id)["TaskExpect"] == 1
    result = rollback_op(experiment_id).execute(context_for())
    assert result["clean"] is True and result["left_injected"] == [] and result["ended_by_rollback"] is False


# -- halt-all: the sweep and the check ------------------------------------------------------------------------


@pytest.mark.parametrize(("list_only", "rolls_back"), [(False, True), ("False", True), ("True", False), (True, False)])
def test_find_live_experiments(emu, list_only, rolls_back):
    older, newer = create_managed_626(emu, "older"), create_managed_626(emu, "newer")
    ended = create_managed_626(emu, "ended")
    end(emu, ended)
    ti = FakeTI()
    ids = CfgFindLiveExperimentsOperator(task_id="find", list_only=list_only).execute(context_for(ti))
    assert ids == ([newer, older] if rolls_back else [])
    assert ti.pushed["found"] == [
        {"experiment_id": newer, "title": "newer", "status": 1001, "dag": "cfg_game_day"},
        {"experiment_id": older, "title": "older", "status": 1001, "dag": "cfg_game_day"},
    ]


def test_find_live_experiments_template_fields():
    assert set(CfgFindLiveExperimentsOperator.template_fields) == {"cfg_conn_id", "region", "list_only"}
    assert set(CfgHaltSummaryOperator.template_fields) == {"cfg_conn_id", "region", "list_only"}
    assert CfgHaltSummaryOperator(task_id="summary", sweep_task_id="find").trigger_rule == "all_done"


def halt_summary(found, ti: FakeTI | None = None, **kwargs) -> dict:
    ti = ti or FakeTI()
    ti.pulls["find"] = found
    return CfgHaltSummaryOperator(task_id="summary", sweep_task_id="find", **kwargs).execute(context_for(ti))


def test_halt_summary_of_a_halted_sweep(emu):
    experiment_id = create_managed_626(emu, "swept")
    CfgStartExperimentOperator(task_id="start", experiment_id=experiment_id).execute(context_for())
    sweep = FakeTI()
    assert CfgFindLiveExperimentsOperator(task_id="find").execute(context_for(sweep)) == [experiment_id]
    rollback_op(experiment_id).execute(context_for())
    newcomer = create_managed_626(emu, "newcomer")
    ti = FakeTI("cfg_halt_all")
    assert halt_summary(sweep.pushed["found"], ti) == {
        "dry_run": False, "halted": [experiment_id], "appeared_since": [newcomer]}
    link = "/cfg/report/cfg_halt_all/manual__2026-01-07T10%3A00%3A00%2B00%3A00"
    assert ti.pushed["report_url"].endswith(link)
    assert ti.pushed["cfg_run_note"] == (
        f"**CFG game day: halted** - 1 experiment(s) halted and recovered\n\n{experiment_id}\n\n"
        f"[Game-day report]({ti.pushed['report_url']})")


def test_halt_summary_fails_naming_what_is_still_injected(emu):
    experiment_id, fault, _ = started_626(emu)
    run_action(emu, experiment_id, fault)
    found = [{"experiment_id": experiment_id, "title": "t", "status": 1002, "dag": None}]
    failed = FakeTI()
    with pytest.raises(CfgStepFailedError, match=rf"STILL INJECTED: 'Empty Operation' \(TaskActionId {fault}\)"):
        halt_summary(found, failed)
    assert failed.pushed["cfg_run_note"].startswith(
        "**CFG game day: halt INCOMPLETE** - 0 experiment(s) halted, 2 problem(s)\n\n* experiment ")
    dry = FakeTI()
    assert halt_summary(found, dry, list_only="True") == {"dry_run": True, "would_halt": [experiment_id]}
    assert dry.pushed == {"cfg_run_note": f"**CFG game day: dry run** - would halt 1 experiment(s)\n\n{experiment_id}"}
    assert faults(emu)  # a dry run checks nothing and changes nothing


def test_halt_summary_without_a_sweep_fails():
    with pytest.raises(CfgStepFailedError, match=r"the sweep \(find\) did not run"):
        halt_summary(None)
