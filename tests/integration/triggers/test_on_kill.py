"""``on_kill`` through Airflow's own cancel path: the triggerer's ``TriggerRunner.run_trigger``,
cancelled with its "user action" message (``_USER_ACTION_CANCEL_MSG``) exactly as
``TriggerRunner.cancel_triggers`` does — for a mark/clear *and* for a stale copy after a failover.

The supervisor is replaced by a stub that answers ``GetTaskStates`` as the execution API would;
everything CFG-side is the emulator. A trigger whose task is still deferred (the trigger moved to
another triggerer) or already handed back to a worker never rolls back; one whose task was marked
failed, cleared or removed does; an unreadable state rolls back (fail safe).
"""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

import pytest
from airflow.jobs.triggerer_job_runner import TriggerRunner
from airflow.sdk.execution_time import task_runner
from airflow.sdk.execution_time.comms import GetTaskStates, TaskStatesResult

from airflow_provider_cfg.triggers.step import CfgStepTrigger
from tests.airflow_helpers import fast_rollback, faults, run_action, started_626, task_of, use_emulator

FAST = {"max_attempts": 1, "backoff": 0.01, "backoff_max": 0.02}
TI = SimpleNamespace(id="0190", dag_id="cfg_game_day", task_id="recover_fault_1", run_id="manual__1",
                     map_index=-1, try_number=1, context_carrier=None)


@pytest.fixture
def emu(cfg_emulator, monkeypatch):
    use_emulator(monkeypatch, cfg_emulator, **FAST)
    fast_rollback(monkeypatch)
    monkeypatch.setenv("AIRFLOW_DISABLE_GREENBACK_PORTAL", "true")
    return cfg_emulator


class Supervisor:
    """Answers the trigger's ``GetTaskStates`` like the triggerer's supervisor (or fails to)."""

    def __init__(self, states: dict[str, Any] | None = None, error: Exception | None = None) -> None:
        self.states = states
        self.error = error
        self.asked: list[GetTaskStates] = []

    async def asend(self, msg: Any) -> Any:
        assert isinstance(msg, GetTaskStates)
        self.asked.append(msg)
        if self.error is not None:
            raise self.error
        return TaskStatesResult(task_states={TI.run_id: self.states or {}})


async def cancel_like_the_triggerer(trigger: CfgStepTrigger) -> None:
    """Run the trigger in a real ``TriggerRunner`` and cancel it as ``cancel_triggers`` does."""
    runner = TriggerRunner()
    trigger.task_instance = TI  # as create_triggers binds it
    runner.triggers[1] = {"task": None, "is_watcher": False, "name": "cfg (ID 1)", "events": 0}  # type: ignore[typeddict-item]
    runner.triggers[1]["task"] = asyncio.create_task(runner.run_trigger(1, trigger))
    await asyncio.sleep(0.3)  # the trigger is polling: the recovery has not run
    runner.to_cancel.append(1)
    await runner.cancel_triggers()
    with pytest.raises(asyncio.CancelledError):
        await runner.triggers[1]["task"]


def killed(emu, mocker, supervisor: Supervisor | None) -> int:
    task_id, fault, recovery = started_626(emu)
    run_action(emu, task_id, fault)
    mocker.patch.object(task_runner, "SUPERVISOR_COMMS", supervisor, create=True)
    trigger = CfgStepTrigger(task_action_id=recovery, experiment_id=task_id, poll_interval=0.05,
                             deadline=time.time() + 30)
    asyncio.run(cancel_like_the_triggerer(trigger))
    return task_id


@pytest.mark.parametrize("state", ["deferred", "scheduled", "queued", "running", "up_for_retry", "success"])
def test_a_task_that_did_not_leave_its_deferral_is_not_rolled_back(emu, mocker, state):
    """A failover's stale copy (the task still deferred), or one whose event was already delivered."""
    supervisor = Supervisor({TI.task_id: state})
    task_id = killed(emu, mocker, supervisor)
    assert len(faults(emu)) == 1 and task_of(emu, task_id)["TaskStatus"] == 1002
    (asked,) = supervisor.asked
    assert (asked.dag_id, asked.task_ids, asked.run_ids, asked.map_index) == (
        TI.dag_id, [TI.task_id], [TI.run_id], None)


