"""Wire models and the action registry, checked against the seed walkthrough and the SDK."""

from __future__ import annotations

import copy
import inspect
import re
import types
import typing
from pathlib import Path

import pytest
from pydantic import ValidationError
from tencentcloud.cfg.v20210820 import models as sdk_models
from tencentcloud.cfg.v20210820.cfg_client import CfgClient

from airflow_provider_cfg.api import models as m
from airflow_provider_cfg.api.actions import ACTIONS, API_VERSION, SERVICE, ActionSpec, get_action
from airflow_provider_cfg.api.enums import (
    ActionApiType,
    ActionAttribute,
    ActionStatus,
    ActionStatusType,
    GroupMode,
    InstancesExecuteMode,
    InstanceStatus,
    InstanceStatusType,
    TaskMode,
    TaskStatus,
    TaskStatusType,
)
from airflow_provider_cfg.api.models.base import CfgModel
from tests.seed import seed_blocks, seed_exchange, seed_exchanges, seed_responses

API_DIR = Path(__file__).resolve().parents[3] / "airflow_provider_cfg" / "api"


# --------------------------------------------------------------------------- seed file


def test_seed_has_every_documented_exchange():
    assert [a for a, _, _ in seed_exchanges()] == [
        "CreateTaskFromTemplate",
        "CreateTaskFromAction",  # header says CreateTaskFromTemplate, the body is FromAction
        "DescribeTask",
        "ExecuteTask",
        "ExecuteTaskInstance",
        "ModifyTaskRunStatus",
    ]
    assert [a for a, _ in seed_responses()][-1] == "DescribeActionFieldConfigList"
    mislabelled = seed_blocks()[1]
    assert (mislabelled.header_action, mislabelled.action) == (
        "CreateTaskFromTemplate",
        "CreateTaskFromAction",
    )


def test_seed_cleaning_keeps_file_values():
    request, response = seed_exchange("CreateTaskFromAction")
    assert request == {
        "TaskActionId": 462,
        "TaskInstances": ["ins-xxxxxxxx"],
        "TaskTitle": "Network Packet Loss",
        "TaskDescription": "This experiment was created from the openapi",
        "TaskActionCustomConfiguration": '{"interfaces": "eth0"}',
    }
    assert response == {"RequestId": "f0aee8ac-2ed3-4a7f-a25b-f0d7d228dd30", "TaskId": 150}
    request, _ = seed_exchange("DescribeTask")
    assert request == {"RequestId": "02185fc4-0e8f-49ed-a8d5-6d0788d0e60c", "TaskId": "3256"}
    request, _ = seed_exchange("ModifyTaskRunStatus")
    assert request == {
        "TaskId": 3256,
        "Status": 1004,
        "Summary": "This experiment meets the expectations",
        "IsExpect": True,
    }


# --------------------------------------------------------------------------- responses


def _name_id(value):
    return value if isinstance(value, str) else ""


@pytest.mark.parametrize(("action", "response"), seed_responses(), ids=_name_id)
def test_seed_response_round_trips_losslessly(action, response):
    model = ACTIONS[action].response.model_validate(response)
    assert isinstance(model, ACTIONS[action].response)
    assert model.to_json_dict() == response
    assert model.RequestId == response["RequestId"]


