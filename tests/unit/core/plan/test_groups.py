"""core/plan/groups.py: a group's instances checked, how many it touches, and the policy rules of its steps."""

from __future__ import annotations

import json

import pytest

from airflow_provider_cfg.api import models as m
from airflow_provider_cfg.core.plan.build import build_plan
from airflow_provider_cfg.core.plan.policy import BlastRadiusPolicy
from tests.airflow_helpers import INSTANCE, INSTANCES
from tests.unit.core.plan.helpers import POD, PatchedClient, codes, only


@pytest.mark.parametrize(
    ("kwargs", "field", "text"),
    [
        ({"template_id": 626, "instances": ["ins-123"]},
         "TaskConfig.TaskGroupsConfig[0].TaskGroupInstances[0]", "expected format: ins-xxxxxxxx"),
        ({"template_id": 626, "instances": ["lb-aaaaaaaa"]},
         "TaskConfig.TaskGroupsConfig[0].TaskGroupInstances[0]", "not a valid CVM id"),
        ({"template_id": 626, "instances": ["INS-AAAAAAAA"]},
         "TaskConfig.TaskGroupsConfig[0].TaskGroupInstances[0]", "object type 1"),
        ({"template_id": 628, "instances": [[INSTANCE], ["ins-aaaaaaaa"]]},
         "TaskConfig.TaskGroupsConfig[1].TaskGroupInstances[0]", "cdb-xxxxxxxx"),
        ({"template_id": 630, "instances": ['{"ClusterId": "cls-aaaaaaaa"}']},
         "TaskConfig.TaskGroupsConfig[0].TaskGroupInstances[0]", "'PodName'"),
        ({"template_id": 630, "instances": ["pod-1"]},
         "TaskConfig.TaskGroupsConfig[0].TaskGroupInstances[0]", "JSON object string"),
        ({"action_id": 462, "instances": ["ins-aaaaaaaa", "ins-bad"], "custom": {"interfaces": "eth0"}},
         "TaskInstances[1]", "ins-xxxxxxxx"),
    ],
)
def test_malformed_instance_ids(client, kwargs, field, text):
    plan = build_plan(client, **kwargs)
    violation = only(plan, "instance_format")
    assert violation.field == field and text in violation.message


def test_duplicate_and_missing_instances(client):
    plan = build_plan(client, template_id=626, instances=[INSTANCE, INSTANCE])
    assert only(plan, "duplicate_instance").field.endswith("TaskGroupInstances[1]")
    plan = build_plan(client, action_id=12, instances=[])
    assert "ins-xxxxxxxx" in only(plan, "no_instances").message


def test_json_instances_compare_by_content(client):
    same = json.dumps(json.loads(POD), sort_keys=True)
    plan = build_plan(client, template_id=630, instances=[POD, same])
    assert "duplicate_instance" in codes(plan)


def test_too_many_instances(client):
    plan = build_plan(client, template_id=626, instances=["ins-aaaaaaaa", "ins-bbbbbbbb", "ins-cccccccc"],
                      policy={"max_instances_per_group": 2})
    violation = only(plan, "too_many_instances")
    assert violation.kind == "policy" and "would act on 3 instance(s)" in violation.message
    assert violation.field == "TaskConfig.TaskGroupsConfig[0].TaskGroupInstances"
    assert "max_instances_per_group is 2" in violation.message
    assert build_plan(client, template_id=626, instances=INSTANCES, policy={"max_instances_per_group": 2}).ok


def test_object_type_not_allowed(client):
    plan = build_plan(client, template_id=628, instances=[[INSTANCE], ["cdb-aaaaaaaa"]],
                      policy=BlastRadiusPolicy(allowed_object_types=[1]))
    violation = only(plan, "object_type_not_allowed")
    assert violation.field == "groups[2].object_type"
    assert ("targets object type 2 (TencentDB for MySQL); "
            "policy allowed_object_types: 1 (Cloud Virtual Machine (CVM))") in violation.message


def test_a_known_execute_rule_selects_instances(client):
    def percent_rule(data: dict) -> None:
        data["TemplateGroups"][0]["TaskGroupInstancesExecuteRule"] = [
            {"TaskGroupInstancesExecuteMode": 2, "TaskGroupInstancesExecutePercent": 50}]

    patched = PatchedClient(client, percent_rule)
    five = [f"ins-aaaaaaa{i}" for i in range(5)]
    plan = build_plan(patched, template_id=627, instances=five, policy={"max_instances_per_group": 3})
    assert plan.ok and plan.groups[0].affected == 3 and "random 50%" in plan.groups[0].selection
    assert "too_many_instances" in codes(
        build_plan(patched, template_id=627, instances=five, policy={"max_instances_per_group": 2}))

    def count_rule(data: dict) -> None:
        data["TemplateGroups"][0]["TaskGroupInstancesExecuteRule"] = [
            {"TaskGroupInstancesExecuteMode": 3, "TaskGroupInstancesExecuteNum": 1}]

    plan = build_plan(PatchedClient(client, count_rule), template_id=627, instances=five,
                      policy={"max_instances_per_group": 1})
    assert (plan.ok and plan.groups[0].affected == 1
            and plan.groups[0].execute_rule == {"mode": 3, "percent": None, "num": 1})


def test_unknown_risk_fails_closed(client):
    def no_risk(data: dict) -> None:
        for action in data["TemplateGroups"][0]["TemplateGroupActions"]:
            action["ActionRisk"] = "??"

    patched = PatchedClient(client, no_risk)
    plan = build_plan(patched, template_id=626, instances=[INSTANCE], policy={"max_risk_level": 3})
    # the library's RiskDesc is the fallback: still known
    assert plan.ok and plan.groups[0].steps[0].risk == 1

    def no_risk_desc(item: m.ActionLibraryListResult) -> None:
        item.RiskDesc = None

    patched = PatchedClient(client, no_risk, no_risk_desc)
    plan = build_plan(patched, template_id=626, instances=[INSTANCE], policy={"max_risk_level": 3})
    assert codes(plan) == ["risk_unknown", "risk_unknown"]
    assert ("has an unknown risk level; policy max_risk_level is 3 (high) and cannot be verified"
            in plan.violations[0].message)
    assert build_plan(patched, template_id=626, instances=[INSTANCE]).ok  # no risk limit: nothing to verify


def test_fault_without_recovery_is_refused_unless_allowed(client):
    def drop_recovery(data: dict) -> None:
        group = data["TemplateGroups"][0]
        group["TemplateGroupActions"] = group["TemplateGroupActions"][:1]

    patched = PatchedClient(client, drop_recovery)
    plan = build_plan(patched, template_id=627, instances=[INSTANCE])
    violation = only(plan, "missing_recovery")
    assert violation.kind == "policy" and "action 1 Shutdown" in violation.message
    assert "the library pairs it with action 2" in violation.message and "require_recovery=false" in violation.message
    assert build_plan(patched, template_id=627, instances=[INSTANCE], policy={"require_recovery": False}).ok
