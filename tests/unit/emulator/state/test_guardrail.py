"""The guardrail: trigger, rollback in reverse order, pause, refused faults (state/guardrail.py)."""

from __future__ import annotations

import json

import pytest

from airflow_provider_cfg.emulator.errors import ApiError
from tests.emu_helpers import INSTANCES, Cfg, wait_for
from tests.unit.emulator.state.simulation import Sim, at


def test_trigger_policy_rollback(cfg: Cfg) -> None:
    task_id = cfg.start(627, ["ins-aaaaaaaa", "ins-bbbbbbbb", "ins-cccccccc", "ins-dddddddd"])
    task = cfg.task(task_id)
    assert task["PolicyDealType"] == 1 and task["TaskPolicy"]["TaskPolicyStatus"] == "未触发"
    cfg.run_ok(task_id, 0)
    cfg.wait_action(task_id, 0)
    assert len(cfg.faults()) == 2  # 50% of 4 instances
    result = cfg.ok("TriggerPolicy", TaskId=task_id, Name="cpu", Content="CPU > 90%", TriggerType=0)
    assert result["TaskId"] == task_id and result["Success"] is True
    assert cfg.task(task_id)["TaskPolicy"]["TaskPolicyStatus"] == "已触发"
    task = cfg.wait_task(task_id, 1003)  # the rollback runs the recovery, then pauses
    recovery = task["TaskGroups"][0]["TaskGroupActions"][1]
    assert (recovery["TaskGroupActionStatus"], recovery["TaskGroupActionStatusType"]) == (2004, 1)
    assert cfg.faults() == []
    cfg.ok("ModifyTaskRunStatus", TaskId=task_id, Status=1002)
    code, message = cfg.err("TriggerPolicy", TaskId=task_id, Name="x", Content="y", TriggerType=2)
    assert code == "InvalidParameterValue" and "0" in message and "1" in message
    cfg.ok("TriggerPolicy", TaskId=task_id, Name="cpu", Content="back to normal", TriggerType=1)
    assert cfg.task(task_id)["TaskPolicy"]["TaskPolicyStatus"] == "已恢复"
    logs = cfg.ok("DescribeTaskPolicyTriggerLog", TaskId=task_id, Page=1, PageSize=10)["TriggerLogs"]
    assert [(log["TriggerType"], log["Content"]) for log in logs] == [(0, "CPU > 90%"), (1, "back to normal")]
    assert all(log["TaskId"] == task_id and log["Name"] == "cpu" and log["CreatTime"] for log in logs)
    page2 = cfg.ok("DescribeTaskPolicyTriggerLog", TaskId=task_id, Page=2, PageSize=1)["TriggerLogs"]
    assert [log["Content"] for log in page2] == ["back to normal"]
    assert cfg.err("DescribeTaskPolicyTriggerLog", TaskId=task_id, Page=0, PageSize=1)[0] == "InvalidParameterValue"


def test_triggered_guardrail_refuses_faults(cfg: Cfg) -> None:
    task_id = cfg.start(626, INSTANCES, PolicyDealType=2)
    assert cfg.task(task_id)["TaskPolicy"]["TaskPolicyDealType"] == 2
    cfg.ok("TriggerPolicy", TaskId=task_id, Name="alarm", Content="latency", TriggerType=0)
    assert cfg.task(task_id)["TaskStatus"] == 1003  # policy 2: pause
    cfg.ok("ModifyTaskRunStatus", TaskId=task_id, Status=1002)
    code, message = cfg.run(task_id, 0)["Error"].values()
    assert code == "UnsupportedOperation" and "guardrail" in message
    cfg.run_ok(task_id, 1)  # recovery actions stay allowed
    cfg.wait_action(task_id, 1)
    cfg.ok("TriggerPolicy", TaskId=task_id, Name="alarm", Content="ok", TriggerType=1)
    cfg.run_ok(task_id, 0)


