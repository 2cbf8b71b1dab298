"""Tencent's official request examples (``cfg-official/examples.json``, all 21), sent by the official SDK.

Ids are adjusted to the emulator's (template 626, action 12, a task in the state the example needs);
every request is accepted and every answer has the keys of the example's answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_cfg.emulator.server import EmulatorServer
from tests.emu_helpers import INSTANCES, Cfg, wait_for
from tests.integration.emulator.test_seed import missing_keys

EMPTY = "expected a non-empty list"
ZH_VALUES = {"平台", "自定义", "高风险", "中风险", "低风险", "系统"}
DISPLAY_FIELDS = ("ActionType", "ActionRisk", "RiskDesc", "Creator")


def _display_values(value: Any) -> Iterator[tuple[str, str]]:
    """Every (value, field) of a display field in an answer."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in DISPLAY_FIELDS and isinstance(item, str):
                yield item, key
            else:
                yield from _display_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _display_values(item)


EXAMPLES = Path(__file__).resolve().parents[3] / "tests" / "data" / "cfg-official-examples.json"


def official_examples() -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(action, title, request body, answer) of every official example."""
    result = []
    for action, entries in json.loads(EXAMPLES.read_text(encoding="utf-8"))["actions"].items():
        for entry in entries if isinstance(entries, list) else [entries]:
            text = entry["input"]
            body = json.loads(text[text.index("{"):]) if "{" in text else {}
            result.append((action, entry.get("title", ""), body, json.loads(entry["output"])["Response"]))
    return result


@pytest.fixture
def sdk(cfg_emulator: EmulatorServer, monkeypatch) -> Iterator[Callable[[str, dict[str, Any]], dict[str, Any]]]:
    """Call an action through the official SDK (tencentcloud-sdk-python-cfg); its answer as JSON."""
    from tencentcloud.cfg.v20210820 import cfg_client, models
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile

    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=cfg_emulator.endpoint))
    client = cfg_client.CfgClient(credential.Credential(cfg_emulator.secret_id, cfg_emulator.secret_key),
                                  "ap-guangzhou", profile)

    def call(action: str, params: dict[str, Any]) -> dict[str, Any]:
        request = getattr(models, f"{action}Request")()
        request.from_json_string(json.dumps(params))
        return json.loads(getattr(client, action)(request).to_json_string())

    yield call


def _adjust(action: str, body: dict[str, Any], cfg: Cfg) -> dict[str, Any]:
    """The example's request with the emulator's ids, on a task in the state the example needs."""
    body = json.loads(json.dumps(body))
    if "TemplateId" in body:
        body["TemplateId"] = 626
    if action == "CreateTaskFromTemplate":
        group = body["TaskConfig"]["TaskGroupsConfig"][0]
        group["TaskGroupInstances"] = INSTANCES
        group["TaskGroupActionsConfig"][0]["TaskGroupActionCustomConfiguration"] = "{}"  # 626's action takes none
    if action in ("CreateTaskFromAction", "CreateTaskFromMultiAction"):
        body["TaskInstances"] = INSTANCES[:1]
    if action == "CreateTaskFromMultiAction":
        body["TaskAction"][0].update(TaskActionId=12, TaskActionGeneralConfiguration="{\"PreTimeWait\": 0}",
                                     TaskActionCustomConfiguration="{}")
    if action == "DescribeActionFieldConfigList":
        body["ActionIds"] = ["12"]
    if action == "DescribeTaskList" and "TaskTag" in body:
        body["TaskTag"] = ["drill"]
    if "TaskId" in body:
        body["TaskId"] = _task_for(action, body, cfg)
    return body


def _task_for(action: str, body: dict[str, Any], cfg: Cfg) -> str:
    task_id = cfg.create(626, INSTANCES)
    if action in ("ExecuteTask",):
        return str(task_id)
    if action == "DeleteTask":
        cfg.ok("ModifyTaskRunStatus", TaskId=task_id, Status=1004, IsExpect=True, Summary="done")
        return str(task_id)
    cfg.ok("ExecuteTask", TaskId=task_id)
    group = cfg.task(task_id)["TaskGroups"][0]
    if action == "ExecuteTaskInstance":
        body["TaskGroupId"] = group["TaskGroupId"]
        body["TaskActionId"] = str(group["TaskGroupActions"][0]["TaskGroupActionId"])
    if action == "ModifyTaskRunStatus" and body.get("Status") == "1002":
        cfg.ok("ModifyTaskRunStatus", TaskId=task_id, Status=1003)
    if action == "DescribeTaskPolicyTriggerLog":
        cfg.ok("TriggerPolicy", TaskId=task_id, Name="alarm", Content="p99", TriggerType=0)
    return str(task_id)


@pytest.mark.parametrize(("action", "title", "body", "answer"), official_examples(),
                         ids=[f"{a}-{t}" for a, t, _, _ in official_examples()])
def test_official_example_through_the_sdk(cfg: Cfg, sdk, action, title, body, answer) -> None:
    cfg.ok("CreateTaskFromTemplate", TemplateId=626, TaskConfig={
        "TaskGroupsConfig": [{"TaskGroupInstances": INSTANCES}], "Tags": [{"TagKey": "drill", "TagValue": "1"}]})
    request = _adjust(action, body, cfg)
    if "Error" in answer:  # the example of a refused call: the same code, in the SDK's error
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

        cfg.chaos(error_rate=1.0, error_codes=[answer["Error"]["Code"]])
        with pytest.raises(TencentCloudSDKException) as info:
            sdk(action, request)
        assert info.value.get_code() == answer["Error"]["Code"]
        return
    actual = sdk(action, request)
    # the shape: every key of the example's answer (a list the emulator has nothing to put in stays empty)
    problems = [p for p in missing_keys(answer, actual) if not p.endswith(EMPTY)]
    assert problems == [], json.dumps(actual, ensure_ascii=False)[:2000]
    # no X-TC-Language: display values in zh-CN, as in the examples ("平台", "高风险", "系统")
    shown = dict(_display_values(actual))  # value -> field
    assert set(shown) <= ZH_VALUES, shown
    if action == "DescribeActionLibraryList":  # a_type takes the code
        assert actual["Results"] and all(r["ActionType"] == "平台" for r in actual["Results"])
    if action == "ExecuteTaskInstance":
        wait_for(lambda: "Error" not in cfg.call("DescribeTask", TaskId=int(request["TaskId"])), what="task")
