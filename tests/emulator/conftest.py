"""Fixtures of the emulator tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.emulator.emu_helpers import Cfg


@pytest.fixture
def cfg(cfg_emulator) -> Iterator[Cfg]:
    """A signed caller on a freshly reset emulator."""
    caller = Cfg(cfg_emulator)
    yield caller
    caller.close()
