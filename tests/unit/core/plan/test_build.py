"""core/plan/build.py: choosing the source, plans that cannot be built, and the plan of a request."""

from __future__ import annotations

import json

import pytest

from airflow_provider_cfg.api.client import MAX_BODY_BYTES
from airflow_provider_cfg.core.plan.build import build_plan, plan_for_request
from airflow_provider_cfg.core.plan.policy import PlanError
from tests.airflow_helpers import INSTANCE
from tests.unit.core.plan.helpers import only


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"template_id": 99999, "instances": [INSTANCE]},
         r"TemplateId: template 99999 cannot be planned: \[InvalidParameterValue\]"),
        ({"action_id": 99999, "instances": [INSTANCE]},
         r"TaskActionId: action\(s\) 99999 do not exist in the action library"),
        ({"actions": [{"action_id": 12}, {"action_id": 98765}], "instances": [INSTANCE]},
         r"TaskAction: action\(s\) 98765"),
        ({"template_id": "abc", "instances": [INSTANCE]}, r"template_id must be an integer; got 'abc'"),
        ({"action_id": "12x", "instances": [INSTANCE]}, r"action_id must be an integer; got '12x'"),
        ({"template_id": 626, "action_id": 12},
         r"exactly one of template_id, action_id or actions; got \['template_id', 'action_id'\]"),
        ({"instances": [INSTANCE]}, r"exactly one of template_id, action_id or actions; got none"),
        ({"actions": [{"action": 12}], "instances": [INSTANCE]}, r"actions\[0\] needs 'action_id'"),
        ({"actions": [], "instances": [INSTANCE]}, r"at least one action"),
    ],
)
def test_plan_errors(client, kwargs, message):
    with pytest.raises(PlanError, match=message):
        build_plan(client, **kwargs)


def test_oversized_request_is_a_violation(client):
    params = {"TaskActionId": 462, "TaskInstances": [INSTANCE],
              "TaskActionCustomConfiguration": json.dumps({"interfaces": "e" * (MAX_BODY_BYTES + 10)})}
    plan = plan_for_request(client, "CreateTaskFromAction", params)
    violation = only(plan, "payload_too_large")
    assert f"at most {MAX_BODY_BYTES} bytes (10 MB)" in violation.message
    assert len(str(plan.violations)) < 2000  # the oversized value is not copied into messages
