"""CfgExperimentSensor and CfgStepSensor against the emulator: poke, fail fast, defer (after one
check), the deadline, and the one completion handler."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from airflow.sdk.exceptions import AirflowSensorTimeout, TaskDeferred

from airflow_provider_cfg.core.events import experiment_event, step_event
from airflow_provider_cfg.core.steps import StepNotFoundError
from airflow_provider_cfg.exceptions import CfgExperimentStatusError, CfgStepFailedError, CfgTriggerError
from airflow_provider_cfg.links.console import XCOM_CONSOLE_URL, XCOM_EXPERIMENT_ID
from airflow_provider_cfg.sensors.experiment import CfgExperimentSensor
from airflow_provider_cfg.sensors.step import CfgStepSensor
from airflow_provider_cfg.triggers.experiment import CfgExperimentTrigger
from airflow_provider_cfg.triggers.step import CfgStepTrigger
from tests.airflow_helpers import (
    INSTANCE,
    FakeTI,
    chaos,
    context_for,
    create_626,
    end,
    execute_action,
    make_client,
    ok,
    run_action,
    start,
    started_626,
)


def experiment_sensor(task_id, **kwargs) -> CfgExperimentSensor:
    kwargs.setdefault("poll_interval", 0.05)
    return CfgExperimentSensor(task_id="wait", experiment_id=task_id, **kwargs)


def step_sensor(task_id, step="1.1", **kwargs) -> CfgStepSensor:
    kwargs.setdefault("poll_interval", 0.05)
    return CfgStepSensor(task_id="wait_step", experiment_id=task_id, step=step, **kwargs)


def automatic_629(emu) -> int:
    return ok(emu, "CreateTaskFromTemplate", TemplateId=629,
              TaskConfig={"TaskTitle": "auto", "TaskGroupsConfig": [{"TaskGroupInstances": [INSTANCE]}]})["TaskId"]


def read_task(emu, task_id):
    with make_client(emu) as client:
        return client.describe_task(task_id).Task


# -- definition ----------------------------------------------------------------------------------------


def test_definition():
    assert set(CfgExperimentSensor.template_fields) == {"experiment_id", "cfg_conn_id", "region"}
    assert set(CfgStepSensor.template_fields) == {"experiment_id", "cfg_conn_id", "region", "step"}
    assert experiment_sensor(1, poll_interval=0.25).poke_interval == pytest.approx(0.25)
    assert CfgExperimentSensor(task_id="w", experiment_id=1, poke_interval=7).poke_interval == 7
    assert step_sensor(1, poll_interval=3).poke_interval == 3
    sensor = step_sensor("{{ params.id }}", step="{{ params.step }}")
    sensor.render_template_fields({"params": {"id": "77", "step": "1.2"}})
    assert (sensor.experiment_id, sensor.step) == ("77", "1.2")
    assert experiment_sensor(1, target_statuses=["1003"]).target_statuses == [1003]


@pytest.mark.parametrize("kwargs", [{"target_statuses": [999]}, {"failure_statuses": [1005]}])
def test_unknown_status_codes_refused(kwargs):
    with pytest.raises(ValueError, match="statuses"):
        experiment_sensor(1, **kwargs)


# -- experiment sensor -----------------------------------------------------------------------------------


def test_experiment_poke_false_then_true(emu):
    task_id = create_626(emu)
    sensor = experiment_sensor(task_id, target_statuses=[1002])
    ti = FakeTI()
    assert sensor.poke(context_for(ti)) is False
    start(emu, task_id)
    assert sensor.poke(context_for(ti)) is True
    assert ti.pushed == {XCOM_EXPERIMENT_ID: task_id, XCOM_CONSOLE_URL: f"{emu.url}/_emulator/tasks/{task_id}"}
    assert ti.push_order == [XCOM_EXPERIMENT_ID, XCOM_CONSOLE_URL]  # published once, not on every poke


def test_experiment_poke_mode_waits_for_the_automatic_run(emu):
    task_id = automatic_629(emu)
    start(emu, task_id)
    experiment_sensor(task_id, timeout=20).execute(context_for())
    assert read_task(emu, task_id).TaskStatus == 1004


def test_experiment_poke_mode_times_out(emu):
    task_id = create_626(emu)
    with pytest.raises(AirflowSensorTimeout):
        experiment_sensor(task_id, timeout=0.2).execute(context_for())


def test_experiment_ended_when_not_a_target_fails_fast(emu):
    task_id = create_626(emu)
    end(emu, task_id)
    began = time.monotonic()
    with pytest.raises(CfgExperimentStatusError, match=rf"Experiment {task_id} is 1004 ended, not one of \[1002\]"):
        experiment_sensor(task_id, target_statuses=[1002], timeout=30).execute(context_for())
    assert time.monotonic() - began < 5


def test_experiment_failure_status_fails_fast(emu):
    task_id, _, _ = started_626(emu)
    ok(emu, "ModifyTaskRunStatus", TaskId=task_id, Status=1003)
    with pytest.raises(CfgExperimentStatusError, match="1003 paused"):
        experiment_sensor(task_id, failure_statuses=[1003], timeout=30).execute(context_for())


def test_experiment_deferrable_checks_before_deferring(emu):
    task_id, _, _ = started_626(emu)
    assert experiment_sensor(task_id, target_statuses=[1002], deferrable=True).execute(context_for()) is None


def test_experiment_deferrable_failure_before_deferring_is_not_swallowed(emu):
    task_id = create_626(emu)
    end(emu, task_id)
    with pytest.raises(CfgExperimentStatusError):
        experiment_sensor(task_id, target_statuses=[1002], deferrable=True).execute(context_for())


def test_experiment_defers_with_trigger_and_deadline(emu):
    task_id = create_626(emu)
    ti = FakeTI()
    sensor = experiment_sensor(task_id, deferrable=True, timeout=120, poll_interval=0.5, target_statuses=[1004],
                               failure_statuses=[1003])
    before = time.time()
    with pytest.raises(TaskDeferred) as info:
        sensor.execute(context_for(ti))
    deferral = info.value
    assert deferral.method_name == "execute_complete" and deferral.timeout is None
    trigger = deferral.trigger
    assert isinstance(trigger, CfgExperimentTrigger)
    assert (trigger.experiment_id, trigger.target_statuses, trigger.failure_statuses) == (task_id, [1004], [1003])
    assert trigger.poll_interval == pytest.approx(0.5) and trigger.rollback_on_kill is False
    assert before + 120 <= trigger.deadline <= time.time() + 120
    classpath, kwargs = trigger.serialize()
    assert (json.loads(json.dumps(kwargs)) == kwargs
            and CfgExperimentTrigger(**kwargs).serialize() == (classpath, kwargs))
    assert ti.pushed[XCOM_EXPERIMENT_ID] == task_id


def test_experiment_deadline_from_execution_timeout(emu):
    task_id = create_626(emu)
    before = time.time()
    with pytest.raises(TaskDeferred) as info:
        experiment_sensor(task_id, deferrable=True, timeout=3600,
                          execution_timeout=timedelta(seconds=45)).execute(context_for())
    assert before + 45 <= info.value.trigger.deadline <= time.time() + 45


def test_experiment_execute_complete(emu):
    task_id = create_626(emu)
    sensor = experiment_sensor(task_id, target_statuses=[1001])
    assert sensor.execute_complete(context_for(), experiment_event(read_task(emu, task_id), [1001])) is None
    end(emu, task_id)
    failed = experiment_event(read_task(emu, task_id), [1002])
    with pytest.raises(CfgExperimentStatusError, match="1004 ended"):
        sensor.execute_complete(context_for(), failed)
    with pytest.raises(AirflowSensorTimeout, match="deadline passed"):
        sensor.execute_complete(
            context_for(), {"status": "timeout", "experiment_id": task_id, "message": "deadline passed"})
    with pytest.raises(CfgTriggerError, match="cannot build"):
        sensor.execute_complete(context_for(), {"status": "error", "message": "cannot build CFG client"})
    with pytest.raises(ValueError, match="unexpected CFG trigger event"):
        sensor.execute_complete(context_for(), {"state": "success"})


# -- step sensor -------------------------------------------------------------------------------------------


def test_step_poke_false_then_true(emu):
    task_id, fault, _ = started_626(emu)
    sensor = step_sensor(task_id, "Empty Operation")
    ti = FakeTI()
    assert sensor.poke(context_for(ti)) is False
    run_action(emu, task_id, fault)
    assert sensor.poke(context_for(ti)) is True
    assert ti.pushed[XCOM_EXPERIMENT_ID] == task_id


def test_step_poke_mode_waits_for_a_running_step(emu):
    task_id, fault, _ = started_626(emu)
    emu.state.action_seconds = 0.5
    began = time.monotonic()
    execute_action(emu, task_id, fault)
    step_sensor(task_id, [1, 1], timeout=10).execute(context_for())
    assert time.monotonic() - began >= 0.5  # returned only once the step had finished
    assert read_task(emu, task_id).find_action(fault).TaskGroupActionStatus == 2004


def test_step_failed_fails_fast_with_logs(emu):
    task_id, fault, _ = started_626(emu)
    chaos(emu, failing_instances=[INSTANCE])
    run_action(emu, task_id, fault)
    with pytest.raises(CfgStepFailedError) as info:
        step_sensor(task_id, timeout=30).execute(context_for())
    assert INSTANCE in str(info.value) and "failing_instances" in str(info.value)


def test_step_experiment_ended_first_fails(emu):
    task_id, _, _ = started_626(emu)
    end(emu, task_id)
    with pytest.raises(CfgStepFailedError, match="ended before the step finished"):
        step_sensor(task_id, timeout=30).execute(context_for())


def test_step_unknown_step(emu):
    task_id, _, _ = started_626(emu)
    with pytest.raises(StepNotFoundError, match="matches no step"):
        step_sensor(task_id, "Shutdown").poke(context_for())


def test_step_deferrable_already_done_does_not_defer(emu):
    task_id, fault, _ = started_626(emu)
    run_action(emu, task_id, fault)
    assert step_sensor(task_id, deferrable=True).execute(context_for()) is None


def test_step_defers_with_resolved_step(emu):
    task_id, _, recovery = started_626(emu)
    before = time.time()
    with pytest.raises(TaskDeferred) as info:
        step_sensor(task_id, "1.2", deferrable=True, timeout=60, poll_interval=0.2).execute(context_for())
    trigger = info.value.trigger
    assert isinstance(trigger, CfgStepTrigger) and info.value.timeout is None
    assert (trigger.experiment_id, trigger.task_action_id, trigger.poll_interval) == (task_id, recovery, 0.2)
    assert trigger.rollback_on_kill is False  # a sensor only watches
    assert before + 60 <= trigger.deadline <= time.time() + 60


def test_step_execute_complete(emu):
    task_id, fault, _ = started_626(emu)
    chaos(emu, failing_instances=[INSTANCE])
    run_action(emu, task_id, fault)
    sensor = step_sensor(task_id)
    with pytest.raises(CfgStepFailedError, match=INSTANCE):
        sensor.execute_complete(context_for(), step_event(read_task(emu, task_id), fault))
    with pytest.raises(AirflowSensorTimeout):
        sensor.execute_complete(context_for(), {"status": "timeout", "message": "late"})
