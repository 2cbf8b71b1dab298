"""core/requests.py: the create calls' parameters from a DAG author's arguments, the wire codes'
names, and creating an experiment exactly once (the CFG calls are mocked)."""

from __future__ import annotations

import json

import pytest

from airflow_provider_cfg.api import models as m
from airflow_provider_cfg.api.errors import CfgApiError, CfgOutcomeUnknownError, CfgValidationError
from airflow_provider_cfg.core import requests
from airflow_provider_cfg.core.identity import IDENTITY_TAG, AirflowIdentity
from airflow_provider_cfg.core.requests import (
    action_entries,
    action_request,
    actions_request,
    as_groups,
    create_experiment,
    group_instances,
    json_text,
    object_ids,
    template_request,
    validate_request,
)

IDENTITY = AirflowIdentity("dag", "create", "manual__1")


def template_client(mocker, groups: int = 1):
    """A client whose ``DescribeTemplate`` answers a template with ``groups`` action groups."""
    template = m.Template(
        TemplateId=626, TemplateTitle="Empty Operation", TemplateDescription="from the template",
        TemplateGroups=[m.TemplateGroup(Order=i + 1, Title=f"g{i + 1}") for i in range(groups)],
        Tags=[m.TagWithDescribe(TagKey="env", TagValue="staging")],
    )
    client = mocker.Mock()
    client.describe_template.return_value = m.DescribeTemplateResponse(Template=template)
    return client


# -- wire codes ----------------------------------------------------------------------------------


# -- instances and actions -------------------------------------------------------------------------


def test_object_ids_refuse_a_bare_string():
    assert object_ids(("ins-a", "ins-b"), "instances") == ["ins-a", "ins-b"]
    for value in ("ins-a", None, {"ins-a": 1}, b"ins-a", 5):
        with pytest.raises(ValueError, match=r"instances must be a list of object ids such as \['ins-xxxxxxxx'\]"):
            object_ids(value, "instances")


def test_a_flat_list_is_one_group():
    assert as_groups(["ins-a", "ins-b"]) == [["ins-a", "ins-b"]]
    assert as_groups([["ins-a"], ["cdb-a"]]) == [["ins-a"], ["cdb-a"]]
    assert as_groups([]) == [[]]
    assert as_groups([["ins-a"], "ins-b"]) == [["ins-a"], "ins-b"]  # not checked: the plan reports it per group


def test_group_instances_checks_every_group():
    assert group_instances(None) is None
    assert group_instances(["ins-a"]) == [["ins-a"]]
    assert group_instances([("ins-a",), ["cdb-a"]]) == [["ins-a"], ["cdb-a"]]
    for value in ([["ins-a"], "ins-b"], [["ins-a", 1]], [1, 2]):
        with pytest.raises(ValueError, match="a list of object ids or a list of such lists"):
            group_instances(value)


def test_action_entries():
    assert action_entries([{"action_id": 12}, {"action_id": 21, "custom": {"x": 1}}]) == [
        {"action_id": 12}, {"action_id": 21, "custom": {"x": 1}}]
    assert action_entries([]) == []  # an empty list is the plan's to refuse


@pytest.mark.parametrize(
    ("actions", "message"),
    [
        ({"action_id": 12}, r"actions must be a list of \{'action_id', 'general', 'custom'\} dicts"),
        (None, r"actions must be a list"),
        ([12], r"actions\[0\] needs 'action_id' and may have 'general' and 'custom'; got 12"),
        ([{"custom": {}}], r"actions\[0\] needs 'action_id' .*; got keys \['custom'\]"),
        ([{"action_id": 12}, {"action_id": 13, "params": {}}], r"actions\[1\] .*got keys \['action_id', 'params'\]"),
        ([{"TaskActionId": 12}], r"actions\[0\] needs 'action_id'"),  # the wire form only when asked for
    ],
)
def test_action_entries_refused(actions, message):
    with pytest.raises(ValueError, match=message):
        action_entries(actions)


def test_action_entries_in_the_wire_form():
    wire = [{"TaskActionId": 21, "TaskActionCustomConfiguration": '{"cpu_percent": 60}'}, {"action_id": 12}]
    assert action_entries(wire, wire_form=True) == [
        {"action_id": 21, "general": None, "custom": '{"cpu_percent": 60}'}, {"action_id": 12}]


# -- the requests ------------------------------------------------------------------------------------


