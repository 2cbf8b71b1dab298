"""Shared pytest fixtures: the CFG emulator and, for the Airflow tests, a throw-away Airflow home."""

from __future__ import annotations

# Must run before anything imports airflow: configures AIRFLOW_HOME etc. Kept first, out of isort's order.
import tests.airflow_setup  # ruff: ignore[unused-import] - imported for its side effect

# isort: split

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from airflow_provider_cfg.emulator.server import EmulatorServer
    from tests.emu_helpers import Cfg

EMULATOR_ACTION_SECONDS = 0.1
"""How long one emulated action takes in tests: short, so that whole experiments run in < 1 s."""


@pytest.fixture(scope="session")
def cfg_emulator_server() -> Iterator[EmulatorServer]:
    """One emulator for the whole session on a free loopback port (rate limits off by default)."""
    from airflow_provider_cfg.emulator.server import EmulatorServer

    with EmulatorServer(action_seconds=EMULATOR_ACTION_SECONDS, rate_limits=False, seed=20210820) as server:
        yield server


@pytest.fixture
def cfg_emulator(cfg_emulator_server: EmulatorServer) -> Iterator[EmulatorServer]:
    """The session emulator, reset to a fresh state (seed id counters, chaos off) for this test."""
    cfg_emulator_server.reset()
    cfg_emulator_server.state.action_seconds = EMULATOR_ACTION_SECONDS
    yield cfg_emulator_server
    cfg_emulator_server.reset()


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """A fresh Airflow metadata database (SQLite in the throw-away home), for dag.test()."""
    from airflow.utils.db import resetdb

    resetdb()


@pytest.fixture
def cfg(cfg_emulator: EmulatorServer) -> Iterator[Cfg]:
    """A signed caller on a freshly reset emulator."""
    from tests.emu_helpers import Cfg

    caller = Cfg(cfg_emulator)
    yield caller
    caller.close()
