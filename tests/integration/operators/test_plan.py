"""The plan operator and the create operators' ``dry_run`` / ``policy`` against the emulator:
the plan is pushed and logged, nothing is ever created by a plan or a violating create."""

from __future__ import annotations

import json

import pytest

from airflow_provider_cfg.core.plan.model import XCOM_PLAN, XCOM_PLAN_MARKDOWN
from airflow_provider_cfg.core.plan.policy import PlanError, PlanViolationError
from airflow_provider_cfg.get_provider_info import get_provider_info
from airflow_provider_cfg.links.console import XCOM_EXPERIMENT_ID
from airflow_provider_cfg.operators.create import (
    CfgCreateExperimentFromActionOperator,
    CfgCreateExperimentFromActionsOperator,
    CfgCreateExperimentFromTemplateOperator,
)
from airflow_provider_cfg.operators.plan import CfgPlanExperimentOperator
from tests.airflow_helpers import INSTANCE, INSTANCES, FakeTI, context_for, faults, record_wire, task_list


def sent_actions(recorder) -> list[str]:
    return [name for name, _ in recorder.sent]


# -- the plan operator ---------------------------------------------------------------------------


def test_plan_operator_pushes_logs_and_returns_the_plan(emu, monkeypatch, capfd):
    ti = FakeTI(task_id="plan")
    op = CfgPlanExperimentOperator(task_id="plan", template_id=628, instances=[[INSTANCE], ["cdb-aaaaaaaa"]],
                                   action_parameters={"1.1": {"custom": {"percent": 40}}}, mode="manual")
    recorder = record_wire(monkeypatch, op, emu)
    result = op.execute(context_for(ti))
    logged = capfd.readouterr().out
    assert result == ti.pushed[XCOM_PLAN]
    assert json.loads(json.dumps(result)) == result
    assert result["verdict"]["ok"] and result["source"]["template_id"] == 628
    assert result["groups"][0]["steps"][0]["parameters"]["custom"]["percent"] == 40
    markdown = ti.pushed[XCOM_PLAN_MARKDOWN]
    assert "| 1 | 462 Network packet loss | fault |" in markdown
    assert "## Group 2: Database" in logged  # the Markdown is in the task log
    assert XCOM_EXPERIMENT_ID not in ti.pushed
    assert all(name.startswith("Describe") for name in sent_actions(recorder)), sent_actions(recorder)
    assert task_list(emu) == [] and faults(emu) == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"action_id": 462, "instances": [INSTANCE], "custom_configuration": {"interfaces": "eth0"}},
        {"actions": [{"action_id": 12}, {"action_id": 21, "custom": {"cpu_percent": 30}}], "instances": INSTANCES,
         "title": "multi"},
        {"template_id": 629, "instances": [INSTANCE]},
    ],
    ids=["action", "actions", "template"],
)
def test_plan_operator_sources(emu, kwargs):
    ti = FakeTI()
    result = CfgPlanExperimentOperator(task_id="plan", **kwargs).execute(context_for(ti))
    assert result["verdict"]["ok"], result["verdict"]
    assert result["changes_made"] is False
    assert task_list(emu) == []


def test_plan_operator_fails_after_pushing_on_violation(emu):
    ti = FakeTI()
    op = CfgPlanExperimentOperator(task_id="plan", template_id=627, instances=["ins-aaaaaaaa", "i-bad"],
                                   policy={"max_risk_level": 2})
    with pytest.raises(PlanViolationError) as info:
        op.execute(context_for(ti))
    assert [v.code for v in info.value.violations] == ["instance_format", "risk_too_high"]
    pushed = ti.pushed[XCOM_PLAN]
    assert pushed["verdict"]["ok"] is False and len(pushed["verdict"]["violations"]) == 2
    assert "## Violations" in ti.pushed[XCOM_PLAN_MARKDOWN]
    assert task_list(emu) == []


def test_plan_operator_can_report_without_failing(emu):
    ti = FakeTI()
    result = CfgPlanExperimentOperator(
        task_id="plan", action_id=466, instances=[INSTANCE], fail_on_violation=False,
    ).execute(context_for(ti))
    assert [v["field"] for v in result["verdict"]["violations"]] == [
        "custom_configuration.domain", "custom_configuration.ip"]


