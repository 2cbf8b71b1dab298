"""Experiment state machine over HTTP: execute, skip, retry, pause/resume/end, guardrails, ledger."""

from __future__ import annotations

import json
import time

from tests.emu_helpers import INSTANCES, Cfg, wait_for


def test_execute_task_once(cfg: Cfg) -> None:
    task_id = cfg.create()
    actions = cfg.actions(task_id)
    assert [a["TaskGroupActionStatus"] for a in actions] == [2001, 2001]
    assert all(i["TaskGroupInstanceStatus"] == 3001 for a in actions for i in a["TaskGroupInstances"])
    cfg.ok("ExecuteTask", TaskId=task_id)
    task = cfg.task(task_id)
    assert task["TaskStatus"] == 1002 and task["TaskStartTime"]
    assert [a["TaskGroupActionStatus"] for a in cfg.actions(task_id)] == [2002, 2001]
    code, message = cfg.err("ExecuteTask", TaskId=task_id)
    assert code == "FailedOperation" and "1002" in message
    assert cfg.err("ExecuteTask", TaskId=99999)[0] == "ResourceNotFound"


def test_manual_flow_and_fault_ledger(cfg: Cfg) -> None:
    task_id = cfg.start()
    fault_id = cfg.action(task_id, 0)["TaskGroupActionId"]
    assert cfg.faults() == []
    cfg.run_ok(task_id, 0)
    running = cfg.action(task_id, 0)
    assert running["TaskGroupActionStatus"] == 2003 and running["TaskGroupActionStartTime"]
    assert {i["TaskGroupInstanceStatus"] for i in running["TaskGroupInstances"]} <= {3004, 3002}
    done = cfg.wait_action(task_id, 0)
    assert done["TaskGroupActionStatusType"] == 1 and done["IsExecuteRedo"] is False
    for inst in done["TaskGroupInstances"]:
        assert (inst["TaskGroupInstanceStatus"], inst["TaskGroupInstanceStatusType"]) == (3003, 1)
        assert inst["TaskGroupInstanceStartTime"] and inst["TaskGroupInstanceEndTime"]
        assert inst["TaskGroupInstanceExecuteTime"] is not None and inst["TaskGroupInstanceIsRedo"] is False
        assert "running Empty Operation" in inst["TaskGroupInstanceExecuteLog"]
    # the fault stays injected until its recovery ran
    faults = cfg.faults()
    assert {f["ObjectId"] for f in faults} == set(INSTANCES)
    assert all(f["TaskId"] == task_id and f["TaskGroupActionId"] == fault_id and f["ActionId"] == 12 for f in faults)
    assert all(f["ActionTitle"] == "Empty Operation" and f["Since"] for f in faults)
    assert cfg.action(task_id, 1)["TaskGroupActionStatus"] == 2002  # the next action now waits
    code, message = cfg.run(task_id, 0)["Error"].values()
    assert code == "FailedOperation" and "retry" in message
    cfg.run_ok(task_id, 1)
    code, _ = cfg.run(task_id, 1)["Error"].values()
    assert code == "FailedOperation"  # already running
    cfg.wait_action(task_id, 1)
    assert cfg.faults() == []
    cfg.end(task_id, expect=False, summary="meh")
    task = cfg.task(task_id)
    assert (task["TaskStatus"], task["TaskStatusType"], task["TaskExpect"]) == (1004, 1, 2)
    assert task["TaskSummary"] == "meh" and task["TaskEndTime"]


def test_execute_instance_validation(cfg: Cfg) -> None:
    task_id = cfg.create()
    task = cfg.task(task_id)
    group = task["TaskGroups"][0]
    action = group["TaskGroupActions"][0]
    base = {"TaskId": task_id, "TaskGroupId": group["TaskGroupId"], "TaskActionId": action["TaskGroupActionId"],
            "IsOperateAll": True, "TaskInstanceIds": [], "ActionType": 2}
    code, message = cfg.err("ExecuteTaskInstance", base)
    assert code == "FailedOperation" and "1001" in message  # not started
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
    assert code == "FailedOperation" and "retry" in message


