"""core/plan/template.py: the plan of a template experiment against the emulator's templates."""

from __future__ import annotations

import json

import pytest

from airflow_provider_cfg.core.plan.build import build_plan
from airflow_provider_cfg.core.plan.policy import PlanViolationError
from tests.airflow_helpers import INSTANCE, INSTANCES
from tests.unit.core.plan.helpers import POD, codes, only


def test_template_627_risk_parameters_and_policy(client):
    plan = build_plan(client, template_id=627, instances=INSTANCES)
    assert plan.ok
    shutdown, startup = plan.groups[0].steps
    assert (shutdown.risk, shutdown.custom, startup.risk) == (3, {"StopType": "SOFT_FIRST"}, 1)
    assert "execute rule not exposed" in plan.groups[0].selection  # DescribeTemplate has no rule: upper bound

    plan = build_plan(client, template_id=627, instances=INSTANCES, policy={"max_risk_level": 2})
    violation = only(plan, "risk_too_high")
    assert violation.kind == "policy"
    assert "action 1 Shutdown" in violation.message and "risk 3 (high)" in violation.message
    assert "max_risk_level is 2 (medium)" in violation.message and "allowed: 1 (low), 2 (medium)" in violation.message


def test_template_628_two_groups_overrides_and_self_healing(client):
    plan = build_plan(client, template_id=628, task_config={"TaskGroupsConfig": [
        {"TaskGroupInstances": [INSTANCE], "TaskGroupActionsConfig": [
            {"TaskGroupActionOrder": 1, "TaskGroupActionCustomConfiguration": json.dumps({"percent": 70})}]},
        {"TaskGroupInstances": ["cdb-aaaaaaaa"]},
    ]})
    assert plan.ok, plan.violations
    web, database = plan.groups
    assert (web.object_type_id, database.object_type_id, database.object_type_title) == (1, 2, "TencentDB for MySQL")
    assert web.steps[0].custom == {"duration": 180, "percent": 70, "interfaces": "eth0"}
    (switch,) = database.steps
    assert switch.action_id == 201 and switch.heals_by_itself and switch.paired_with is None
    assert "heals by itself" in switch.recovery


def test_template_629_is_automatic(client):
    assert build_plan(client, template_id=629, instances=[INSTANCE]).mode == "automatic"


def test_wrong_group_count(client):
    plan = build_plan(client, template_id=628, instances=[INSTANCE])
    violation = only(plan, "group_count")
    assert violation.field == "TaskConfig.TaskGroupsConfig"
    assert ("1 instance list(s) given but template 628 has 2 action group(s) (Web servers, Database)"
            in violation.message)


def test_disabled_template_630(client):
    plan = build_plan(client, template_id=630, instances=[POD])
    violation = only(plan, "template_disabled")
    assert (violation.field == "TemplateId" and "TemplateIsUsed 2" in violation.message
            and "(TemplateIsUsed 1)" in violation.message)
    with pytest.raises(PlanViolationError, match="template 630"):
        plan.raise_for_violations()


def test_template_override_checks(client):
    plan = build_plan(client, template_id=628, task_config={"TaskGroupsConfig": [
        {"TaskGroupInstances": [INSTANCE], "TaskGroupActionsConfig": [
            {"TaskGroupActionOrder": 9},
            {"TaskGroupActionOrder": 1, "TaskGroupActionCustomConfiguration": '{"percent": 0}'}]},
        {"TaskGroupInstances": ["cdb-aaaaaaaa"], "TaskGroupActionsConfig": [
            {"TaskGroupActionOrder": 1, "TaskGroupActionCustomConfiguration": '{"ForceSwitch": "maybe"}'}]},
    ]})
    assert codes(plan) == ["action_order", "parameter_value", "parameter_value"]
    order, percent, force = plan.violations
    assert order.field == "TaskConfig.TaskGroupsConfig[0].TaskGroupActionsConfig[0].TaskGroupActionOrder"
    assert "9 matches no action of template group 1; its action orders: 1, 2" in order.message
    assert percent.field == (
        "TaskConfig.TaskGroupsConfig[0].TaskGroupActionsConfig[1].TaskGroupActionCustomConfiguration.percent")
    assert "must be one of false, true" in force.message


def test_mode_from_task_config_is_checked(client):
    plan = build_plan(client, template_id=626,
                      task_config={"TaskMode": 3, "TaskGroupsConfig": [{"TaskGroupInstances": [INSTANCE]}]})
    assert "must be one of 1 (manual), 2 (automatic); got 3" in only(plan, "mode").message


def test_instances_are_grouped_as_the_create_operator_groups_them(client):
    # a flat list is one group; a malformed group is reported as a violation, not refused
    assert build_plan(client, template_id=626, instances=INSTANCES).groups[0].instances == INSTANCES
    plan = build_plan(client, template_id=628, instances=[[INSTANCE], "cdb-aaaaaaaa"])
    violation = only(plan, "instances_type")
    assert violation.field == "TaskConfig.TaskGroupsConfig[1].TaskGroupInstances"