@pytest.mark.parametrize(
    ("states", "why"),
    [
        ({TI.task_id: "failed"}, "the task is failed"),
        ({TI.task_id: "upstream_failed"}, "the task is upstream_failed"),
        ({TI.task_id: None}, "cleared"),
        ({TI.task_id: "restarting"}, "the task is restarting"),
        ({}, "no longer exists"),
    ],
)
def test_a_task_that_left_its_deferral_is_rolled_back(emu, mocker, states, why):
    task_id = killed(emu, mocker, Supervisor(states))
    assert faults(emu) == []
    task = task_of(emu, task_id)
    assert (task["TaskStatus"], task["TaskExpect"]) == (1004, 2)
    assert "killed while waiting" in task["TaskSummary"] and why in task["TaskSummary"]


@pytest.mark.parametrize("supervisor", [None, Supervisor(error=RuntimeError("supervisor gone"))])
def test_an_unreadable_state_rolls_back(emu, mocker, supervisor):
    """No Task SDK to ask, or no answer: the fault is not left unwatched on a guess."""
    task_id = killed(emu, mocker, supervisor)
    assert faults(emu) == []
    assert "could not be read" in task_of(emu, task_id)["TaskSummary"]


def test_a_malformed_console_url_does_not_stop_the_rollback(cfg_emulator, monkeypatch, mocker):
    """The console link is optional: a typo in its template must not keep ``on_kill`` from CFG."""
    use_emulator(monkeypatch, cfg_emulator, console_url="https://console.example.com/{id}", **FAST)
    fast_rollback(monkeypatch)
    monkeypatch.setenv("AIRFLOW_DISABLE_GREENBACK_PORTAL", "true")
    task_id = killed(cfg_emulator, mocker, Supervisor({TI.task_id: "failed"}))
    assert faults(cfg_emulator) == []
    assert task_of(cfg_emulator, task_id)["TaskStatus"] == 1004


def test_a_mapped_task_is_asked_by_its_map_index(mocker):
    from airflow_provider_cfg.triggers.deferral import deferral_left

    ti = SimpleNamespace(**{**vars(TI), "map_index": 3})
    trigger = SimpleNamespace(task_instance=ti)

    class Mapped(Supervisor):
        async def asend(self, msg: Any) -> Any:
            self.asked.append(msg)
            return TaskStatesResult(task_states={TI.run_id: {f"{TI.task_id}_3": "deferred"}})

    supervisor = Mapped()
    mocker.patch.object(task_runner, "SUPERVISOR_COMMS", supervisor, create=True)
    deferral = asyncio.run(deferral_left(trigger))
    assert not deferral.left and deferral.state == "deferred" and supervisor.asked[0].map_index == 3


class SlowSupervisor(Supervisor):
    """Answers after a while, as a loaded triggerer's supervisor does."""

    async def asend(self, msg: Any) -> Any:
        await asyncio.sleep(0.5)
        return await super().asend(msg)


async def cancel_again_and_again(trigger: CfgStepTrigger) -> None:
    """Airflow's triggerer re-sends the cancel on every loop until the trigger's task is gone, so the
    cancel lands inside ``on_kill`` too (measured under ``make stack-check``: a cleared step's rollback
    was dropped half-way)."""
    runner = TriggerRunner()
    trigger.task_instance = TI
    runner.triggers[1] = {"task": None, "is_watcher": False, "name": "cfg (ID 1)", "events": 0}  # type: ignore[typeddict-item]
    task = runner.triggers[1]["task"] = asyncio.create_task(runner.run_trigger(1, trigger))
    await asyncio.sleep(0.3)
    while not task.done():
        runner.to_cancel.append(1)
        await runner.cancel_triggers()
        await asyncio.sleep(0.2)
    with pytest.raises(asyncio.CancelledError):
        await task
    # the triggerer's loop goes on after the trigger's task is gone: so does what on_kill started
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    if others:
        await asyncio.wait(others, timeout=30)


def test_a_cancel_repeated_during_on_kill_does_not_drop_the_rollback(emu, mocker):
    task_id, fault, recovery = started_626(emu)
    run_action(emu, task_id, fault)
    mocker.patch.object(task_runner, "SUPERVISOR_COMMS", SlowSupervisor({TI.task_id: "failed"}), create=True)
    trigger = CfgStepTrigger(task_action_id=recovery, experiment_id=task_id, poll_interval=0.05,
                             deadline=time.time() + 30)
    asyncio.run(cancel_again_and_again(trigger))
    assert faults(emu) == []
    task = task_of(emu, task_id)
    assert (task["TaskStatus"], task["TaskExpect"]) == (1004, 2)