def test_template_request(mocker):
    client = template_client(mocker, groups=2)
    params = template_request(
        client, IDENTITY, template_id=" 626 ", instances=[["ins-a"], ["cdb-a"]],
        task_config={"TaskTitle": "raw", "TaskPauseDuration": 5, "TaskGroupsConfig": [{"TaskGroupTitle": "web"}]},
        action_parameters={"1.1": {"custom": {"percent": 70}}, "2.1": {"general": '{"ActionTimeout": 60}'}},
        mode=1, title="named", tags={"owner": "sre"},
    )
    client.describe_template.assert_called_once_with(626)
    assert params["TemplateId"] == 626
    config = params["TaskConfig"]
    assert config["TaskTitle"] == "named" and config["TaskPauseDuration"] == 5 and config["TaskMode"] == 1
    assert "PolicyDealType" not in config  # not given: CFG's default
    assert config["TaskDescription"] == f"from the template {IDENTITY.marker}"
    web, database = config["TaskGroupsConfig"]
    assert web["TaskGroupTitle"] == "web" and web["TaskGroupInstances"] == ["ins-a"]
    assert web["TaskGroupActionsConfig"] == [
        {"TaskGroupActionOrder": 1, "TaskGroupActionCustomConfiguration": '{"percent":70}'}]
    assert database["TaskGroupActionsConfig"] == [
        {"TaskGroupActionOrder": 1, "TaskGroupActionGeneralConfiguration": '{"ActionTimeout": 60}'}]
    tags = {t["TagKey"]: t["TagValue"] for t in config["Tags"]}
    assert tags["env"] == "staging" and tags["owner"] == "sre" and tags[IDENTITY_TAG] == IDENTITY.key


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"template_id": "latest"}, r"template_id must be a CFG TemplateId: a positive integer .*, got 'latest'"),
        ({"template_id": 626, "instances": [["ins-a"], ["ins-b"]]},
         r"template 626 has 1 action group\(s\) but 2 instance list\(s\)"),
        ({"template_id": 626, "instances": ["ins-a"], "action_parameters": {"1": {}}},
         r"action_parameters key '1' must be 'group\.action' with a group between 1 and 1"),
        ({"template_id": 626, "instances": ["ins-a"], "action_parameters": {"1.1": "fast"}},
         r"action_parameters\['1\.1'\] must be a dict with 'general' and/or 'custom'; got 'fast'"),
        ({"template_id": 626, "instances": ["ins-a"], "action_parameters": {"1.1": {"customs": {}}}},
         r"accepts 'general' and 'custom', not \['customs'\]"),
    ],
)
def test_template_request_refuses(mocker, kwargs, message):
    with pytest.raises(ValueError, match=message):
        template_request(template_client(mocker), IDENTITY, **kwargs)


def test_action_request():
    params = action_request(IDENTITY, action_id=462, instances=["ins-a"], custom_configuration={"percent": 20},
                            general_configuration='{"ActionTimeout": 300}', description="drill", tags={"team": "sre"})
    assert params["TaskActionId"] == 462 and params["TaskInstances"] == ["ins-a"]
    assert params["TaskActionCustomConfiguration"] == '{"percent":20}'
    assert params["TaskActionGeneralConfiguration"] == '{"ActionTimeout": 300}'
    assert params["TaskDescription"] == f"drill {IDENTITY.marker}"
    assert {"TagKey": "team", "TagValue": "sre"} in params["TaskTags"]
    assert "TaskTitle" not in params and "TaskPauseDuration" not in params


def test_actions_request():
    params = actions_request(IDENTITY, instances=["ins-a"], title="two",
                             actions=[{"action_id": 12}, {"action_id": 21, "custom": {"cpu_percent": 55}}])
    assert params["TaskAction"] == [
        {"TaskActionId": 12}, {"TaskActionId": 21, "TaskActionCustomConfiguration": '{"cpu_percent":55}'}]
    assert params["TaskTitle"] == "two" and params["TaskDescription"] == IDENTITY.marker
    assert "TaskTags" not in params  # CreateTaskFromMultiAction takes no tags
    with pytest.raises(ValueError, match=r"actions\[0\] needs 'action_id'"):
        actions_request(IDENTITY, instances=["ins-a"], actions=[{"id": 12}])


def test_json_text_keeps_strings():
    assert json_text({"a": "é"}) == '{"a":"é"}'
    assert json_text('{"a": 1}') == '{"a": 1}' and json_text(None) is None


