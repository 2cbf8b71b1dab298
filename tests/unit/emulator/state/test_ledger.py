"""The fault ledger: injected faults recorded, recovered, self-healing ones dropped (emulator/state/ledger.py)."""

from __future__ import annotations

from tests.emu_helpers import INSTANCES, Cfg
from tests.unit.emulator.state.simulation import Sim


def test_manual_flow_and_fault_ledger(cfg: Cfg) -> None:
    task_id = cfg.start()
    fault_id = cfg.action(task_id, 0)["TaskGroupActionId"]
    assert cfg.faults() == []
    cfg.run_ok(task_id, 0)
    running = cfg.action(task_id, 0)
    assert running["TaskGroupActionStatus"] == 2003 and running["TaskGroupActionStartTime"]
    assert {i["TaskGroupInstanceStatus"] for i in running["TaskGroupInstances"]} <= {3004, 3002}
    done = cfg.wait_action(task_id, 0)
    assert done["TaskGroupActionStatusType"] == 1 and done["IsExecuteRedo"] is False
    for inst in done["TaskGroupInstances"]:
        assert (inst["TaskGroupInstanceStatus"], inst["TaskGroupInstanceStatusType"]) == (3003, 1)
        assert inst["TaskGroupInstanceStartTime"] and inst["TaskGroupInstanceEndTime"]
        assert inst["TaskGroupInstanceExecuteTime"] is not None and inst["TaskGroupInstanceIsRedo"] is False
        assert "running Empty Operation" in inst["TaskGroupInstanceExecuteLog"]
    # the fault stays injected until its recovery ran
    faults = cfg.faults()
    assert {f["ObjectId"] for f in faults} == set(INSTANCES)
    assert all(f["TaskId"] == task_id and f["TaskGroupActionId"] == fault_id and f["ActionId"] == 12 for f in faults)
    assert all(f["ActionTitle"] == "Empty Operation" and f["Since"] for f in faults)
    assert cfg.action(task_id, 1)["TaskGroupActionStatus"] == 2002  # the next action now waits
    code, message = cfg.run(task_id, 0)["Error"].values()
    assert code == "UnsupportedOperation" and "retry" in message
    cfg.run_ok(task_id, 1)
    code, _ = cfg.run(task_id, 1)["Error"].values()
    assert code == "UnsupportedOperation"  # already running
    cfg.wait_action(task_id, 1)
    assert cfg.faults() == []
    cfg.end(task_id, expect=False, summary="meh")
    task = cfg.task(task_id)
    assert (task["TaskStatus"], task["TaskStatusType"], task["TaskExpect"]) == (1004, 1, 2)
    assert task["TaskSummary"] == "meh" and task["TaskEndTime"]


def test_self_healing_fault_leaves_the_ledger_when_done(cfg: Cfg) -> None:
    task_id = cfg.ok("CreateTaskFromAction", TaskActionId=3, TaskInstances=INSTANCES)["TaskId"]
    cfg.ok("ExecuteTask", TaskId=task_id)
    cfg.run_ok(task_id, 0)
    cfg.wait_action(task_id, 0)
    assert cfg.faults() == []


def test_terminated_while_preparing_injects_nothing() -> None:
    sim = Sim()
    task_id = sim.create()
    sim.call("ExecuteTask", TaskId=task_id)
    sim.run(task_id, 0)
    sim.now = 1.0
    sim.call("ModifyTaskRunStatus", TaskId=task_id, Status=1004, IsExpect=True, Summary="x")
    sim.now = 50.0
    assert sim.state.faults() == []


def test_a_recovery_clears_its_fault_on_the_object_in_every_task() -> None:
    sim = Sim()
    first, second = (sim.call("CreateTaskFromMultiAction", TaskInstances=INSTANCES,
                              TaskAction=[{"TaskActionId": 21}])["TaskId"] for _ in range(2))
    for task_id in (first, second):
        sim.call("ExecuteTask", TaskId=task_id)
        sim.run(task_id, 0)  # CPU load, 8 s
    sim.now = 8.0
    assert sorted((f["TaskId"], f["ObjectId"]) for f in sim.state.faults()) == [
        (task_id, obj) for task_id in (first, second) for obj in INSTANCES]
    assert len(sim.state.ledger) == 4
    sim.run(first, 1)  # CPU load recovery of the first task only
    sim.now = 16.0
    assert sim.state.faults() == []  # the second task's load on the same objects is gone too
