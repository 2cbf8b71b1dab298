"""The operators under each reading of what CFG leaves undocumented (emulator variants).

Each test sets a variant on the emulator (``POST /_emulator/variants``; the fixture's reset restores
the defaults) and checks that the provider stays right: it names instances, learns existence by
reading, keeps a verdict CFG refused to store, and understands both languages.
"""

from __future__ import annotations

import pytest

from airflow_provider_cfg.operators.experiment import CfgDeleteExperimentOperator, CfgEndExperimentOperator
from airflow_provider_cfg.operators.plan import CfgPlanExperimentOperator
from airflow_provider_cfg.operators.rollback import CfgRollbackExperimentOperator
from tests.airflow_helpers import (
    FakeTI,
    action_state,
    context_for,
    create_626,
    end,
    faults,
    ok,
    record_wire,
    started_626,
    starts,
    task_of,
)
from tests.emu_helpers import wait_for
from tests.integration.operators.test_step import step_op


def play(emu, **variants: str) -> None:
    emu.http().post("/_emulator/variants", json=variants).raise_for_status()


def test_a_step_names_its_instances_and_never_operates_the_whole_task(emu, monkeypatch):
    play(emu, operate_all="task")  # IsOperateAll=true would run the recovery too
    experiment_id, fault, recovery = started_626(emu)
    operator = step_op(experiment_id, [1, 1])
    wire = record_wire(monkeypatch, operator, emu)
    operator.execute(context_for())
    (sent,) = wire.bodies("ExecuteTaskInstance")
    instance_ids = [i["TaskGroupInstanceId"] for i in action_state(emu, experiment_id, fault)["TaskGroupInstances"]]
    assert sent["IsOperateAll"] is False and sent["TaskInstanceIds"] == instance_ids
    assert action_state(emu, experiment_id, recovery)["TaskGroupActionStatus"] == 2002  # not run
    assert starts(emu, experiment_id, recovery) == 0


def test_a_step_of_an_experiment_not_started_is_refused_before_sending(emu):
    from airflow_provider_cfg.exceptions import CfgStepFailedError

    experiment_id = create_626(emu)  # instances appear only at ExecuteTask
    with pytest.raises(CfgStepFailedError, match="no instances yet"):
        step_op(experiment_id, [1, 1]).execute(context_for())


@pytest.mark.parametrize("start_type", ["run", "pending"])
def test_start_then_wait_works_under_both_readings_of_action_type_1(emu, start_type):
    play(emu, start_type=start_type)
    experiment_id, fault, _ = started_626(emu)
    result = step_op(experiment_id, [1, 1], operation="start").execute(context_for())
    assert result["action_status"] == 2004 and result["action_status_type"] == 1
    assert starts(emu, experiment_id, fault) == 1  # run exactly once


def test_rollback_names_the_recovery_instances_and_runs_nothing_else(emu):
    play(emu, operate_all="task")
    experiment_id, _, recovery = started_626(emu)
    step_op(experiment_id, [1, 1]).execute(context_for())
    assert faults(emu)
    CfgRollbackExperimentOperator(task_id="rb", experiment_id=experiment_id, poll_interval=0.05).execute(context_for())
    assert faults(emu) == [] and starts(emu, experiment_id, recovery) == 1
    assert task_of(emu, experiment_id)["TaskStatus"] == 1004


@pytest.mark.parametrize("conclusion", ["accepted", "refused"])
def test_a_verdict_is_kept_when_cfg_refuses_it_after_ending_the_experiment_itself(emu, conclusion):
    play(emu, conclusion_after_end=conclusion)
    experiment_id = ok(emu, "CreateTaskFromTemplate", TemplateId=629, TaskConfig={
        "TaskGroupsConfig": [{"TaskGroupInstances": ["ins-aaaaaaaa"]}]})["TaskId"]
    ok(emu, "ExecuteTask", TaskId=experiment_id)
    wait_for(lambda: task_of(emu, experiment_id)["TaskStatus"] == 1004, timeout=20, what="automatic end")
    ti = FakeTI()
    result = CfgEndExperimentOperator(task_id="end", experiment_id=experiment_id, summary="SLO held",
                                      is_expect=True).execute(context_for(ti))
    assert result["is_expect"] is True and result["summary"] == "SLO held"
    assert result["stored_in_cfg"] is (conclusion == "accepted")
    assert task_of(emu, experiment_id)["TaskExpect"] == (1 if conclusion == "accepted" else None)
    if conclusion == "refused":
        assert "not stored by CFG" in str(ti.pushed["report"])


@pytest.mark.parametrize("code", ["documented", "ResourceNotFound", "InvalidParameterValue", "FailedOperation"])
def test_delete_learns_existence_by_reading_whatever_the_code(emu, code):
    play(emu, unknown_id=code)
    experiment_id = create_626(emu)
    end(emu, experiment_id)
    assert CfgDeleteExperimentOperator(task_id="d", experiment_id=experiment_id).execute(context_for()) is True
    assert CfgDeleteExperimentOperator(task_id="d", experiment_id=experiment_id).execute(context_for()) is False
    with pytest.raises(ValueError, match="does not exist"):
        CfgDeleteExperimentOperator(task_id="d", experiment_id=experiment_id, missing_ok=False).execute(context_for())


@pytest.mark.parametrize("language", ["zh-CN", "en-US"])
def test_plan_risk_policy_reads_risk_in_either_language(emu, language):
    play(emu, language=language)
    config = {"TaskGroupsConfig": [{"TaskGroupInstances": ["ins-aaaaaaaa", "ins-bbbbbbbb"]}]}

    def plan(template_id: int) -> dict:
        return CfgPlanExperimentOperator(task_id="plan", template_id=template_id, task_config=config,
                                         policy={"max_risk_level": "low"}, fail_on_violation=False
                                         ).execute(context_for())

    low, high = plan(626), plan(627)  # empty operation (low risk), shutdown (high risk)
    assert low["verdict"]["ok"] and [s["risk"] for g in low["groups"] for s in g["steps"]][:1] == [1]
    assert [v["code"] for v in high["verdict"]["violations"]] == ["risk_too_high"]