def test_describe_task_response_is_typed():
    _, response = seed_exchange("DescribeTask")
    parsed = m.DescribeTaskResponse.model_validate(response)
    task = parsed.Task
    assert isinstance(task, m.Task)
    assert task.TaskStatus is TaskStatus.RUNNING
    assert task.TaskStatusType is TaskStatusType.NOT_ENDED
    assert task.TaskMode is TaskMode.MANUAL
    assert parsed.ReportInfo is None and "ReportInfo" in parsed.model_fields_set
    group = task.TaskGroups[0]
    assert group.TaskGroupMode is GroupMode.SEQUENTIAL
    rule = group.TaskGroupInstancesExecuteRule[0]
    assert rule.TaskGroupInstancesExecuteMode is InstancesExecuteMode.ALL
    fault, recovery = group.TaskGroupActions
    assert fault.TaskGroupActionStatus is ActionStatus.PENDING
    assert recovery.TaskGroupActionStatus is ActionStatus.NOT_STARTED
    assert fault.TaskGroupActionStatusType is ActionStatusType.NONE
    assert fault.ActionAttribute is ActionAttribute.FAULT
    assert recovery.ActionAttribute is ActionAttribute.RECOVERY
    assert fault.ActionApiType is ActionApiType.CLOUD_API
    instance = fault.TaskGroupInstances[0]
    assert instance.TaskGroupInstanceStatus is InstanceStatus.NOT_STARTED
    assert instance.TaskGroupInstanceStatusType is InstanceStatusType.NONE
    assert instance.TaskGroupInstanceIsRedo is False
    # to_wire: no None fields, enums as plain numbers
    wire = parsed.to_wire()
    assert "ReportInfo" not in wire and "TaskEndTime" not in wire["Task"]
    assert type(wire["Task"]["TaskStatus"]) is int and wire["Task"]["TaskStatus"] == 1002


def test_field_config_response_helpers():
    response = dict(seed_responses())["DescribeActionFieldConfigList"]
    parsed = m.DescribeActionFieldConfigListResponse.model_validate(response)
    general, custom = parsed.Common[0], parsed.Results[0]
    assert (general.ActionId, general.ActionName) == (466, "DNS tampering")
    assert general.defaults() == {
        "AliasTitle": "",
        "PreTimeWait": "0",
        "AfterTimeWait": "0",
        "ActionTimeout": "1800",
    }
    assert general.required_fields() == []
    assert custom.required_fields() == ["duration", "domain", "ip"]
    assert custom.ConfigDetail[0].Lable == "Duration (s)"
    assert custom.ConfigDetail[0].config() == {"max": 1800, "min": 0}
    assert general.ConfigDetail[0].config() == {}
    assert parsed.ResourceOffline == []


def test_unknown_fields_survive_round_trip():
    _, response = seed_exchange("DescribeTask")
    data = copy.deepcopy(response)
    data["BrandNewTopLevel"] = {"Nested": [1, None, "x"]}
    data["Task"]["TaskGroups"][0]["TaskGroupActions"][0]["FutureField"] = None
    data["Task"]["TaskGroups"][0]["TaskGroupActions"][0]["TaskGroupInstances"][1]["Extra"] = 7
    parsed = m.DescribeTaskResponse.model_validate(data)
    assert parsed.to_json_dict() == data
    action = parsed.Task.TaskGroups[0].TaskGroupActions[0]
    assert action.model_extra == {"FutureField": None}
    assert parsed.model_extra == {"BrandNewTopLevel": {"Nested": [1, None, "x"]}}


@pytest.mark.parametrize(
    ("model", "field", "code", "expected"),
    [
        (m.Task, "TaskStatus", 1004, TaskStatus.ENDED),
        (m.Task, "TaskStatusType", 2, TaskStatusType.FAILED),
        (m.TaskGroupAction, "TaskGroupActionStatus", 2003, ActionStatus.RUNNING),
        (m.TaskGroupInstance, "TaskGroupInstanceStatus", 3004, InstanceStatus.PREPARING),
        (m.TaskListItem, "TaskStatus", "1003", TaskStatus.PAUSED),
    ],
)
def test_known_status_parses_as_enum(model, field, code, expected):
    value = getattr(model.model_validate({field: code}), field)
    assert value is expected


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (m.Task, "TaskStatus"),
        (m.Task, "TaskStatusType"),
        (m.TaskGroupAction, "TaskGroupActionStatus"),
        (m.TaskGroupAction, "TaskGroupActionStatusType"),
        (m.TaskGroupInstance, "TaskGroupInstanceStatus"),
        (m.TaskListItem, "TaskStatus"),
        (m.PolicyTriggerLog, "TriggerType"),
    ],
)
def test_unknown_status_parses_as_int(model, field):
    parsed = model.model_validate({field: 1999})
    value = getattr(parsed, field)
    assert value == 1999 and type(value) is int
    assert parsed.to_json_dict() == {field: 1999}


