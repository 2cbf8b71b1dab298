"""CfgSteadyStateGuardOperator against the emulator, probing a tiny local HTTP service whose health
the test flips mid-watch: pass, a blip that does not trip, a breach (guardrail triggered, faults
recovered, experiment ended not as expected, task failed), the experiment ending meanwhile,
deferral, the one handler, and probes written as functions. The trigger's own tests are in
tests/integration/triggers/test_guard.py, the rule's in tests/unit/core/test_guard.py."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
from airflow.sdk.exceptions import AirflowFailException, TaskDeferred

from airflow_provider_cfg.core.guard import GUARDRAIL_NAME, GuardWatch
from airflow_provider_cfg.core.probes import (
    ProbeResult,
    callable_probe,
    callable_probe_async,
    http_probe,
    http_probe_async,
)
from airflow_provider_cfg.exceptions import CfgTriggerError
from airflow_provider_cfg.links.console import XCOM_CONSOLE_URL, XCOM_EXPERIMENT_ID
from airflow_provider_cfg.operators.base import CfgVerdictError
from airflow_provider_cfg.operators.guard import CfgSteadyStateBreachError, CfgSteadyStateGuardOperator
from airflow_provider_cfg.triggers.guard import CfgSteadyStateGuardTrigger
from tests.airflow_helpers import FakeTI, context_for, end, faults, task_of, trigger_logs
from tests.integration import guard_service
from tests.integration.guard_service import MODULE, POLL, SERVICE, all_events, end_after_probes, injected

# The fixtures this module uses (pytest finds them by these names).
emu = guard_service.emu
scripted = guard_service.scripted
service = guard_service.service
service_url = guard_service.service_url

# -- helpers ---------------------------------------------------------------------------------------------


def guard(task_id: int, **kwargs) -> CfgSteadyStateGuardOperator:
    kwargs.setdefault("poll_interval", POLL)
    kwargs.setdefault("duration", 5.0)
    kwargs.setdefault("probe_timeout", 2.0)
    if "probe_callable" not in kwargs:
        kwargs.setdefault("probe_url", SERVICE.url)
    return CfgSteadyStateGuardOperator(task_id="guard", experiment_id=task_id, **kwargs)


def assert_aborted(emu, task_id: int) -> None:
    """Guardrail triggered once by the guard, nothing left injected, ended not as expected."""
    (log,) = trigger_logs(emu, task_id)
    assert log["Name"] == GUARDRAIL_NAME and log["TriggerType"] == 0
    assert "cfg_test_dag.cfg_test_task" in log["Content"] and "Steady state breached" in log["Content"]
    assert faults(emu) == []
    task = task_of(emu, task_id)
    assert task["TaskStatus"] == 1004 and task["TaskExpect"] == 2
    assert "Rolled back by Airflow" in task["TaskSummary"] and "steady-state guard" in task["TaskSummary"]


# -- definition ------------------------------------------------------------------------------------------


def test_template_fields_render(service):
    assert set(CfgSteadyStateGuardOperator.template_fields) == {
        "cfg_conn_id", "region", "duration", "experiment_id", "probe_url", "probe_callable", "max_latency_ms",
        "json_path", "expected_value",
    }
    op = CfgSteadyStateGuardOperator(
        task_id="guard", experiment_id="{{ params.id }}", probe_url="{{ params.url }}",
        max_latency_ms="{{ params.ms }}", json_path="{{ params.path }}", expected_value="{{ params.value }}",
    )
    op.duration = "{{ params.watch }}"
    op.render_template_fields(
        {"params": {"id": "3256", "url": service, "ms": "800", "path": "status", "value": "ok", "watch": "7"}})
    assert (op.experiment_id, op.probe_url, op.max_latency_ms, op.json_path, op.expected_value) == (
        "3256", service, "800", "status", "ok")
    assert op.duration == "7"  # a number once checked by execute


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of probe_url and probe_callable"),
        ({"probe_url": "http://x", "probe_callable": "a:b"}, "exactly one of probe_url and probe_callable"),
        ({"probe_url": "http://x", "failures_to_trip": 0}, r"failures_to_trip must be an integer in \[1, 1000\]"),
        ({"probe_url": "http://x", "duration": 0}, r"duration must be a finite number of seconds in \(0, 2.592e\+06\]"),
        ({"probe_url": "http://x", "poll_interval": 0}, r"poll_interval must be a finite number of .* \(0, 3600\]"),
        # issue 12, finding 6: NaN, infinity and absurd numbers are refused when the DAG is parsed
        ({"probe_url": "http://x", "poll_interval": float("nan")}, "poll_interval must be a finite number"),
        ({"probe_url": "http://x", "poll_interval": float("inf")}, "poll_interval must be a finite number"),
        ({"probe_url": "http://x", "poll_interval": 1e12}, "poll_interval must be a finite number"),
        ({"probe_url": "http://x", "duration": float("nan")}, "duration must be a finite number"),
        ({"probe_url": "http://x", "duration": float("inf")}, "duration must be a finite number"),
        ({"probe_url": "http://x", "probe_timeout": float("nan")}, "probe_timeout must be a finite number"),
        ({"probe_url": "http://x", "failures_to_trip": 1.5}, "failures_to_trip must be an integer"),
        ({"probe_url": "http://x", "expected_status": []}, "at least one HTTP status code"),
    ],
)
def test_bad_arguments_refused_at_definition(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CfgSteadyStateGuardOperator(task_id="guard", experiment_id=1, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"probe_url": "ftp://example.com/health"}, "probe url must be http"),
        ({"probe_callable": "no_colon_here"}, "package.module:function"),
        ({"probe_callable": f"{MODULE}:no_such_function"}, "cannot be imported"),
        ({"probe_url": "http://x", "max_latency_ms": "fast"}, "max_latency_ms must be a number"),
        ({"probe_url": "http://x", "expected_value": {1, 2}}, "JSON-serialisable"),
        ({"probe_url": "http://x", "duration": 60, "execution_timeout": __import__("datetime").timedelta(seconds=30)},
         "shorter than the watch duration"),
    ],
)
def test_misconfigured_probe_fails_before_watching(emu, kwargs, message):
    task_id = injected(emu)
    with pytest.raises(ValueError, match=message):
        guard(task_id, **kwargs).execute(context_for())
    assert trigger_logs(emu, task_id) == [] and faults(emu)  # nothing touched


# -- synchronous watch -----------------------------------------------------------------------------------


def test_pass_returns_a_check_for_the_conclusion(emu, service):
    task_id = injected(emu)
    ti = FakeTI()
    started = time.monotonic()
    check = guard(task_id, duration=1.0).execute(context_for(ti))
    assert 1.0 <= time.monotonic() - started < 4
    assert check["passed"] is True and check["failed_probes"] == 0 and check["probes"] >= 1
    assert "Steady state held" in check["detail"] and service in check["detail"]
    assert check["last_probe"]["passed"] is True and check["last_probe"]["detail"].startswith("HTTP 200")
    assert json.loads(json.dumps(check)) == check
    assert ti.pushed[XCOM_EXPERIMENT_ID] == task_id and XCOM_CONSOLE_URL in ti.pushed
    # a passing guard changes nothing: the fault stays for the DAG's own recovery step
    assert trigger_logs(emu, task_id) == [] and faults(emu) and task_of(emu, task_id)["TaskStatus"] == 1002


def test_one_blip_does_not_trip(emu, service):
    task_id = injected(emu)
    SERVICE.script = [(503, "degraded"), (200, "ok")]
    check = guard(task_id, duration=1.0).execute(context_for())
    assert check["passed"] is True and check["failed_probes"] == 1
    assert "1 failed (never 2 in a row)" in check["detail"]
    assert trigger_logs(emu, task_id) == []


def test_breach_triggers_guardrail_rolls_back_and_fails(emu, service):
    task_id = injected(emu)
    SERVICE.fail_after(2)
    started = time.monotonic()
    with pytest.raises(CfgSteadyStateBreachError) as info:
        guard(task_id, duration=30).execute(context_for())
    assert time.monotonic() - started < 10  # stopped at the breach, not at the end of the watch
    assert isinstance(info.value, AirflowFailException)  # never retried into a green run
    message = str(info.value)
    assert "2 consecutive failed probe(s)" in message and "HTTP 500" in message
    assert "guardrail triggered" in message and "rolled back" in message
    assert SERVICE.requests == 4  # 2 healthy, then exactly failures_to_trip failed probes
    assert_aborted(emu, task_id)


def test_breach_on_json_value_and_latency_rules(emu, service):
    """The tolerance is probes.judge: a 200 with the wrong value at json_path is a failed probe."""
    task_id = injected(emu)
    SERVICE.script = [(200, "ok")]
    SERVICE.state = "degraded"
    with pytest.raises(CfgSteadyStateBreachError, match="status = 'degraded', expected 'ok'"):
        guard(task_id, json_path="status", expected_value="ok", failures_to_trip=1).execute(context_for())
    assert_aborted(emu, task_id)


def test_breach_without_rollback_leaves_it_to_the_guardrail(emu, service):
    """rollback_on_breach=False: only TriggerPolicy; CFG's sequential rollback (policy 1) recovers and pauses."""
    task_id = injected(emu)
    SERVICE.fail_after(0)
    with pytest.raises(CfgSteadyStateBreachError, match="guardrail triggered") as info:
        guard(task_id, rollback_on_breach=False).execute(context_for())
    assert "rolled back" not in str(info.value)
    assert len(trigger_logs(emu, task_id)) == 1
    deadline = time.monotonic() + 5
    while task_of(emu, task_id)["TaskStatus"] != 1003 and time.monotonic() < deadline:
        time.sleep(0.05)
    task = task_of(emu, task_id)
    assert task["TaskStatus"] == 1003 and task["TaskExpect"] is None  # paused by CFG, not concluded by us
    assert faults(emu) == []


