"""The plan tests run against the emulator through a real client."""

from __future__ import annotations

import pytest

from tests.airflow_helpers import make_client


@pytest.fixture
def client(cfg_emulator):
    with make_client(cfg_emulator) as cfg:
        yield cfg