def test_status_of_wrong_type_is_rejected():
    with pytest.raises(ValidationError) as info:
        m.Task.model_validate({"TaskStatus": "running"})
    assert info.value.errors()[0]["loc"][0] == "TaskStatus"


# --------------------------------------------------------------------------- JSON-string fields


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (m.TaskGroupAction, "TaskGroupActionGeneralConfiguration"),
        (m.TaskGroupAction, "TaskGroupActionCustomConfiguration"),
        (m.TaskGroupActionConfig, "TaskGroupActionGeneralConfiguration"),
        (m.TaskGroupActionConfig, "TaskGroupActionCustomConfiguration"),
        (m.TaskGroupForAction, "TaskActionGeneralConfiguration"),
        (m.TaskGroupForAction, "TaskActionCustomConfiguration"),
        (m.TemplateGroupAction, "GeneralConfiguration"),
        (m.TemplateGroupAction, "CustomConfiguration"),
    ],
)
def test_json_string_fields_accept_dicts(model, field):
    parsed = model.model_validate({field: {"ActionTimeout": 1800, "ip": "0.0.0.0", "名": "值"}})
    value = getattr(parsed, field)
    assert value == '{"ActionTimeout":1800,"ip":"0.0.0.0","名":"值"}'
    assert parsed.to_wire() == {field: value}
    assert m.parse_json_field(value) == {"ActionTimeout": 1800, "ip": "0.0.0.0", "名": "值"}
    # a string is kept verbatim
    assert getattr(model.model_validate({field: '{"a": 1}'}), field) == '{"a": 1}'


def test_request_json_string_fields_accept_dicts():
    request = m.CreateTaskFromActionRequest(
        TaskActionId=462,
        TaskInstances=["ins-1"],
        TaskActionGeneralConfiguration={"ActionTimeout": 600},
        TaskActionCustomConfiguration={"interfaces": "eth0"},
    )
    wire = request.to_wire()
    assert wire["TaskActionGeneralConfiguration"] == '{"ActionTimeout":600}'
    assert wire["TaskActionCustomConfiguration"] == '{"interfaces":"eth0"}'
    assert "TaskTitle" not in wire


def test_action_config_helpers_decode():
    action = m.TaskGroupAction(TaskGroupActionGeneralConfiguration={"PreTimeWait": 5})
    assert action.general_config() == {"PreTimeWait": 5}
    assert action.custom_config() == {}
    template_action = m.TemplateGroupAction(
        GeneralConfiguration="", CustomConfiguration='{"ip": "1"}'
    )
    assert template_action.general_config() == {}
    assert template_action.custom_config() == {"ip": "1"}
    assert m.parse_json_field(None) == {}
    assert m.parse_json_field("[1, 2]") == [1, 2]


# --------------------------------------------------------------------------- requests


def _seed_request_params(action: str, params: dict) -> dict:
    """The seed request as our model must accept it.

    ExecuteTaskInstance: the doc's ``TaskInstanceIds`` are placeholders ("xxxxxxxx-01"), not the
    integer ``TaskGroupInstanceId``s the API takes; the request sets ``IsOperateAll: true``, for
    which the API (and the emulator) ignore ``TaskInstanceIds``. The field is still required, so
    the placeholders are replaced by an empty list — the faithful equivalent.
    """
    params = copy.deepcopy(params)
    if action == "ExecuteTaskInstance" and params.get("IsOperateAll") is True:
        params["TaskInstanceIds"] = []
    return params


@pytest.mark.parametrize(("action", "params", "response"), seed_exchanges(), ids=_name_id)
def test_seed_request_validates(action, params, response):
    request = ACTIONS[action].request.model_validate(_seed_request_params(action, params))
    wire = request.to_wire()
    for key, value in params.items():
        if key == "TaskInstanceIds" and action == "ExecuteTaskInstance":
            continue
        if isinstance(value, str) and value.isdigit():
            assert wire[key] == int(value)  # numeric strings are sent as numbers
        else:
            assert wire[key] == value


def test_seed_describe_task_request_keeps_request_id_as_extra():
    params, _ = seed_exchange("DescribeTask")
    request = m.DescribeTaskRequest.model_validate(params)
    assert request.TaskId == 3256
    assert request.model_extra == {"RequestId": "02185fc4-0e8f-49ed-a8d5-6d0788d0e60c"}