def test_experiment_ending_meanwhile_stops_the_watch(emu, service):
    task_id = injected(emu)
    ender = end_after_probes(emu, task_id, 2)
    started = time.monotonic()
    check = guard(task_id, duration=30).execute(context_for())
    ender.join()
    assert time.monotonic() - started < 5
    assert check["ended"] is True and check["passed"] is True and check["probes"] >= 1
    assert f"Experiment {task_id} ended after" in check["detail"]
    assert trigger_logs(emu, task_id) == []


def halted_after_probes(emu, task_id: int, probes: int) -> threading.Thread:
    """Halt the experiment from outside (the rollback cfg_halt_all's operators run) mid-watch."""
    from airflow_provider_cfg.core.rollback import rollback_experiment
    from tests.airflow_helpers import make_client

    def wait_then_halt() -> None:
        deadline = time.monotonic() + 10
        while SERVICE.requests < probes and time.monotonic() < deadline:
            time.sleep(0.01)
        with make_client(emu) as client:
            rollback_experiment(client, task_id, "Halted by cfg_halt_all (run manual__9): incident", poll_interval=0.05)

    thread = threading.Thread(target=wait_then_halt, daemon=True)
    thread.start()
    return thread


def test_an_experiment_halted_from_outside_fails_the_guard(emu, service):
    """On main the guard returned a passed check: the DAG run went green over a halted game day."""
    task_id = injected(emu)
    halter = halted_after_probes(emu, task_id, 2)
    with pytest.raises(CfgVerdictError) as failure:
        guard(task_id, duration=30).execute(context_for())
    halter.join()
    message = str(failure.value)
    assert f"Experiment {task_id} ended NOT as expected: rolled back by Airflow " in message
    assert "(Halted by cfg_halt_all (run manual__9): incident)" in message
    assert "CFG's summary: Rolled back by Airflow" in message and "Guard: Experiment" in message
    assert faults(emu) == []


