"""CfgStepTrigger and CfgExperimentTrigger: run() against the emulator yields exactly one event
(success, failed, timeout at the deadline, error), survives transient API errors, serialises to
JSON-only kwargs, and rolls back on kill."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from airflow_provider_cfg.triggers.base import CfgPollingTrigger
from airflow_provider_cfg.triggers.experiment import CfgExperimentTrigger
from airflow_provider_cfg.triggers.step import CfgStepTrigger
from tests.airflow_helpers import (
    INSTANCE,
    action_state,
    chaos,
    clear_chaos_after,
    create_626,
    end,
    execute_action,
    fast_rollback,
    faults,
    group_of,
    ok,
    run_action,
    start,
    started_626,
    task_of,
    use_emulator,
)

FAST = {"max_attempts": 1, "backoff": 0.01, "backoff_max": 0.02}


@pytest.fixture
def emu(cfg_emulator, monkeypatch):
    use_emulator(monkeypatch, cfg_emulator, **FAST)
    return cfg_emulator


async def all_events(trigger: CfgPollingTrigger, limit: float = 15.0) -> list[dict]:
    """Every event the trigger yields until its generator ends."""

    async def collect() -> list[dict]:
        return [event.payload async for event in trigger.run()]

    return await asyncio.wait_for(collect(), limit)


def step_trigger(task_id: int, action_id: int, **kwargs) -> CfgStepTrigger:
    kwargs.setdefault("poll_interval", 0.05)
    return CfgStepTrigger(task_action_id=action_id, experiment_id=task_id, **kwargs)


def experiment_trigger(task_id: int, targets, **kwargs) -> CfgExperimentTrigger:
    kwargs.setdefault("poll_interval", 0.05)
    return CfgExperimentTrigger(target_statuses=targets, experiment_id=task_id, **kwargs)


# -- serialisation --------------------------------------------------------------------------------------


def test_step_trigger_serialize_round_trip():
    trigger = CfgStepTrigger(task_action_id="11395", experiment_id="3256", cfg_conn_id="c", region="ap-beijing",
                             poll_interval=2, deadline=1767225600, error_patience=60, rollback_on_kill=False)
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_cfg.triggers.step.CfgStepTrigger"
    assert kwargs == {"experiment_id": 3256, "task_action_id": 11395, "cfg_conn_id": "c", "region": "ap-beijing",
                      "poll_interval": 2.0, "deadline": 1767225600.0, "error_patience": 60.0, "rollback_on_kill": False,
                      "instance_ids": None}
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert CfgStepTrigger(**kwargs).serialize() == (classpath, kwargs)
    with_instances = CfgStepTrigger(task_action_id=1, experiment_id=2, instance_ids=["24376", 24375]).serialize()[1]
    assert with_instances["instance_ids"] == [24376, 24375] and json.loads(json.dumps(with_instances)) == with_instances


@pytest.mark.parametrize("trigger_class", [CfgStepTrigger, CfgExperimentTrigger])
def test_a_trigger_serialised_before_the_rename_still_resumes(trigger_class):
    """Triggers serialised by an older version name the experiment ``task_id``: they still resume."""
    own = {"task_action_id": 11395} if trigger_class is CfgStepTrigger else {"target_statuses": [1004]}
    old = {"task_id": 3256, "cfg_conn_id": "c", "region": None, "poll_interval": 2.0, "deadline": None,
           "error_patience": 60.0, "rollback_on_kill": False, **own}
    trigger = trigger_class(**old)
    assert trigger.experiment_id == 3256
    kwargs = trigger.serialize()[1]
    assert kwargs["experiment_id"] == 3256 and "task_id" not in kwargs
    assert trigger_class(**kwargs).serialize() == trigger.serialize()


def test_a_trigger_needs_its_experiment():
    with pytest.raises(TypeError, match="CfgStepTrigger needs experiment_id"):
        CfgStepTrigger(task_action_id=1)


def test_experiment_trigger_serialize_round_trip():
    trigger = CfgExperimentTrigger(target_statuses=("1004",), failure_statuses=[1003], experiment_id=7)
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_cfg.triggers.experiment.CfgExperimentTrigger"
    assert kwargs["target_statuses"] == [1004] and kwargs["failure_statuses"] == [1003]
    assert kwargs["rollback_on_kill"] is False and kwargs["deadline"] is None
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert CfgExperimentTrigger(**kwargs).serialize() == (classpath, kwargs)


# -- step trigger -----------------------------------------------------------------------------------------


async def test_step_success(emu):
    task_id, fault, _ = started_626(emu)
    emu.state.action_seconds = 0.3
    execute_action(emu, task_id, fault)
    (event,) = await all_events(step_trigger(task_id, fault))
    assert event["status"] == "success"
    assert (event["experiment_id"], event["task_action_id"], event["action_status"], event["action_status_type"]) == (
        task_id, fault, 2004, 1)
    assert json.loads(json.dumps(event)) == event


async def test_step_on_some_instances(emu):
    """A step run on some of its instances stays open in CFG; the trigger waits for those only."""
    task_id, fault, _ = started_626(emu, ["ins-aaaaaaaa", "ins-bbbbbbbb"])
    instances = {i["TaskGroupInstanceObjectId"]: i["TaskGroupInstanceId"]
                 for i in action_state(emu, task_id, fault)["TaskGroupInstances"]}
    ok(emu, "ExecuteTaskInstance", TaskId=task_id, TaskGroupId=group_of(emu, task_id, fault), TaskActionId=fault,
       ActionType=2, TaskInstanceIds=[instances["ins-bbbbbbbb"]], IsOperateAll=False)
    (event,) = await all_events(
        step_trigger(task_id, fault, instance_ids=[instances["ins-bbbbbbbb"]], deadline=time.time() + 5))
    assert event["status"] == "success" and event["action_status"] == 2002
    assert action_state(emu, task_id, fault)["TaskGroupActionStatus"] == 2002
    (whole,) = await all_events(step_trigger(task_id, fault, deadline=time.time() + 0.3))
    assert whole["status"] == "timeout"  # the whole step is not finished


async def test_step_failed(emu):
    task_id, fault, _ = started_626(emu)
    chaos(emu, failing_instances=[INSTANCE])
    execute_action(emu, task_id, fault)
    (event,) = await all_events(step_trigger(task_id, fault))
    assert event["status"] == "failed"
    (instance,) = event["failed_instances"]
    assert instance["object_id"] == INSTANCE and "failing_instances" in instance["log"]


async def test_step_timeout_at_the_deadline(emu):
    task_id, fault, _ = started_626(emu)  # never executed: it will not finish
    began = time.time()
    (event,) = await all_events(step_trigger(task_id, fault, poll_interval=5, deadline=began + 0.4))
    ended = time.time()
    assert event == {"status": "timeout", "experiment_id": task_id,
                     "message": f"deadline passed waiting for experiment {task_id}"}
    assert began + 0.4 <= ended < began + 2  # at the deadline, not a poll interval later


async def test_step_deadline_already_passed(emu):
    task_id, fault, _ = started_626(emu)
    (event,) = await all_events(step_trigger(task_id, fault, deadline=time.time() - 1))
    assert event["status"] == "timeout"


async def test_step_finished_wins_over_a_passed_deadline(emu):
    task_id, fault, _ = started_626(emu)
    run_action(emu, task_id, fault)
    (event,) = await all_events(step_trigger(task_id, fault, deadline=time.time() - 1))
    assert event["status"] == "success"


async def test_unknown_step_is_an_error_event(emu):
    task_id, _, _ = started_626(emu)
    (event,) = await all_events(step_trigger(task_id, 999999))
    assert event["status"] == "error" and "TaskActionId 999999 is not in experiment" in event["message"]


async def test_bad_credentials_are_one_error_event_without_the_secret(cfg_emulator, monkeypatch):
    task_id, fault, _ = started_626(cfg_emulator)
    wrong_key = "wrong-SECRET-key-do-not-log-0123456789"
    monkeypatch.setenv("AIRFLOW_CONN_TENCENTCLOUD_CFG_DEFAULT", json.dumps({
        "conn_type": "tencentcloud_cfg", "login": cfg_emulator.secret_id, "password": wrong_key,
        "host": cfg_emulator.endpoint, "extra": FAST,
    }))
    began = time.monotonic()
    (event,) = await all_events(step_trigger(task_id, fault, error_patience=60))
    assert time.monotonic() - began < 5  # an auth failure is not waited out
    assert event["status"] == "error" and "AuthFailure.SignatureFailure" in event["message"]
    assert wrong_key not in json.dumps(event)


async def test_missing_connection_is_one_error_event(emu):
    (event,) = await all_events(step_trigger(1, 1, cfg_conn_id="no_such_cfg_conn"))
    assert event["status"] == "error" and event["message"].startswith("cannot build CFG client")


async def test_transient_errors_do_not_end_the_wait(emu):
    task_id, fault, _ = started_626(emu)
    run_action(emu, task_id, fault)
    chaos(emu, error_rate=1.0, error_codes=["InternalError", "ServiceUnavailable"])
    timer = clear_chaos_after(emu, 0.6)
    began = time.monotonic()
    (event,) = await all_events(step_trigger(task_id, fault, error_patience=30))
    timer.join()
    assert event["status"] == "success"
    assert time.monotonic() - began >= 0.5  # it waited the outage out


async def test_errors_beyond_patience_end_with_an_error(emu):
    task_id, fault, _ = started_626(emu)
    chaos(emu, error_rate=1.0, error_codes=["ServiceUnavailable"])
    began = time.monotonic()
    (event,) = await all_events(step_trigger(task_id, fault, error_patience=0.3))
    chaos(emu)
    assert event["status"] == "error" and "ServiceUnavailable" in event["message"]
    assert 0.3 <= time.monotonic() - began < 5


# -- experiment trigger -----------------------------------------------------------------------------------


async def test_experiment_success_on_an_automatic_run(emu):
    task_id = ok(emu, "CreateTaskFromTemplate", TemplateId=629,
                 TaskConfig={"TaskTitle": "auto", "TaskGroupsConfig": [{"TaskGroupInstances": [INSTANCE]}]})["TaskId"]
    start(emu, task_id)
    (event,) = await all_events(experiment_trigger(task_id, [1004]))
    assert event["status"] == "success"
    assert (event["experiment_id"], event["task_status"], event["task_status_type"], event["task_expect"]) == (
        task_id, 1004, 1, None)


async def test_experiment_failed_when_it_ends_instead(emu):
    task_id, _, _ = started_626(emu)
    end(emu, task_id, is_expect=False)
    (event,) = await all_events(experiment_trigger(task_id, [1003]))
    assert event["status"] == "failed" and event["task_status"] == 1004 and event["task_expect"] == 2


async def test_experiment_failure_status(emu):
    task_id, _, _ = started_626(emu)
    ok(emu, "ModifyTaskRunStatus", TaskId=task_id, Status=1003)
    (event,) = await all_events(experiment_trigger(task_id, [1004], failure_statuses=[1003]))
    assert event["status"] == "failed" and event["task_status"] == 1003


async def test_experiment_timeout(emu):
    task_id = create_626(emu)
    (event,) = await all_events(experiment_trigger(task_id, [1004], deadline=time.time() + 0.3))
    assert event["status"] == "timeout"


# -- on_kill -------------------------------------------------------------------------------------------------


def test_step_trigger_on_kill_rolls_back(emu, monkeypatch):
    fast_rollback(monkeypatch)
    task_id, fault, _recovery = started_626(emu)
    run_action(emu, task_id, fault)
    asyncio.run(step_trigger(task_id, fault).on_kill())
    assert faults(emu) == []
    task = task_of(emu, task_id)
    assert (task["TaskStatus"], task["TaskExpect"]) == (1004, 2)
    assert "killed while waiting" in task["TaskSummary"]


def test_experiment_trigger_on_kill_only_watches(emu):
    task_id, fault, _ = started_626(emu)
    run_action(emu, task_id, fault)
    asyncio.run(experiment_trigger(task_id, [1004]).on_kill())
    assert task_of(emu, task_id)["TaskStatus"] == 1002 and len(faults(emu)) == 1


def test_on_kill_never_raises(emu):
    task_id, fault, _ = started_626(emu)
    run_action(emu, task_id, fault)
    # logged, not raised
    assert asyncio.run(step_trigger(task_id, fault, cfg_conn_id="no_such_cfg_conn").on_kill()) is None
    assert task_of(emu, task_id)["TaskStatus"] == 1002 and len(faults(emu)) == 1


def test_experiment_id_survives_the_triggerer_setting_task_instance():
    """The triggerer sets ``trigger.task_instance``, which overwrites ``trigger.task_id`` with the
    Airflow task id: the experiment id must live elsewhere (found by the standalone smoke run)."""
    from types import SimpleNamespace

    trigger = CfgStepTrigger(task_action_id=11395, experiment_id=3256)
    trigger.task_instance = SimpleNamespace(dag_id="d", task_id="inject_fault_1", run_id="r", map_index=-1,
                                            try_number=1)
    assert trigger.experiment_id == 3256
    assert trigger.serialize()[1]["experiment_id"] == 3256