def test_seed_execute_task_instance_placeholders_are_not_instance_ids():
    params, _ = seed_exchange("ExecuteTaskInstance")
    assert params["IsOperateAll"] is True
    with pytest.raises(ValidationError) as info:
        m.ExecuteTaskInstanceRequest.model_validate(params)
    assert {err["loc"][:1] for err in info.value.errors()} == {("TaskInstanceIds",)}


def test_seed_create_from_template_request_nested_models():
    params, _ = seed_exchange("CreateTaskFromTemplate")
    request = m.CreateTaskFromTemplateRequest.model_validate(params)
    assert isinstance(request.TaskConfig, m.TaskConfig)
    assert request.TaskConfig.TaskGroupsConfig[0].TaskGroupInstances == ["ins-xxxxxxxx"]
    assert request.to_wire() == params


# A valid payload of every request: only the required fields (cfg-api.md §1 "Required params").
VALID_REQUESTS: dict[str, dict] = {
    "CreateTaskFromAction": {"TaskActionId": 462, "TaskInstances": ["ins-1"]},
    "CreateTaskFromMultiAction": {"TaskInstances": ["ins-1"]},
    "CreateTaskFromTemplate": {
        "TemplateId": 626,
        "TaskConfig": {"TaskGroupsConfig": [{"TaskGroupInstances": ["ins-1"]}]},
    },
    "DeleteTask": {"TaskId": 1},
    "DescribeActionFieldConfigList": {"ActionIds": [466], "ObjectTypeId": 1},
    "DescribeActionLibraryList": {"Limit": 10, "Offset": 0, "ObjectType": 1},
    "DescribeObjectTypeList": {},
    "DescribeTask": {"TaskId": 1},
    "DescribeTaskExecuteLogs": {"TaskId": 1, "Limit": 100, "Offset": 0},
    "DescribeTaskList": {"Limit": 10, "Offset": 0},
    "DescribeTaskPolicyTriggerLog": {"TaskId": 1, "Page": 1, "PageSize": 10},
    "DescribeTemplate": {"TemplateId": 1},
    "DescribeTemplateList": {"Limit": 10, "Offset": 0},
    "ExecuteTask": {"TaskId": 1},
    "ExecuteTaskInstance": {
        "TaskId": 1,
        "TaskActionId": 2,
        "TaskInstanceIds": [3],
        "IsOperateAll": False,
        "ActionType": 2,
        "TaskGroupId": 4,
    },
    "ModifyTaskRunStatus": {"TaskId": 1, "Status": 1003},
    "TriggerPolicy": {"TaskId": 1, "Name": "slo", "Content": "p99 > 1s", "TriggerType": 0},
}


def test_valid_requests_cover_every_action():
    assert set(VALID_REQUESTS) == set(ACTIONS)


@pytest.mark.parametrize("action", sorted(VALID_REQUESTS))
def test_required_request_fields_are_exactly_the_documented_ones(action):
    model = ACTIONS[action].request
    required = {name for name, info in model.model_fields.items() if info.is_required()}
    assert required == set(VALID_REQUESTS[action])
    assert model.model_validate(VALID_REQUESTS[action]).to_wire() == VALID_REQUESTS[action]


@pytest.mark.parametrize(
    ("action", "field"),
    [(action, field) for action, payload in sorted(VALID_REQUESTS.items()) for field in payload],
)
def test_missing_required_request_field_is_rejected(action, field):
    payload = {k: v for k, v in VALID_REQUESTS[action].items() if k != field}
    with pytest.raises(ValidationError) as info:
        ACTIONS[action].request.model_validate(payload)
    errors = info.value.errors()
    assert [(err["type"], err["loc"]) for err in errors] == [("missing", (field,))]
    assert field in str(info.value)


