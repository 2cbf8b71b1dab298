"""The benchmark's baseline triggers (``bench/private.py``): each its own client and one
``DescribeTask`` per read, nothing shared — and the same events as the product's triggers."""

from __future__ import annotations

import asyncio

import pytest

from airflow_provider_cfg.triggers import poller as polling
from bench.private import PrivateExperimentTrigger, PrivateStepTrigger
from tests.airflow_helpers import run_action, started_626, use_emulator

FAST = {"max_attempts": 1, "backoff": 0.01, "backoff_max": 0.02}


@pytest.fixture
def emu(cfg_emulator, monkeypatch):
    use_emulator(monkeypatch, cfg_emulator, **FAST)
    cfg_emulator.http().post("/_emulator/stats").raise_for_status()
    yield cfg_emulator
    assert polling.live_pollers() == []  # the shared poller is never used


def calls(emu) -> dict[str, int]:
    return emu.http().get("/_emulator/stats").json()["calls"]


async def events_of(triggers) -> list[list[dict]]:
    async def collect(trigger) -> list[dict]:
        return [event.payload async for event in trigger.run()]

    return await asyncio.wait_for(asyncio.gather(*(collect(t) for t in triggers)), 30)


async def test_without_the_shared_poller_every_trigger_reads(emu):
    task_id, fault, _ = started_626(emu)
    run_action(emu, task_id, fault)  # finished: each trigger reads once and succeeds
    emu.http().post("/_emulator/stats").raise_for_status()
    results = await events_of(
        [PrivateStepTrigger(task_action_id=fault, experiment_id=task_id, poll_interval=5) for _ in range(20)])
    assert all(events[0]["status"] == "success" for events in results)
    assert calls(emu) == {"DescribeTask": 20}  # one read each, none shared


async def test_private_status_watchers_read_the_whole_experiment(emu):
    task_id, _, _ = started_626(emu)
    emu.http().post("/_emulator/stats").raise_for_status()
    results = await events_of(
        [PrivateExperimentTrigger(target_statuses=[1002], experiment_id=task_id, poll_interval=5) for _ in range(3)])
    assert [events[0]["status"] for events in results] == ["success"] * 3
    assert calls(emu) == {"DescribeTask": 3}  # no batched DescribeTaskList
