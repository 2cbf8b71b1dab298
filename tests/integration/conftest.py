"""Fixtures of the emulator-backed tests."""

from __future__ import annotations

import pytest

from tests.airflow_helpers import use_emulator


@pytest.fixture
def emu(cfg_emulator, monkeypatch):
    """The session emulator, reset, with the default connection pointing at it."""
    use_emulator(monkeypatch, cfg_emulator)
    return cfg_emulator
