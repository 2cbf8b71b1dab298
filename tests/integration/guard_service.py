"""What the steady-state guard's tests share: a tiny local HTTP service whose health a test flips
mid-watch, probe functions named by import path, and an experiment with its fault injected.

Its fixtures are imported by the test modules that use them (pytest registers them there)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from airflow_provider_cfg.triggers.guard import CfgSteadyStateGuardTrigger
from tests.airflow_helpers import end, fast_rollback, faults, json_service, run_action, started_626, use_emulator

POLL = 0.05
FAST = {"max_attempts": 1, "backoff": 0.01, "backoff_max": 0.02}
MODULE = "tests.integration.guard_service"


# -- the probed service: healthy until the test says otherwise -----------------------------------------


class HealthService:
    """What the local service answers: the scripted answers first, then ``status``/``state``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.url = "http://127.0.0.1:9/health"  # set by the ``service_url`` fixture
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.status, self.state, self.script, self.requests = 200, "ok", [], 0

    def answer(self) -> tuple[int, str]:
        with self.lock:
            self.requests += 1
            if self.script:
                return self.script.pop(0)
            return self.status, self.state

    def fail_after(self, healthy_answers: int, status: int = 500, state: str = "degraded") -> None:
        """Answer healthily ``healthy_answers`` more times, then ``status`` for good."""
        with self.lock:
            self.script = [(200, "ok")] * healthy_answers
            self.status, self.state = status, state


SERVICE = HealthService()


@pytest.fixture(scope="module")
def service_url():
    def answer():
        status, state = SERVICE.answer()
        return status, {"status": state}

    with json_service(answer) as url:
        SERVICE.url = url
        yield url


@pytest.fixture
def service(service_url):
    SERVICE.reset()
    yield service_url
    SERVICE.reset()


@pytest.fixture
def emu(cfg_emulator, monkeypatch):
    use_emulator(monkeypatch, cfg_emulator, **FAST)
    fast_rollback(monkeypatch)
    return cfg_emulator


# -- probes written as functions (named by import path) ------------------------------------------------

CALLABLE = {"answers": [], "default": True, "calls": 0}


def probe_function():
    CALLABLE["calls"] += 1
    answer = CALLABLE["answers"].pop(0) if CALLABLE["answers"] else CALLABLE["default"]
    if isinstance(answer, Exception):
        raise answer
    return answer


async def async_probe_function():
    await asyncio.sleep(0)
    return probe_function()


def not_a_verdict():
    return "fine, probably"


@pytest.fixture
def scripted():
    CALLABLE.update(answers=[], default=True, calls=0)
    yield CALLABLE
    CALLABLE.update(answers=[], default=True, calls=0)


# -- an experiment to guard -------------------------------------------------------------------------------


def injected(emu) -> int:
    """A running 626 experiment whose fault (1.1) is injected."""
    task_id, fault, _ = started_626(emu)
    run_action(emu, task_id, fault)
    assert faults(emu)
    return task_id


async def all_events(trigger: CfgSteadyStateGuardTrigger, limit: float = 15.0) -> list[dict]:
    async def collect() -> list[dict]:
        return [event.payload async for event in trigger.run()]

    return await asyncio.wait_for(collect(), limit)


def end_after_probes(emu, task_id: int, probes: int = 1) -> threading.Thread:
    """End the experiment (as a person would, in CFG) once the service has been probed ``probes`` times."""

    def wait_then_end() -> None:
        deadline = time.monotonic() + 10
        while SERVICE.requests < probes and time.monotonic() < deadline:
            time.sleep(0.01)
        end(emu, task_id)

    thread = threading.Thread(target=wait_then_end, daemon=True)
    thread.start()
    return thread
