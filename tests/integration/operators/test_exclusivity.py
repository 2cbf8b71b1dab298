"""Target exclusivity (issue 12, finding 9): creating or injecting is refused when a target instance
belongs to another live experiment of the account, naming it; ``exclusive_targets=False`` opts out."""

from __future__ import annotations

import pytest

from airflow_provider_cfg.core.exclusivity import TargetInUseError, ensure_exclusive, request_targets
from airflow_provider_cfg.operators.create import (
    CfgCreateExperimentFromActionOperator,
    CfgCreateExperimentFromTemplateOperator,
)
from airflow_provider_cfg.operators.step import CfgExecuteStepOperator
from tests.airflow_helpers import FakeTI, context_for

SHARED = "ins-aaaaaaaa"
OTHER = "ins-bbbbbbbb"


def live_experiment(emu, instances: list[str], title: str = "first game day") -> int:
    created = emu.call("CreateTaskFromTemplate", TemplateId=626,
                       TaskConfig={"TaskTitle": title, "TaskGroupsConfig": [{"TaskGroupInstances": instances}]})
    assert "Error" not in emu.call("ExecuteTask", TaskId=created["TaskId"])
    return created["TaskId"]


def experiment_ids(emu) -> list[int]:
    return sorted(item["TaskId"] for item in emu.call("DescribeTaskList", Limit=100, Offset=0)["TaskList"])


def create(instances: list[str], task_id: str = "create", **kwargs) -> CfgCreateExperimentFromTemplateOperator:
    return CfgCreateExperimentFromTemplateOperator(task_id=task_id, template_id=626, instances=instances, **kwargs)


def test_a_create_on_the_targets_of_a_live_experiment_is_refused_naming_it(emu):
    first = live_experiment(emu, [SHARED])
    before = experiment_ids(emu)
    with pytest.raises(TargetInUseError) as err:
        create([OTHER, SHARED]).execute(context_for(FakeTI()))
    message = str(err.value)
    assert f"experiment {first} 'first game day' (1002 running) has {SHARED}" in message
    assert "exclusive_targets=False" in message and OTHER not in message
    assert err.value.owners == {first: [SHARED]} and err.value.field == "instances"
    assert experiment_ids(emu) == before  # nothing created


def test_paused_counts_as_live_ended_and_not_started_do_not(emu):
    first = live_experiment(emu, [SHARED])
    assert "Error" not in emu.call("ModifyTaskRunStatus", TaskId=first, Status=1003)
    with pytest.raises(TargetInUseError, match="1003 paused"):
        create([SHARED]).execute(context_for(FakeTI()))
    assert "Error" not in emu.call("ModifyTaskRunStatus", TaskId=first, Status=1004, Summary="done", IsExpect=True)
    emu.call("CreateTaskFromTemplate", TemplateId=626,
             TaskConfig={"TaskGroupsConfig": [{"TaskGroupInstances": [SHARED]}]})
    assert isinstance(create([SHARED]).execute(context_for(FakeTI())), int)  # ended and 1001: no conflict


def test_the_opt_out_creates_anyway(emu):
    live_experiment(emu, [SHARED])
    created = create([SHARED], exclusive_targets=False).execute(context_for(FakeTI()))
    assert created in experiment_ids(emu)


def test_the_action_create_is_checked_too(emu):
    first = live_experiment(emu, [SHARED])
    with pytest.raises(TargetInUseError, match=f"experiment {first}"):
        CfgCreateExperimentFromActionOperator(task_id="create", action_id=12, instances=[SHARED]).execute(
            context_for(FakeTI()))


def test_injecting_a_step_into_a_target_of_another_live_experiment_is_refused(emu):
    first = live_experiment(emu, [SHARED])
    second = live_experiment(emu, [SHARED, OTHER], title="second")  # created behind our back (no check)
    step = CfgExecuteStepOperator(task_id="step", experiment_id=second, step="1.1", poll_interval=0.05)
    with pytest.raises(TargetInUseError, match=rf"refusing to inject step 1\.1 .*experiment {first} 'first game day'"):
        step.execute(context_for(FakeTI()))
    assert emu.state.faults() == []  # nothing injected
    # only on the other instance: allowed
    CfgExecuteStepOperator(task_id="step", experiment_id=second, step="1.1", instances=[OTHER],
                           poll_interval=0.05).execute(context_for(FakeTI()))
    # recovering is never refused
    CfgExecuteStepOperator(task_id="recover", experiment_id=second, step="1.2", poll_interval=0.05).execute(
        context_for(FakeTI()))


def test_the_step_opt_out_injects_anyway(emu):
    live_experiment(emu, [SHARED])
    second = live_experiment(emu, [SHARED], title="second")
    CfgExecuteStepOperator(task_id="step", experiment_id=second, step="1.1", poll_interval=0.05,
                           exclusive_targets=False).execute(context_for(FakeTI()))
    assert [fault["TaskId"] for fault in emu.state.faults()] == [second]


def test_json_instance_ids_match_whatever_their_key_order(emu):
    from airflow_provider_cfg.api.client import CfgClient

    pod = '{"ClusterId":"cls-aaaaaaaa","PodName":"web-1","NodeName":"10.0.0.1","NameSpace":"prod","Workload":"web"}'
    reordered = ('{"Workload":"web","ClusterId":"cls-aaaaaaaa","PodName":"web-1","NodeName":"10.0.0.1",'
                 '"NameSpace":"prod"}')
    created = emu.call("CreateTaskFromAction", TaskActionId=501, TaskInstances=[pod])
    if "Error" in created:
        pytest.skip(f"no pod action in this catalogue: {created['Error']}")
    assert "Error" not in emu.call("ExecuteTask", TaskId=created["TaskId"])
    with CfgClient(emu.secret_id, emu.secret_key, endpoint=emu.endpoint) as client, pytest.raises(TargetInUseError):
        ensure_exclusive(client, [reordered])


def test_request_targets():
    assert request_targets({"TaskInstances": ["a", "b"]}) == ["a", "b"]
    assert sorted(request_targets({"TaskConfig": {"TaskGroupsConfig": [{"TaskGroupInstances": ["a"]},
                                                                      {"TaskGroupInstances": ["b"]}]}})) == ["a", "b"]
