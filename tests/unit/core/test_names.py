"""core/names.py: the names DAG authors write for CFG's codes, and how bad values are quoted."""

from __future__ import annotations

import pytest

from airflow_provider_cfg.api.enums import PolicyDealType, TaskMode
from airflow_provider_cfg.core.names import MODE_NAMES, MODES, POLICY_DEAL_TYPES, shown, wire_code


def test_code_names_come_from_the_api_enums_in_both_directions():
    assert MODES == {"manual": 1, "automatic": 2}
    assert MODES == {"manual": TaskMode.MANUAL, "automatic": TaskMode.AUTOMATIC}
    assert MODE_NAMES == {1: "manual", 2: "automatic"}
    assert POLICY_DEAL_TYPES == {"rollback": PolicyDealType.SEQUENTIAL_ROLLBACK, "pause": PolicyDealType.PAUSE}


@pytest.mark.parametrize(("value", "code"), [("manual", 1), (" Automatic ", 2), (2, 2), (None, None)])
def test_wire_code_accepts_names_and_codes(value, code):
    assert wire_code(value, MODES, "mode") == code


@pytest.mark.parametrize("value", ["chaotic", 3, True, 1.0])
def test_wire_code_names_the_allowed_values(value):
    with pytest.raises(ValueError, match=r"mode must be one of 'manual' \(1\), 'automatic' \(2\); got "):
        wire_code(value, MODES, "mode")


def test_shown_cuts_long_values():
    assert shown("ins-a") == "'ins-a'"
    long = shown("x" * 500)
    assert long.startswith("'xxx") and long.endswith("…' (502 characters)") and len(long) < 90
    assert len(shown("x" * 500, 80)) > len(long)
