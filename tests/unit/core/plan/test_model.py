"""core/plan/model.py: a plan as JSON-safe data with a stable digest, built with read-only calls only."""

from __future__ import annotations

import json

from airflow_provider_cfg.api.actions import ACTIONS
from airflow_provider_cfg.core.plan.build import build_plan
from tests.airflow_helpers import INSTANCE, INSTANCES, make_client, task_list
from tests.unit.core.plan.helpers import Recorder


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
    assert data["policy"] == {"max_instances_per_group": 100, "max_risk_level": None, "allowed_object_types": None,
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