@pytest.mark.parametrize(
    ("config", "loc"),
    [
        ({}, ("TaskConfig", "TaskGroupsConfig")),
        ({"TaskGroupsConfig": [{}]}, ("TaskConfig", "TaskGroupsConfig", 0, "TaskGroupInstances")),
        (
            {"TaskGroupsConfig": [{"TaskGroupInstances": []}], "Tags": [{"TagKey": "k"}]},
            ("TaskConfig", "Tags", 0, "TagValue"),
        ),
    ],
)
def test_missing_nested_required_field_is_rejected(config, loc):
    with pytest.raises(ValidationError) as info:
        m.CreateTaskFromTemplateRequest(TemplateId=1, TaskConfig=config)
    assert [err["loc"] for err in info.value.errors()] == [loc]


def test_action_filter_requires_keyword_and_values():
    with pytest.raises(ValidationError) as info:
        m.DescribeTaskListRequest(Limit=1, Offset=0, Filters=[{"Keyword": "a_title"}])
    assert [err["loc"] for err in info.value.errors()] == [("Filters", 0, "Values")]


def test_numeric_strings_are_accepted():
    request = m.ExecuteTaskInstanceRequest.model_validate(
        {
            "TaskId": "3256",
            "TaskActionId": "11396",
            "TaskInstanceIds": ["24377", 24378],
            "IsOperateAll": "false",
            "ActionType": "5",
            "TaskGroupId": "4684",
        }
    )
    assert request.to_wire() == {
        "TaskId": 3256,
        "TaskActionId": 11396,
        "TaskInstanceIds": [24377, 24378],
        "IsOperateAll": False,
        "ActionType": 5,
        "TaskGroupId": 4684,
    }


@pytest.mark.parametrize("action", ["DescribeActionLibraryList", "DescribeTemplateList"])
@pytest.mark.parametrize(
    ("limit", "ok"), [(0, True), (100, True), ("50", True), (101, False), (-1, False)]
)
def test_page_limit_is_0_to_100(action, limit, ok):
    payload = {**VALID_REQUESTS[action], "Limit": limit}
    if ok:
        assert ACTIONS[action].request.model_validate(payload).Limit == int(limit)
    else:
        with pytest.raises(ValidationError) as info:
            ACTIONS[action].request.model_validate(payload)
        assert info.value.errors()[0]["loc"] == ("Limit",)


def test_enum_members_are_accepted_in_requests():
    request = m.ModifyTaskRunStatusRequest(
        TaskId=1, Status=TaskStatus.ENDED, IsExpect=True, Summary="ok"
    )
    assert request.to_wire() == {"TaskId": 1, "Status": 1004, "IsExpect": True, "Summary": "ok"}


# --------------------------------------------------------------------------- Task helpers


@pytest.fixture
def seed_task() -> m.Task:
    _, response = seed_exchange("DescribeTask")
    return m.DescribeTaskResponse.model_validate(response).Task


def test_iter_actions_in_order(seed_task):
    pairs = list(seed_task.iter_actions())
    ids = [(g.TaskGroupId, a.TaskGroupActionId) for g, a in pairs]
    assert ids == [(4684, 11395), (4684, 11396)]


def test_iter_actions_sorts_by_order_fields():
    task = m.Task.model_validate(
        {
            "TaskGroups": [
                {
                    "TaskGroupId": 2,
                    "TaskGroupOrder": 2,
                    "TaskGroupActions": [{"TaskGroupActionId": 22, "TaskGroupActionOrder": 1}],
                },
                {
                    "TaskGroupId": 1,
                    "TaskGroupOrder": 1,
                    "TaskGroupActions": [
                        {"TaskGroupActionId": 13},  # no order: last
                        {"TaskGroupActionId": 12, "TaskGroupActionOrder": 2},
                        {"TaskGroupActionId": 11, "TaskGroupActionOrder": 1},
                    ],
                },
            ]
        }
    )
    assert [a.TaskGroupActionId for _, a in task.iter_actions()] == [11, 12, 13, 22]
    assert [g.TaskGroupId for g in task.ordered_groups()] == [1, 2]
    assert list(m.Task().iter_actions()) == []


