"""The CreateTaskFrom* handlers: a request checked and turned into a task (emulator/handlers/create.py)."""

from __future__ import annotations

import json

import pytest

from tests.emu_helpers import INSTANCES, Cfg

TKE_POD = json.dumps({"ClusterId": "cls-abcd1234", "PodName": "web-0", "NodeName": "10.0.0.1",
                      "NameSpace": "default", "Workload": "web"})


def test_template_errors(cfg: Cfg) -> None:
    code, message = cfg.err("CreateTaskFromTemplate", TemplateId=9999,
                            TaskConfig={"TaskGroupsConfig": [{"TaskGroupInstances": INSTANCES}]})
    assert code == "InvalidParameterValue" and "9999" in message
    code, message = cfg.err("CreateTaskFromTemplate", TemplateId=630, TaskConfig={"TaskGroupsConfig": [
        {"TaskGroupInstances": [TKE_POD]}]})
    assert code == "UnsupportedOperation" and "disabled" in message
    code, message = cfg.err("CreateTaskFromTemplate", TemplateId=628,
                            TaskConfig={"TaskGroupsConfig": [{"TaskGroupInstances": INSTANCES}]})
    assert code == "InvalidParameterValue" and "TaskConfig.TaskGroupsConfig" in message
    assert "1 entry" in message and "2 action group" in message


@pytest.mark.parametrize("bad", ["ins-123", "lb-aaaaaaaa", "INS-AAAAAAAA", ""])
def test_template_instance_format(cfg: Cfg, bad: str) -> None:
    code, message = cfg.err("CreateTaskFromTemplate", TemplateId=626, TaskConfig={"TaskGroupsConfig": [
        {"TaskGroupInstances": ["ins-aaaaaaaa", bad]}]})
    assert code == "InvalidParameterValue"
    assert "TaskConfig.TaskGroupsConfig.0.TaskGroupInstances.1" in message and "ins-xxxxxxxx" in message
    assert repr(bad) in message


def test_template_instance_format_per_group(cfg: Cfg) -> None:
    code, message = cfg.err("CreateTaskFromTemplate", TemplateId=628, TaskConfig={"TaskGroupsConfig": [
        {"TaskGroupInstances": ["ins-aaaaaaaa"]}, {"TaskGroupInstances": ["ins-bbbbbbbb"]}]})
    assert code == "InvalidParameterValue" and "TaskGroupsConfig.1.TaskGroupInstances.0" in message
    assert "cdb-xxxxxxxx" in message
    code, message = cfg.err("CreateTaskFromTemplate", TemplateId=626, TaskConfig={"TaskGroupsConfig": [
        {"TaskGroupInstances": ["ins-aaaaaaaa", "ins-aaaaaaaa"]}]})
    assert code == "InvalidParameterValue" and "twice" in message


def test_template_overrides(cfg: Cfg) -> None:
    task_id = cfg.create(626, INSTANCES, TaskTitle="t", TaskDescription="d", TaskMode=2, TaskPauseDuration=5,
                         PolicyDealType=2, Tags=[{"TagKey": "k", "TagValue": "v"}], groups=[{
                             "TaskGroupInstances": INSTANCES, "TaskGroupTitle": "g", "TaskGroupDescription": "gd",
                             "TaskGroupMode": 2,
                             "TaskGroupActionsConfig": [{
                                 "TaskGroupActionOrder": 1,
                                 "TaskGroupActionGeneralConfiguration": json.dumps(
                                     {"AliasTitle": "No-op", "ActionTimeout": 60}),
                             }],
                         }])
    task = cfg.task(task_id)
    assert (task["TaskTitle"], task["TaskDescription"], task["TaskMode"], task["TaskPauseDuration"]) == \
        ("t", "d", 2, 5)
    assert task["PolicyDealType"] == 2 and task["Tags"] == [{"TagKey": "k", "TagValue": "v"}]
    group = task["TaskGroups"][0]
    assert (group["TaskGroupTitle"], group["TaskGroupDescription"], group["TaskGroupMode"]) == ("g", "gd", 2)
    first, second = group["TaskGroupActions"]
    assert first["ActionTitle"] == "No-op"
    assert json.loads(first["TaskGroupActionGeneralConfiguration"]) == \
        {"AliasTitle": "No-op", "PreTimeWait": 0, "ActionTimeout": 60, "AfterTimeWait": 0}
    assert second["TaskGroupActionGeneralConfiguration"] == \
        '{"PreTimeWait": 0, "ActionTimeout": 1800, "AfterTimeWait": 0}'


