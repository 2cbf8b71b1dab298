"""CfgSteadyStateGuardTrigger against the emulator, probing a tiny local HTTP service: every event
it can end with (passed, breached, ended, error), probes written as functions, its serialised
kwargs (including those of a trigger serialised before ``task_id`` became ``experiment_id``) and
its ``on_kill``."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from airflow_provider_cfg.triggers.guard import CfgSteadyStateGuardTrigger
from tests.airflow_helpers import faults, task_of, trigger_logs
from tests.integration import guard_service
from tests.integration.guard_service import MODULE, POLL, SERVICE, all_events, end_after_probes, injected

# The fixtures this module uses (pytest finds them by these names).
emu = guard_service.emu
scripted = guard_service.scripted
service = guard_service.service
service_url = guard_service.service_url


def guard_trigger(task_id: int, **kwargs) -> CfgSteadyStateGuardTrigger:
    kwargs.setdefault("poll_interval", POLL)
    kwargs.setdefault("deadline", time.time() + 5)
    kwargs.setdefault("probe_timeout", 2.0)
    return CfgSteadyStateGuardTrigger(experiment_id=task_id, **kwargs)


# -- serialisation ---------------------------------------------------------------------------------------


SERIALISED = {
    "experiment_id": 3256, "cfg_conn_id": "c", "region": "ap-beijing", "poll_interval": 7.0,
    "deadline": 1767225600.0, "error_patience": 60.0, "rollback_on_kill": False, "started_at": 1767225300.0,
    "probe_url": "https://shop.example.com/health", "probe_callable": None, "expected_status": [200, 204],
    "max_latency_ms": 800.0, "json_path": "status.db", "expected_value": "ok", "probe_timeout": 3.0,
    "failures_to_trip": 3,
}


def test_serialize_round_trip():
    trigger = CfgSteadyStateGuardTrigger(**{**SERIALISED, "expected_status": ("200", 204), "max_latency_ms": "800"})
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_cfg.triggers.guard.CfgSteadyStateGuardTrigger"
    assert kwargs == SERIALISED and json.loads(json.dumps(kwargs)) == kwargs
    assert CfgSteadyStateGuardTrigger(**kwargs).serialize() == (classpath, kwargs)


def test_a_trigger_serialised_before_the_rename_still_resumes():
    """Triggers serialised by an older version name the experiment ``task_id``."""
    old = {key: value for key, value in SERIALISED.items() if key != "experiment_id"}
    trigger = CfgSteadyStateGuardTrigger(task_id=3256, **old)
    assert trigger.experiment_id == 3256 and trigger.serialize()[1] == SERIALISED


def test_on_kill_rolls_back(emu):
    task_id = injected(emu)
    asyncio.run(guard_trigger(task_id, probe_url="http://127.0.0.1:9/").on_kill())
    assert faults(emu) == []
    task = task_of(emu, task_id)
    assert (task["TaskStatus"], task["TaskExpect"]) == (1004, 2)
    assert "killed while waiting" in task["TaskSummary"]


# -- events ------------------------------------------------------------------------------------------------


async def test_trigger_passed(emu, service):
    task_id = injected(emu)
    started = time.time()
    (event,) = await all_events(guard_trigger(task_id, probe_url=service, deadline=started + 0.3, started_at=started))
    assert event["status"] == "passed" and event["probes"] >= 1 and event["failed_probes"] == 0
    assert 0.3 <= event["elapsed_seconds"] < 3 and json.loads(json.dumps(event)) == event
    assert 0 < event["watched_seconds"] <= event["elapsed_seconds"] and event["gaps"] == []


async def test_a_copy_restarted_after_a_failover_names_what_it_did_not_watch(emu, service):
    """Finding 3: after a failover the new copy of the trigger starts from its kwargs 22 s after the
    watch began; it claims only what it probed and names the rest (on main: "held for 22.x s")."""
    task_id = injected(emu)
    started = time.time() - 22
    (event,) = await all_events(guard_trigger(task_id, probe_url=service, deadline=time.time() + 0.3,
                                              started_at=started))
    assert event["status"] == "passed" and event["elapsed_seconds"] >= 22
    assert event["watched_seconds"] < 1
    (gap,) = event["gaps"]
    assert gap["from"] == round(started, 3) and gap["seconds"] >= 22 and "not counted" in gap["why"]
    assert "NOT watched: 22." in event["message"] and "before this copy of the watch started" in event["message"]


async def test_trigger_breached(emu, service):
    task_id = injected(emu)
    SERVICE.fail_after(1, status=502)
    trigger = guard_trigger(task_id, probe_url=service, failures_to_trip=3)
    # The triggerer sets the Airflow task id on the trigger: the experiment id must survive it.
    trigger.task_id = "guard"
    (event,) = await all_events(trigger)
    assert event["experiment_id"] == task_id
    assert event["status"] == "breached" and event["probes"] == 4
    assert [f["detail"] for f in event["failures"]] == ["HTTP 502, expected [200]"] * 3
    assert event["last_probe"]["passed"] is False and json.loads(json.dumps(event)) == event
    assert trigger_logs(emu, task_id) == [] and faults(emu)  # the trigger reports; the operator aborts


async def test_trigger_breached_by_slow_answers(emu, service):
    task_id = injected(emu)
    (event,) = await all_events(guard_trigger(task_id, probe_url=service, max_latency_ms=0.0001, failures_to_trip=2))
    assert event["status"] == "breached" and "ms >" in event["last_probe"]["detail"]


async def test_trigger_ended(emu, service):
    task_id = injected(emu)
    ender = end_after_probes(emu, task_id, 2)
    (event,) = await all_events(guard_trigger(task_id, probe_url=service, deadline=time.time() + 30))
    ender.join()
    assert event["status"] == "ended" and event["probes"] >= 1 and event["task_expect"] == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"experiment_id": 999999, "probe_url": "http://127.0.0.1:9/"}, "ResourceNotFound"),
        ({"probe_callable": f"{MODULE}:not_a_verdict"}, "misconfigured probe"),
        ({"probe_callable": "tests.no_such_module:probe"}, "cannot be imported"),
        ({"cfg_conn_id": "no_such_connection", "probe_url": "http://127.0.0.1:9/"}, "no_such_connection"),
    ],
)
async def test_trigger_error(emu, kwargs, message):
    kwargs = dict(kwargs)
    task_id = kwargs.pop("experiment_id", None) or injected(emu)
    (event,) = await all_events(guard_trigger(task_id, **kwargs))
    assert event["status"] == "error" and message in event["message"]
    assert json.loads(json.dumps(event)) == event


async def test_callable_probe_in_the_trigger(emu, scripted):
    task_id = injected(emu)
    scripted["answers"] = [True, RuntimeError("database unreachable")]
    scripted["default"] = False
    (event,) = await all_events(guard_trigger(task_id, probe_callable=f"{MODULE}:async_probe_function"))
    assert event["status"] == "breached" and event["target"] == f"{MODULE}:async_probe_function"
    assert [f["detail"] for f in event["failures"]] == [
        f"{MODULE}:async_probe_function raised RuntimeError: database unreachable",
        f"{MODULE}:async_probe_function returned False",
    ]


class XComSupervisor:
    """Keeps the XComs the triggers set and answers their reads, like the triggerer's supervisor."""

    def __init__(self) -> None:
        self.stored: dict[tuple, object] = {}

    async def asend(self, msg):
        from airflow.sdk.execution_time.comms import GetXCom, SetXCom, XComResult

        address = (msg.key, msg.dag_id, msg.run_id, msg.task_id, msg.map_index)
        if isinstance(msg, SetXCom):
            self.stored[address] = json.loads(json.dumps(msg.value))
            return None
        assert isinstance(msg, GetXCom)
        return XComResult(key=msg.key, value=self.stored.get(address))