def test_plan_operator_policy_is_templated(emu):
    op = CfgPlanExperimentOperator(task_id="plan", template_id="{{ params.t }}", instances=["{{ params.i }}"],
                                   policy={"max_instances_per_group": "{{ params.n }}",
                                           "allowed_object_types": ["{{ params.o }}"]})
    assert {"template_id", "instances", "policy", "action_id", "actions", "task_config", "action_parameters",
            "general_configuration", "custom_configuration", "title", "cfg_conn_id",
            "region"} == set(op.template_fields)
    op.render_template_fields({"params": {"t": "626", "i": INSTANCE, "n": "1", "o": "1"}})
    result = op.execute(context_for(FakeTI()))
    assert result["policy"]["max_instances_per_group"] == 1 and result["policy"]["allowed_object_types"] == [1]


def test_plan_operator_accepts_a_json_policy(emu):
    op = CfgPlanExperimentOperator(task_id="plan", template_id=626, instances=INSTANCES,
                                   policy='{"max_instances_per_group": 1}')
    with pytest.raises(PlanViolationError, match="max_instances_per_group is 1"):
        op.execute(context_for(FakeTI()))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({}, ValueError, r"exactly one of template_id, action_id or actions; got none"),
        ({"template_id": 626, "action_id": 12}, ValueError, r"exactly one of .*got \['template_id', 'action_id'\]"),
        ({"template_id": 626, "mode": "chaotic"}, ValueError, r"mode must be one of 'manual' \(1\), 'automatic' \(2\)"),
    ],
)
def test_plan_operator_refuses_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        CfgPlanExperimentOperator(task_id="plan", **kwargs)


def test_plan_operator_bad_policy_fails_before_any_call(emu, monkeypatch):
    op = CfgPlanExperimentOperator(task_id="plan", template_id=626, instances=[INSTANCE], policy={"max_risk_level": 9})
    recorder = record_wire(monkeypatch, op, emu)
    ti = FakeTI()
    with pytest.raises(PlanError, match=r"max_risk_level must be one of 1 \(low\), 2 \(medium\), 3 \(high\); got 9"):
        op.execute(context_for(ti))
    assert recorder.sent == [] and ti.pushed == {}


def test_plan_operator_is_registered():
    (operators,) = get_provider_info()["operators"]
    assert "airflow_provider_cfg.operators.plan" in operators["python-modules"]


# -- create operators: dry_run and policy -------------------------------------------------------------


CREATES = [
    lambda **kw: CfgCreateExperimentFromTemplateOperator(task_id="create", template_id=627, instances=INSTANCES, **kw),
    lambda **kw: CfgCreateExperimentFromActionOperator(task_id="create", action_id=1, instances=INSTANCES, **kw),
    lambda **kw: CfgCreateExperimentFromActionsOperator(task_id="create", title="multi", instances=INSTANCES,
                                                        actions=[{"action_id": 12}, {"action_id": 1}], **kw),
]
IDS = ["template", "action", "actions"]


@pytest.mark.parametrize("make", CREATES, ids=IDS)
def test_dry_run_creates_nothing(emu, monkeypatch, make, capfd):
    op = make(dry_run=True)
    recorder = record_wire(monkeypatch, op, emu)
    ti = FakeTI()
    assert op.execute(context_for(ti)) is None
    logged = capfd.readouterr().out
    assert task_list(emu) == [] and faults(emu) == []
    assert all(name.startswith("Describe") for name in sent_actions(recorder)), sent_actions(recorder)
    assert ti.pushed[XCOM_PLAN]["verdict"]["ok"] is True
    assert "Shutdown" in ti.pushed[XCOM_PLAN_MARKDOWN] and "Dry run" in logged and "# CFG experiment plan" in logged
    assert XCOM_EXPERIMENT_ID not in ti.pushed


@pytest.mark.parametrize("make", CREATES, ids=IDS)
def test_violating_policy_creates_nothing(emu, monkeypatch, make):
    op = make(policy={"max_risk_level": 2})  # Shutdown (action 1) is high risk
    recorder = record_wire(monkeypatch, op, emu)
    ti = FakeTI()
    with pytest.raises(PlanViolationError, match=r"risk 3 \(high\); policy max_risk_level is 2 \(medium\)"):
        op.execute(context_for(ti))
    assert task_list(emu) == []
    assert not any(name.startswith("Create") for name in sent_actions(recorder))
    assert ti.pushed[XCOM_PLAN]["verdict"]["ok"] is False  # the plan is there to read
    assert XCOM_EXPERIMENT_ID not in ti.pushed


