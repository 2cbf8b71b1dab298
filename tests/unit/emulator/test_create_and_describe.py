"""Task creation (template, action, multi-action) and the read-only Describe* actions."""

from __future__ import annotations

import json

import pytest

from tests.emu_helpers import INSTANCES, Cfg

TKE_POD = json.dumps({"ClusterId": "cls-abcd1234", "PodName": "web-0", "NodeName": "10.0.0.1",
                      "NameSpace": "default", "Workload": "web"})


# -- CreateTaskFromTemplate ---------------------------------------------------------------------


def test_template_errors(cfg: Cfg) -> None:
    code, message = cfg.err("CreateTaskFromTemplate", TemplateId=9999,
                            TaskConfig={"TaskGroupsConfig": [{"TaskGroupInstances": INSTANCES}]})
    assert code == "ResourceNotFound" and "9999" in message
    code, message = cfg.err("CreateTaskFromTemplate", TemplateId=630, TaskConfig={"TaskGroupsConfig": [
        {"TaskGroupInstances": [TKE_POD]}]})
    assert code == "FailedOperation" and "disabled" in message
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


def test_execute_rule_percent(cfg: Cfg) -> None:
    instances = ["ins-aaaaaaaa", "ins-bbbbbbbb", "ins-cccccccc", "ins-dddddddd"]
    group = cfg.task(cfg.create(627, instances))["TaskGroups"][0]
    assert group["TaskGroupInstancesExecuteRule"][0]["TaskGroupInstancesExecuteMode"] == 2
    assert group["TaskGroupInstancesExecuteRule"][0]["TaskGroupInstancesExecutePercent"] == 50
    selected, discarded = group["TaskGroupSelectedInstanceList"], group["TaskGroupDiscardInstanceList"]
    assert len(selected) == 2 and sorted(selected + discarded) == instances
    assert group["TaskGroupInstanceList"] == instances
    for action in group["TaskGroupActions"]:
        assert [i["TaskGroupInstanceObjectId"] for i in action["TaskGroupInstances"]] == selected


def test_execute_rule_count_and_two_groups(cfg: Cfg) -> None:
    task = cfg.task(cfg.create(628, groups=[
        {"TaskGroupInstances": ["ins-aaaaaaaa", "ins-bbbbbbbb", "ins-cccccccc"]},
        {"TaskGroupInstances": ["cdb-aaaaaaaa", "cdb-bbbbbbbb"]},
    ]))
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
    actions = cfg.actions(first) + cfg.actions(second)
    assert [a["TaskGroupActionId"] for a in actions] == [11395, 11396, 11397, 11398]
    instance_ids = [i["TaskGroupInstanceId"] for a in actions for i in a["TaskGroupInstances"]]
    assert instance_ids == list(range(24375, 24375 + 8))
    random_ids = [a["TaskGroupActionRandomId"] for a in actions]
    assert len(set(random_ids)) == 4 and all(100000 <= r <= 999999 for r in random_ids)


# -- CreateTaskFromAction / CreateTaskFromMultiAction -------------------------------------------


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


def test_self_healing_fault_leaves_the_ledger_when_done(cfg: Cfg) -> None:
    task_id = cfg.ok("CreateTaskFromAction", TaskActionId=3, TaskInstances=INSTANCES)["TaskId"]
    cfg.ok("ExecuteTask", TaskId=task_id)
    cfg.run_ok(task_id, 0)
    cfg.wait_action(task_id, 0)
    assert cfg.faults() == []


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


# -- Describe* ----------------------------------------------------------------------------------


