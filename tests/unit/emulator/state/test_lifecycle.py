"""A task's lifecycle: start once, pause, resume, end, delete; ending keeps faults (state/lifecycle.py)."""

from __future__ import annotations

import time

from tests.emu_helpers import INSTANCES, Cfg, wait_for
from tests.unit.emulator.state.simulation import Sim, at, instance_states


def test_execute_task_once(cfg: Cfg) -> None:
    task_id = cfg.create()
    actions = cfg.actions(task_id)
    assert [a["TaskGroupActionStatus"] for a in actions] == [2001, 2001]
    assert all(i["TaskGroupInstanceStatus"] == 3001 for a in actions for i in a["TaskGroupInstances"])
    cfg.ok("ExecuteTask", TaskId=task_id)
    task = cfg.task(task_id)
    assert task["TaskStatus"] == 1002 and task["TaskStartTime"]
    assert [a["TaskGroupActionStatus"] for a in cfg.actions(task_id)] == [2002, 2001]
    code, message = cfg.err("ExecuteTask", TaskId=task_id)
    assert code == "FailedOperation" and "1002" in message
    assert cfg.err("ExecuteTask", TaskId=99999)[0] == "InvalidParameter"


def test_pause_resume_end_rules(cfg: Cfg) -> None:
    task_id = cfg.create()
    modify = {"TaskId": task_id}
    assert cfg.err("ModifyTaskRunStatus", modify, Status=1003)[0] == "FailedOperation"  # not started
    assert cfg.err("ModifyTaskRunStatus", modify, Status=1002)[0] == "FailedOperation"
    cfg.ok("ExecuteTask", TaskId=task_id)
    code, message = cfg.err("ModifyTaskRunStatus", modify, Status=1002)
    assert code == "FailedOperation" and "already" in message
    assert cfg.err("ModifyTaskRunStatus", modify, Status=1001)[0] == "UnsupportedOperation"
    assert cfg.err("ModifyTaskRunStatus", modify, Status=1005)[0] == "InvalidParameterValue"
    cfg.ok("ModifyTaskRunStatus", modify, Status=1003)
    assert cfg.task(task_id)["TaskStatus"] == 1003
    assert cfg.err("ModifyTaskRunStatus", modify, Status=1003)[0] == "FailedOperation"
    code, message = cfg.run(task_id, 0)["Error"].values()
    assert code == "UnsupportedOperation" and "1003" in message  # ExecuteTaskInstance documents no FailedOperation
    cfg.ok("ModifyTaskRunStatus", modify, Status=1002)
    assert cfg.task(task_id)["TaskStatus"] == 1002
    code, message = cfg.err("ModifyTaskRunStatus", modify, Status=1004, Summary="x")
    assert code == "MissingParameter" and "IsExpect" in message
    code, message = cfg.err("ModifyTaskRunStatus", modify, Status=1004, IsExpect=True)
    assert code == "MissingParameter" and "Summary" in message
    code, message = cfg.err("DeleteTask", TaskId=task_id)
    assert code == "FailedOperation"
    cfg.ok("ModifyTaskRunStatus", modify, Status=1004, IsExpect=True, Summary="stopped early", Issue="none")
    task = cfg.task(task_id)
    assert (task["TaskStatus"], task["TaskStatusType"], task["TaskIssue"]) == (1004, 3, "none")
    for status in (1002, 1003, 1004):
        assert cfg.err("ModifyTaskRunStatus", modify, Status=status, IsExpect=True, Summary="x")[0] == \
            "FailedOperation"
    assert cfg.run(task_id, 1)["Error"]["Code"] == "UnsupportedOperation"
    cfg.ok("DeleteTask", TaskId=task_id)
    assert cfg.err("DeleteTask", TaskId=task_id)[0] == "InvalidParameterValue"
    assert cfg.err("DescribeTask", TaskId=task_id)[0] == "ResourceNotFound"


def test_end_a_never_started_task_and_delete(cfg: Cfg) -> None:
    task_id = cfg.create()
    cfg.ok("DeleteTask", TaskId=task_id)
    other = cfg.create()
    cfg.end(other)
    assert cfg.task(other)["TaskStatusType"] == 3


def test_ending_does_not_recover(cfg: Cfg) -> None:
    cfg.server.state.action_seconds = 0.4
    task_id = cfg.start()
    cfg.run_ok(task_id, 0)
    wait_for(lambda: cfg.faults(), what="the fault to be injected")  # running (3002)
    cfg.end(task_id)
    action = cfg.action(task_id, 0)
    assert (action["TaskGroupActionStatus"], action["TaskGroupActionStatusType"]) == (2004, 3)
    assert all(i["TaskGroupInstanceStatusType"] == 3 for i in action["TaskGroupInstances"])
    assert cfg.task(task_id)["TaskStatusType"] == 3
    time.sleep(0.5)
    assert {f["ObjectId"] for f in cfg.faults()} == set(INSTANCES)  # still broken
    # a recovery run later (here: a task from the recovery action) cleans up
    recovery = cfg.ok("CreateTaskFromAction", TaskActionId=13, TaskInstances=INSTANCES)["TaskId"]
    cfg.ok("ExecuteTask", TaskId=recovery)
    cfg.run_ok(recovery, 0)
    cfg.wait_action(recovery, 0, timeout=5)
    assert cfg.faults() == []


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
