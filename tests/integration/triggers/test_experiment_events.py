"""CfgExperimentEventTrigger against the emulator: experiments started and ended through the API
(not Airflow) become events; watchers share the listing; the cursor, kept in a state store,
carries a watcher across a restart (recreated from its serialised kwargs) with no duplicate and
no loss; without one, ``since`` makes a restart repeat rather than lose.

No timing is asserted: a "no duplicate" check is a sentinel experiment ended after the restart,
whose event must be the next one.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from airflow_provider_cfg.triggers import poller as polling
from airflow_provider_cfg.triggers.experiment_events import CfgExperimentEventTrigger, cfg_experiment_events_asset
from tests.airflow_helpers import create_626, end, start, use_emulator

FAST = {"max_attempts": 1, "backoff": 0.01, "backoff_max": 0.02}
LIMIT = 30.0


@pytest.fixture
def emu(cfg_emulator, monkeypatch):
    use_emulator(monkeypatch, cfg_emulator, **FAST)
    cfg_emulator.http().post("/_emulator/stats").raise_for_status()
    yield cfg_emulator
    assert polling.live_pollers() == []  # every watcher gave its poller back


@pytest.fixture
def store(mocker):
    """The asset state store the triggerer injects (Airflow 3.3): a JSON round trip, like the real one."""
    data: dict[str, Any] = {}
    accessors = mocker.Mock(name="asset_state_store")
    accessors.aget = mocker.AsyncMock(side_effect=lambda key, default=None: json.loads(data[key]) if key in data
                                      else default)
    accessors.aset = mocker.AsyncMock(side_effect=lambda key, value: data.__setitem__(key, json.dumps(value)))
    accessors.data = data
    return accessors


def listings(emu) -> int:
    return emu.http().get("/_emulator/stats").json()["calls"].get("DescribeTaskList", 0)


async def until(condition, what: str) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.02)

    try:
        await asyncio.wait_for(poll(), LIMIT)
    except TimeoutError:
        raise AssertionError(f"never: {what}") from None


def watcher(store=None, **kwargs) -> CfgExperimentEventTrigger:
    kwargs.setdefault("poll_interval", 0.05)
    trigger = CfgExperimentEventTrigger(**kwargs)
    trigger.asset_state_store = store
    return trigger


def restarted(trigger: CfgExperimentEventTrigger, store=None) -> CfgExperimentEventTrigger:
    """The trigger as a new triggerer builds it: from its serialised (JSON) kwargs."""
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_cfg.triggers.experiment_events.CfgExperimentEventTrigger"
    rebuilt = CfgExperimentEventTrigger(**json.loads(json.dumps(kwargs)))
    rebuilt.asset_state_store = store
    return rebuilt


def what(events: list[dict]) -> list[tuple[int, str]]:
    return [(event["experiment_id"], event["kind"]) for event in events]


class Triggerer:
    """Runs one trigger as the triggerer does: pulls every event at once; stopping cancels it."""

    def __init__(self, trigger: CfgExperimentEventTrigger) -> None:
        self.events: list[dict] = []
        self.task = asyncio.ensure_future(self._run(trigger))

    async def _run(self, trigger: CfgExperimentEventTrigger) -> None:
        async for event in trigger.run():
            self.events.append(event.payload)

    async def wait_for(self, count: int) -> list[dict]:
        await until(lambda: len(self.events) >= count or self.task.done(), f"{count} events")
        if self.task.done():
            self.task.result()  # raises what ended the trigger
        return self.events

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


def ended_experiment(emu, title: str) -> int:
    experiment = create_626(emu, title=title)
    start(emu, experiment)
    end(emu, experiment)
    return experiment


async def test_experiments_run_through_the_api_become_start_and_end_events(emu):
    running = Triggerer(watcher(title_pattern="^console"))
    await until(lambda: listings(emu) >= 1, "a first listing")  # the baseline: an empty region
    other = create_626(emu, title="other team")
    mine = create_626(emu, title="console drill")
    start(emu, other)
    start(emu, mine)
    await running.wait_for(1)
    end(emu, mine, summary="fine")
    end(emu, other)
    got = await running.wait_for(2)
    await running.stop()
    assert what(got) == [(mine, "started"), (mine, "ended")]
    assert got[1]["dedup_key"] == f"ap-guangzhou:{mine}:1004" and got[1]["status"] == 1004
    assert got[1]["title"] == "console drill" and got[1]["region"] == "ap-guangzhou"


async def test_watchers_share_one_listing(emu):
    for index in range(3):
        create_626(emu, title=f"drill {index}")
    poller = await polling.acquire("tencentcloud_cfg_default")
    try:
        readings = await asyncio.gather(*(poller.read_list() for _ in range(10)))
    finally:
        await poller.release()
    assert listings(emu) == 1  # ten watchers, one DescribeTaskList
    assert all(len(reading.value) == 3 for reading in readings)


async def test_a_restart_with_a_stored_cursor_neither_repeats_nor_loses(emu, store):
    trigger = watcher(store, statuses=[1004])
    running = Triggerer(trigger)
    await until(lambda: listings(emu) >= 1, "a first listing")
    before = ended_experiment(emu, "before")
    await running.wait_for(1)
    await until(lambda: f"{before}:1004" in json.dumps(store.data), "the cursor stored after the event")
    await running.stop()

    down = ended_experiment(emu, "while down")  # ended while no triggerer ran
    running = Triggerer(restarted(trigger, store))
    await running.wait_for(1)
    sentinel = ended_experiment(emu, "sentinel")
    got = await running.wait_for(2)
    await running.stop()
    assert what(got) == [(down, "ended"), (sentinel, "ended")]  # "before" not again, "while down" not lost


async def test_a_baseline_is_stored_at_once_so_a_restart_right_after_it_loses_nothing(emu, store):
    trigger = watcher(store, statuses=[1004], poll_interval=3600)  # one listing, then an hour asleep
    running = Triggerer(trigger)
    await until(lambda: store.data, "the baseline stored")
    await running.stop()
    ended = ended_experiment(emu, "ended right after the baseline")
    running = Triggerer(restarted(trigger, store))
    got = await running.wait_for(1)
    await running.stop()
    assert what(got) == [(ended, "ended")]


async def test_a_restart_before_the_cursor_was_stored_repeats_the_event(emu, store):
    """At least once: an event yielded but not yet covered by the stored cursor comes again."""
    ended = ended_experiment(emu, "ended")
    # One listing, then an hour asleep: the cursor covering the event would be saved after it.
    trigger = watcher(store, statuses=[1004], poll_interval=3600, since="2000-01-01 00:00:00")
    running = Triggerer(trigger)
    first = await running.wait_for(1)
    await running.stop()  # "killed" meanwhile
    assert store.data == {}
    running = Triggerer(restarted(trigger, store))
    again = await running.wait_for(1)
    await running.stop()
    assert first[0]["dedup_key"] == again[0]["dedup_key"] == f"ap-guangzhou:{ended}:1004"


async def test_without_a_store_since_makes_a_restart_repeat_not_lose(emu):
    trigger = watcher(statuses=[1004], since="2000-01-01 00:00:00")
    ended = ended_experiment(emu, "ended")
    running = Triggerer(trigger)
    first = await running.wait_for(1)
    await running.stop()
    running = Triggerer(restarted(trigger))
    again = await running.wait_for(1)
    await running.stop()
    assert what(first) == what(again) == [(ended, "ended")]


def test_serialised_kwargs_are_json_and_bad_ones_are_refused():
    trigger = CfgExperimentEventTrigger(cfg_conn_id="c", region="ap-beijing", statuses=["1004"], tags={"team": "a"},
                                        title_pattern="drill", poll_interval=5, since="2026-01-01 00:00:00")
    _, kwargs = trigger.serialize()
    assert json.loads(json.dumps(kwargs)) == kwargs and kwargs["statuses"] == [1004]
    assert restarted(trigger).serialize() == trigger.serialize()
    assert restarted(trigger).cursor_key == trigger.cursor_key
    assert CfgExperimentEventTrigger(statuses=[1002]).cursor_key != CfgExperimentEventTrigger().cursor_key
    for bad, message in (({"statuses": [7]}, "statuses"), ({"poll_interval": 0}, "poll_interval"),
                         ({"since": "soon"}, "since"), ({"overlap": -1}, "overlap")):
        with pytest.raises(ValueError, match=message):
            CfgExperimentEventTrigger(**bad)


def test_the_asset_carries_the_watcher():
    asset = cfg_experiment_events_asset("ended", statuses=[1004], region="ap-beijing")
    (watch,) = asset.watchers
    assert asset.uri == "cfg://ap-beijing/experiments/ended"
    assert isinstance(watch.trigger, CfgExperimentEventTrigger) and watch.trigger.filter.statuses == (1004,)


async def test_a_trigger_shared_by_two_assets_keeps_its_cursor_in_memory(emu, mocker):
    two_assets = mocker.Mock(name="asset_state_store")
    two_assets.aget = mocker.AsyncMock(side_effect=ValueError("Task has 2 concrete inlets and outlets"))
    two_assets.aset = mocker.AsyncMock()
    ended = ended_experiment(emu, "ended")
    running = Triggerer(watcher(two_assets, statuses=[1004], since="2000-01-01 00:00:00"))
    got = await running.wait_for(1)
    await until(lambda: listings(emu) >= 3, "more listings")  # the cursor would have been stored by now
    await running.stop()
    assert what(got) == [(ended, "ended")] and two_assets.aset.await_count == 0


def test_without_event_driven_scheduling_the_error_points_at_a_fallback_that_exists(mocker):
    """Airflow 2 (no ``airflow.sdk.AssetWatcher``): a clear error whose advice names an argument the
    report operator really takes."""
    import inspect
    import sys

    from airflow_provider_cfg.operators.report_experiment import CfgReportExperimentOperator

    mocker.patch.dict(sys.modules, {"airflow.sdk": None})  # "import airflow.sdk" raises ImportError
    with pytest.raises(RuntimeError, match="Airflow 2") as raised:
        cfg_experiment_events_asset("cfg_experiments_ended", statuses=[1004])
    advised = {name for name in inspect.signature(CfgReportExperimentOperator.__init__).parameters
               if f"{name}=" in str(raised.value)}
    assert advised == {"experiment_ids"}, str(raised.value)