def test_only_listed_instances_run(cfg: Cfg) -> None:
    task_id = cfg.start()
    first, second = (i["TaskGroupInstanceId"] for i in cfg.action(task_id, 0)["TaskGroupInstances"])
    cfg.run_ok(task_id, 0, instance_ids=[first])
    action = wait_for(lambda: (a := cfg.action(task_id, 0))["TaskGroupActionStatus"] == 2002 and a)
    statuses = {i["TaskGroupInstanceId"]: i["TaskGroupInstanceStatus"] for i in action["TaskGroupInstances"]}
    assert statuses == {first: 3003, second: 3001}
    assert [f["ObjectId"] for f in cfg.faults()] == [INSTANCES[0]]
    assert cfg.run(task_id, 0, instance_ids=[first])["Error"]["Code"] == "FailedOperation"
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
    assert cfg.run(task_id, 0, action_type=3)["Error"]["Code"] == "FailedOperation"
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
    assert code == "FailedOperation" and "did not fail" in message
    cfg.chaos()  # the instance recovers
    cfg.run_ok(task_id, 0, action_type=5)
    action = cfg.wait_action(task_id, 0)
    assert action["TaskGroupActionStatusType"] == 1 and action["IsExecuteRedo"] is False
    good_after, bad_after = action["TaskGroupInstances"]
    assert good_after["TaskGroupInstanceEndTime"] == good["TaskGroupInstanceEndTime"]  # not rerun
    assert bad_after["TaskGroupInstanceStatusType"] == 1
    assert cfg.run(task_id, 0, action_type=5)["Error"]["Code"] == "FailedOperation"  # nothing left to retry
    logs = cfg.ok("DescribeTaskExecuteLogs", TaskId=task_id, Limit=1000, Offset=0)["LogMessage"]
    assert any("retry" in line for line in logs) and any("[ERROR]" in line for line in logs)


def test_pause_resume_end_rules(cfg: Cfg) -> None:
    task_id = cfg.create()
    modify = {"TaskId": task_id}
    assert cfg.err("ModifyTaskRunStatus", modify, Status=1003)[0] == "FailedOperation"  # not started
    assert cfg.err("ModifyTaskRunStatus", modify, Status=1002)[0] == "FailedOperation"
    cfg.ok("ExecuteTask", TaskId=task_id)
    code, message = cfg.err("ModifyTaskRunStatus", modify, Status=1002)
    assert code == "FailedOperation" and "already" in message
    assert cfg.err("ModifyTaskRunStatus", modify, Status=1001)[0] == "UnsupportedOperation"
    assert cfg.err("ModifyTaskRunStatus", modify, Status=1005)[0] == "InvalidParameterValue"
    cfg.ok("ModifyTaskRunStatus", modify, Status=1003)
    assert cfg.task(task_id)["TaskStatus"] == 1003
    assert cfg.err("ModifyTaskRunStatus", modify, Status=1003)[0] == "FailedOperation"
    code, message = cfg.run(task_id, 0)["Error"].values()
    assert code == "FailedOperation" and "1003" in message
    cfg.ok("ModifyTaskRunStatus", modify, Status=1002)
    assert cfg.task(task_id)["TaskStatus"] == 1002
    code, message = cfg.err("ModifyTaskRunStatus", modify, Status=1004, Summary="x")
    assert code == "MissingParameter" and "IsExpect" in message
    code, message = cfg.err("ModifyTaskRunStatus", modify, Status=1004, IsExpect=True)
    assert code == "MissingParameter" and "Summary" in message
    code, message = cfg.err("DeleteTask", TaskId=task_id)
    assert code == "FailedOperation"
    cfg.ok("ModifyTaskRunStatus", modify, Status=1004, IsExpect=True, Summary="stopped early", Issue="none")
    task = cfg.task(task_id)
    assert (task["TaskStatus"], task["TaskStatusType"], task["TaskIssue"]) == (1004, 3, "none")
    for status in (1002, 1003, 1004):
        assert cfg.err("ModifyTaskRunStatus", modify, Status=status, IsExpect=True, Summary="x")[0] == \
            "FailedOperation"
    assert cfg.run(task_id, 1)["Error"]["Code"] == "FailedOperation"
    cfg.ok("DeleteTask", TaskId=task_id)
    assert cfg.err("DeleteTask", TaskId=task_id)[0] == "ResourceNotFound"
    assert cfg.err("DescribeTask", TaskId=task_id)[0] == "ResourceNotFound"


def test_end_a_never_started_task_and_delete(cfg: Cfg) -> None:
    task_id = cfg.create()
    cfg.ok("DeleteTask", TaskId=task_id)
    other = cfg.create()
    cfg.end(other)
    assert cfg.task(other)["TaskStatusType"] == 3


def test_ending_does_not_recover(cfg: Cfg) -> None:
    cfg.server.state.action_seconds = 0.4
    task_id = cfg.start()
    cfg.run_ok(task_id, 0)
    wait_for(lambda: cfg.faults(), what="the fault to be injected")  # running (3002)
    cfg.end(task_id)
    action = cfg.action(task_id, 0)
    assert (action["TaskGroupActionStatus"], action["TaskGroupActionStatusType"]) == (2004, 3)
    assert all(i["TaskGroupInstanceStatusType"] == 3 for i in action["TaskGroupInstances"])
    assert cfg.task(task_id)["TaskStatusType"] == 3
    time.sleep(0.5)
    assert {f["ObjectId"] for f in cfg.faults()} == set(INSTANCES)  # still broken
    # a recovery run later (here: a task from the recovery action) cleans up
    recovery = cfg.ok("CreateTaskFromAction", TaskActionId=13, TaskInstances=INSTANCES)["TaskId"]
    cfg.ok("ExecuteTask", TaskId=recovery)
    cfg.run_ok(recovery, 0)
    cfg.wait_action(recovery, 0, timeout=5)
    assert cfg.faults() == []