def test_validate_request():
    validate_request("CreateTaskFromAction", {"TaskActionId": 12, "TaskInstances": ["ins-a"]})
    with pytest.raises(CfgValidationError, match=r"CreateTaskFromAction: invalid parameters.*TaskActionId"):
        validate_request("CreateTaskFromAction", {"TaskActionId": "loss", "TaskInstances": ["ins-a"]})


# -- creating exactly once -----------------------------------------------------------------------------


@pytest.fixture
def find(mocker):
    mocker.patch.object(requests, "refuse_unoffered")  # the endpoint of a mocked client is no URL
    return mocker.patch.object(requests, "find_experiment", return_value=None)


def test_creates_when_nothing_is_found(mocker, find):
    client = mocker.Mock()
    client.call.return_value = {"TaskId": 3256}
    assert create_experiment(client, "CreateTaskFromAction", {"TaskActionId": 12}, IDENTITY) == 3256
    client.call.assert_called_once_with("CreateTaskFromAction", {"TaskActionId": 12})
    find.assert_called_once_with(client, IDENTITY, title=None)


def test_reattaches_to_an_experiment_already_created(mocker, find):
    find.return_value = 3255
    client = mocker.Mock()
    assert create_experiment(client, "CreateTaskFromMultiAction", {}, IDENTITY, title="two") == 3255
    client.call.assert_not_called()
    find.assert_called_once_with(client, IDENTITY, title="two")


def test_reattach_off_does_not_look_first(mocker, find):
    client = mocker.Mock()
    client.call.return_value = {"TaskId": "7"}
    assert create_experiment(client, "CreateTaskFromAction", {}, IDENTITY, reattach=False) == 7
    find.assert_not_called()


def test_a_lost_answer_is_found_not_sent_again(mocker, find):
    find.side_effect = [None, 3257]  # absent before; there after the lost answer
    client = mocker.Mock()
    client.call.side_effect = CfgOutcomeUnknownError("CreateTaskFromAction", "read timeout")
    assert create_experiment(client, "CreateTaskFromAction", {}, IDENTITY) == 3257
    assert client.call.call_count == 1
    assert find.call_args_list[1] == mocker.call(client, IDENTITY, title=None, attempts=3)


def test_a_lost_create_confirmed_absent_is_sent_once_more(mocker, find):
    client = mocker.Mock()
    client.call.side_effect = [CfgOutcomeUnknownError("CreateTaskFromAction", "reset"), {"TaskId": 3258}]
    assert create_experiment(client, "CreateTaskFromAction", {}, IDENTITY) == 3258
    assert client.call.call_count == 2


def test_a_refusal_is_raised_after_checking_nothing_was_created(mocker, find):
    client = mocker.Mock()
    client.call.side_effect = CfgApiError("InvalidParameterValue", "no such instance", "r-1", "CreateTaskFromAction")
    with pytest.raises(CfgApiError, match="no such instance"):
        create_experiment(client, "CreateTaskFromAction", {}, IDENTITY)
    assert client.call.call_count == 1 and find.call_count == 2


def test_request_bodies_are_json_safe(mocker):
    params = template_request(template_client(mocker), IDENTITY, template_id=626, instances=["ins-a"])
    assert json.loads(json.dumps(params)) == params


@pytest.mark.parametrize("endpoint", ["https://cfg.intl.tencentcloudapi.com", "cfg.intl.tencentcloudapi.com:443"])
def test_multi_action_is_refused_before_sending_to_the_international_site(mocker, endpoint):
    client = mocker.Mock()
    client.config.endpoint = endpoint
    with pytest.raises(CfgValidationError, match=r"not offered by the international CFG API.*CreateTaskFromAction"):
        create_experiment(client, "CreateTaskFromMultiAction", {"TaskInstances": ["ins-aaaaaaaa"]}, IDENTITY)
    client.call.assert_not_called()
    client.describe_task_list.assert_not_called()


def test_multi_action_goes_to_the_china_site(mocker):
    client = mocker.Mock()
    client.config.endpoint = "https://cfg.tencentcloudapi.com"
    client.call.return_value = {"TaskId": 7}
    client.describe_task_list.return_value = m.DescribeTaskListResponse(TaskList=[], Total=0)
    assert create_experiment(client, "CreateTaskFromMultiAction", {}, IDENTITY) == 7
