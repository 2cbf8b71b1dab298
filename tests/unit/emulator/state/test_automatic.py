"""Automatic mode runs and ends by itself, waits, skips faults after a failure (state/automatic.py)."""

from __future__ import annotations

import json
import time

from tests.emu_helpers import INSTANCES, Cfg
from tests.unit.emulator.state.simulation import Sim, at


def test_automatic_mode_runs_and_ends_itself(cfg: Cfg) -> None:
    task_id = cfg.create(629, INSTANCES)
    task = cfg.task(task_id)
    assert task["TaskMode"] == 2 and task["PolicyDealType"] == 2
    cfg.ok("ExecuteTask", TaskId=task_id)
    task = cfg.wait_task(task_id, 1004)
    assert task["TaskStatusType"] == 1 and task["TaskEndTime"] and task["TaskExpect"] is None
    assert [(a["TaskGroupActionStatus"], a["TaskGroupActionStatusType"]) for a in cfg.actions(task_id)] == \
        [(2004, 1), (2004, 1)]
    assert cfg.faults() == []


def test_automatic_mode_honours_pre_wait(cfg: Cfg) -> None:
    task_id = cfg.create(626, INSTANCES, TaskMode=2, groups=[{
        "TaskGroupInstances": INSTANCES,
        "TaskGroupActionsConfig": [{"TaskGroupActionOrder": 1,
                                    "TaskGroupActionGeneralConfiguration": json.dumps({"PreTimeWait": 0.6})}],
    }])
    started = time.monotonic()
    cfg.ok("ExecuteTask", TaskId=task_id)
    time.sleep(0.2)
    first = cfg.action(task_id, 0)
    assert first["TaskGroupActionStatus"] == 2002 and first["TaskGroupActionStartTime"] is None
    cfg.wait_task(task_id, 1004)
    assert time.monotonic() - started >= 0.6


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


def test_automatic_mode_failure_skips_later_faults(cfg: Cfg) -> None:
    cfg.chaos(failing_instances=["ins-aaaaaaaa"])
    task_id = cfg.create(628, TaskMode=2, groups=[{"TaskGroupInstances": ["ins-aaaaaaaa"]},
                                                  {"TaskGroupInstances": ["cdb-aaaaaaaa"]}])
    cfg.ok("ExecuteTask", TaskId=task_id)
    task = cfg.wait_task(task_id, 1004)
    assert task["TaskStatusType"] == 2
    loss, loss_recovery, switch = (a for g in task["TaskGroups"] for a in g["TaskGroupActions"])
    assert loss["TaskGroupActionStatusType"] == 2
    assert loss_recovery["TaskGroupActionStatusType"] == 2  # recoveries still run (and fail on that instance)
    assert switch["TaskGroupActionStatusType"] == 4  # later faults are not injected
    assert "an earlier action failed" in switch["TaskGroupInstances"][0]["TaskGroupInstanceExecuteLog"]
    assert [f["ObjectId"] for f in cfg.faults()] == ["ins-aaaaaaaa"]


def test_pause_in_automatic_mode(cfg: Cfg) -> None:
    cfg.server.state.action_seconds = 0.3
    task_id = cfg.start(629, INSTANCES)
    cfg.ok("ModifyTaskRunStatus", TaskId=task_id, Status=1003)
    time.sleep(0.5)
    actions = cfg.actions(task_id)
    assert actions[1]["TaskGroupActionStatus"] in (2001, 2002)  # nothing advances while paused
    cfg.ok("ModifyTaskRunStatus", TaskId=task_id, Status=1002)
    assert cfg.wait_task(task_id, 1004)["TaskStatusType"] == 1
