"""The steady-state guard's core (``core/guard.py``), without CFG or a network: the tripping rule,
the probe settings and their JSON round trip, the one watch loop run blocking and on an event
loop with scripted reads and probes, and the abort after a breach with a mocked client."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from airflow_provider_cfg.api.enums import TriggerType
from airflow_provider_cfg.api.errors import CfgApiError, CfgOutcomeUnknownError, CfgTransportError
from airflow_provider_cfg.core.guard import (
    GUARDRAIL_NAME,
    GuardWatch,
    ProbeSpec,
    abort_after_breach,
    conclusion_check,
    latency_limit,
    watch,
)
from airflow_provider_cfg.core.probes import ProbeResult
from airflow_provider_cfg.core.rollback import RollbackReport
from tests.airflow_helpers import build_task

OK = ProbeResult(True, "HTTP 200 in 5 ms", 5.0)
BAD = ProbeResult(False, "HTTP 500, expected [200]", 3.0)
RUNNING = build_task([], status=1002)
ENDED = build_task([], status=1004, expect=1)
OUTAGE = CfgTransportError("DescribeTask", "connection refused", sent=False)
REFUSED = CfgApiError("AuthFailure.SignatureFailure", "bad signature", "r-1", "DescribeTask")


def test_guard_watch_rule():
    watch = GuardWatch(7, "svc", 3, time.time())
    bad = ProbeResult(False, "HTTP 500", 3.0)
    assert watch.record(bad) is None and watch.record(bad) is None
    assert watch.record(ProbeResult(True, "HTTP 200", 2.0)) is None  # a pass resets the run
    assert watch.record(bad) is None and watch.record(bad) is None
    event = watch.record(bad)
    assert event["status"] == "breached" and event["consecutive_failures"] == 3
    assert ([f["number"] for f in event["failures"]] == [4, 5, 6]
            and event["failed_probes"] == 5 and event["probes"] == 6)
    assert event["experiment_id"] == 7 and "task_id" not in event
    assert json.loads(json.dumps(event)) == event


def test_conclusion_check_of_a_finished_watch():
    held = GuardWatch(7, "svc", 2, time.time() - 3)
    held.record(OK)
    check = conclusion_check(held.passed())
    assert check == {"passed": True, "detail": check["detail"], "probes": 1, "failed_probes": 0,
                     "watched_seconds": check["watched_seconds"], "elapsed_seconds": 3.0, "gaps": [],
                     "last_probe": held.last}
    assert check["detail"].startswith("Steady state held during experiment 7 (svc): all 1 probe(s) passed; "
                                      "probed 0.0 s of 3.0 s")
    assert json.loads(json.dumps(check)) == check
    assert conclusion_check(held.ended(ENDED))["passed"] is True and conclusion_check(held.ended(ENDED))["ended"]
    unwatched = conclusion_check(GuardWatch(7, "svc", 2, time.time()).ended(ENDED))
    assert unwatched["passed"] is False and unwatched["ended"] is True and unwatched["probes"] == 0
    assert "nothing was watched" in unwatched["detail"]


# -- the probe settings ----------------------------------------------------------------------------------


def test_probe_spec_json_round_trip():
    spec = ProbeSpec.from_kwargs({
        "probe_url": "https://shop.example.com/health", "expected_status": ["200", 204], "max_latency_ms": "800",
        "json_path": "status.db", "expected_value": {"ok": [1, 2]}, "probe_timeout": "3", "cfg_conn_id": "ignored",
    })
    kwargs = spec.as_kwargs()
    assert kwargs == {
        "probe_url": "https://shop.example.com/health", "probe_callable": None, "expected_status": [200, 204],
        "max_latency_ms": 800.0, "json_path": "status.db", "expected_value": {"ok": [1, 2]}, "probe_timeout": 3.0,
    }
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert ProbeSpec.from_kwargs(kwargs) == spec
    assert spec.target == "https://shop.example.com/health"
    assert ProbeSpec(probe_callable="pkg.mod:fn").target == "pkg.mod:fn"


@pytest.mark.parametrize(("value", "limit"), [(None, None), ("", None), ("None", None), ("800", 800.0), (5, 5.0)])
def test_latency_limit(value, limit):
    assert latency_limit(value) == limit


def test_latency_limit_refuses_text():
    with pytest.raises(ValueError, match="max_latency_ms must be a number of milliseconds, got 'fast'"):
        latency_limit("fast")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (ProbeSpec(probe_url="ftp://example.com/health"), "probe url must be http"),
        (ProbeSpec(), "probe url must be http"),
        (ProbeSpec(probe_callable="no_colon_here"), "package.module:function"),
        (ProbeSpec(probe_callable="tests.no_such_module:probe"), "cannot be imported"),
        (ProbeSpec(probe_url="http://x", expected_value={1, 2}), "JSON-serialisable"),
    ],
)
def test_misconfigured_probe_is_refused_before_watching(spec, message):
    with pytest.raises(ValueError, match=message):
        spec.check()


# -- the one watch loop, driven blocking and async --------------------------------------------------------


class Script:
    """Scripted answers: each read and probe takes the next one (an exception is raised)."""

    def __init__(self, reads: list, probes: list) -> None:
        self.reads, self.probes, self.slept = list(reads), list(probes), []

    def read(self):
        return self._next(self.reads)

    def probe(self):
        return self._next(self.probes)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)

    @staticmethod
    def _next(answers: list):
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def new_watch(**kwargs) -> GuardWatch:
    kwargs.setdefault("deadline", time.time() + 60)
    return GuardWatch(3256, "svc", 2, time.time(), poll_interval=5.0, **kwargs)


def run_both(make_script, **kwargs) -> tuple[dict, dict, Script]:
    """The event of the blocking watch and of the same loop on an event loop, for the same script
    (they must agree)."""
    script = make_script()
    blocking = watch(new_watch(**kwargs), script.read, script.probe, sleep=script.sleep)
    other = make_script()

    async def read():
        await asyncio.sleep(0)
        return other.read()

    async def probe():
        await asyncio.sleep(0)
        return other.probe()

    async def sleep(seconds: float) -> None:
        await asyncio.sleep(0)
        other.sleep(seconds)

    async def drive():
        return await new_watch(**kwargs).run(read, probe, sleep)

    event = asyncio.run(drive())
    assert other.slept == script.slept
    return blocking, event, script


def same(first: dict, second: dict) -> bool:
    """Equal but for the clock readings (what was watched when, and each probe's ``at``)."""

    def timeless(value):
        if isinstance(value, dict):
            clocked = ("watched_seconds", "elapsed_seconds", "intervals", "gaps", "at")
            return {k: timeless(v) for k, v in value.items() if k not in clocked}
        if isinstance(value, list):
            return [timeless(v) for v in value]
        return value

    return timeless(first) == timeless(second)


def test_breach_after_failures_to_trip_in_a_row():
    blocking, other, script = run_both(lambda: Script([RUNNING] * 4, [BAD, OK, BAD, BAD]))
    assert blocking["status"] == "breached" and blocking["probes"] == 4 and blocking["failed_probes"] == 3
    assert [f["number"] for f in blocking["failures"]] == [3, 4]
    assert script.slept == [5.0, 5.0, 5.0]  # a poll interval between rounds, none after the breach
    assert same(blocking, other)


def test_experiment_ending_stops_the_watch():
    blocking, other, _ = run_both(lambda: Script([RUNNING, ENDED], [OK]))
    assert blocking["status"] == "ended" and blocking["probes"] == 1 and blocking["task_expect"] == 1
    assert "steady state held until then (" in blocking["message"]
    assert "): all 1 probe(s) passed" in blocking["message"]
    assert same(blocking, other)


def test_read_errors_are_waited_out_within_patience():
    blocking, other, _ = run_both(lambda: Script([OUTAGE, OUTAGE, RUNNING, ENDED], [OK, OK, OK]))
    assert blocking["status"] == "ended" and blocking["probes"] == 3  # the probes go on meanwhile
    assert same(blocking, other)


def test_read_errors_beyond_patience_are_an_error():
    blocking, other, _ = run_both(lambda: Script([OUTAGE], []), error_patience=0)
    assert blocking["status"] == "error" and "cannot read the experiment" in blocking["message"]
    assert same(blocking, other)


def test_a_refusal_is_not_waited_out():
    blocking, other, _ = run_both(lambda: Script([REFUSED], []), error_patience=300)
    assert blocking["status"] == "error" and "AuthFailure.SignatureFailure" in blocking["message"]
    assert same(blocking, other)


def test_misconfigured_probe_is_an_error_not_a_breach():
    blocking, other, _ = run_both(lambda: Script([RUNNING], [TypeError("probe returned 'fine'")]))
    assert blocking["status"] == "error" and "misconfigured probe: probe returned 'fine'" in blocking["message"]
    assert blocking["probes"] == 0 and same(blocking, other)


def test_passed_at_the_deadline():
    blocking, other, script = run_both(lambda: Script([RUNNING], [BAD]), deadline=time.time() - 1)
    assert blocking["status"] == "passed" and blocking["failed_probes"] == 1 and script.slept == []
    assert "1 failed (never 2 in a row)" in blocking["message"]
    assert same(blocking, other)


def test_the_last_sleep_stops_at_the_deadline():
    script = Script([RUNNING] * 2, [OK] * 2)

    def sleep(seconds: float) -> None:
        script.slept.append(seconds)
        time.sleep(seconds)

    event = watch(new_watch(deadline=time.time() + 0.05), script.read, script.probe, sleep=sleep)
    assert event["status"] == "passed" and event["probes"] == 2
    assert len(script.slept) == 1 and 0 < script.slept[0] <= 0.05


def test_the_blocking_watch_refuses_to_wait_on_an_event_loop():
    async def suspends():
        await asyncio.sleep(0)

    guard = new_watch()
    guard.run = lambda *args, **kwargs: suspends()  # a loop that suspends cannot be run without an event loop
    with pytest.raises(RuntimeError, match="asked to wait for something asynchronous"):
        watch(guard, lambda: RUNNING, lambda: OK)


# -- after a breach -------------------------------------------------------------------------------------


def cfg_client(mocker, *, triggered_after: int | None = None, trigger=None):
    """A client whose guardrail reads as triggered from the ``triggered_after``-th read on."""
    client = mocker.Mock()
    reads = {"n": 0}

    def describe_task(_experiment_id):
        reads["n"] += 1
        policy = mocker.Mock(is_triggered=triggered_after is not None and reads["n"] >= triggered_after)
        answer = mocker.Mock()
        answer.require_task.return_value.TaskPolicy = policy
        return answer

    client.describe_task.side_effect = describe_task
    client.trigger_policy.side_effect = trigger
    return client


def test_abort_triggers_the_guardrail_then_rolls_back(mocker):
    rollback = mocker.patch("airflow_provider_cfg.core.guard.rollback_experiment",
                            return_value=RollbackReport(experiment_id=3256, reason="r"))
    client, done = cfg_client(mocker), []
    abort_after_breach(client, 3256, "dag.guard: breached", "guard tripped", done)
    client.trigger_policy.assert_called_once_with(3256, GUARDRAIL_NAME, "dag.guard: breached", TriggerType.TRIGGER)
    rollback.assert_called_once_with(client, 3256, "guard tripped")
    assert done == ["guardrail triggered", "rolled back (faults recovered, experiment ended with IsExpect=false)"]


def test_abort_without_rollback_leaves_it_to_the_guardrail(mocker):
    rollback = mocker.patch("airflow_provider_cfg.core.guard.rollback_experiment")
    done: list[str] = []
    abort_after_breach(cfg_client(mocker), 3256, "c", None, done)
    assert done == ["guardrail triggered"] and not rollback.called


def test_abort_reports_a_rollback_that_left_faults(mocker):
    report = RollbackReport(experiment_id=3256, reason="r", left_injected=["'CPU load' (TaskActionId 11)"])
    mocker.patch("airflow_provider_cfg.core.guard.rollback_experiment", return_value=report)
    done: list[str] = []
    abort_after_breach(cfg_client(mocker), 3256, "c", "why", done)
    assert done[-1] == "rollback INCOMPLETE, still injected: 'CPU load' (TaskActionId 11)"


def test_guardrail_call_with_an_unknown_outcome_that_landed_is_not_sent_again(mocker):
    client, done = cfg_client(mocker, triggered_after=1, trigger=CfgOutcomeUnknownError("TriggerPolicy", "timeout")), []
    abort_after_breach(client, 3256, "c", None, done)
    assert client.trigger_policy.call_count == 1 and done == ["guardrail triggered"]


def test_guardrail_call_with_an_unknown_outcome_that_did_not_land_is_sent_once_more(mocker):
    trigger = [CfgOutcomeUnknownError("TriggerPolicy", "timeout"), None]
    client, done = cfg_client(mocker, trigger=trigger), []
    abort_after_breach(client, 3256, "c", None, done)
    assert client.trigger_policy.call_count == 2 and done == ["guardrail triggered"]


def test_a_refused_guardrail_is_reported_and_the_rollback_still_runs(mocker):
    rollback = mocker.patch("airflow_provider_cfg.core.guard.rollback_experiment",
                            return_value=RollbackReport(experiment_id=3256, reason="r"))
    refused = CfgApiError("FailedOperation.PolicyNotFound", "no guardrail", "r-2", "TriggerPolicy")
    client, done = cfg_client(mocker, trigger=refused), []
    abort_after_breach(client, 3256, "c", "why", done)
    assert client.trigger_policy.call_count == 1  # a refusal is not resent
    assert done[0] == "guardrail not triggered (FailedOperation.PolicyNotFound: no guardrail)" and rollback.called
