"""The seed walkthrough (tests/data/seed-cfg-api-examples.txt) replayed on a fresh emulator."""

from __future__ import annotations

import json
from typing import Any

from airflow_provider_cfg.emulator.server import EmulatorServer
from tests.emu_helpers import Cfg, wait_for
from tests.seed import seed_exchange, seed_exchanges, seed_standalone_responses

# Fields whose seed values are moments or random numbers: only their presence/type is compared.
VOLATILE = {
    "RequestId", "TaskCreateTime", "TaskUpdateTime", "TaskStartTime", "TaskGroupCreateTime", "TaskGroupUpdateTime",
    "TaskGroupActionCreateTime", "TaskGroupActionUpdateTime", "TaskGroupInstanceCreateTime",
    "TaskGroupInstanceUpdateTime", "TaskGroupActionRandomId", "TaskGroupActionRecoverId", "TaskGroupActionExecuteId",
}


def missing_keys(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Keys present in ``expected`` (recursively) but absent from ``actual``."""
    problems = []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path or '.'}: expected an object, got {type(actual).__name__}"]
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{path}.{key}")
            else:
                problems += missing_keys(value, actual[key], f"{path}.{key}")
    elif isinstance(expected, list) and expected and isinstance(expected[0], dict):
        if not isinstance(actual, list) or not actual:
            return [f"{path}: expected a non-empty list"]
        problems += missing_keys(expected[0], actual[0], f"{path}[0]")
    return problems


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Values of ``expected`` that ``actual`` does not reproduce (volatile fields skipped)."""
    if isinstance(expected, dict):
        out = []
        for key, value in expected.items():
            if key in VOLATILE:
                continue
            out += differences(value, actual.get(key), f"{path}.{key}")
        return out
    if isinstance(expected, list):
        if len(expected) != len(actual or []):
            return [f"{path}: {len(expected)} items expected, got {len(actual or [])}"]
        return [d for i, (e, a) in enumerate(zip(expected, actual, strict=True))
                for d in differences(e, a, f"{path}[{i}]")]
    return [] if expected == actual else [f"{path}: expected {expected!r}, got {actual!r}"]


def test_every_seed_request_works_as_written(cfg: Cfg) -> None:
    exchanges = seed_exchanges()
    assert [a for a, _, _ in exchanges] == [
        "CreateTaskFromTemplate", "CreateTaskFromAction", "DescribeTask", "ExecuteTask", "ExecuteTaskInstance",
        "ModifyTaskRunStatus",
    ]
    for action, request, expected in exchanges:
        if action == "ExecuteTaskInstance":  # its placeholder ids are no integers: refused, as the API types them
            assert cfg.err(action, request)[0] == "InvalidParameter"
            instances = cfg.action(request["TaskId"], 0)["TaskGroupInstances"]
            request = {**request, "TaskInstanceIds": [i["TaskGroupInstanceId"] for i in instances]}
        actual = cfg.ok(action, request)
        # The seed's DescribeTask shows a started task; this one has not started, so its actions have
        # no instances yet (they appear at ExecuteTask, as in the official DescribeTask example).
        problems = [p for p in missing_keys(expected, actual) if not p.endswith("TaskGroupInstances: expected a "
                                                                                   "non-empty list")]
        assert problems == [], action
    # The first task of a fresh emulator has the seed's ids.
    assert cfg.task(3256)["TaskGroups"][0]["TaskGroupId"] == 4684
    assert [a["TaskGroupActionId"] for a in cfg.actions(3256)] == [11395, 11396]
    assert cfg.task(3256)["TaskStatus"] == 1004


def test_seed_create_from_template_gets_task_3256(cfg: Cfg) -> None:
    request, expected = seed_exchange("CreateTaskFromTemplate")
    assert cfg.ok("CreateTaskFromTemplate", request)["TaskId"] == expected["TaskId"] == 3256


def test_seed_create_from_action_462_with_only_interfaces(cfg: Cfg) -> None:
    request, _ = seed_exchange("CreateTaskFromAction")
    task = cfg.task(cfg.ok("CreateTaskFromAction", request)["TaskId"])
    fault, recovery = task["TaskGroups"][0]["TaskGroupActions"]
    assert (fault["ActionId"], recovery["ActionId"]) == (462, 463)
    custom = json.loads(fault["TaskGroupActionCustomConfiguration"])
    assert custom["interfaces"] == "eth0" and custom["duration"] == 180 and custom["percent"] == 50
    assert task["TaskTitle"] == request["TaskTitle"]
    assert task["TaskDescription"] == request["TaskDescription"]


def test_seed_describe_task_values(cfg: Cfg) -> None:
    """Created with the two instances its output shows, the seed's DescribeTask is reproduced."""
    _, expected = seed_exchange("DescribeTask")
    seed_task = expected["Task"]
    cfg.http.post("/_emulator/variants", json={"language": "en-US"})  # the seed shows English values
    instances = seed_task["TaskGroups"][0]["TaskGroupInstanceList"]
    task_id = cfg.create(626, instances, TaskTitle=seed_task["TaskTitle"])
    cfg.ok("ExecuteTask", TaskId=task_id)  # the seed's output shows a running task
    actual = cfg.ok("DescribeTask", TaskId=str(task_id))
    assert missing_keys(expected, actual) == []
    assert differences(expected, actual) == []
    actions = actual["Task"]["TaskGroups"][0]["TaskGroupActions"]
    fault, recovery = actions
    assert fault["TaskGroupActionRecoverId"] == recovery["TaskGroupActionRandomId"]
    assert recovery["TaskGroupActionExecuteId"] == fault["TaskGroupActionRandomId"]
    assert fault["TaskGroupActionExecuteId"] is None and recovery["TaskGroupActionRecoverId"] is None
    assert actual["ReportInfo"] is None and actual["Task"]["TaskEndTime"] is None


def test_seed_action_field_config_of_466(cfg: Cfg) -> None:
    (action, expected), = seed_standalone_responses()
    actual = cfg.ok(action, ActionIds=[466], ObjectTypeId=1)
    assert differences(expected, actual) == []
    assert missing_keys(expected, actual) == []


def test_seed_execute_instance_placeholders_are_refused_as_the_api_types_them(cfg: Cfg) -> None:
    request, _ = seed_exchange("ExecuteTaskInstance")
    assert request["TaskInstanceIds"] == ["xxxxxxxx-01", "xxxxxxxx-02"]
    cfg.create(626, ["ins-bfydnvta", "ins-ehxmry76"])
    cfg.ok("ExecuteTask", TaskId=3256)
    code, message = cfg.err("ExecuteTaskInstance", request)  # TaskInstanceIds: required Array of Integer
    assert code == "InvalidParameter" and "TaskInstanceIds" in message
    code, message = cfg.err("ExecuteTaskInstance", {k: v for k, v in request.items() if k != "TaskInstanceIds"})
    assert (code, message) == ("MissingParameter", "The required parameter TaskInstanceIds is missing.")
    cfg.ok("ExecuteTaskInstance", {**request, "TaskInstanceIds": []})  # present; ignored with IsOperateAll
    action = cfg.wait_action(3256, 1)
    assert action["TaskGroupActionStatusType"] == 1
    assert [i["TaskGroupInstanceStatus"] for i in action["TaskGroupInstances"]] == [3003, 3003]


def test_official_sdk_completes_the_walkthrough(cfg_emulator: EmulatorServer, monkeypatch) -> None:
    from tencentcloud.cfg.v20210820 import cfg_client, models
    from tencentcloud.common import credential
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile

    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=cfg_emulator.endpoint))
    client = cfg_client.CfgClient(credential.Credential(cfg_emulator.secret_id, cfg_emulator.secret_key),
                                  "ap-guangzhou", profile)

    def sdk(name: str, params: dict) -> Any:
        request = getattr(models, f"{name}Request")()
        request.from_json_string(json.dumps(params))
        return getattr(client, name)(request)

    create_request, _ = seed_exchange("CreateTaskFromTemplate")
    task_id = sdk("CreateTaskFromTemplate", create_request).TaskId
    assert task_id == 3256
    task = sdk("DescribeTask", {"TaskId": task_id}).Task
    assert task.TaskStatus == 1001
    sdk("ExecuteTask", {"TaskId": task_id})
    group = sdk("DescribeTask", {"TaskId": task_id}).Task.TaskGroups[0]  # instances exist once started
    for action in group.TaskGroupActions:
        sdk("ExecuteTaskInstance", {
            "TaskId": task_id, "TaskGroupId": group.TaskGroupId, "TaskActionId": action.TaskGroupActionId,
            "TaskInstanceIds": [i.TaskGroupInstanceId for i in action.TaskGroupInstances],
            "IsOperateAll": False, "ActionType": 2,
        })

        def finished(action_id: int = action.TaskGroupActionId) -> bool:
            current = sdk("DescribeTask", {"TaskId": task_id}).Task
            return any(a.TaskGroupActionId == action_id and a.TaskGroupActionStatus == 2004
                       for a in current.TaskGroups[0].TaskGroupActions)

        wait_for(finished, what=f"action {action.TaskGroupActionId}")
    sdk("ModifyTaskRunStatus", {"TaskId": task_id, "Status": 1004, "IsExpect": True,
                                "Summary": "This experiment meets the expectations"})
    task = sdk("DescribeTask", {"TaskId": task_id}).Task
    assert (task.TaskStatus, task.TaskStatusType, task.TaskExpect) == (1004, 1, 1)
    assert task.TaskSummary == "This experiment meets the expectations"
    assert all(a.TaskGroupActionStatusType == 1 for a in task.TaskGroups[0].TaskGroupActions)
    logs = sdk("DescribeTaskExecuteLogs", {"TaskId": task_id, "Limit": 100, "Offset": 0}).LogMessage
    assert any("Task ended" in line for line in logs)

    wrong = cfg_client.CfgClient(credential.Credential(cfg_emulator.secret_id, "wrong-key"), "ap-guangzhou", profile)
    try:
        wrong.DescribeTask(models.DescribeTaskRequest())
    except TencentCloudSDKException as exc:
        assert exc.get_code() == "AuthFailure.SignatureFailure"
        assert exc.get_request_id()
    else:
        raise AssertionError("a wrong key must be refused")
