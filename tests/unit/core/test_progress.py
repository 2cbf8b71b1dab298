"""Progress of long waits: where the step or experiment stands (step k of n, instances done/total),
logged when it changes and otherwise at a steady rate, by the step operator, the sensors and the
triggers alike."""

from __future__ import annotations

import asyncio
import logging

from airflow_provider_cfg.api.models import Task
from airflow_provider_cfg.core.progress import ProgressLog, experiment_progress, step_progress
from airflow_provider_cfg.triggers.step import CfgStepTrigger
from tests.airflow_helpers import execute_action, started_626, task_of, use_emulator


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_progress_log_logs_changes_at_once_and_repeats_at_a_steady_rate(caplog):
    clock = FakeClock()
    log = logging.getLogger("test.progress")
    progress = ProgressLog(log, every=60, clock=clock)
    with caplog.at_level(logging.INFO, logger="test.progress"):
        assert progress("step 1 of 2: running; instances 0/2 done")
        clock.now += 5
        assert not progress("step 1 of 2: running; instances 0/2 done")  # unchanged: quiet
        clock.now += 5
        assert progress("step 1 of 2: running; instances 1/2 done")  # changed: at once
        clock.now += 59
        assert not progress("step 1 of 2: running; instances 1/2 done")
        clock.now += 1
        assert progress("step 1 of 2: running; instances 1/2 done")  # a minute unchanged: again
        clock.now += 3600
        assert progress("step 1 of 2: finished")
    assert [r.getMessage() for r in caplog.records] == [
        "step 1 of 2: running; instances 0/2 done (waiting 0s)",
        "step 1 of 2: running; instances 1/2 done (waiting 10s)",
        "step 1 of 2: running; instances 1/2 done (waiting 1m10s)",
        "step 1 of 2: finished (waiting 1h01m10s)",
    ]


def test_step_and_experiment_progress_from_a_real_experiment(cfg_emulator):
    cfg_emulator.state.action_seconds = 30  # the step stays running while we look
    task_id, fault, recovery = started_626(cfg_emulator, ["ins-aaaaaaaa", "ins-bbbbbbbb"])
    before = Task.model_validate(task_of(cfg_emulator, task_id))
    assert step_progress(before, recovery) == (
        f"experiment {task_id}: step 2 of 2 (1.2 'Empty Operation (rollback)'): 2001 not started; "
        "instances 0/2 done, 0 failed"
    )
    execute_action(cfg_emulator, task_id, fault)
    running = Task.model_validate(task_of(cfg_emulator, task_id))
    line = step_progress(running, fault)
    assert line.startswith(f"experiment {task_id}: step 1 of 2 (1.1 'Empty Operation'): 2003 running")
    assert line.endswith("instances 0/2 done, 0 failed")
    one = running.find_action(fault).TaskGroupInstances[0].TaskGroupInstanceId
    assert "instances 0/1 done" in step_progress(running, fault, [one])
    assert experiment_progress(running) == (
        f"experiment {task_id}: 1002 running; steps 0/2 finished, now 'Empty Operation'"
    )
    assert step_progress(running, 999999) == f"experiment {task_id}: step 999999 not found"


def _progress_lines(capsys) -> list[str]:
    """The progress lines the operator's or trigger's (structlog) logger printed."""
    return [line for line in capsys.readouterr().out.splitlines() if "step 1 of 2" in line]


async def test_the_step_trigger_logs_progress_while_it_waits(cfg_emulator, monkeypatch, capsys):
    use_emulator(monkeypatch, cfg_emulator, max_attempts=1)
    task_id, fault, _ = started_626(cfg_emulator)
    cfg_emulator.state.action_seconds = 2.0  # long enough for a loaded machine to read it running
    execute_action(cfg_emulator, task_id, fault)
    trigger = CfgStepTrigger(task_action_id=fault, experiment_id=task_id, poll_interval=0.05)
    events = await asyncio.wait_for(_events(trigger), 15)
    assert events[0]["status"] == "success"
    lines = _progress_lines(capsys)
    # a dozen polls, but only the changes are logged (not-yet-running, running), never one per poll
    assert 1 <= len(lines) <= 3, lines
    assert any("2003 running" in line for line in lines), lines


async def _events(trigger: CfgStepTrigger) -> list[dict]:
    return [event.payload async for event in trigger.run()]


def test_the_step_sensor_logs_progress_between_pokes(cfg_emulator, monkeypatch, capsys):
    from airflow_provider_cfg.sensors.step import CfgStepSensor
    from tests.airflow_helpers import FakeTI

    use_emulator(monkeypatch, cfg_emulator, max_attempts=1)
    cfg_emulator.state.action_seconds = 30
    task_id, fault, _ = started_626(cfg_emulator)
    execute_action(cfg_emulator, task_id, fault)
    sensor = CfgStepSensor(task_id="wait", experiment_id=task_id, step="1.1", deferrable=False)
    context = {"ti": FakeTI()}
    assert sensor.poke(context) is False
    assert sensor.poke(context) is False  # unchanged within the minute: not logged again
    lines = _progress_lines(capsys)
    assert len(lines) == 1, lines
    assert "2003 running; instances 0/1 done" in lines[0]


def test_the_step_operator_logs_progress_not_every_poll(cfg_emulator, monkeypatch, capsys):
    from airflow_provider_cfg.operators.step import CfgExecuteStepOperator
    from tests.airflow_helpers import context_for

    use_emulator(monkeypatch, cfg_emulator, max_attempts=1)
    task_id, _, _ = started_626(cfg_emulator)
    cfg_emulator.state.action_seconds = 0.8
    op = CfgExecuteStepOperator(task_id="inject", experiment_id=task_id, step="1.1", deferrable=False,
                                poll_interval=0.05)
    result = op.execute(context_for())
    assert result["action_status"] == 2004
    lines = _progress_lines(capsys)
    # about 16 polls while the step ran; one line per change of what the step looks like
    assert 1 <= len(lines) <= 3, lines
    assert "(1.1 'Empty Operation'): 2003 running; instances 0/1 done, 0 failed (waiting" in lines[0]
