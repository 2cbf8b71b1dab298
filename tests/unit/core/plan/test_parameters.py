"""core/plan/parameters.py: action parameters: defaults, names, types, ranges, options, required ones."""

from __future__ import annotations

import pytest

from airflow_provider_cfg.core.plan.build import build_plan
from tests.airflow_helpers import INSTANCE
from tests.unit.core.plan.helpers import only


def test_missing_required_fields_466(client):
    plan = build_plan(client, action_id=466, instances=[INSTANCE])
    missing = [v for v in plan.violations if v.code == "missing_parameter"]
    assert [v.field for v in missing] == ["custom_configuration.domain", "custom_configuration.ip"]
    assert "requires custom parameter 'domain' (Domain Name), which has no default value" in missing[0].message
    plan = build_plan(client, actions=[{"action_id": 12}, {"action_id": 466, "custom": {"domain": "a.example"}}],
                      instances=[INSTANCE])
    assert [v.field for v in plan.violations] == ["actions[1].custom.ip"]


@pytest.mark.parametrize(
    ("kwargs", "code", "field", "text"),
    [
        ({"action_id": 462, "custom": {"interfaces": "eth0", "percent": 150}},
         "parameter_value", "custom_configuration.percent", "between 1 and 100; got 150"),
        ({"action_id": 21, "custom": {"cpu_percent": "lots"}},
         "parameter_value", "custom_configuration.cpu_percent", "must be a number; got 'lots'"),
        ({"action_id": 1, "custom": {"StopType": "GENTLE"}},
         "parameter_value", "custom_configuration.StopType", "one of SOFT, HARD, SOFT_FIRST; got 'GENTLE'"),
        ({"action_id": 462, "custom": {"interfaces": "eth0", "jitter": 5}},
         "unknown_parameter", "custom_configuration.jitter", "allowed: duration, interfaces, percent, destination_ip"),
        ({"action_id": 462, "custom": {"interfaces": ["eth0"]}},
         "parameter_value", "custom_configuration.interfaces", "must be a string"),
        ({"action_id": 12, "general": {"ActionTimeout": -1}},
         "parameter_value", "general_configuration.ActionTimeout", "between 0 and 86400"),
        ({"action_id": 12, "general": "not json"}, "parameter_json", "general_configuration", "JSON object"),
    ],
)
def test_parameter_names_types_and_ranges(client, kwargs, code, field, text):
    plan = build_plan(client, instances=[INSTANCE], **kwargs)
    violation = only(plan, code)
    assert violation.field == field and text in violation.message