def test_task_list_filters_and_paging(cfg: Cfg) -> None:
    a = cfg.create(626, INSTANCES, TaskTitle="alpha one")
    b = cfg.create(627, INSTANCES, TaskTitle="beta two")
    c = cfg.create(626, INSTANCES, TaskTitle="alpha three", Tags=[{"TagKey": "env", "TagValue": "prod"}])
    cfg.ok("ExecuteTask", TaskId=b)

    def ids(**params) -> list[int]:
        result = cfg.ok("DescribeTaskList", {"Limit": 100, "Offset": 0, **params})
        assert result["Total"] == len(result["TaskList"])
        return [item["TaskId"] for item in result["TaskList"]]

    assert ids() == [c, b, a]  # newest first
    assert ids(TaskTitle="ALPHA") == [c, a]
    assert ids(TaskId=[a, b]) == [b, a]
    assert ids(TaskStatus=1002) == [b]
    assert ids(TaskStatusList=[1001, 1004]) == [c, a]
    assert ids(Tags=[{"TagKey": "env", "TagValue": "prod"}]) == [c]
    assert ids(Tags=[{"TagKey": "team", "TagValue": "sre"}]) == [b]
    assert ids(TaskTag=["env", "team"]) == [c, b]
    assert ids(Filters=[{"Keyword": "TaskTitle", "Values": ["two"]}]) == [b]
    assert ids(TaskStartTime="2000-01-01 00:00:00") == [b]
    assert ids(ApplicationId=["app-1"]) == []
    page = cfg.ok("DescribeTaskList", Limit=2, Offset=1)
    assert page["Total"] == 3 and [i["TaskId"] for i in page["TaskList"]] == [b, a]
    item = cfg.ok("DescribeTaskList", Limit=1, Offset=0, TaskId=[b])["TaskList"][0]
    assert item["Tags"] == [{"TagKey": "team", "TagValue": "sre"}, {"TagKey": "env", "TagValue": "staging"}]
    assert (item["TaskStatus"], item["TaskStatusType"], item["TaskPreCheckStatus"]) == (1002, 0, 2)
    assert cfg.err("DescribeTaskList", Limit=10, Offset=0, TaskStartTime="yesterday")[0] == "InvalidParameterValue"
    assert cfg.err("DescribeTaskList", Limit=101, Offset=0)[0] == "InvalidParameterValue"
    assert cfg.err("DescribeTaskList", Limit=1, Offset=0, TaskStatus=7)[0] == "InvalidParameterValue"
    code, message = cfg.err("DescribeTaskList", Limit=1, Offset=0, Filters=[{"Keyword": "Color", "Values": ["x"]}])
    assert code == "InvalidParameterValue" and "TaskTitle" in message


def test_execute_logs_paging(cfg: Cfg) -> None:
    task_id = cfg.start()
    cfg.run_ok(task_id, 0)
    cfg.wait_action(task_id, 0)
    lines = cfg.ok("DescribeTaskExecuteLogs", TaskId=task_id, Limit=1000, Offset=0)["LogMessage"]
    assert len(lines) >= 5 and "created" in lines[0] and "started" in lines[1]
    assert cfg.ok("DescribeTaskExecuteLogs", TaskId=task_id, Limit=2, Offset=1)["LogMessage"] == lines[1:3]
    assert cfg.ok("DescribeTaskExecuteLogs", TaskId=task_id, Limit=5, Offset=999)["LogMessage"] == []
    assert cfg.err("DescribeTaskExecuteLogs", TaskId=task_id, Limit=-1, Offset=0)[0] == "InvalidParameterValue"
    assert cfg.err("DescribeTaskExecuteLogs", TaskId=1, Limit=1, Offset=0)[0] == "ResourceNotFound"


def test_templates(cfg: Cfg) -> None:
    template = cfg.ok("DescribeTemplate", TemplateId=626)["Template"]
    assert template["TemplateMode"] == 1 and template["TemplateIsUsed"] == 1
    fault, recovery = template["TemplateGroups"][0]["TemplateGroupActions"]
    assert (fault["ActionId"], fault["ActionTitle"], fault["ActionAttribute"]) == (12, "Empty Operation", 1)
    assert (recovery["ActionId"], recovery["ActionTitle"], recovery["ActionAttribute"]) == \
        (13, "Empty Operation (rollback)", 2)
    assert fault["RecoverId"] == recovery["RandomId"] and recovery["ExecuteId"] == fault["RandomId"]
    assert template["TemplateGroups"][0]["ObjectTypeId"] == 1
    assert cfg.err("DescribeTemplate", TemplateId=1)[0] == "ResourceNotFound"

    def ids(**params) -> list[int]:
        result = cfg.ok("DescribeTemplateList", {"Limit": 100, "Offset": 0, **params})
        return [t["TemplateId"] for t in result["TemplateList"]]

    assert ids() == [626, 627, 628, 629, 630]
    assert ids(IsUsed=2) == [630]
    assert ids(TemplateSource=0) == [628, 630]
    assert ids(TemplateIdList=[627, 629]) == [627, 629]
    assert ids(Title="cpu") == [629]
    assert ids(Tags=[{"TagKey": "team", "TagValue": "sre"}]) == [627, 629]
    assert ids(Tag=["env"]) == [627]
    page = cfg.ok("DescribeTemplateList", Limit=2, Offset=2)
    assert page["Total"] == 5 and [t["TemplateId"] for t in page["TemplateList"]] == [628, 629]
    cfg.create()
    used = cfg.ok("DescribeTemplateList", Limit=1, Offset=0, TemplateIdList=[626])["TemplateList"][0]
    assert used["TemplateUsedNum"] == 1