def test_trigger_policy_rollback(cfg: Cfg) -> None:
    task_id = cfg.start(627, ["ins-aaaaaaaa", "ins-bbbbbbbb", "ins-cccccccc", "ins-dddddddd"])
    task = cfg.task(task_id)
    assert task["PolicyDealType"] == 1 and task["TaskPolicy"]["TaskPolicyStatus"] == "未触发"
    cfg.run_ok(task_id, 0)
    cfg.wait_action(task_id, 0)
    assert len(cfg.faults()) == 2  # 50% of 4 instances
    result = cfg.ok("TriggerPolicy", TaskId=task_id, Name="cpu", Content="CPU > 90%", TriggerType=0)
    assert result["TaskId"] == task_id and result["Success"] is True
    assert cfg.task(task_id)["TaskPolicy"]["TaskPolicyStatus"] == "已触发"
    task = cfg.wait_task(task_id, 1003)  # the rollback runs the recovery, then pauses
    recovery = task["TaskGroups"][0]["TaskGroupActions"][1]
    assert (recovery["TaskGroupActionStatus"], recovery["TaskGroupActionStatusType"]) == (2004, 1)
    assert cfg.faults() == []
    cfg.ok("ModifyTaskRunStatus", TaskId=task_id, Status=1002)
    code, message = cfg.err("TriggerPolicy", TaskId=task_id, Name="x", Content="y", TriggerType=2)
    assert code == "InvalidParameterValue" and "0" in message and "1" in message
    cfg.ok("TriggerPolicy", TaskId=task_id, Name="cpu", Content="back to normal", TriggerType=1)
    assert cfg.task(task_id)["TaskPolicy"]["TaskPolicyStatus"] == "已恢复"
    logs = cfg.ok("DescribeTaskPolicyTriggerLog", TaskId=task_id, Page=1, PageSize=10)["TriggerLogs"]
    assert [(log["TriggerType"], log["Content"]) for log in logs] == [(0, "CPU > 90%"), (1, "back to normal")]
    assert all(log["TaskId"] == task_id and log["Name"] == "cpu" and log["CreatTime"] for log in logs)
    page2 = cfg.ok("DescribeTaskPolicyTriggerLog", TaskId=task_id, Page=2, PageSize=1)["TriggerLogs"]
    assert [log["Content"] for log in page2] == ["back to normal"]
    assert cfg.err("DescribeTaskPolicyTriggerLog", TaskId=task_id, Page=0, PageSize=1)[0] == "InvalidParameterValue"


def test_triggered_guardrail_refuses_faults(cfg: Cfg) -> None:
    task_id = cfg.start(626, INSTANCES, PolicyDealType=2)
    assert cfg.task(task_id)["TaskPolicy"]["TaskPolicyDealType"] == 2
    cfg.ok("TriggerPolicy", TaskId=task_id, Name="alarm", Content="latency", TriggerType=0)
    assert cfg.task(task_id)["TaskStatus"] == 1003  # policy 2: pause
    cfg.ok("ModifyTaskRunStatus", TaskId=task_id, Status=1002)
    code, message = cfg.run(task_id, 0)["Error"].values()
    assert code == "FailedOperation" and "guardrail" in message
    cfg.run_ok(task_id, 1)  # recovery actions stay allowed
    cfg.wait_action(task_id, 1)
    cfg.ok("TriggerPolicy", TaskId=task_id, Name="alarm", Content="ok", TriggerType=1)
    cfg.run_ok(task_id, 0)


