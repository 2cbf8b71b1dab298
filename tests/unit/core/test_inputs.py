"""core.inputs (issue 12, finding 6): finite numbers in documented ranges, ids in ASCII digits."""

from __future__ import annotations

import math

import pytest

from airflow_provider_cfg.api.errors import CfgValidationError
from airflow_provider_cfg.core.guard import latency_limit
from airflow_provider_cfg.core.inputs import MAX_WAIT, ascii_id, interval, parse_int, wait_limit
from airflow_provider_cfg.core.plan.policy import PlanError, as_int
from airflow_provider_cfg.core.steps import StepSelector


@pytest.mark.parametrize("value", ["\u0666\u0662\u0666", "\uff16\uff12\uff16", "6_26", "626\x00", "0x10", "1e3",
                                   "", " ", "+", "\u00b2", True, None, 12.5, math.nan, math.inf, [626]])
def test_not_an_integer(value):
    assert parse_int(value) is None


@pytest.mark.parametrize(("value", "number"), [(626, 626), ("626", 626), (" 626 ", 626), (626.0, 626), ("-3", -3)])
def test_integers(value, number):
    assert parse_int(value) == number


@pytest.mark.parametrize("value", ["\u0666\u0662\u0666", "6_26", "0", -1, 0, 2**63, "626.0", 626.0, "None", "", True])
def test_ascii_id_refuses(value):
    with pytest.raises(CfgValidationError, match=r"experiment_id must be a CFG TaskId: a positive integer") as err:
        ascii_id(value, "experiment_id", "TaskId")
    assert err.value.field == "experiment_id"


def test_ascii_id_accepts():
    assert ascii_id("3256", "experiment_id") == ascii_id(3256, "experiment_id") == 3256


@pytest.mark.parametrize("value", ["\u0661\u0662", "1_2", "\u0661.\u0661"])
def test_policy_integers_are_ascii(value):
    with pytest.raises(PlanError, match="must be an integer"):
        as_int(value, "policy.max_instances_per_group")


def test_a_step_in_unicode_digits_is_a_title_not_an_order():
    assert StepSelector.parse("\u0661.\u0661").title == "\u0661.\u0661"
    assert StepSelector.parse("1.1").group == 1


@pytest.mark.parametrize("value", [0, -1, math.nan, math.inf, -math.inf, 1e12, 3600.5, "10", True, None])
def test_interval_refuses(value):
    with pytest.raises(CfgValidationError, match=r"poll_interval must be a finite number of seconds in \(0, 3600\]"):
        interval(value)


@pytest.mark.parametrize("value", [0, -5, math.nan, math.inf, MAX_WAIT + 1, "soon"])
def test_wait_limit_refuses(value):
    with pytest.raises(CfgValidationError, match="timeout must be a finite number of seconds"):
        wait_limit(value)


def test_wait_limit_none_is_no_limit_only_when_optional():
    assert wait_limit(None) is None
    assert wait_limit(30) == pytest.approx(30)
    with pytest.raises(CfgValidationError, match="step_timeout"):
        wait_limit(None, "step_timeout", optional=False)


@pytest.mark.parametrize("value", ["nan", "inf", -1, 0, "1e12"])
def test_latency_limit_refuses(value):
    with pytest.raises(ValueError, match="max_latency_ms must be a finite number of milliseconds"):
        latency_limit(value)