def test_find_action_and_group(seed_task):
    action = seed_task.find_action(11396)
    assert action.ActionTitle == "Empty Operation (rollback)"
    assert seed_task.find_action(1) is None
    assert seed_task.find_group(4684).TaskGroupTitle == "abc"
    assert seed_task.find_group(1) is None
    assert seed_task.group_of(action).TaskGroupId == 4684
    assert seed_task.group_of(11395).TaskGroupId == 4684
    assert seed_task.group_of(1) is None


def test_fault_recovery_pairing(seed_task):
    fault, recovery = seed_task.find_action(11395), seed_task.find_action(11396)
    assert fault.is_fault and not fault.is_recovery
    assert recovery.is_recovery and not recovery.is_fault
    assert seed_task.action_by_random_id(193278) is recovery
    assert seed_task.action_by_random_id(156878) is fault
    assert seed_task.action_by_random_id(None) is None
    assert seed_task.action_by_random_id(1) is None
    assert seed_task.recovery_for(fault) is recovery
    assert seed_task.fault_for(recovery) is fault
    assert seed_task.recovery_for(recovery) is None  # RecoverId null
    assert seed_task.fault_for(fault) is None  # ExecuteId null


def test_action_config_and_instances_on_seed(seed_task):
    fault, recovery = seed_task.find_action(11395), seed_task.find_action(11396)
    assert fault.general_config() == {
        "AliasTitle": "",
        "PreTimeWait": 0,
        "ActionTimeout": 1800,
        "AfterTimeWait": 0,
    }
    assert recovery.general_config() == {
        "PreTimeWait": 0,
        "ActionTimeout": 1800,
        "AfterTimeWait": 0,
    }
    assert fault.custom_config() == {}
    assert fault.instance_ids() == [24375, 24376]
    assert recovery.instance_ids() == [24377, 24378]
    assert m.TaskGroupAction().instance_ids() == []


def test_template_iter_actions():
    template = m.Template.model_validate(
        {
            "TemplateGroups": [
                {
                    "Order": 1,
                    "TemplateGroupActions": [
                        {"TemplateGroupActionId": 2, "Order": 2, "ExecuteId": 368448},
                        {"TemplateGroupActionId": 1, "Order": 1, "RecoverId": 232618},
                    ],
                }
            ]
        }
    )
    assert [a.TemplateGroupActionId for _, a in template.iter_actions()] == [1, 2]


def test_describe_policy_is_triggered():
    assert m.DescribePolicy(TaskPolicyStatus=m.POLICY_TRIGGERED).is_triggered
    assert not m.DescribePolicy(TaskPolicyStatus=m.POLICY_RECOVERED).is_triggered
    assert not m.DescribePolicy().is_triggered


# --------------------------------------------------------------------------- registry vs. SDK


def _sdk_fields(sdk_cls: type) -> list[str]:
    """Wire field names of an SDK model: its ``__init__`` attributes ``_Foo`` → ``Foo``."""
    return [name[1:] for name in vars(sdk_cls())]


def _sdk_types(sdk_cls: type) -> dict[str, str]:
    return dict(re.findall(r":type (\w+): (.+)", sdk_cls.__init__.__doc__ or ""))


def _sdk_classes() -> dict[str, type]:
    return {
        name: cls
        for name, cls in inspect.getmembers(sdk_models, inspect.isclass)
        if cls.__module__ == sdk_models.__name__
    }


SDK_ACTIONS = sorted(
    name
    for name, member in vars(CfgClient).items()
    if not name.startswith("_") and inspect.isfunction(member)
)


def test_registry_has_exactly_the_sdk_actions():
    assert len(SDK_ACTIONS) == 17
    assert sorted(ACTIONS) == SDK_ACTIONS
    assert API_VERSION == "2021-08-20" == CfgClient._apiVersion
    assert SERVICE == "cfg" == CfgClient._service


@pytest.mark.parametrize("action", SDK_ACTIONS)
def test_action_spec_models_cover_sdk_fields(action):
    spec = ACTIONS[action]
    assert isinstance(spec, ActionSpec) and spec.name == action
    assert spec.request.__name__ == f"{action}Request" and issubclass(spec.request, m.CfgRequest)
    assert spec.response.__name__ == f"{action}Response"
    assert issubclass(spec.response, m.CfgResponse)
    for ours in (spec.request, spec.response):
        sdk_name = ours.__name__
        sdk_fields = _sdk_fields(getattr(sdk_models, sdk_name))
        assert set(sdk_fields) <= set(ours.model_fields), f"{sdk_name} missing fields"
        assert set(ours.model_fields) == set(sdk_fields), f"{sdk_name} has fields not in the SDK"