@pytest.mark.parametrize(
    ("action_config", "needle"),
    [
        ({"TaskGroupActionOrder": 3}, "TaskGroupActionOrder"),
        ({"TaskGroupActionOrder": 1, "TaskGroupActionCustomConfiguration": json.dumps({"speed": 1})}, "speed"),
        ({"TaskGroupActionOrder": 1, "TaskGroupActionGeneralConfiguration": json.dumps({"ActionTimeout": -1})},
         "ActionTimeout"),
        ({"TaskGroupActionOrder": 1, "TaskGroupActionGeneralConfiguration": "{oops"}, "GeneralConfiguration"),
    ],
)
def test_template_override_errors(cfg: Cfg, action_config: dict, needle: str) -> None:
    code, message = cfg.err("CreateTaskFromTemplate", TemplateId=626, TaskConfig={"TaskGroupsConfig": [
        {"TaskGroupInstances": INSTANCES, "TaskGroupActionsConfig": [action_config]}]})
    assert code == "InvalidParameterValue" and needle in message
    assert "TaskConfig.TaskGroupsConfig.0.TaskGroupActionsConfig.0" in message


def test_invalid_enum_values(cfg: Cfg) -> None:
    for key, value in (("TaskMode", 3), ("PolicyDealType", 0)):
        code, message = cfg.err("CreateTaskFromTemplate", TemplateId=626, TaskConfig={
            "TaskGroupsConfig": [{"TaskGroupInstances": INSTANCES}], key: value})
        assert code == "InvalidParameterValue" and f"TaskConfig.{key}" in message and "1 (" in message


def test_create_from_action_adds_the_recovery(cfg: Cfg) -> None:
    code, message = cfg.err("CreateTaskFromAction", TaskActionId=466, TaskInstances=INSTANCES)
    assert code == "InvalidParameterValue" and "466" in message and "'domain'" in message
    task_id = cfg.ok("CreateTaskFromAction", TaskActionId=466, TaskInstances=INSTANCES, TaskPauseDuration=5,
                     TaskActionCustomConfiguration=json.dumps({"domain": "example.com", "ip": "1.2.3.4"}),
                     TaskTags=[{"TagKey": "team", "TagValue": "sre"}])["TaskId"]
    task = cfg.task(task_id)
    assert task["TaskTitle"] == "DNS tampering" and task["TaskMode"] == 1 and task["TaskPauseDuration"] == 5
    fault, recovery = task["TaskGroups"][0]["TaskGroupActions"]
    assert (fault["ActionId"], recovery["ActionId"]) == (466, 467)
    assert fault["TaskGroupActionRecoverId"] == recovery["TaskGroupActionRandomId"]
    assert recovery["TaskGroupActionExecuteId"] == fault["TaskGroupActionRandomId"]
    assert json.loads(fault["TaskGroupActionCustomConfiguration"]) == \
        {"duration": 180, "domain": "example.com", "ip": "1.2.3.4"}
    assert task["Tags"] == [{"TagKey": "team", "TagValue": "sre"}]