def test_action_library(cfg: Cfg) -> None:
    def ids(**params) -> list[int]:
        result = cfg.ok("DescribeActionLibraryList", {"Limit": 100, "Offset": 0, "ObjectType": 1, **params})
        assert result["Total"] >= len(result["Results"])
        return [a["ActionId"] for a in result["Results"]]

    cvm = ids()
    assert {1, 2, 3, 12, 13, 462, 463, 466, 467} <= set(cvm)
    assert set(ids(Attribute=[2])) == {2, 13, 22, 24, 463, 467}
    assert ids(ActionIds=[462, 201]) == [462]
    assert ids(Filters=[{"Keyword": "a_title", "Values": ["packet"]}]) == [462, 463]
    assert ids(Filters=[{"Keyword": "a_resource_type", "Values": ["network"]}]) == [462, 463, 466, 467]
    page = cfg.ok("DescribeActionLibraryList", Limit=2, Offset=1, ObjectType=1)
    assert page["Total"] == len(cvm) and [a["ActionId"] for a in page["Results"]] == cvm[1:3]
    results = cfg.ok("DescribeActionLibraryList", Limit=100, Offset=0, ObjectType=1)["Results"]
    by_id = {a["ActionId"]: a for a in results}
    for action in results:
        if action["RelationActionId"]:
            assert by_id[action["RelationActionId"]]["RelationActionId"] == action["ActionId"]
    assert by_id[3]["RelationActionId"] == 0
    assert cfg.err("DescribeActionLibraryList", Limit=101, Offset=0, ObjectType=1)[0] == "InvalidParameterValue"
    assert cfg.err("DescribeActionLibraryList", Limit=10, Offset=0, ObjectType=99)[0] == "InvalidParameterValue"
    assert cfg.err("DescribeActionLibraryList", Limit=10, Offset=0, ObjectType=1,
                   Attribute=[3])[0] == "InvalidParameterValue"
    assert ids(ObjectType=22) == [501]


def test_action_field_config(cfg: Cfg) -> None:
    result = cfg.ok("DescribeActionFieldConfigList", ActionIds=[462, 463], ObjectTypeId=1)
    assert [r["ActionId"] for r in result["Common"]] == [462, 463]
    assert [f["Field"] for f in result["Common"][1]["ConfigDetail"]] == ["PreTimeWait", "AfterTimeWait",
                                                                         "ActionTimeout"]
    loss = {f["Field"]: f for f in result["Results"][0]["ConfigDetail"]}
    assert loss["interfaces"]["Required"] == 1 and loss["interfaces"]["DefaultValue"] == ""
    assert result["ResourceOffline"] == []
    assert cfg.err("DescribeActionFieldConfigList", ActionIds=[201], ObjectTypeId=1)[0] == "InvalidParameterValue"
    assert cfg.err("DescribeActionFieldConfigList", ActionIds=[9], ObjectTypeId=1)[0] == "ResourceNotFound"


def test_object_types(cfg: Cfg) -> None:
    types = cfg.ok("DescribeObjectTypeList")["ObjectTypeList"]
    assert {t["ObjectTypeId"] for t in types} == {1, 2, 3, 4, 5, 21, 22}
    cvm = next(t for t in types if t["ObjectTypeId"] == 1)
    assert cvm["ObjectTypeParams"]["Key"] == "InstanceId" and cvm["ObjectTypeJsonParse"] is None
    pod = next(t for t in types if t["ObjectTypeId"] == 22)
    assert pod["ObjectTypeJsonParse"]["NameSpace"] == "NameSpace"
    platform = cfg.ok("DescribeObjectTypeList", SupportType=1)["ObjectTypeList"]
    assert 5 not in {t["ObjectTypeId"] for t in platform}
    assert [t["ObjectTypeId"] for t in cfg.ok("DescribeObjectTypeList", SupportType=2)["ObjectTypeList"]] == [5]
    assert cfg.err("DescribeObjectTypeList", SupportType=3)[0] == "InvalidParameterValue"
