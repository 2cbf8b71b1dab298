"""CfgExecuteStepOperator against the emulator: execute and wait, defer, the one completion handler,
never executing a step twice, ambiguous calls, skip and retry, step and instance selection, and
the rollback on kill or timeout."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from airflow.sdk.exceptions import TaskDeferred

from airflow_provider_cfg.core.events import step_event
from airflow_provider_cfg.core.steps import StepNotFoundError
from airflow_provider_cfg.exceptions import CfgStepFailedError, CfgTriggerError, CfgWaitTimeoutError
from airflow_provider_cfg.links.console import XCOM_CONSOLE_URL, XCOM_EXPERIMENT_ID
from airflow_provider_cfg.operators.step import CfgExecuteStepOperator
from airflow_provider_cfg.triggers.step import CfgStepTrigger
from tests.airflow_helpers import (
    INSTANCE,
    INSTANCES,
    FakeTI,
    action_state,
    actions_of,
    chaos,
    context_for,
    create_multi,
    fast_rollback,
    faults,
    landed_then_refused,
    log_lines,
    make_client,
    run_action,
    start,
    started_626,
    starts,
    task_of,
    use_emulator,
)


@pytest.fixture
def emu(cfg_emulator, monkeypatch):
    use_emulator(monkeypatch, cfg_emulator)
    fast_rollback(monkeypatch)
    return cfg_emulator


def step_op(experiment_id: int, step, **kwargs) -> CfgExecuteStepOperator:
    kwargs.setdefault("poll_interval", 0.05)
    return CfgExecuteStepOperator(task_id="step", experiment_id=experiment_id, step=step, **kwargs)


def instance_states(emu, experiment_id: int, action_id: int) -> dict[str, tuple[int, int, str | None]]:
    return {
        i["TaskGroupInstanceObjectId"]: (
            i["TaskGroupInstanceStatus"], i["TaskGroupInstanceStatusType"], i["TaskGroupInstanceStartTime"])
        for i in action_state(emu, experiment_id, action_id)["TaskGroupInstances"]
    }


def event_for(emu, experiment_id: int, action_id: int) -> dict:
    with make_client(emu) as client:
        return step_event(client.describe_task(experiment_id).Task, action_id)


# -- definition ------------------------------------------------------------------------------------


def test_template_fields_render():
    assert set(CfgExecuteStepOperator.template_fields) == {
        "cfg_conn_id", "region", "experiment_id", "step", "instances"}
    op = CfgExecuteStepOperator(
        task_id="step", experiment_id="{{ params.id }}", step="{{ params.step }}", instances=["{{ params.ins }}"],
        region="{{ params.region }}", cfg_conn_id="{{ params.conn }}",
    )
    op.render_template_fields(
        {"params": {"id": "3256", "step": "1.2", "ins": INSTANCE, "region": "ap-beijing", "conn": "c"}})
    assert (op.experiment_id, op.step, op.instances, op.region, op.cfg_conn_id) == (
        "3256", "1.2", [INSTANCE], "ap-beijing", "c")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"operation": "inject"}, "operation must be one of"),
    ({"poll_interval": 0}, r"poll_interval must be a finite number of seconds in \(0, 3600\], got 0"),
    # issue 12, finding 6: refused when the DAG is parsed, never after the step ran
    ({"poll_interval": float("nan")}, "poll_interval must be a finite number of seconds"),
    ({"poll_interval": float("inf")}, "poll_interval must be a finite number of seconds"),
    ({"poll_interval": 1e12}, r"poll_interval .* got 1000000000000\.0"),
    ({"poll_interval": True}, "poll_interval must be a finite number of seconds"),
    ({"timeout": 0}, r"timeout must be a finite number of seconds in \(0, 2\.592e\+06\], got 0"),
    ({"timeout": float("nan")}, "timeout must be a finite number of seconds"),
    ({"timeout": -1}, "timeout must be a finite number of seconds"),
])
def test_bad_arguments_refused_at_definition(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CfgExecuteStepOperator(task_id="step", experiment_id=1, step="1.1", **kwargs)


def test_bad_experiment_id_refused(emu):
    with pytest.raises(ValueError, match="experiment_id must be a CFG TaskId"):
        step_op("None", "1.1").execute(context_for())


# -- execute and wait ------------------------------------------------------------------------------


def test_execute_and_wait_then_recover(emu):
    experiment_id, fault, recovery = started_626(emu)
    ti = FakeTI()
    result = step_op(experiment_id, "1.1").execute(context_for(ti))
    assert result == {"experiment_id": experiment_id, "task_action_id": fault, "title": "Empty Operation",
                      "action_status": 2004, "action_status_type": 1}
    assert ti.pushed == {
        XCOM_EXPERIMENT_ID: experiment_id, XCOM_CONSOLE_URL: f"{emu.url}/_emulator/tasks/{experiment_id}"}
    assert [f["TaskGroupActionId"] for f in faults(emu)] == [fault]  # injected and still there

    result = step_op(experiment_id, "1.2").execute(context_for())
    assert result["task_action_id"] == recovery and result["action_status_type"] == 1
    assert faults(emu) == []
    assert starts(emu, experiment_id, fault) == 1 and starts(emu, experiment_id, recovery) == 1


def test_failed_step_raises_with_instance_logs(emu):
    experiment_id, fault, _ = started_626(emu, INSTANCES)
    chaos(emu, failing_instances=["ins-bbbbbbbb"])
    ti = FakeTI()
    with pytest.raises(CfgStepFailedError) as info:
        step_op(experiment_id, "1.1").execute(context_for(ti))
    message = str(info.value)
    (failed,) = [i for i in action_state(emu, experiment_id, fault)["TaskGroupInstances"]
                 if i["TaskGroupInstanceObjectId"] == "ins-bbbbbbbb"]
    assert "ins-bbbbbbbb" in message and failed["TaskGroupInstanceExecuteLog"].strip().splitlines()[-1] in message
    assert "ins-aaaaaaaa (" not in message  # only the failed instance is detailed
    assert ti.pushed[XCOM_EXPERIMENT_ID] == experiment_id  # the link works on the failed task


def test_no_wait_returns_none_after_starting(emu):
    experiment_id, fault, _ = started_626(emu)
    emu.state.action_seconds = 1.0
    assert step_op(experiment_id, "1.1", wait_for_completion=False).execute(context_for()) is None
    assert action_state(emu, experiment_id, fault)["TaskGroupActionStatus"] == 2003


def test_sync_timeout_rolls_back_and_raises(emu):
    experiment_id, _fault, recovery = started_626(emu)
    emu.state.action_seconds = 0.6
    began = time.monotonic()
    with pytest.raises(CfgWaitTimeoutError, match="still running at the deadline"):
        step_op(experiment_id, "1.1", timeout=0.2).execute(context_for())
    assert time.monotonic() - began >= 0.2
    task = task_of(emu, experiment_id)
    assert task["TaskStatus"] == 1004 and task["TaskExpect"] == 2
    assert "step timed out" in task["TaskSummary"]
    assert action_state(emu, experiment_id, recovery)["TaskGroupActionStatusType"] == 1
    assert faults(emu) == []


# -- deferrable ----------------------------------------------------------------------------------


def test_deferrable_defers_with_a_serializable_trigger(emu):
    experiment_id, fault, _ = started_626(emu)
    emu.state.action_seconds = 2.0  # still running when the operator looks
    ti = FakeTI()
    op = step_op(experiment_id, "1.1", deferrable=True, timeout=30, execution_timeout=timedelta(minutes=5),
                 poll_interval=0.5)
    before = time.time()
    with pytest.raises(TaskDeferred) as info:
        op.execute(context_for(ti))
    deferral = info.value
    assert deferral.method_name == "execute_complete"
    assert deferral.timeout is None  # the deadline travels in the trigger instead
    trigger = deferral.trigger
    assert isinstance(trigger, CfgStepTrigger)
    assert (trigger.experiment_id, trigger.task_action_id, trigger.poll_interval, trigger.rollback_on_kill) == (
        experiment_id, fault, 0.5, True)
    assert before + 30 <= trigger.deadline <= time.time() + 30
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_cfg.triggers.step.CfgStepTrigger"
    assert json.loads(json.dumps(kwargs)) == kwargs  # JSON types only
    assert CfgStepTrigger(**kwargs).serialize() == (classpath, kwargs)
    # published before deferring; the step was started exactly once
    assert ti.pushed[XCOM_EXPERIMENT_ID] == experiment_id and XCOM_CONSOLE_URL in ti.pushed
    assert starts(emu, experiment_id, fault) == 1


def test_deferrable_deadline_is_the_earlier_of_timeout_and_execution_timeout(emu):
    experiment_id, _, _ = started_626(emu)
    emu.state.action_seconds = 2.0
    before = time.time()
    with pytest.raises(TaskDeferred) as info:
        step_op(experiment_id, "1.1", deferrable=True, timeout=600,
                execution_timeout=timedelta(seconds=20)).execute(context_for())
    assert before + 20 <= info.value.trigger.deadline <= time.time() + 20


def test_deferrable_step_already_finished_does_not_defer(emu):
    experiment_id, fault, _ = started_626(emu)
    run_action(emu, experiment_id, fault)
    result = step_op(experiment_id, "1.1", deferrable=True).execute(context_for())
    assert result["action_status"] == 2004 and result["task_action_id"] == fault
    assert starts(emu, experiment_id, fault) == 1


# -- execute_complete --------------------------------------------------------------------------------


def test_execute_complete_success_event(emu):
    experiment_id, fault, _ = started_626(emu)
    run_action(emu, experiment_id, fault)
    result = step_op(experiment_id, "1.1").execute_complete(context_for(), event_for(emu, experiment_id, fault))
    assert result == {"experiment_id": experiment_id, "task_action_id": fault, "title": "Empty Operation",
                      "action_status": 2004, "action_status_type": 1}


def test_execute_complete_failed_event(emu):
    experiment_id, fault, _ = started_626(emu)
    chaos(emu, failing_instances=[INSTANCE])
    run_action(emu, experiment_id, fault)
    event = event_for(emu, experiment_id, fault)
    assert event["status"] == "failed"
    with pytest.raises(CfgStepFailedError) as info:
        step_op(experiment_id, "1.1").execute_complete(context_for(), event)
    assert INSTANCE in str(info.value) and "failing_instances" in str(info.value)


def test_execute_complete_timeout_event_rolls_back(emu):
    experiment_id, fault, _recovery = started_626(emu)
    run_action(emu, experiment_id, fault)
    assert faults(emu)
    event = {"status": "timeout", "experiment_id": experiment_id, "message": "deadline passed waiting for the step"}
    with pytest.raises(CfgWaitTimeoutError, match="deadline passed"):
        step_op(experiment_id, "1.1").execute_complete(context_for(), event)
    assert faults(emu) == []
    task = task_of(emu, experiment_id)
    assert (task["TaskStatus"], task["TaskExpect"]) == (1004, 2)


def test_execute_complete_timeout_without_rollback(emu):
    experiment_id, fault, _ = started_626(emu)
    run_action(emu, experiment_id, fault)
    with pytest.raises(CfgWaitTimeoutError):
        step_op(experiment_id, "1.1", rollback_on_kill=False).execute_complete(
            context_for(), {"status": "timeout", "message": "late"})
    assert task_of(emu, experiment_id)["TaskStatus"] == 1002 and len(faults(emu)) == 1


def test_execute_complete_error_event():
    with pytest.raises(CfgTriggerError, match="AuthFailure"):
        step_op(1, "1.1").execute_complete(
            context_for(), {"status": "error", "message": "AuthFailure.SignatureFailure"})


@pytest.mark.parametrize("event", [None, {}, {"status": "done"}, ["success"], "success"])
def test_execute_complete_malformed_event(event):
    with pytest.raises(ValueError, match="unexpected CFG trigger event"):
        step_op(1, "1.1").execute_complete(context_for(), event)


# -- never twice -------------------------------------------------------------------------------------


def test_a_step_that_ran_is_never_executed_again(emu):
    experiment_id, fault, _ = started_626(emu)
    first = step_op(experiment_id, "1.1").execute(context_for())
    started_at = instance_states(emu, experiment_id, fault)
    retried = step_op(experiment_id, "1.1").execute(context_for())  # e.g. the Airflow task retried
    assert retried == first
    assert starts(emu, experiment_id, fault) == 1
    assert instance_states(emu, experiment_id, fault) == started_at


def test_a_running_step_is_waited_for_not_restarted(emu):
    experiment_id, fault, _ = started_626(emu)
    emu.state.action_seconds = 0.5
    step_op(experiment_id, "1.1", wait_for_completion=False).execute(context_for())
    result = step_op(experiment_id, "1.1").execute(context_for())
    assert result["action_status"] == 2004
    assert starts(emu, experiment_id, fault) == 1


def test_ambiguous_execute_is_settled_by_reading_state(emu, caplog):
    experiment_id, fault, _ = started_626(emu)
    chaos(emu, drop_after_commit_rate=1.0)
    result = step_op(experiment_id, "1.1").execute(context_for())
    chaos(emu)
    assert "ExecuteTaskInstance -> OK, answer dropped after commit" in caplog.text
    assert result["action_status_type"] == 1
    assert starts(emu, experiment_id, fault) == 1


def test_a_refusal_whose_change_landed_is_not_sent_again(emu, mocker):
    """After any failure, even a refusal, the step is read: its state, not the error code, decides."""
    experiment_id, fault, _ = started_626(emu)
    call = landed_then_refused(mocker, "execute_task_instance")
    result = step_op(experiment_id, "1.1").execute(context_for())
    assert result["action_status_type"] == 1
    assert call.call_count == 1 and starts(emu, experiment_id, fault) == 1


def test_a_refusal_that_changed_nothing_is_raised_after_reading(emu, mocker):
    from airflow_provider_cfg.api.client import CfgClient
    from airflow_provider_cfg.api.errors import CfgApiError

    experiment_id, fault, _ = started_626(emu)
    refused = CfgApiError("FailedOperation", "not now", None, "ExecuteTaskInstance")
    call = mocker.patch.object(CfgClient, "execute_task_instance", autospec=True, side_effect=refused)
    read = mocker.spy(CfgClient, "describe_task")
    with pytest.raises(CfgApiError, match="not now"):
        step_op(experiment_id, "1.1").execute(context_for())
    assert call.call_count == 1  # a refusal is not resent
    assert read.call_count == 2  # before the call, and after the refusal to see whether it landed
    assert starts(emu, experiment_id, fault) == 0


# -- skip and retry ----------------------------------------------------------------------------------


def test_skip(emu):
    experiment_id, fault, _ = started_626(emu, INSTANCES)
    result = step_op(experiment_id, "1.1", operation="skip").execute(context_for())
    assert result["action_status"] == 2004 and result["action_status_type"] == 4
    assert {state[:2] for state in instance_states(emu, experiment_id, fault).values()} == {(3003, 4)}
    assert starts(emu, experiment_id, fault) == 0 and faults(emu) == []


def test_retry_after_failure(emu):
    experiment_id, fault, _ = started_626(emu, INSTANCES)
    chaos(emu, failing_instances=["ins-bbbbbbbb"])
    with pytest.raises(CfgStepFailedError):
        step_op(experiment_id, "1.1").execute(context_for())
    good_before = instance_states(emu, experiment_id, fault)["ins-aaaaaaaa"]
    chaos(emu)
    result = step_op(experiment_id, "1.1", operation="retry").execute(context_for())
    assert result["action_status"] == 2004 and result["action_status_type"] == 1
    after = instance_states(emu, experiment_id, fault)
    assert after["ins-aaaaaaaa"] == good_before  # only the failed instance ran again
    assert after["ins-bbbbbbbb"][:2] == (3003, 1)
    assert starts(emu, experiment_id, fault) == 2
    # retrying a step that succeeded changes nothing
    assert step_op(experiment_id, "1.1", operation="retry").execute(context_for()) == result
    assert starts(emu, experiment_id, fault) == 2


def test_retry_of_a_step_that_never_ran_is_refused(emu):
    experiment_id, fault, _ = started_626(emu)
    with pytest.raises(ValueError, match="has not run yet"):
        step_op(experiment_id, "1.1", operation="retry").execute(context_for())
    assert starts(emu, experiment_id, fault) == 0


# -- selecting steps and instances -----------------------------------------------------------------


def test_step_selectors(emu):
    experiment_id = create_multi(emu, [12, 21])
    start(emu, experiment_id)
    ids = [a["TaskGroupActionId"] for a in actions_of(emu, experiment_id)]
    for step, expected in [("1.1", ids[0]), ([1, 2], ids[1]), ("cpu high load", ids[2]), (ids[3], ids[3])]:
        result = step_op(experiment_id, step, operation="skip").execute(context_for())
        assert result["task_action_id"] == expected
        assert action_state(emu, experiment_id, expected)["TaskGroupActionStatusType"] == 4
    assert [a["TaskGroupActionStatusType"] for a in actions_of(emu, experiment_id)] == [4, 4, 4, 4]


def test_start_operation(emu):
    experiment_id, fault, _ = started_626(emu)
    result = step_op(experiment_id, "1.1", operation="start").execute(context_for())
    assert result["action_status_type"] == 1
    assert any(f"ExecuteTaskInstance start: action {fault} '" in line for line in log_lines(emu, experiment_id))


def test_step_by_dict(emu):
    experiment_id, _, recovery = started_626(emu)
    result = step_op(experiment_id, {"group": 1, "action": 2}, operation="skip").execute(context_for())
    assert result["task_action_id"] == recovery


def test_unknown_step_lists_the_steps_and_changes_nothing(emu):
    experiment_id, fault, recovery = started_626(emu)
    with pytest.raises(StepNotFoundError) as info:
        step_op(experiment_id, "2.1").execute(context_for())
    message = str(info.value)
    assert (f"1.1 'Empty Operation' (id {fault})" in message
            and f"1.2 'Empty Operation (rollback)' (id {recovery})" in message)
    assert starts(emu, experiment_id, fault) == starts(emu, experiment_id, recovery) == 0


def test_float_step_refused(emu):
    experiment_id, fault, _ = started_626(emu)
    with pytest.raises(ValueError, match=r"write \[1, 2\]"):
        step_op(experiment_id, 1.2).execute(context_for())
    assert starts(emu, experiment_id, fault) == 0


def test_instances_by_object_id_then_by_instance_id(emu):
    """CFG keeps a partly run step open (2002) until every instance ran: the operator waits for its
    own instances only, and a retry of it does not run them again."""
    experiment_id, fault, _ = started_626(emu, INSTANCES)
    result = step_op(experiment_id, "1.1", instances=["ins-bbbbbbbb"], timeout=10).execute(context_for())
    assert result["task_action_id"] == fault
    states = instance_states(emu, experiment_id, fault)
    assert states["ins-bbbbbbbb"][:2] == (3003, 1)
    assert states["ins-aaaaaaaa"][0] == 3001  # not touched
    assert action_state(emu, experiment_id, fault)["TaskGroupActionStatus"] == 2002  # partly run
    # the same task retried: reattaches to what it already ran
    assert step_op(experiment_id, "1.1", instances=["ins-bbbbbbbb"], timeout=10).execute(context_for()) == result
    assert instance_states(emu, experiment_id, fault)["ins-bbbbbbbb"] == states["ins-bbbbbbbb"]
    (a_id,) = [i["TaskGroupInstanceId"] for i in action_state(emu, experiment_id, fault)["TaskGroupInstances"]
               if i["TaskGroupInstanceObjectId"] == "ins-aaaaaaaa"]
    result = step_op(experiment_id, "1.1", instances=[a_id], timeout=10).execute(context_for())
    assert result["action_status"] == 2004 and result["action_status_type"] == 1
    assert instance_states(emu, experiment_id, fault)["ins-bbbbbbbb"] == states["ins-bbbbbbbb"]
    assert starts(emu, experiment_id, fault) == 2


def test_instance_subset_failure_is_reported(emu):
    experiment_id, fault, _ = started_626(emu, INSTANCES)
    chaos(emu, failing_instances=["ins-bbbbbbbb"])
    with pytest.raises(CfgStepFailedError, match="ins-bbbbbbbb"):
        step_op(experiment_id, "1.1", instances=["ins-bbbbbbbb"], timeout=10).execute(context_for())
    assert instance_states(emu, experiment_id, fault)["ins-aaaaaaaa"][0] == 3001


def test_deferral_with_instances_waits_for_those(emu):
    experiment_id, fault, _ = started_626(emu, INSTANCES)
    emu.state.action_seconds = 2.0
    with pytest.raises(TaskDeferred) as info:
        step_op(experiment_id, "1.1", instances=["ins-aaaaaaaa"], deferrable=True).execute(context_for())
    trigger = info.value.trigger
    (a_id,) = [i["TaskGroupInstanceId"] for i in action_state(emu, experiment_id, fault)["TaskGroupInstances"]
               if i["TaskGroupInstanceObjectId"] == "ins-aaaaaaaa"]
    assert trigger.instance_ids == [a_id]
    classpath, kwargs = trigger.serialize()
    assert kwargs["instance_ids"] == [a_id] and CfgStepTrigger(**kwargs).serialize() == (classpath, kwargs)


def test_unknown_instance_refused_with_the_step_instances(emu):
    experiment_id, fault, _ = started_626(emu, INSTANCES)
    with pytest.raises(ValueError, match=r"instance 'ins-zzzzzzzz' is not in step 1\.1"
                                         r".*ins-aaaaaaaa \(\d+\), ins-bbbbbbbb \(\d+\)"):
        step_op(experiment_id, "1.1", instances=["ins-zzzzzzzz"]).execute(context_for())
    assert starts(emu, experiment_id, fault) == 0


# -- on_kill -------------------------------------------------------------------------------------------


def test_on_kill_rolls_back(emu):
    experiment_id, fault, recovery = started_626(emu)
    emu.state.action_seconds = 0.6
    op = step_op(experiment_id, "1.1", wait_for_completion=False)
    op.execute(context_for())
    assert action_state(emu, experiment_id, fault)["TaskGroupActionStatus"] == 2003  # killed while injecting
    op.on_kill()
    assert faults(emu) == []
    task = task_of(emu, experiment_id)
    assert (task["TaskStatus"], task["TaskExpect"]) == (1004, 2)
    assert "the Airflow task was killed" in task["TaskSummary"]
    assert action_state(emu, experiment_id, fault)["TaskGroupActionStatusType"] == 1  # the injection was not cut short
    assert action_state(emu, experiment_id, recovery)["TaskGroupActionStatusType"] == 1


def test_on_kill_without_rollback_leaves_the_experiment(emu):
    experiment_id, _fault, _ = started_626(emu)
    op = step_op(experiment_id, "1.1", rollback_on_kill=False)
    op.execute(context_for())
    op.on_kill()
    assert task_of(emu, experiment_id)["TaskStatus"] == 1002 and len(faults(emu)) == 1


def test_experiment_is_published_before_anything_is_done(emu):
    experiment_id, fault, _ = started_626(emu)

    seen: list[int] = []

    class WatchingTI(FakeTI):
        def xcom_push(self, key, value):
            seen.append(action_state(emu, experiment_id, fault)["TaskGroupActionStatus"])
            super().xcom_push(key, value)

    ti = WatchingTI()
    step_op(experiment_id, "1.1").execute(context_for(ti))
    assert seen == [2002, 2002]  # both XComs pushed while the step was still waiting to be executed
    assert set(ti.pushed) == {XCOM_EXPERIMENT_ID, XCOM_CONSOLE_URL}


def test_deferrable_step_that_already_failed_raises_without_deferring(emu):
    experiment_id, fault, _ = started_626(emu)
    chaos(emu, failing_instances=[INSTANCE])
    run_action(emu, experiment_id, fault)
    with pytest.raises(CfgStepFailedError, match=INSTANCE):
        step_op(experiment_id, "1.1", deferrable=True).execute(context_for())
    assert starts(emu, experiment_id, fault) == 1
