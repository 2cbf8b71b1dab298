"""Fixtures of the report tests."""

from __future__ import annotations

import pytest

from tests.unit.core.report.game_day import run_game_day


@pytest.fixture
def game_day(cfg_emulator) -> int:
    """The experiment id of a finished game day on a fresh emulator."""
    return run_game_day(cfg_emulator)