def test_trigger_terminates_a_running_fault_and_rolls_back(cfg: Cfg) -> None:
    cfg.server.state.action_seconds = 0.3
    task_id = cfg.ok("CreateTaskFromAction", TaskActionId=462, TaskInstances=INSTANCES,
                     TaskActionCustomConfiguration=json.dumps({"interfaces": "eth1"}))["TaskId"]
    assert cfg.task(task_id)["TaskPolicy"] is None
    cfg.ok("ExecuteTask", TaskId=task_id)
    cfg.run_ok(task_id, 0)
    wait_for(lambda: cfg.faults(), what="the fault to run")
    cfg.ok("TriggerPolicy", TaskId=task_id, Name="slo", Content="error rate", TriggerType=0)
    task = cfg.task(task_id)
    assert task["TaskPolicy"]["TaskPolicyStatus"] == "已触发" and task["TaskPolicy"]["TaskPolicyDealType"] == 1
    fault = task["TaskGroups"][0]["TaskGroupActions"][0]
    assert (fault["TaskGroupActionStatus"], fault["TaskGroupActionStatusType"]) == (2004, 3)
    assert cfg.run(task_id, 1)["Error"]["Code"] == "FailedOperation"  # the rollback is running it
    cfg.wait_task(task_id, 1003)
    assert cfg.faults() == []
    assert cfg.action(task_id, 1)["TaskGroupActionStatusType"] == 1


def test_trigger_without_injected_faults_just_pauses(cfg: Cfg) -> None:
    task_id = cfg.start(628, groups=[{"TaskGroupInstances": ["ins-aaaaaaaa"]},
                                     {"TaskGroupInstances": ["cdb-aaaaaaaa"]}])
    cfg.ok("TriggerPolicy", TaskId=task_id, Name="n", Content="c", TriggerType=0)
    assert cfg.task(task_id)["TaskStatus"] == 1003
    assert all(a["TaskGroupActionStatus"] in (2001, 2002) for a in cfg.actions(task_id))
    cfg.end(task_id)
    assert cfg.err("TriggerPolicy", TaskId=task_id, Name="n", Content="c", TriggerType=0)[0] == "FailedOperation"


def test_automatic_mode_runs_and_ends_itself(cfg: Cfg) -> None:
    task_id = cfg.create(629, INSTANCES)
    task = cfg.task(task_id)
    assert task["TaskMode"] == 2 and task["PolicyDealType"] == 2
    cfg.ok("ExecuteTask", TaskId=task_id)
    task = cfg.wait_task(task_id, 1004)
    assert task["TaskStatusType"] == 1 and task["TaskEndTime"] and task["TaskExpect"] is None
    assert [(a["TaskGroupActionStatus"], a["TaskGroupActionStatusType"]) for a in cfg.actions(task_id)] == \
        [(2004, 1), (2004, 1)]
    assert cfg.faults() == []


def test_automatic_mode_honours_pre_wait(cfg: Cfg) -> None:
    task_id = cfg.create(626, INSTANCES, TaskMode=2, groups=[{
        "TaskGroupInstances": INSTANCES,
        "TaskGroupActionsConfig": [{"TaskGroupActionOrder": 1,
                                    "TaskGroupActionGeneralConfiguration": json.dumps({"PreTimeWait": 0.6})}],
    }])
    started = time.monotonic()
    cfg.ok("ExecuteTask", TaskId=task_id)
    time.sleep(0.2)
    first = cfg.action(task_id, 0)
    assert first["TaskGroupActionStatus"] == 2002 and first["TaskGroupActionStartTime"] is None
    cfg.wait_task(task_id, 1004)
    assert time.monotonic() - started >= 0.6


def test_automatic_mode_failure_skips_later_faults(cfg: Cfg) -> None:
    cfg.chaos(failing_instances=["ins-aaaaaaaa"])
    task_id = cfg.create(628, TaskMode=2, groups=[{"TaskGroupInstances": ["ins-aaaaaaaa"]},
                                                  {"TaskGroupInstances": ["cdb-aaaaaaaa"]}])
    cfg.ok("ExecuteTask", TaskId=task_id)
    task = cfg.wait_task(task_id, 1004)
    assert task["TaskStatusType"] == 2
    loss, loss_recovery, switch = (a for g in task["TaskGroups"] for a in g["TaskGroupActions"])
    assert loss["TaskGroupActionStatusType"] == 2
    assert loss_recovery["TaskGroupActionStatusType"] == 2  # recoveries still run (and fail on that instance)
    assert switch["TaskGroupActionStatusType"] == 4  # later faults are not injected
    assert "an earlier action failed" in switch["TaskGroupInstances"][0]["TaskGroupInstanceExecuteLog"]
    assert [f["ObjectId"] for f in cfg.faults()] == ["ins-aaaaaaaa"]


def test_pause_in_automatic_mode(cfg: Cfg) -> None:
    cfg.server.state.action_seconds = 0.3
    task_id = cfg.start(629, INSTANCES)
    cfg.ok("ModifyTaskRunStatus", TaskId=task_id, Status=1003)
    time.sleep(0.5)
    actions = cfg.actions(task_id)
    assert actions[1]["TaskGroupActionStatus"] in (2001, 2002)  # nothing advances while paused
    cfg.ok("ModifyTaskRunStatus", TaskId=task_id, Status=1002)
    assert cfg.wait_task(task_id, 1004)["TaskStatusType"] == 1
