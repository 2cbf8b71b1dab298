"""The shared trigger poller (``airflow_provider_cfg.triggers.poller``): watchers of one experiment
share its reads, status watchers are batched into ``DescribeTaskList`` calls of at most 100 ids,
errors reach every waiter, each trigger's deadline is its own, nothing is left open, and the
rate limits hold with hundreds of watchers.

Calls are counted by the emulator (``/_emulator/stats``). No timing is asserted: only counts
(with room for a noisy machine) and the events themselves.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from airflow_provider_cfg.api.actions import ACTIONS
from airflow_provider_cfg.api.client import AsyncCfgClient
from airflow_provider_cfg.api.errors import CfgApiError
from airflow_provider_cfg.api.models import Task, TaskListItem
from airflow_provider_cfg.core.events import experiment_event
from airflow_provider_cfg.triggers import poller as polling
from airflow_provider_cfg.triggers.base import CfgPollingTrigger
from airflow_provider_cfg.triggers.experiment import CfgExperimentTrigger
from airflow_provider_cfg.triggers.step import CfgStepTrigger
from tests.airflow_helpers import chaos, clear_chaos_after, create_626, end, ok, run_action, started_626, use_emulator

FAST = {"max_attempts": 1, "backoff": 0.01, "backoff_max": 0.02}
MISSING = 987654


@pytest.fixture
def emu(cfg_emulator, monkeypatch):
    use_emulator(monkeypatch, cfg_emulator, **FAST)
    cfg_emulator.http().post("/_emulator/stats").raise_for_status()
    yield cfg_emulator
    assert polling.live_pollers() == []  # every test leaves no poller (and so no client) behind


def calls(emu) -> dict[str, int]:
    return emu.http().get("/_emulator/stats").json()["calls"]


def stats(emu) -> dict:
    return emu.http().get("/_emulator/stats").json()


def zero_stats(emu) -> None:
    emu.http().post("/_emulator/stats").raise_for_status()


async def run_all(triggers: list[CfgPollingTrigger], limit: float = 30.0) -> list[list[dict]]:
    """Run the triggers together on this loop (as a triggerer does); every event of each."""

    async def collect(trigger: CfgPollingTrigger) -> list[dict]:
        return [event.payload async for event in trigger.run()]

    return await asyncio.wait_for(asyncio.gather(*(collect(t) for t in triggers)), limit)


def record_batches(monkeypatch) -> list[list[int]]:
    """The ``TaskId`` lists of every ``DescribeTaskList`` call made by an async client."""
    batches: list[list[int]] = []
    original = AsyncCfgClient.describe_task_list

    def spy(self, **kwargs):
        batches.append(list(kwargs.get("task_ids") or []))
        return original(self, **kwargs)

    monkeypatch.setattr(AsyncCfgClient, "describe_task_list", spy)
    return batches


# -- watchers of one experiment share its reads -----------------------------------------------------------


async def test_step_watchers_of_one_experiment_share_one_read_per_interval(emu):
    task_id, fault, _ = started_626(emu)  # the step is never executed: every trigger waits to its deadline
    zero_stats(emu)
    interval, watch = 0.2, 2.0
    deadline = time.time() + watch
    triggers = [CfgStepTrigger(task_action_id=fault, experiment_id=task_id, poll_interval=interval, deadline=deadline)
                for _ in range(50)]
    results = await run_all(triggers)
    assert [events for events in results] == [[{"status": "timeout", "experiment_id": task_id,
                                                "message": f"deadline passed waiting for experiment {task_id}"}]] * 50
    described = calls(emu).get("DescribeTask", 0)
    intervals = watch / interval
    # One trigger alone would read about `intervals` times; 50 of them share those reads
    # (at most two groups in the first interval, then one). Unshared: about 50 x intervals.
    assert 1 <= described <= 2 * intervals + 6, described
    assert "DescribeTaskList" not in calls(emu)


async def test_concurrent_task_reads_share_one_request_and_recent_readings_are_reused(emu):
    task_id, _, _ = started_626(emu)
    zero_stats(emu)
    poller = await polling.acquire("tencentcloud_cfg_default")
    try:
        tasks = await asyncio.gather(*(poller.task(task_id) for _ in range(30)))
        assert all(isinstance(task, Task) and task.TaskId == task_id for task in tasks)
        assert calls(emu)["DescribeTask"] == 1
        assert (await poller.task(task_id, max_age=60)).TaskId == task_id  # young enough: reused
        assert calls(emu)["DescribeTask"] == 1
        await poller.task(task_id, max_age=0)  # not young enough: read again
        assert calls(emu)["DescribeTask"] == 2
    finally:
        await poller.release()


# -- status watchers are batched --------------------------------------------------------------------------


async def test_status_reads_are_batched_by_at_most_100_ids(emu, monkeypatch):
    batches = record_batches(monkeypatch)
    ids = [create_626(emu, title=f"batch {i}") for i in range(150)]
    end(emu, ids[0])
    zero_stats(emu)
    poller = await polling.acquire("tencentcloud_cfg_default")
    try:
        items = await asyncio.gather(*(poller.status(i) for i in ids))
        assert [item.TaskId for item in items] == ids
        assert all(isinstance(item, TaskListItem) for item in items)
        assert [int(item.TaskStatus) for item in items] == [1004] + [1001] * 149
        assert sorted(len(batch) for batch in batches) == [50, 100]
        assert sorted(i for batch in batches for i in batch) == sorted(ids)
        assert calls(emu) == {"DescribeTaskList": 2}  # no DescribeTask: every id was listed
        await asyncio.gather(*(poller.status(i, max_age=60) for i in ids))  # reused
        assert calls(emu) == {"DescribeTaskList": 2}
    finally:
        await poller.release()


async def test_experiment_triggers_read_through_batches(emu, monkeypatch):
    batches = record_batches(monkeypatch)
    ids = [create_626(emu, title=f"watched {i}") for i in range(150)]
    ended = set(ids[::3])
    for task_id in ended:
        end(emu, task_id, is_expect=False)
    zero_stats(emu)
    deadline = time.time() + 1.5
    triggers = [CfgExperimentTrigger(target_statuses=[1004], experiment_id=i, poll_interval=0.3, deadline=deadline)
                for i in ids]
    results = await run_all(triggers)
    for task_id, events in zip(ids, results, strict=True):
        (event,) = events
        if task_id in ended:
            assert (event["status"], event["experiment_id"], event["task_status"], event["task_expect"]) == (
                "success", task_id, 1004, 2)
        else:
            assert (event["status"], event["experiment_id"]) == ("timeout", task_id)
    assert batches and all(1 <= len(batch) <= 100 for batch in batches)
    assert max(len(batch) for batch in batches) > 1  # reads were actually batched
    seen = calls(emu)
    assert "DescribeTask" not in seen
    # 150 triggers reading about 5 times each (100 of them) would be ~550 DescribeTask calls unshared.
    assert seen["DescribeTaskList"] == len(batches) < 200


def test_a_list_entry_gives_the_same_event_as_the_full_experiment(cfg_emulator):
    task_id = create_626(cfg_emulator)
    end(cfg_emulator, task_id, is_expect=True)
    task = Task.model_validate(ok(cfg_emulator, "DescribeTask", TaskId=task_id)["Task"])
    (entry,) = [TaskListItem.model_validate(item)
                for item in ok(cfg_emulator, "DescribeTaskList", Limit=100, Offset=0, TaskId=[task_id])["TaskList"]]
    for targets, failures in (([1004], []), ([1003], []), ([1002], [1004])):
        assert experiment_event(entry, targets, failures) == experiment_event(task, targets, failures)
    assert experiment_event(entry, [1004])["status"] == "success"


# -- errors reach every waiter ------------------------------------------------------------------------------


async def test_an_error_reaches_every_waiter_of_the_shared_request(emu):
    poller = await polling.acquire("tencentcloud_cfg_default")
    try:
        outcomes = await asyncio.gather(*(poller.task(MISSING) for _ in range(20)), return_exceptions=True)
        assert all(isinstance(o, CfgApiError) and o.code.startswith("ResourceNotFound") for o in outcomes), outcomes
        assert calls(emu) == {"DescribeTask": 1}
        # Not listed by DescribeTaskList: DescribeTask says why, to every status waiter.
        outcomes = await asyncio.gather(*(poller.status(MISSING) for _ in range(20)), return_exceptions=True)
        assert all(isinstance(o, CfgApiError) and o.code.startswith("ResourceNotFound") for o in outcomes), outcomes
        assert calls(emu) == {"DescribeTask": 2, "DescribeTaskList": 1}
    finally:
        await poller.release()


async def test_a_permanent_error_ends_every_trigger_with_an_error_event(emu):
    ids = [create_626(emu) for _ in range(20)]
    chaos(emu, error_rate=1.0, error_codes=["UnauthorizedOperation"])
    try:
        results = await run_all(
            [CfgExperimentTrigger(target_statuses=[1004], experiment_id=i, poll_interval=0.1) for i in ids]
            + [CfgStepTrigger(task_action_id=1, experiment_id=ids[0], poll_interval=0.1) for _ in range(5)])
    finally:
        chaos(emu)
    for events in results:
        (event,) = events
        assert event["status"] == "error" and "UnauthorizedOperation" in event["message"]


async def test_transient_errors_are_waited_out_by_each_trigger(emu):
    ids = [create_626(emu) for _ in range(20)]
    for task_id in ids:
        end(emu, task_id)
    chaos(emu, error_rate=1.0, error_codes=["InternalError", "ServiceUnavailable"])
    timer = clear_chaos_after(emu, 0.6)
    results = await run_all([
        CfgExperimentTrigger(target_statuses=[1004], experiment_id=i, poll_interval=0.1, error_patience=30)
        for i in ids])
    timer.join()
    assert [events[0]["status"] for events in results] == ["success"] * 20


async def test_error_patience_is_each_triggers_own(emu):
    """Same outage, same shared reads: the impatient trigger gives up, the patient one waits it out."""
    task_id, fault, _ = started_626(emu)
    run_action(emu, task_id, fault)
    chaos(emu, error_rate=1.0, error_codes=["ServiceUnavailable"])
    timer = clear_chaos_after(emu, 1.0)
    impatient = CfgStepTrigger(task_action_id=fault, experiment_id=task_id, poll_interval=0.05, error_patience=0.2)
    patient = CfgStepTrigger(task_action_id=fault, experiment_id=task_id, poll_interval=0.05, error_patience=30)
    (first,), (second,) = await run_all([impatient, patient])
    timer.join()
    assert first["status"] == "error" and "ServiceUnavailable" in first["message"]
    assert second["status"] == "success"


# -- each trigger's deadline is its own -------------------------------------------------------------------


async def test_a_deadline_fires_while_a_shared_read_is_slow_and_the_read_goes_on(emu):
    task_id, fault, _ = started_626(emu)
    run_action(emu, task_id, fault)
    zero_stats(emu)
    chaos(emu, latency_ms=3000)
    try:
        hurried = CfgStepTrigger(
            task_action_id=fault, experiment_id=task_id, poll_interval=0.05, deadline=time.time() + 0.2)
        patient = CfgStepTrigger(task_action_id=fault, experiment_id=task_id, poll_interval=0.05)
        (first,), (second,) = await run_all([hurried, patient])
    finally:
        chaos(emu)
    assert first["status"] == "timeout"  # gave up on the read at its deadline (+ READ_GRACE at most)
    assert second["status"] == "success"  # the read the first one left was not cancelled
    assert calls(emu)["DescribeTask"] == 1  # one read, shared


# -- nothing is left open ----------------------------------------------------------------------------------


async def test_the_client_is_closed_after_the_last_trigger(emu):
    task_id, fault, _ = started_626(emu)
    run_action(emu, task_id, fault)
    seen: list[polling.SharedPoller] = []

    async def spy() -> None:
        while not polling.live_pollers():
            await asyncio.sleep(0.001)
        seen.extend(polling.live_pollers())

    watcher = asyncio.ensure_future(spy())
    results = await run_all(
        [CfgStepTrigger(task_action_id=fault, experiment_id=task_id, poll_interval=0.05) for _ in range(10)])
    await watcher
    assert all(events[0]["status"] == "success" for events in results)
    (poller,) = seen  # one poller for the ten triggers
    assert poller.refs == 0 and poller.client is None and polling.live_pollers() == []


async def test_cancelled_triggers_release_the_poller(emu):
    task_id = create_626(emu)

    async def consume(trigger: CfgPollingTrigger) -> list[dict]:
        return [event.payload async for event in trigger.run()]

    tasks = [asyncio.ensure_future(
                 consume(CfgExperimentTrigger(target_statuses=[1004], experiment_id=task_id, poll_interval=0.05)))
             for _ in range(10)]
    while not calls(emu).get("DescribeTaskList"):
        await asyncio.sleep(0.02)
    (poller,) = polling.live_pollers()
    client = poller.client
    assert poller.refs == 10 and client is not None
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert polling.live_pollers() == [] and poller.client is None and client._http is None


def test_one_poller_per_event_loop(emu):
    task_id, fault, _ = started_626(emu)
    run_action(emu, task_id, fault)
    loops = []

    async def watch() -> list[list[dict]]:
        triggers = [CfgStepTrigger(task_action_id=fault, experiment_id=task_id, poll_interval=0.05) for _ in range(3)]
        results = asyncio.ensure_future(run_all(triggers))
        while not polling.live_pollers():
            await asyncio.sleep(0.001)
        loops.extend(p.loop for p in polling.live_pollers())
        return await results

    for _ in range(2):
        assert [events[0]["status"] for events in asyncio.run(watch())] == ["success"] * 3
    assert len(loops) == 2 and loops[0] is not loops[1]
    assert polling.live_pollers() == []


async def test_a_missing_connection_is_an_error_event_for_every_trigger_and_leaves_nothing(emu):
    results = await run_all(
        [CfgStepTrigger(task_action_id=1, experiment_id=1, cfg_conn_id="no_such_cfg_conn") for _ in range(5)])
    assert all(events[0]["message"].startswith("cannot build CFG client") for events in results)


# -- rate limits -------------------------------------------------------------------------------------------


async def test_hundreds_of_watchers_stay_within_the_rate_limits(emu):
    watched = [create_626(emu, title=f"limits {i}") for i in range(200)]
    steps = [started_626(emu)[:2] for _ in range(50)]
    emu.http().post("/_emulator/rate-limits", json={"enabled": True}).raise_for_status()
    zero_stats(emu)
    deadline = time.time() + 3.0
    # 200 status watchers (DescribeTaskList, 100/s) and 50 step watchers of 50 experiments
    # (DescribeTask, 20/s: at a 0.5 s interval they want 100/s, so they wait in the limiter).
    triggers: list[CfgPollingTrigger] = [
        CfgExperimentTrigger(target_statuses=[1004], experiment_id=i, poll_interval=0.5, deadline=deadline)
        for i in watched
    ] + [CfgStepTrigger(task_action_id=step, experiment_id=i, poll_interval=0.5, deadline=deadline)
         for i, step in steps]
    results = await run_all(triggers)
    seen = stats(emu)
    assert seen["request_limit_exceeded"] == {}
    for action, peak in seen["peak_per_second"].items():
        assert peak <= ACTIONS[action].rate_limit, (action, peak)
    assert seen["calls"]["DescribeTaskList"] >= 1 and seen["calls"]["DescribeTask"] >= 1
    assert [events for events in results] == [[{"status": "timeout", "experiment_id": t.experiment_id,
                                                "message": f"deadline passed waiting for experiment {t.experiment_id}"}]
                                              for t in triggers]


async def test_the_connection_is_read_again_when_a_trigger_joins_an_old_poller(emu, monkeypatch):
    """An edited connection reaches the triggers: a trigger joining a poller whose client is older
    than REFRESH_AFTER has the connection read again; the old client is closed once idle."""
    task_id = create_626(emu)
    first = await polling.acquire("tencentcloud_cfg_default")
    try:
        await first.status(task_id)
        old = first.client
        monkeypatch.setattr(polling, "REFRESH_AFTER", 0.0)
        await asyncio.sleep(0.01)
        second = await polling.acquire("tencentcloud_cfg_default")
        assert second is first
        refreshing = first._refreshing
        assert refreshing is not None
        await refreshing
        assert first.client is not old and old._http is None  # swapped, and the idle old one closed
        assert (await first.status(task_id)).TaskId == task_id  # the new client reads
        await second.release()
    finally:
        await first.release()
    assert first.client is None


async def test_steady_state_guards_ask_cfg_through_the_batched_status_reads(emu):
    from airflow_provider_cfg.triggers.guard import CfgSteadyStateGuardTrigger
    from tests.airflow_helpers import json_service

    ids = [started_626(emu)[0] for _ in range(20)]
    zero_stats(emu)
    with json_service(lambda: (200, {"ok": True})) as url:
        deadline = time.time() + 1.5
        guards = [CfgSteadyStateGuardTrigger(experiment_id=i, deadline=deadline, probe_url=url, poll_interval=0.2)
                  for i in ids]
        results = await run_all(guards)
    assert [events[0]["status"] for events in results] == ["passed"] * 20
    seen = calls(emu)
    assert "DescribeTask" not in seen  # reading for itself, each guard made a DescribeTask per probe
    assert 1 <= seen["DescribeTaskList"] <= 20, seen
