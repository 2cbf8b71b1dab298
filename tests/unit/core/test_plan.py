"""Plan mode (``airflow_provider_cfg.core.plan``) against the emulator: what a plan shows, every check
and policy rule, read-only calls only, and the rendering."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from airflow_provider_cfg.api import models as m
from airflow_provider_cfg.api.actions import ACTIONS
from airflow_provider_cfg.core.plan import (
    MAX_BODY_BYTES,
    BlastRadiusPolicy,
    ExperimentPlan,
    PlanError,
    PlanViolationError,
    build_plan,
    id_format_for,
    plan_for_request,
    risk_level,
)
from tests.airflow_helpers import INSTANCE, INSTANCES, make_client, task_list

POD = json.dumps({"ClusterId": "cls-aaaaaaaa", "PodName": "web-1", "NodeName": "10.0.0.1", "NameSpace": "prod",
                  "Workload": "web"})


class Recorder(httpx.BaseTransport):
    """Loopback transport keeping the action of every request."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.actions: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.actions.append(request.headers["X-TC-Action"])
        return self.inner.handle_request(request)


@pytest.fixture
def client(cfg_emulator):
    with make_client(cfg_emulator) as cfg:
        yield cfg


def codes(plan: ExperimentPlan) -> list[str]:
    return [v.code for v in plan.violations]


def only(plan: ExperimentPlan, code: str):
    found = [v for v in plan.violations if v.code == code]
    assert len(found) == 1, plan.violations
    return found[0]


# -- what a plan shows ------------------------------------------------------------------------------


def test_template_626_plan_is_json_safe_and_read_only(cfg_emulator):
    recorder = Recorder()
    with make_client(cfg_emulator, transport=recorder) as cfg:
        plan = build_plan(cfg, template_id=626, instances=[INSTANCES])
    assert plan.ok and plan.violations == []
    data = plan.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["source"] == {"kind": "template", "template_id": 626, "template_title": "Empty Operation"}
    assert data["title"] == "Empty Operation" and data["mode"] == "manual" and data["changes_made"] is False
    (group,) = data["groups"]
    assert group["object_type"] == {"id": 1, "title": "Cloud Virtual Machine (CVM)"}
    assert group["instances"] == INSTANCES and group["affected_instances"] == 2
    fault, recovery = group["steps"]
    assert (fault["order"], fault["action_id"], fault["title"], fault["kind"], fault["risk"]) == (
        1, 12, "Empty Operation", "fault", 1)
    assert (recovery["action_id"], recovery["kind"], recovery["paired_with"]) == (13, "recovery", 1)
    assert fault["paired_with"] == 2 and "recovered by step 2" in fault["recovery"]
    assert fault["parameters"]["general"]["ActionTimeout"] == 1800
    assert data["verdict"] == {"ok": True, "violations": []}
    assert data["policy"] == {"max_instances_per_group": None, "max_risk_level": None, "allowed_object_types": None,
                              "require_recovery": True}
    # only read calls, and nothing exists afterwards
    assert recorder.actions and all(not ACTIONS[a].mutating for a in recorder.actions), recorder.actions
    assert set(recorder.actions) <= {"DescribeTemplate", "DescribeObjectTypeList", "DescribeActionLibraryList",
                                     "DescribeActionFieldConfigList"}
    assert task_list(cfg_emulator) == []


def test_digest_is_stable(client):
    first = build_plan(client, template_id=626, instances=[INSTANCE]).to_dict()["digest"]
    assert build_plan(client, template_id=626, instances=[INSTANCE]).to_dict()["digest"] == first
    assert build_plan(client, template_id=626, instances=["ins-cccccccc"]).to_dict()["digest"] != first


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


def test_action_462_plan_adds_the_library_recovery(client):
    plan = build_plan(client, action_id="462", instances=[INSTANCE], custom={"interfaces": "eth0"})
    assert plan.ok
    assert plan.source == {"kind": "action", "action_id": 462}
    loss, recovery = plan.groups[0].steps
    assert loss.custom == {"duration": 180, "percent": 50, "interfaces": "eth0"}
    assert (recovery.action_id, recovery.added_by_cfg, loss.paired_with) == (463, True, 2)


def test_multi_action_plan_pairs_each_fault(client):
    plan = build_plan(client, actions=[{"action_id": 12}, {"action_id": 21, "custom": {"cpu_percent": 55}},
                                       {"action_id": 466, "custom": {"domain": "example.com", "ip": "10.0.0.9"}}],
                      instances=INSTANCES, title="three faults")
    assert plan.ok, plan.violations
    steps = plan.groups[0].steps
    assert [s.action_id for s in steps] == [12, 13, 21, 22, 466, 467]
    assert [s.paired_with for s in steps] == [2, 1, 4, 3, 6, 5]
    assert steps[2].custom["cpu_percent"] == 55 and plan.title == "three faults"


def test_multi_action_wire_entries_are_accepted(client):
    plan = build_plan(client, actions=[{"TaskActionId": 21, "TaskActionCustomConfiguration": '{"cpu_percent": 60}'}],
                      instances=[INSTANCE])
    assert plan.groups[0].steps[0].custom["cpu_percent"] == 60


# -- input checks --------------------------------------------------------------------------------


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


def test_mixed_object_types(client):
    plan = build_plan(client, actions=[{"action_id": 462, "custom": {"interfaces": "eth0"}}, {"action_id": 201}],
                      instances=[INSTANCE])
    violation = only(plan, "mixed_object_types")
    assert violation.field == "actions[1].action_id" and "object type 2 (TencentDB for MySQL)" in violation.message


