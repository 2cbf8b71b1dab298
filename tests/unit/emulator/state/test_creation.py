"""Creating a task: instance selection by execute rule, ids and RandomIds (emulator/state/creation.py)."""

from __future__ import annotations

import json

from tests.emu_helpers import Cfg


def test_execute_rule_percent(cfg: Cfg) -> None:
    instances = ["ins-aaaaaaaa", "ins-bbbbbbbb", "ins-cccccccc", "ins-dddddddd"]
    task_id = cfg.create(627, instances)
    before = cfg.task(task_id)["TaskGroups"][0]
    assert before["TaskGroupSelectedInstanceList"] == [] and before["TaskGroupActions"][0]["TaskGroupInstances"] == []
    cfg.ok("ExecuteTask", TaskId=task_id)  # instances appear when the task starts (official DescribeTask example)
    group = cfg.task(task_id)["TaskGroups"][0]
    assert group["TaskGroupInstancesExecuteRule"][0]["TaskGroupInstancesExecuteMode"] == 2
    assert group["TaskGroupInstancesExecuteRule"][0]["TaskGroupInstancesExecutePercent"] == 50
    selected, discarded = group["TaskGroupSelectedInstanceList"], group["TaskGroupDiscardInstanceList"]
    assert len(selected) == 2 and sorted(selected + discarded) == instances
    assert group["TaskGroupInstanceList"] == instances
    for action in group["TaskGroupActions"]:
        assert [i["TaskGroupInstanceObjectId"] for i in action["TaskGroupInstances"]] == selected


def test_execute_rule_count_and_two_groups(cfg: Cfg) -> None:
    task_id = cfg.create(628, groups=[
        {"TaskGroupInstances": ["ins-aaaaaaaa", "ins-bbbbbbbb", "ins-cccccccc"]},
        {"TaskGroupInstances": ["cdb-aaaaaaaa", "cdb-bbbbbbbb"]},
    ])
    cfg.ok("ExecuteTask", TaskId=task_id)
    task = cfg.task(task_id)
    web, db = task["TaskGroups"]
    assert (web["TaskGroupOrder"], db["TaskGroupOrder"]) == (1, 2)
    assert web["TaskGroupInstancesExecuteRule"][0]["TaskGroupInstancesExecuteNum"] == 1
    assert len(web["TaskGroupSelectedInstanceList"]) == 1 and len(web["TaskGroupDiscardInstanceList"]) == 2
    assert db["TaskGroupSelectedInstanceList"] == ["cdb-aaaaaaaa", "cdb-bbbbbbbb"]
    assert db["ObjectTypeId"] == 2 and db["TaskGroupId"] == web["TaskGroupId"] + 1
    assert [a["ActionId"] for a in web["TaskGroupActions"]] == [462, 463]
    assert json.loads(web["TaskGroupActions"][0]["TaskGroupActionCustomConfiguration"])["percent"] == 30
    assert task["TaskPolicy"]["TaskPolicyIdList"] == ["policy-aaaa1111"]


def test_ids_are_sequential_and_random_ids_unique(cfg: Cfg) -> None:
    first, second = cfg.create(), cfg.create()
    assert (first, second) == (3256, 3257)
    cfg.ok("ExecuteTask", TaskId=first)
    cfg.ok("ExecuteTask", TaskId=second)
    actions = cfg.actions(first) + cfg.actions(second)
    assert [a["TaskGroupActionId"] for a in actions] == [11395, 11396, 11397, 11398]
    instance_ids = [i["TaskGroupInstanceId"] for a in actions for i in a["TaskGroupInstances"]]
    assert instance_ids == list(range(24375, 24375 + 8))
    random_ids = [a["TaskGroupActionRandomId"] for a in actions]
    assert len(set(random_ids)) == 4 and all(100000 <= r <= 999999 for r in random_ids)