def test_create_from_action_errors(cfg: Cfg) -> None:
    assert cfg.err("CreateTaskFromAction", TaskActionId=9, TaskInstances=INSTANCES)[0] == "ResourceNotFound"
    code, message = cfg.err("CreateTaskFromAction", TaskActionId=201, TaskInstances=INSTANCES)
    assert code == "InvalidParameterValue" and "cdb-xxxxxxxx" in message and "TaskInstances.0" in message
    code, message = cfg.err("CreateTaskFromAction", TaskActionId=1, TaskInstances=INSTANCES,
                            TaskActionCustomConfiguration=json.dumps({"StopType": "GENTLE"}))
    assert code == "InvalidParameterValue" and "SOFT_FIRST" in message
    assert cfg.err("CreateTaskFromAction", TaskActionId=1, TaskInstances=[])[0] == "InvalidParameterValue"


def test_action_without_recovery_and_tke_objects(cfg: Cfg) -> None:
    reboot = cfg.task(cfg.ok("CreateTaskFromAction", TaskActionId=3, TaskInstances=INSTANCES)["TaskId"])
    assert [a["ActionId"] for a in reboot["TaskGroups"][0]["TaskGroupActions"]] == [3]
    pod = cfg.ok("CreateTaskFromAction", TaskActionId=501, TaskInstances=[TKE_POD])["TaskId"]
    assert cfg.task(pod)["TaskGroups"][0]["TaskGroupInstanceList"] == [TKE_POD]
    code, message = cfg.err("CreateTaskFromAction", TaskActionId=501,
                            TaskInstances=[json.dumps({"ClusterId": "cls-abcd1234", "PodName": "web-0"})])
    assert code == "InvalidParameterValue" and "NodeName" in message
    node = json.dumps({"ClusterId": "cls-abcd1234", "InstanceId": "ins-abcd1234", "LanIP": "10.0.0.8"})
    cfg.ok("CreateTaskFromAction", TaskActionId=401, TaskInstances=[node])


def test_create_from_multi_action(cfg: Cfg) -> None:
    task_id = cfg.ok("CreateTaskFromMultiAction", TaskInstances=INSTANCES, TaskTitle="multi", TaskAction=[
        {"TaskActionId": 462, "TaskActionCustomConfiguration": json.dumps({"interfaces": "eth0"})},
        {"TaskActionId": 21, "TaskActionGeneralConfiguration": json.dumps({"ActionTimeout": 1800})},
        {"TaskActionId": 22},
    ])["TaskId"]
    actions = cfg.actions(task_id)
    assert [a["ActionId"] for a in actions] == [462, 463, 21, 22]  # 463 added, 22 not duplicated
    by_random = {a["TaskGroupActionRandomId"]: a["ActionId"] for a in actions}
    assert by_random[actions[0]["TaskGroupActionRecoverId"]] == 463
    assert by_random[actions[2]["TaskGroupActionRecoverId"]] == 22
    code, message = cfg.err("CreateTaskFromMultiAction", TaskInstances=INSTANCES,
                            TaskAction=[{"TaskActionId": 12}, {"TaskActionId": 201}])
    assert code == "InvalidParameterValue" and "object type" in message
    code, message = cfg.err("CreateTaskFromMultiAction", TaskInstances=INSTANCES, TaskAction=[{}])
    assert code == "MissingParameter" and "TaskAction.0.TaskActionId" in message
    assert cfg.err("CreateTaskFromMultiAction", TaskInstances=INSTANCES)[0] == "InvalidParameterValue"


def test_tags_need_both_halves_as_the_api_definition_says(cfg: Cfg) -> None:
    config = {"TaskGroupsConfig": [{"TaskGroupInstances": ["ins-aaaaaaaa"]}], "Tags": [{"TagKey": "team"}]}
    assert cfg.err("CreateTaskFromTemplate", TemplateId=626, TaskConfig=config) == (
        "MissingParameter", "The required parameter TaskConfig.Tags.0.TagValue is missing.")
    code, message = cfg.err("DescribeTaskList", Limit=10, Offset=0, Tags=[{"TagValue": "sre"}])
    assert code == "MissingParameter" and "Tags.0.TagKey" in message