def test_trigger_terminates_a_running_fault_and_rolls_back(cfg: Cfg) -> None:
    cfg.server.state.action_seconds = 0.3
    task_id = cfg.ok("CreateTaskFromAction", TaskActionId=462, TaskInstances=INSTANCES,
                     TaskActionCustomConfiguration=json.dumps({"interfaces": "eth1"}))["TaskId"]
    assert cfg.task(task_id)["TaskPolicy"] is None
    cfg.ok("ExecuteTask", TaskId=task_id)
    cfg.run_ok(task_id, 0)
    wait_for(lambda: cfg.faults(), what="the fault to run")
    cfg.ok("TriggerPolicy", TaskId=task_id, Name="slo", Content="error rate", TriggerType=0)
    task = cfg.task(task_id)
    assert task["TaskPolicy"]["TaskPolicyStatus"] == "已触发" and task["TaskPolicy"]["TaskPolicyDealType"] == 1
    fault = task["TaskGroups"][0]["TaskGroupActions"][0]
    assert (fault["TaskGroupActionStatus"], fault["TaskGroupActionStatusType"]) == (2004, 3)
    assert cfg.run(task_id, 1)["Error"]["Code"] == "UnsupportedOperation"  # the rollback is running it
    cfg.wait_task(task_id, 1003)
    assert cfg.faults() == []
    assert cfg.action(task_id, 1)["TaskGroupActionStatusType"] == 1


def test_trigger_without_injected_faults_just_pauses(cfg: Cfg) -> None:
    task_id = cfg.start(628, groups=[{"TaskGroupInstances": ["ins-aaaaaaaa"]},
                                     {"TaskGroupInstances": ["cdb-aaaaaaaa"]}])
    cfg.ok("TriggerPolicy", TaskId=task_id, Name="n", Content="c", TriggerType=0)
    assert cfg.task(task_id)["TaskStatus"] == 1003
    assert all(a["TaskGroupActionStatus"] in (2001, 2002) for a in cfg.actions(task_id))
    cfg.end(task_id)
    assert cfg.err("TriggerPolicy", TaskId=task_id, Name="n", Content="c", TriggerType=0)[0] == "UnsupportedOperation"


def test_rollback_runs_in_reverse_order_then_pauses() -> None:
    sim = Sim()
    task_id = sim.call("CreateTaskFromMultiAction", TaskInstances=INSTANCES, TaskAction=[
        {"TaskActionId": 21}, {"TaskActionId": 23}, {"TaskActionId": 12}])["TaskId"]
    titles = [a["ActionId"] for a in sim.task(task_id)["TaskGroups"][0]["TaskGroupActions"]]
    assert titles == [21, 22, 23, 24, 12, 13]
    sim.call("ExecuteTask", TaskId=task_id)
    sim.run(task_id, 0)  # CPU load, 0..8
    sim.now = 8.0
    sim.run(task_id, 2)  # disk fill, 8..16, interrupted at 12
    sim.now = 12.0
    sim.call("TriggerPolicy", TaskId=task_id, Name="n", Content="c", TriggerType=0)
    actions = sim.task(task_id)["TaskGroups"][0]["TaskGroupActions"]
    assert (actions[2]["TaskGroupActionStatus"], actions[2]["TaskGroupActionStatusType"]) == (2004, 3)
    assert sim.task(task_id)["TaskStatus"] == 1002  # still rolling back
    with pytest.raises(ApiError) as refused:
        sim.run(task_id, 4)
    assert refused.value.code == "FailedOperation"
    sim.now = 100.0
    task = sim.task(task_id)
    actions = task["TaskGroups"][0]["TaskGroupActions"]
    # disk recovery (fault partly ran) first, then CPU recovery; the empty operation never ran
    assert actions[3]["TaskGroupActionStartTime"] == at(12)
    assert actions[1]["TaskGroupActionStartTime"] == at(20)
    assert actions[5]["TaskGroupActionStatus"] == 2001
    assert task["TaskStatus"] == 1003
    assert sim.state.faults() == []
    logs = sim.call("DescribeTaskExecuteLogs", TaskId=task_id, Limit=100, Offset=0)["LogMessage"]
    assert any(line.startswith(at(28)) and "paused by the guardrail" in line for line in logs)
