"""The state machine on a fake clock: transitions happen at their exact due times."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_cfg.api.actions import ACTIONS
from airflow_provider_cfg.emulator.errors import ApiError
from airflow_provider_cfg.emulator.handlers import HANDLERS
from airflow_provider_cfg.emulator.params import parse_request
from airflow_provider_cfg.emulator.state import EmulatorState, SimClock

WALL0 = 1_700_000_000.0  # 2023-11-15 06:13:20 UTC+8
INSTANCES = ["ins-aaaaaaaa", "ins-bbbbbbbb"]


def at(seconds: float) -> str:
    total = 20 + int(seconds)
    return f"2023-11-15 06:{13 + total // 60:02d}:{total % 60:02d}"


class Sim:
    def __init__(self, action_seconds: float = 8.0) -> None:
        self.now = 0.0
        self.state = EmulatorState(action_seconds=action_seconds, seed=5,
                                   clock=SimClock(monotonic=lambda: self.now, wall=lambda: WALL0))

    def call(self, action: str, **params: Any) -> dict[str, Any]:
        request = parse_request(ACTIONS[action], params)
        with self.state.lock:
            self.state.advance()
            return HANDLERS[action](self.state, "ap-guangzhou", request).model_dump(mode="json")

    def task(self, task_id: int) -> dict[str, Any]:
        return self.call("DescribeTask", TaskId=task_id)["Task"]

    def action(self, task_id: int, index: int) -> dict[str, Any]:
        return [a for g in self.task(task_id)["TaskGroups"] for a in g["TaskGroupActions"]][index]

    def run(self, task_id: int, index: int, action_type: int = 2) -> None:
        pairs = [(g, a) for g in self.task(task_id)["TaskGroups"] for a in g["TaskGroupActions"]]
        group, action = pairs[index]
        self.call("ExecuteTaskInstance", TaskId=task_id, TaskGroupId=group["TaskGroupId"],
                  TaskActionId=action["TaskGroupActionId"], ActionType=action_type, IsOperateAll=True,
                  TaskInstanceIds=[])

    def create(self, template_id: int = 626, **config: Any) -> int:
        groups = config.pop("groups", None) or [{"TaskGroupInstances": INSTANCES}]
        return self.call("CreateTaskFromTemplate", TemplateId=template_id,
                         TaskConfig={"TaskGroupsConfig": groups, **config})["TaskId"]


def instance_states(action: dict[str, Any]) -> list[tuple[int, int]]:
    return [(i["TaskGroupInstanceStatus"], i["TaskGroupInstanceStatusType"]) for i in action["TaskGroupInstances"]]


def test_instance_progression_at_due_times() -> None:
    sim = Sim()
    task_id = sim.create()
    sim.call("ExecuteTask", TaskId=task_id)
    sim.now = 1.0
    sim.run(task_id, 0)
    assert sim.action(task_id, 0)["TaskGroupActionStatus"] == 2003
    assert instance_states(sim.action(task_id, 0)) == [(3004, 0), (3004, 0)]  # preparing
    assert sim.state.faults() == []
    sim.now = 2.9
    assert instance_states(sim.action(task_id, 0)) == [(3004, 0), (3004, 0)]
    sim.now = 3.0  # 25 % of 8 s later: running
    assert instance_states(sim.action(task_id, 0)) == [(3002, 0), (3002, 0)]
    assert [f["Since"] for f in sim.state.faults()] == [at(3), at(3)]
    sim.now = 9.0  # 8 s after the start: finished, both in parallel
    action = sim.action(task_id, 0)
    assert (action["TaskGroupActionStatus"], action["TaskGroupActionStatusType"]) == (2004, 1)
    assert instance_states(action) == [(3003, 1), (3003, 1)]
    for inst in action["TaskGroupInstances"]:
        assert (inst["TaskGroupInstanceStartTime"], inst["TaskGroupInstanceEndTime"]) == (at(1), at(9))
        assert inst["TaskGroupInstanceExecuteTime"] == 8
    assert action["TaskGroupActionStartTime"] == at(1) and action["TaskGroupActionExecuteTime"] == 8
    assert sim.action(task_id, 1)["TaskGroupActionStatus"] == 2002


def test_late_request_sees_exact_times() -> None:
    sim = Sim()
    task_id = sim.create()
    sim.call("ExecuteTask", TaskId=task_id)
    sim.run(task_id, 0)
    sim.now = 100.0  # nobody asked in between
    action = sim.action(task_id, 0)
    assert action["TaskGroupInstances"][0]["TaskGroupInstanceEndTime"] == at(8)
    assert action["TaskGroupActionUpdateTime"] == at(8)
    assert [f["Since"] for f in sim.state.faults()] == [at(2), at(2)]
    sim.run(task_id, 1)
    sim.now = 200.0
    assert sim.state.faults() == []
    assert sim.action(task_id, 1)["TaskGroupInstances"][0]["TaskGroupInstanceEndTime"] == at(108)


def test_automatic_mode_waits() -> None:
    sim = Sim()
    waits = [{"TaskGroupActionOrder": 1, "TaskGroupActionGeneralConfiguration":
              json.dumps({"PreTimeWait": 5, "AfterTimeWait": 3})}]
    task_id = sim.create(629, groups=[{"TaskGroupInstances": INSTANCES, "TaskGroupActionsConfig": waits}])
    sim.call("ExecuteTask", TaskId=task_id)
    sim.now = 4.9
    assert sim.action(task_id, 0)["TaskGroupActionStatus"] == 2002
    sim.now = 500.0
    task = sim.task(task_id)
    fault, recovery = task["TaskGroups"][0]["TaskGroupActions"]
    assert fault["TaskGroupActionStartTime"] == at(5)  # after PreTimeWait
    assert fault["TaskGroupInstances"][0]["TaskGroupInstanceEndTime"] == at(13)
    assert recovery["TaskGroupActionStartTime"] == at(16)  # after AfterTimeWait
    assert (task["TaskStatus"], task["TaskStatusType"], task["TaskEndTime"]) == (1004, 1, at(24))
    assert sim.state.faults() == []


def test_action_timeout_fails_the_instances() -> None:
    sim = Sim()
    timeout = [{"TaskGroupActionOrder": 1,
                "TaskGroupActionGeneralConfiguration": json.dumps({"ActionTimeout": 3})}]
    task_id = sim.create(groups=[{"TaskGroupInstances": INSTANCES, "TaskGroupActionsConfig": timeout}])
    sim.call("ExecuteTask", TaskId=task_id)
    sim.run(task_id, 0)
    sim.now = 3.0
    action = sim.action(task_id, 0)
    assert action["TaskGroupActionStatusType"] == 2 and action["IsExecuteRedo"] is True
    assert "timed out after 3 s" in action["TaskGroupInstances"][0]["TaskGroupInstanceExecuteLog"]


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


def test_ending_terminates_but_keeps_faults() -> None:
    sim = Sim()
    task_id = sim.create()
    sim.call("ExecuteTask", TaskId=task_id)
    sim.run(task_id, 0)
    sim.now = 4.0
    sim.call("ModifyTaskRunStatus", TaskId=task_id, Status=1004, IsExpect=False, Summary="aborted")
    task = sim.task(task_id)
    assert (task["TaskStatus"], task["TaskStatusType"], task["TaskExpect"], task["TaskEndTime"]) == \
        (1004, 3, 2, at(4))
    assert instance_states(task["TaskGroups"][0]["TaskGroupActions"][0]) == [(3003, 3), (3003, 3)]
    sim.now = 50.0
    assert [f["Since"] for f in sim.state.faults()] == [at(2), at(2)]


def test_terminated_while_preparing_injects_nothing() -> None:
    sim = Sim()
    task_id = sim.create()
    sim.call("ExecuteTask", TaskId=task_id)
    sim.run(task_id, 0)
    sim.now = 1.0
    sim.call("ModifyTaskRunStatus", TaskId=task_id, Status=1004, IsExpect=True, Summary="x")
    sim.now = 50.0
    assert sim.state.faults() == []