def test_every_sdk_structure_has_a_model_with_all_fields():
    structures = {
        name: cls
        for name, cls in _sdk_classes().items()
        if not name.endswith(("Request", "Response"))
    }
    ours = {model.__name__: model for model in m.NESTED_MODELS}
    assert len(ours) == len(m.NESTED_MODELS)  # each model once
    assert set(ours) == set(structures)
    for name, sdk_cls in structures.items():
        assert set(ours[name].model_fields) == set(_sdk_fields(sdk_cls)), name
        assert getattr(m, name) is ours[name]


def _our_kind(annotation):
    """Reduce one of our field annotations to int/str/bool, ``("list", kind)`` or a model name."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _our_kind(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        kinds = {_our_kind(arg) for arg in args}
        assert len(kinds) == 1, annotation
        return kinds.pop()
    if origin is list:
        return ("list", _our_kind(typing.get_args(annotation)[0]))
    if isinstance(annotation, type) and issubclass(annotation, CfgModel):
        return annotation.__name__
    if isinstance(annotation, type) and issubclass(annotation, bool):
        return "bool"
    if isinstance(annotation, type) and issubclass(annotation, int):
        return "int"  # also the status enums (IntEnum)
    if annotation is str:
        return "str"
    raise AssertionError(f"unexpected annotation {annotation!r}")


def _sdk_kind(sdk_type: str):
    sdk_type = sdk_type.strip()
    if sdk_type.startswith("list of "):
        return ("list", _sdk_kind(sdk_type[len("list of ") :].split()[0]))
    if sdk_type.startswith(":class:"):
        return sdk_type.rstrip("`").rsplit(".", 1)[1]
    if sdk_type in ("int", "str", "bool"):
        return sdk_type
    return sdk_type  # another model's name


@pytest.mark.parametrize("sdk_name", sorted(_sdk_classes()))
def test_field_types_match_sdk(sdk_name):
    ours = getattr(m, sdk_name)
    for field, sdk_type in _sdk_types(_sdk_classes()[sdk_name]).items():
        ours_kind = _our_kind(ours.model_fields[field].annotation)
        assert ours_kind == _sdk_kind(sdk_type), (sdk_name, field)


def test_rate_limits_and_mutating_flags():
    assert {name: (s.rate_limit, s.mutating) for name, s in ACTIONS.items()} == {
        "CreateTaskFromAction": (20, True),
        "CreateTaskFromMultiAction": (20, True),
        "CreateTaskFromTemplate": (10, True),
        "DeleteTask": (10, True),
        "DescribeActionFieldConfigList": (20, False),
        "DescribeActionLibraryList": (100, False),
        "DescribeObjectTypeList": (20, False),
        "DescribeTask": (20, False),
        "DescribeTaskExecuteLogs": (20, False),
        "DescribeTaskList": (100, False),
        "DescribeTaskPolicyTriggerLog": (20, False),
        "DescribeTemplate": (20, False),
        "DescribeTemplateList": (100, False),
        "ExecuteTask": (10, True),
        "ExecuteTaskInstance": (10, True),
        "ModifyTaskRunStatus": (10, True),
        "TriggerPolicy": (20, True),
    }


def test_action_spec_is_frozen_and_lookup_names_known_actions():
    with pytest.raises(AttributeError):
        ACTIONS["DescribeTask"].rate_limit = 1  # type: ignore[misc]
    assert get_action("DescribeTask") is ACTIONS["DescribeTask"]
    with pytest.raises(KeyError, match="DescribeTask"):
        get_action("DescribeTasks")


def test_api_package_does_not_import_airflow():
    pattern = re.compile(r"^\s*(import airflow\b|from airflow\b)", re.MULTILINE)
    offenders = [
        str(path)
        for path in API_DIR.rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