def test_mode_from_task_config_is_checked(client):
    plan = build_plan(client, template_id=626,
                      task_config={"TaskMode": 3, "TaskGroupsConfig": [{"TaskGroupInstances": [INSTANCE]}]})
    assert "must be one of 1 (manual), 2 (automatic); got 3" in only(plan, "mode").message


def test_oversized_request_is_a_violation(client):
    params = {"TaskActionId": 462, "TaskInstances": [INSTANCE],
              "TaskActionCustomConfiguration": json.dumps({"interfaces": "e" * (MAX_BODY_BYTES + 10)})}
    plan = plan_for_request(client, "CreateTaskFromAction", params)
    violation = only(plan, "payload_too_large")
    assert f"at most {MAX_BODY_BYTES} bytes (10 MB)" in violation.message
    assert len(str(plan.violations)) < 2000  # the oversized value is not copied into messages


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"template_id": 99999, "instances": [INSTANCE]},
         r"TemplateId: template 99999 cannot be planned: \[ResourceNotFound\]"),
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


# -- the policy ----------------------------------------------------------------------------------------


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


class PatchedClient:
    """The real client, with ``DescribeTemplate`` answers edited by ``edit`` (for shapes the
    emulator's catalogue does not have)."""

    def __init__(self, client, edit, edit_library=None) -> None:
        self._client = client
        self._edit = edit
        self._edit_library = edit_library

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def describe_template(self, template_id: int) -> m.DescribeTemplateResponse:
        answer = self._client.describe_template(template_id)
        data = answer.Template.model_dump(mode="json")
        self._edit(data)
        return m.DescribeTemplateResponse(Template=m.Template.model_validate(data))

    def describe_action_library_list(self, *args: Any, **kwargs: Any) -> m.DescribeActionLibraryListResponse:
        answer = self._client.describe_action_library_list(*args, **kwargs)
        if self._edit_library is not None:
            for item in answer.Results or []:
                self._edit_library(item)
        return answer


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


# -- formats, risk, rendering ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_id", "platform", "title", "good", "bad"),
    [
        (1, "CVM", "Cloud Virtual Machine (CVM)", "ins-abcd1234", "ins-abc"),
        (2, "CDB", "TencentDB for MySQL", "cdb-abcd1234", "cynosdbmysql-abc"),
        (3, "CLB", "Cloud Load Balancer (CLB)", "lb-abcd1234", "lbl-abcd1234"),
        (4, "Redis", "TencentDB for Redis", "crs-abcd1234", "redis-1"),
        (5, "NAT", "NAT Gateway", "nat-abcd1234", "gateway-abcd"),
        (77, None, "TDSQL-C for MySQL", "cynosdbmysql-abcd1234", "cdb-abcd1234"),
        (78, None, "Cloud-native gateway", "gateway-abcd1234", "nat-abcd1234"),
        (21, "TKE-Node", "TKE standard cluster node",
         '{"ClusterId":"cls-abcd1234","InstanceId":"ins-abcd1234","LanIP":"10.0.0.1"}',
         '{"ClusterId":"cls-abcd1234","InstanceId":"ins-abcd1234"}'),
        (22, "TKE-Pod", "TKE Pod", POD, "web-1"),
    ],
)
def test_id_formats_by_title(type_id, platform, title, good, bad):
    fmt = id_format_for(type_id, m.ObjectType(ObjectTypeId=type_id, ObjectPlatformName=platform, ObjectTypeTitle=title))
    assert fmt is not None
    assert fmt.problem(good) is None
    assert fmt.problem(bad) is not None


def test_id_format_fallbacks():
    assert id_format_for(1, None).example == "ins-xxxxxxxx"  # no title: the documented numbering
    assert id_format_for(22, None).name == "TKE Pod"
    assert id_format_for(999, m.ObjectType(ObjectTypeId=999, ObjectTypeTitle="Quantum flux capacitor")) is None
    assert id_format_for(999, None) is None


@pytest.mark.parametrize(
    ("value", "level"),
    [("1", 1), ("3", 3), (2, 2), ("High risk", 3), ("Medium risk", 2), ("Low risk", 1), ("高风险", 3), ("中风险", 2),
     ("低风险", 1), ("4", None), (None, None), ("", None), (True, None)],
)
def test_risk_levels(value, level):
    assert risk_level(value) == level


def test_markdown_renders_groups_steps_policy_and_violations(client):
    plan = build_plan(client, template_id=628, instances=[[INSTANCE], ["cdb-aaaaaaaa"]], policy={"max_risk_level": 2})
    text = plan.to_markdown()
    assert text.startswith("# CFG experiment plan: Web tier packet loss and database failover")
    assert "- **changes made**: none (plan only)" in text and "❌ 1 violation(s)" in text
    assert "## Group 1: Web servers — Cloud Virtual Machine (CVM) (ObjectTypeId 1)" in text
    assert "## Group 2: Database — TencentDB for MySQL (ObjectTypeId 2)" in text
    assert "| 1 | 462 Network packet loss | fault | 2 (medium) |" in text
    assert "| 2 | 463 Network packet loss recovery | recovery | 1 (low) |" in text
    assert "| 1 | 201 Primary/standby switch | fault | 3 (high) |" in text and "heals by itself" in text
    assert '"interfaces": "eth0"' in text
    assert "- max risk level: 2 (medium)" in text
    assert "## Violations" in text and "risk 3 (high)" in text
    ok_text = build_plan(client, action_id=462, instances=[INSTANCE], custom={"interfaces": "eth|0"}).to_markdown()
    assert "✅ within policy" in ok_text and "## Violations" not in ok_text
    assert "463 Network packet loss recovery *(added by CFG)*" in ok_text
    assert "eth\\|0" in ok_text  # table cells stay intact
