"""core/plan/actions.py: the plan of an experiment from one library action or several."""

from __future__ import annotations

from airflow_provider_cfg.core.plan.build import build_plan
from tests.airflow_helpers import INSTANCE, INSTANCES
from tests.unit.core.plan.helpers import only


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


def test_mixed_object_types(client):
    plan = build_plan(client, actions=[{"action_id": 462, "custom": {"interfaces": "eth0"}}, {"action_id": 201}],
                      instances=[INSTANCE])
    violation = only(plan, "mixed_object_types")
    assert violation.field == "actions[1].action_id" and "object type 2 (TencentDB for MySQL)" in violation.message
