"""A run of an action: preparing, running, finished at their due times; timeouts (state/execution.py)."""

from __future__ import annotations

import json

from tests.emu_helpers import INSTANCES
from tests.unit.emulator.state.simulation import Sim, at, instance_states


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