@pytest.mark.parametrize("make", CREATES, ids=IDS)
def test_satisfied_policy_creates(emu, make):
    ti = FakeTI()
    policy = {"max_risk_level": 3, "max_instances_per_group": 2, "allowed_object_types": [1]}
    experiment_id = make(policy=policy).execute(context_for(ti))
    assert [t["TaskId"] for t in task_list(emu)] == [experiment_id]
    # the plan it checked is published too, for the game-day report; its Markdown only on a dry run
    assert ti.pushed[XCOM_PLAN]["verdict"] == {"ok": True, "violations": []}
    assert ti.pushed[XCOM_PLAN]["policy"]["max_instances_per_group"] == 2
    assert XCOM_PLAN_MARKDOWN not in ti.pushed


def test_dry_run_with_violations_fails_after_pushing(emu):
    ti = FakeTI()
    op = CfgCreateExperimentFromTemplateOperator(task_id="create", template_id=626, instances=INSTANCES, dry_run=True,
                                                 policy={"max_instances_per_group": 1})
    with pytest.raises(PlanViolationError, match="max_instances_per_group is 1"):
        op.execute(context_for(ti))
    assert ti.pushed[XCOM_PLAN]["verdict"]["violations"][0]["code"] == "too_many_instances"
    assert task_list(emu) == []


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: CfgCreateExperimentFromTemplateOperator(task_id="c", template_id=626, instances=["ins-123"]),
         r"TaskConfig\.TaskGroupsConfig\[0\]\.TaskGroupInstances\[0\]: 'ins-123' is not a valid CVM id"),
        (lambda: CfgCreateExperimentFromActionOperator(task_id="c", action_id=466, instances=[INSTANCE]),
         r"custom_configuration\.domain: action 466 \(DNS tampering\) requires custom parameter 'domain'"),
        (lambda: CfgCreateExperimentFromTemplateOperator(
            task_id="c", template_id=630,
            instances=['{"ClusterId":"cls-aaaaaaaa","PodName":"p","NodeName":"n","NameSpace":"ns","Workload":"w"}']),
         r"template 630 \(TKE pod kill \(disabled\)\) is disabled"),
        (lambda: CfgCreateExperimentFromActionsOperator(task_id="c", title="t", instances=[INSTANCE],
                                                        actions=[{"action_id": 462, "custom": {"interfaces": "eth0"}},
                                                                 {"action_id": 201}]),
         r"all actions share the same instances and must target one object type"),
    ],
    ids=["malformed-id", "missing-field", "disabled-template", "mixed-types"],
)
def test_create_checks_the_plan_even_without_a_policy(emu, monkeypatch, make, message):
    op = make()
    recorder = record_wire(monkeypatch, op, emu)
    with pytest.raises(PlanViolationError, match=message):
        op.execute(context_for(FakeTI()))
    assert task_list(emu) == []
    assert not any(name.startswith("Create") for name in sent_actions(recorder))


@pytest.mark.parametrize(
    ("policy", "message"),
    [({"max_risk_level": 0}, r"max_risk_level must be one of"), ({"blast": 1}, r"unknown policy key\(s\) \['blast'\]"),
     ({"allowed_object_types": "cvm"}, r"allowed_object_types must be a list")],
)
def test_create_refuses_a_bad_policy_at_definition(policy, message):
    with pytest.raises(PlanError, match=message):
        CfgCreateExperimentFromTemplateOperator(task_id="create", template_id=626, instances=[INSTANCE], policy=policy)


def test_create_refuses_a_string_for_instances(emu):
    op = CfgCreateExperimentFromActionOperator(task_id="create", action_id=12, instances=INSTANCE)
    with pytest.raises(ValueError,
                       match=r"instances must be a list of object ids such as \['ins-xxxxxxxx'\]; got 'ins-aaaaaaaa'"):
        op.execute(context_for(FakeTI()))
    assert task_list(emu) == []


def test_create_accepts_a_policy_object(emu):
    from airflow_provider_cfg.core.plan.policy import BlastRadiusPolicy

    op = CfgCreateExperimentFromTemplateOperator(task_id="create", template_id=626, instances=INSTANCES,
                                                 policy=BlastRadiusPolicy(max_instances_per_group=1))
    assert op.policy == {"max_instances_per_group": 1, "max_risk_level": None, "allowed_object_types": None,
                         "require_recovery": True}
    with pytest.raises(PlanViolationError, match="max_instances_per_group is 1"):
        op.execute(context_for(FakeTI()))
    assert task_list(emu) == []
