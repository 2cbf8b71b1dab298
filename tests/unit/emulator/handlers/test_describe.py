"""The read-only Describe* handlers: lists, filters, paging, catalogue views (emulator/handlers/describe.py)."""

from __future__ import annotations

from tests.emu_helpers import INSTANCES, Cfg


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
    assert cfg.err("DescribeTaskExecuteLogs", TaskId=1, Limit=1, Offset=0)[0] == "InvalidParameterValue"


def test_templates(cfg: Cfg) -> None:
    template = cfg.ok("DescribeTemplate", TemplateId=626)["Template"]
    assert template["TemplateMode"] == 1 and template["TemplateIsUsed"] == 1
    fault, recovery = template["TemplateGroups"][0]["TemplateGroupActions"]
    assert (fault["ActionId"], fault["ActionTitle"], fault["ActionAttribute"]) == (12, "Empty Operation", 1)
    assert (recovery["ActionId"], recovery["ActionTitle"], recovery["ActionAttribute"]) == \
        (13, "Empty Operation (rollback)", 2)
    assert fault["RecoverId"] == recovery["RandomId"] and recovery["ExecuteId"] == fault["RandomId"]
    assert template["TemplateGroups"][0]["ObjectTypeId"] == 1
    assert cfg.err("DescribeTemplate", TemplateId=1)[0] == "InvalidParameterValue"

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
    assert cfg.err("DescribeActionFieldConfigList", ActionIds=[9], ObjectTypeId=1)[0] == "InvalidParameterValue"


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
