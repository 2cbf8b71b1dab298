"""ExecuteTaskInstance: checks, chosen instances, skip and retry (emulator/state/instance_operations.py)."""

from __future__ import annotations

from tests.emu_helpers import INSTANCES, Cfg, wait_for


def test_execute_instance_validation(cfg: Cfg) -> None:
    task_id = cfg.create()
    task = cfg.task(task_id)
    group = task["TaskGroups"][0]
    action = group["TaskGroupActions"][0]
    base = {"TaskId": task_id, "TaskGroupId": group["TaskGroupId"], "TaskActionId": action["TaskGroupActionId"],
            "IsOperateAll": True, "TaskInstanceIds": [], "ActionType": 2}
    code, message = cfg.err("ExecuteTaskInstance", base)
    assert code == "UnsupportedOperation" and "1001" in message  # not started
    cfg.ok("ExecuteTask", TaskId=task_id)
    code, message = cfg.err("ExecuteTaskInstance", {**base, "ActionType": 4})
    assert code == "InvalidParameterValue" and all(str(v) in message for v in (1, 2, 3, 5))
    assert cfg.err("ExecuteTaskInstance", {**base, "TaskGroupId": 1})[0] == "ResourceNotFound"
    assert cfg.err("ExecuteTaskInstance", {**base, "TaskActionId": 1})[0] == "ResourceNotFound"
    code, message = cfg.err("ExecuteTaskInstance", {**base, "IsOperateAll": False, "TaskInstanceIds": [1]})
    assert code == "InvalidParameterValue" and "TaskInstanceIds" in message
    code, _ = cfg.err("ExecuteTaskInstance", {**base, "IsOperateAll": False})
    assert code == "InvalidParameterValue"
    code, message = cfg.err("ExecuteTaskInstance", {**base, "ActionType": 5})
    assert code == "UnsupportedOperation" and "retry" in message


def test_only_listed_instances_run(cfg: Cfg) -> None:
    task_id = cfg.start()
    first, second = (i["TaskGroupInstanceId"] for i in cfg.action(task_id, 0)["TaskGroupInstances"])
    cfg.run_ok(task_id, 0, instance_ids=[first])
    action = wait_for(lambda: (a := cfg.action(task_id, 0))["TaskGroupActionStatus"] == 2002 and a)
    statuses = {i["TaskGroupInstanceId"]: i["TaskGroupInstanceStatus"] for i in action["TaskGroupInstances"]}
    assert statuses == {first: 3003, second: 3001}
    assert [f["ObjectId"] for f in cfg.faults()] == [INSTANCES[0]]
    assert cfg.run(task_id, 0, instance_ids=[first])["Error"]["Code"] == "UnsupportedOperation"
    cfg.run_ok(task_id, 0)  # IsOperateAll: the instances that have not run
    action = cfg.wait_action(task_id, 0)
    assert action["TaskGroupActionStatusType"] == 1
    assert len(cfg.faults()) == 2


def test_skip(cfg: Cfg) -> None:
    task_id = cfg.start()
    cfg.run_ok(task_id, 0, action_type=3)
    action = cfg.action(task_id, 0)
    assert (action["TaskGroupActionStatus"], action["TaskGroupActionStatusType"]) == (2004, 4)
    assert all((i["TaskGroupInstanceStatus"], i["TaskGroupInstanceStatusType"]) == (3003, 4)
               for i in action["TaskGroupInstances"])
    assert cfg.faults() == []
    assert cfg.action(task_id, 1)["TaskGroupActionStatus"] == 2002
    assert cfg.run(task_id, 0, action_type=3)["Error"]["Code"] == "UnsupportedOperation"
    cfg.run_ok(task_id, 1, action_type=3)
    cfg.end(task_id)
    assert cfg.task(task_id)["TaskStatusType"] == 1


def test_retry_after_a_failing_instance(cfg: Cfg) -> None:
    task_id = cfg.start()
    cfg.chaos(failing_instances=[INSTANCES[1]])
    cfg.run_ok(task_id, 0)
    action = cfg.wait_action(task_id, 0)
    assert action["TaskGroupActionStatusType"] == 2 and action["IsExecuteRedo"] is True
    good, bad = action["TaskGroupInstances"]
    assert (good["TaskGroupInstanceStatusType"], good["TaskGroupInstanceIsRedo"]) == (1, False)
    assert (bad["TaskGroupInstanceStatusType"], bad["TaskGroupInstanceIsRedo"]) == (2, True)
    assert "failing_instances" in bad["TaskGroupInstanceExecuteLog"]
    # a failed fault may have been partly injected: it is in the ledger
    assert {f["ObjectId"] for f in cfg.faults()} == set(INSTANCES)
    code, message = cfg.run(task_id, 0, action_type=5, instance_ids=[good["TaskGroupInstanceId"]])["Error"].values()
    assert code == "UnsupportedOperation" and "did not fail" in message
    cfg.chaos()  # the instance recovers
    cfg.run_ok(task_id, 0, action_type=5)
    action = cfg.wait_action(task_id, 0)
    assert action["TaskGroupActionStatusType"] == 1 and action["IsExecuteRedo"] is False
    good_after, bad_after = action["TaskGroupInstances"]
    assert good_after["TaskGroupInstanceEndTime"] == good["TaskGroupInstanceEndTime"]  # not rerun
    assert bad_after["TaskGroupInstanceStatusType"] == 1
    assert cfg.run(task_id, 0, action_type=5)["Error"]["Code"] == "UnsupportedOperation"  # nothing left to retry
    logs = cfg.ok("DescribeTaskExecuteLogs", TaskId=task_id, Limit=1000, Offset=0)["LogMessage"]
    assert any("retry" in line for line in logs) and any("[ERROR]" in line for line in logs)
