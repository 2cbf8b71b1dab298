"""Completion events: one JSON-safe verdict per terminal outcome, shared by operators, sensors and triggers."""

from __future__ import annotations

import json

import pytest

from airflow_provider_cfg.core.events import (
    GUARD_STATUSES,
    STATUSES,
    event,
    experiment_event,
    step_event,
    validate_event,
)
from tests.airflow_helpers import build_action, build_instance, build_task


def task_with(task_status: int = 1002, **action) -> object:
    return build_task([(1, 1, [build_action(11, 1, "Shutdown", **action)])], status=task_status)


def test_step_event_none_while_unfinished():
    assert step_event(task_with(status=2001), 11) is None
    assert step_event(task_with(status=2003, instances=[build_instance(1, "ins-a", 3002)]), 11) is None
    assert step_event(task_with(1003, status=2002), 11) is None  # paused is not the end


def test_step_event_success():
    event = step_event(
        task_with(status=2004, status_type=1, instances=[build_instance(1, "ins-aaaaaaaa", 3003, 1, "done")]), 11)
    assert event["status"] == "success"
    keys = ("experiment_id", "task_action_id", "title", "action_status", "action_status_type", "failed_instances")
    assert {k: event[k] for k in keys} == {
        "experiment_id": 3256, "task_action_id": 11, "title": "Shutdown", "action_status": 2004,
        "action_status_type": 1, "failed_instances": [],
    }
    assert event["message"] == (
        "Step 'Shutdown' (TaskActionId 11) finished: success; 1 of 1 instance(s) done: 1 succeeded")
    assert json.loads(json.dumps(event)) == event
    assert type(event["action_status"]) is not bool and json.dumps(event["action_status"]) == "2004"


def test_step_event_skipped_is_success():
    assert step_event(task_with(status=2004, status_type=4), 11)["status"] == "success"


def test_step_event_failed_carries_instance_logs():
    event = step_event(task_with(status=2004, status_type=2, instances=[
        build_instance(1, "ins-aaaaaaaa", 3003, 1, "fine"), build_instance(2, "ins-bbbbbbbb", 3003, 2, "agent down"),
    ]), 11)
    assert event["status"] == "failed"
    assert event["failed_instances"] == [{"instance_id": 2, "object_id": "ins-bbbbbbbb", "log": "agent down"}]
    assert "instance ins-bbbbbbbb (2) failed: agent down" in event["message"]
    assert event["detail"] in event["message"]
    assert json.loads(json.dumps(event)) == event


def test_step_event_experiment_ended_first():
    event = step_event(task_with(1004, status=2002), 11)
    assert event["status"] == "failed"
    assert event["message"].startswith("Experiment 3256 ended before the step finished: 'Shutdown'")


def test_step_event_unknown_action():
    event = step_event(task_with(), 99)
    assert event == {"status": "error", "experiment_id": 3256, "message": "TaskActionId 99 is not in experiment 3256"}


@pytest.mark.parametrize(
    ("status", "targets", "failures", "verdict"),
    [
        (1001, [1002], [], None),
        (1002, [1002], [], "success"),
        (1003, [1002, 1003], [], "success"),
        (1003, [1004], [1003], "failed"),
        (1004, [1002], [], "failed"),
        (1004, [1004], [], "success"),
        (1002, [1004], [1003], None),
    ],
)
def test_experiment_event(status, targets, failures, verdict):
    event = experiment_event(build_task([], status=status, expect=2 if status == 1004 else None), targets, failures)
    if verdict is None:
        assert event is None
        return
    assert event["status"] == verdict
    assert (event["experiment_id"], event["task_status"], event["task_status_type"]) == (3256, status, 0)
    assert event["task_expect"] == (2 if status == 1004 else None)
    assert json.loads(json.dumps(event)) == event
    if verdict == "failed":
        assert f"not one of {sorted(targets)}" in event["message"]


@pytest.mark.parametrize("event", [{"status": s} for s in STATUSES])
def test_validate_event_accepts(event):
    assert validate_event(event) is event


@pytest.mark.parametrize("event", [None, "success", {"status": "ok"}, {"message": "x"}, [{"status": "success"}]])
def test_validate_event_refuses(event):
    with pytest.raises(ValueError, match="unexpected CFG trigger event"):
        validate_event(event)


@pytest.mark.parametrize("status", GUARD_STATUSES)
def test_validate_event_accepts_guard_statuses_when_asked(status):
    received = {"status": status}
    assert validate_event(received, GUARD_STATUSES, what="steady-state guard") is received


@pytest.mark.parametrize(("received", "allowed"), [
    ({"status": "success"}, GUARD_STATUSES), ({"status": "breached"}, STATUSES), ({"status": "passed"}, STATUSES)])
def test_validate_event_refuses_the_other_vocabulary(received, allowed):
    with pytest.raises(ValueError, match="unexpected steady-state guard event"):
        validate_event(received, allowed, what="steady-state guard")


def test_every_event_names_its_experiment():
    assert event("timeout", 3256, "deadline passed", extra=1) == {
        "status": "timeout", "experiment_id": 3256, "message": "deadline passed", "extra": 1}
    assert set(STATUSES) & set(GUARD_STATUSES) == {"error"}  # one error status for every wait


def test_step_event_for_some_instances():
    task = task_with(status=2002, instances=[build_instance(1, "ins-aaaaaaaa", 3001),
                                             build_instance(2, "ins-bbbbbbbb", 3003, 2, "boom")])
    assert step_event(task, 11) is None
    assert step_event(task, 11, [1]) is None
    event = step_event(task, 11, [2])
    assert event["status"] == "failed" and event["failed_instances"] == [
        {"instance_id": 2, "object_id": "ins-bbbbbbbb", "log": "boom"}]
