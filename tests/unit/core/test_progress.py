"""Progress of long waits: where the step or experiment stands (step k of n, instances done/total),
logged when it changes and otherwise at a steady rate, by the step operator, the sensors and the
triggers alike."""

from __future__ import annotations

import asyncio
import logging

from airflow_provider_cfg.api.models import Task
from airflow_provider_cfg.core.progress import (
    WIDTH,
    ProgressLog,
    duration,
    experiment_progress,
    fit,
    guard_progress,
    step_progress,
)
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
        assert progress("step 1 of 2 running: 0 of 2 instances done")
        clock.now += 5
        assert not progress("step 1 of 2 running: 0 of 2 instances done")  # unchanged: quiet
        clock.now += 5
        assert progress("step 1 of 2 running: 1 of 2 instances done")  # changed: at once
        clock.now += 59
        assert not progress("step 1 of 2 running: 1 of 2 instances done")
        clock.now += 1
        assert progress("step 1 of 2 running: 1 of 2 instances done")  # a minute unchanged: again
        clock.now += 3600
        assert progress("step 1 of 2 finished")
    assert [r.getMessage() for r in caplog.records] == [
        "step 1 of 2 running: 0 of 2 instances done | 0s in",
        "step 1 of 2 running: 1 of 2 instances done | 10s in",
        "step 1 of 2 running: 1 of 2 instances done | 1m10s in",
        "step 1 of 2 finished | 1h01m10s in",
    ]


def test_progress_log_with_a_state_logs_moving_counters_at_the_steady_rate_with_the_time_left(caplog):
    clock, wall = FakeClock(), FakeClock()
    log = logging.getLogger("test.progress")
    progress = ProgressLog(log, every=10, deadline=wall.now + 20, clock=clock, wall=wall)
    with caplog.at_level(logging.INFO, logger="test.progress"):
        for probe in range(1, 5):  # a probe every 4 s: the counters move, the state does not
            progress(guard_progress(probe, 0, 0, 2, "http://svc/health"), state=False)
            clock.now += 4
            wall.now += 4
        progress(guard_progress(5, 1, 1, 2, "http://svc/health"), state=True)  # failing: at once
    assert [r.getMessage() for r in caplog.records] == [
        "guard: 1 of 1 probes passed; trips at 2 failed in a row; http://svc/health | 0s in, 20s left",
        "guard: 4 of 4 probes passed; trips at 2 failed in a row; http://svc/health | 12s in, 8s left",
        "guard: 4 of 5 probes passed; 1 failed in a row, trips at 2; http://svc/health | 16s in, 4s left",
    ]


def test_a_progress_line_fits_the_width_key_facts_first():
    log = logging.getLogger("test.progress")
    lines: list[str] = []
    log_info = ProgressLog(log, deadline=None)
    log_info.log = type("L", (), {"info": lambda self, fmt, *args: lines.append(fmt % args)})()
    log_info("step 1 of 2 running: 0 of 9 instances done, 0 failed; 1.1 '" + "very long title " * 10 + "'")
    (line,) = lines
    assert len(line) <= WIDTH
    assert line.startswith("step 1 of 2 running: 0 of 9 instances done") and line.endswith("… | 0s in")
    assert fit("short") == "short" and duration(3725) == "1h02m05s" and duration(-3) == "0s"


def test_step_and_experiment_progress_from_a_real_experiment(cfg_emulator):
    cfg_emulator.state.action_seconds = 30  # the step stays running while we look
    task_id, fault, recovery = started_626(cfg_emulator, ["ins-aaaaaaaa", "ins-bbbbbbbb"])
    before = Task.model_validate(task_of(cfg_emulator, task_id))
    assert step_progress(before, recovery) == (
        f"step 2 of 2 not started: 0 of 2 instances done, 0 failed; 1.2 'Empty Operation (rollback)', "
        f"experiment {task_id}"
    )
    execute_action(cfg_emulator, task_id, fault)
    running = Task.model_validate(task_of(cfg_emulator, task_id))
    line = step_progress(running, fault)
    assert line == f"step 1 of 2 running: 0 of 2 instances done, 0 failed; 1.1 'Empty Operation', experiment {task_id}"
    one = running.find_action(fault).TaskGroupInstances[0].TaskGroupInstanceId
    assert "0 of 1 instances done" in step_progress(running, fault, [one])
    assert experiment_progress(running) == (
        f"experiment {task_id} running: 0 of 2 steps finished, now 'Empty Operation'"
    )
    assert step_progress(running, 999999) == f"step 999999 not found in experiment {task_id}"


def _progress_lines(capsys) -> list[str]:
    """The progress lines the operator's or trigger's (structlog) logger printed."""
    return [line for line in capsys.readouterr().out.splitlines() if "step 1 of 2 " in line]


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
    assert any("step 1 of 2 running" in line for line in lines), lines


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
    assert "step 1 of 2 running: 0 of 1 instances done" in lines[0]


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
    assert "step 1 of 2 running: 0 of 1 instances done, 0 failed; 1.1 'Empty Operation'" in lines[0]
    assert " | 0s in" in lines[0]