def test_an_experiment_ended_by_hand_not_as_expected_fails_the_guard_unless_opted_out(emu, service):
    task_id = injected(emu)
    end(emu, task_id, "aborted by the on-call engineer", False)
    with pytest.raises(CfgVerdictError, match="ended NOT as expected: ended outside this DAG run"):
        guard(task_id).execute(context_for())
    check = guard(task_id, fail_on_unexpected=False).execute(context_for())
    assert check["ended"] is True and check["passed"] is False


def test_an_event_of_an_ended_experiment_fails_the_guard_even_if_cfg_cannot_be_read(emu, service, mocker):
    """The verdict from the trigger's event is enough: the guard does not pass for lack of a read."""
    operator = guard(1)
    mocker.patch.object(operator, "client", side_effect=RuntimeError("CFG down"))
    event = {"status": "ended", "experiment_id": 1, "message": "Experiment 1 ended after 3 s", "probes": 2,
             "task_expect": 2, "task_status_type": 3}
    with pytest.raises(CfgVerdictError, match=r"Experiment 1 ended NOT as expected: .*CFG's summary: \(none\)"):
        operator.execute_complete(context_for(), event)


def test_already_ended_experiment_is_not_watched(emu, service):
    task_id = injected(emu)
    end(emu, task_id)
    for deferrable in (False, True):  # no deferral either: the one handler answers at once
        check = guard(task_id, deferrable=deferrable).execute(context_for())
        assert check["ended"] is True and check["passed"] is False and check["probes"] == 0
        assert "nothing was watched" in check["detail"]
    assert SERVICE.requests == 0


def test_unreadable_experiment_is_an_error(emu, service):
    with pytest.raises(Exception, match="ResourceNotFound"):  # the first read is not a watch yet
        guard(999999).execute(context_for())


# -- deferral and the one handler ------------------------------------------------------------------------