async def test_a_restarted_copy_takes_over_the_watch_of_the_earlier_one(emu, service, mocker):
    """A failover: copy A watches, then its triggerer freezes; copy B starts from the same kwargs on
    another triggerer, reads A's checkpoint and goes on — A's probes count, the silence between
    them is named, nothing is claimed for it."""
    from types import SimpleNamespace

    from airflow.sdk.execution_time import task_runner

    import airflow_provider_cfg.core.guard as core_guard

    mocker.patch.object(core_guard, "CHECKPOINT_EVERY", 0.1)
    mocker.patch.object(task_runner, "SUPERVISOR_COMMS", XComSupervisor(), create=True)
    ti = SimpleNamespace(dag_id="cfg_game_day", task_id="guard_during_fault_1", run_id="manual__1", map_index=-1)
    task_id = injected(emu)
    started = time.time()

    def copy(deadline: float) -> CfgSteadyStateGuardTrigger:
        trigger = guard_trigger(task_id, probe_url=service, deadline=deadline, started_at=started)
        trigger.task_instance = ti
        return trigger

    with pytest.raises(asyncio.TimeoutError):  # copy A is lost mid-watch
        await all_events(copy(started + 30), limit=0.8)
    probes_of_a = SERVICE.requests
    await asyncio.sleep(1.5)  # nobody watches
    (event,) = await all_events(copy(time.time() + 0.5))
    probes_of_b = SERVICE.requests - probes_of_a
    # A's probes count, up to its last checkpoint (one made after it is lost with A: never over-claimed)
    assert event["status"] == "passed" and probes_of_b < event["probes"] <= SERVICE.requests
    assert len(event["intervals"]) == 2 and event["intervals"][0][0] < started + 0.5
    (gap,) = event["gaps"]
    assert gap["seconds"] >= 1.4 and "stalled" in gap["why"] and "not counted" not in gap["why"]
    assert event["watched_seconds"] >= 0.6


# -- progress ------------------------------------------------------------------------------------------------


async def test_the_guard_trigger_logs_its_progress_through_its_own_log_at_a_steady_rate(emu, service, capsys):
    """What the triggerer copies into the task log: the trigger's ``self.log`` lines. The first probe
    gives a line at once (probes passed, time left); the next ones only at the steady rate
    (``[cfg] progress_every``, 15 s by default), not one per probe."""
    task_id = injected(emu)
    (event,) = await all_events(guard_trigger(task_id, probe_url=service, deadline=time.time() + 0.5))
    assert event["status"] == "passed" and event["probes"] >= 2
    lines = [line for line in capsys.readouterr().out.splitlines() if "guard: " in line]
    assert len(lines) == 1, lines
    assert "guard: 1 of 1 probes passed; trips at 2 failed in a row; http://127.0.0.1:" in lines[0]
    assert " | 0s in, 0s left" in lines[0] and "CfgSteadyStateGuardTrigger" in lines[0]


def test_the_rate_of_progress_lines_is_an_airflow_option(monkeypatch, caplog):
    import logging

    from airflow_provider_cfg.core.progress import EVERY
    from airflow_provider_cfg.triggers.base import progress_log

    log = logging.getLogger("test.progress")
    monkeypatch.setenv("AIRFLOW__CFG__PROGRESS_EVERY", "5")
    assert progress_log(log, deadline=123.0).every == pytest.approx(5) and progress_log(log).deadline is None
    monkeypatch.setenv("AIRFLOW__CFG__PROGRESS_EVERY", "often")
    with caplog.at_level(logging.WARNING, logger="test.progress"):
        assert progress_log(log).every == EVERY
    assert "[cfg] progress_every is not a number of seconds" in caplog.text
