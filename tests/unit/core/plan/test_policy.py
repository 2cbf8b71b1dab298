"""core/plan/policy.py: the blast-radius policy, risk levels, and the error listing every violation."""

from __future__ import annotations

import pytest

from airflow_provider_cfg.core.plan.build import build_plan
from airflow_provider_cfg.core.plan.policy import BlastRadiusPolicy, PlanError, PlanViolationError, risk_level
from tests.unit.core.plan.helpers import codes


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"max_risk_level": 5}, r"max_risk_level must be one of 1 \(low\), 2 \(medium\), 3 \(high\); got 5"),
        ({"max_risk_level": "extreme"}, r"max_risk_level must be one of"),
        ({"max_instances_per_group": 0}, r"max_instances_per_group must be >= 1; got 0"),
        ({"max_instances_per_group": "many"}, r"max_instances_per_group must be an integer; got 'many'"),
        ({"allowed_object_types": "1"}, r"allowed_object_types must be a list of ObjectTypeId integers"),
        ({"allowed_object_types": []}, r"must list at least one ObjectTypeId"),
        ({"allowed_object_types": [1, "cvm"]}, r"allowed_object_types\[1\] must be an integer; got 'cvm'"),
        ({"require_recovery": "sometimes"}, r"require_recovery must be true or false; got 'sometimes'"),
        ({"max_instances": 3},
         r"unknown policy key\(s\) \['max_instances'\]; allowed: max_instances_per_group, max_risk_level"),
        ("strict", r"policy must be a dict"),
    ],
)
def test_bad_policies(value, message):
    with pytest.raises(PlanError, match=message):
        BlastRadiusPolicy.from_value(value)


def test_policy_values_are_normalised():
    policy = BlastRadiusPolicy.from_value({"max_risk_level": "Medium", "max_instances_per_group": "4",
                                           "allowed_object_types": ["1", 2], "require_recovery": "false"})
    assert policy.to_dict() == {"max_instances_per_group": 4, "max_risk_level": 2, "allowed_object_types": [1, 2],
                                "require_recovery": False}
    assert BlastRadiusPolicy.from_value(None) == BlastRadiusPolicy()
    assert BlastRadiusPolicy.from_value({"require_recovery": None}).require_recovery is True


@pytest.mark.parametrize(
    ("value", "level"),
    [("1", 1), ("3", 3), (2, 2), ("High risk", 3), ("Medium risk", 2), ("Low risk", 1), ("高风险", 3), ("中风险", 2),
     ("低风险", 1), ("4", None), (None, None), ("", None), (True, None)],
)
def test_risk_levels(value, level):
    assert risk_level(value) == level


def test_every_violation_is_listed(client):
    plan = build_plan(client, template_id=627, instances=["ins-aaaaaaaa", "ins-bbbbbbbb", "nope"],
                      policy={"max_instances_per_group": 1, "max_risk_level": "low"})
    assert codes(plan) == ["instance_format", "too_many_instances", "risk_too_high"]
    with pytest.raises(PlanViolationError) as info:
        plan.raise_for_violations()
    assert isinstance(info.value, ValueError) and len(info.value.violations) == 3
    text = str(info.value)
    assert "3 violation(s); nothing was changed" in text
    for violation in plan.violations:
        assert violation.field in text and violation.message in text


@pytest.mark.parametrize(("given", "level"), [("中风险", 2), ("Medium risk", 2), ("高", 3), ("low", 1), ("2", 2)])
def test_the_policy_risk_limit_is_understood_as_cfg_shows_it_in_either_language(given, level):
    assert BlastRadiusPolicy.from_value({"max_risk_level": given}).max_risk_level == level