def test_defers_with_a_serialisable_trigger_and_deadline(emu, service):
    task_id = injected(emu)
    ti = FakeTI()
    before = time.time()
    with pytest.raises(TaskDeferred) as info:
        guard(task_id, deferrable=True, duration=120, poll_interval=7, failures_to_trip=3, max_latency_ms="800",
              json_path="status", expected_value="ok", rollback_on_kill=False).execute(context_for(ti))
    deferral = info.value
    assert deferral.method_name == "execute_complete" and deferral.timeout is None
    trigger = deferral.trigger
    assert isinstance(trigger, CfgSteadyStateGuardTrigger)
    assert before + 120 <= trigger.deadline <= time.time() + 120
    assert before <= trigger.started_at <= time.time()
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_cfg.triggers.guard.CfgSteadyStateGuardTrigger"
    assert json.loads(json.dumps(kwargs)) == kwargs  # JSON types only
    assert CfgSteadyStateGuardTrigger(**kwargs).serialize() == (classpath, kwargs)
    assert {k: kwargs[k] for k in ("experiment_id", "poll_interval", "failures_to_trip", "max_latency_ms",
                                   "probe_url", "probe_callable", "expected_status", "json_path", "expected_value",
                                   "rollback_on_kill")} == {
        "experiment_id": task_id, "poll_interval": 7.0, "failures_to_trip": 3, "max_latency_ms": 800.0,
        "probe_url": service, "probe_callable": None, "expected_status": [200], "json_path": "status",
        "expected_value": "ok", "rollback_on_kill": False,
    }
    assert ti.pushed[XCOM_EXPERIMENT_ID] == task_id  # published before deferring
    assert SERVICE.requests == 0  # all the probing happens in the triggerer


async def test_deferred_breach_is_handled_by_the_same_handler(emu, service):
    task_id = injected(emu)
    op = guard(task_id, deferrable=True)
    with pytest.raises(TaskDeferred) as info:
        op.execute(context_for())
    SERVICE.fail_after(1)
    (event,) = await all_events(info.value.trigger)
    assert event["status"] == "breached"
    with pytest.raises(CfgSteadyStateBreachError, match="rolled back"):
        await asyncio.to_thread(op.execute_complete, context_for(), event)
    assert_aborted(emu, task_id)


def test_handler_outcomes():
    op = CfgSteadyStateGuardOperator(task_id="guard", experiment_id=1, probe_url="http://x")
    watch = GuardWatch(1, "http://x", 2, time.time() - 3)
    watch.record(ProbeResult(True, "HTTP 200 in 5 ms", 5.0))
    passed = op.execute_complete(context_for(), watch.passed())
    assert (passed["passed"] is True and passed["probes"] == 1
            and passed["detail"].startswith("Steady state held during experiment 1 (http://x): all 1 probe(s) passed")
            and "probed 0.0 s of 3.0 s" in passed["detail"])
    with pytest.raises(CfgTriggerError, match="cannot read the experiment"):
        op.execute_complete(context_for(), watch.error("cannot read the experiment: boom"))
    with pytest.raises(ValueError, match="unexpected steady-state guard event"):
        op.execute_complete(context_for(), {"status": "success"})


# -- probes written as functions ------------------------------------------------------------------------


def test_callable_probe_sync_pass_and_breach(emu, scripted):
    task_id = injected(emu)
    scripted["answers"] = [{"passed": False, "detail": "queue depth 9000"}, True]  # a blip first
    check = guard(task_id, probe_callable=f"{MODULE}:probe_function", duration=0.3).execute(context_for())
    assert check["passed"] is True and check["failed_probes"] == 1
    scripted.update(answers=[True], default={"passed": False, "detail": "queue depth 12000"})
    with pytest.raises(CfgSteadyStateBreachError, match="queue depth 12000"):
        guard(task_id, probe_callable=f"{MODULE}:probe_function").execute(context_for())
    assert_aborted(emu, task_id)


def test_misbehaving_callable_is_an_error_not_a_breach(emu):
    task_id = injected(emu)
    with pytest.raises(CfgTriggerError, match="misconfigured probe"):
        guard(task_id, probe_callable=f"{MODULE}:not_a_verdict").execute(context_for())
    assert trigger_logs(emu, task_id) == [] and faults(emu)


async def test_probe_functions_sync_and_async_agree(service, scripted):
    scripted["answers"] = [{"passed": True, "detail": "fine"}, {"passed": True, "detail": "fine"}]
    assert callable_probe(f"{MODULE}:probe_function").detail == "fine"
    assert (await callable_probe_async(f"{MODULE}:probe_function")).detail == "fine"
    SERVICE.script = [(500, "down"), (500, "down")]
    sync_result, async_result = http_probe(service), await http_probe_async(service)
    assert (sync_result.passed, sync_result.detail) == (async_result.passed, async_result.detail) == (
        False, "HTTP 500, expected [200]")
    refused = await http_probe_async("http://127.0.0.1:9/")
    assert refused.passed is False and refused.latency_ms is None
