"""The create operators against the emulator: what they create, what they publish, exactly-once
creation (reattach on a second run and after a lost answer), and input refused before anything is
created."""

from __future__ import annotations

import json

import pytest

from airflow_provider_cfg.api.client import CfgClient
from airflow_provider_cfg.api.errors import CfgApiError, CfgOutcomeUnknownError, CfgValidationError
from airflow_provider_cfg.core.identity import IDENTITY_TAG, MANAGED_TAG, MANAGED_VALUE, AirflowIdentity
from airflow_provider_cfg.links.console import XCOM_CONSOLE_URL, XCOM_EXPERIMENT_ID
from airflow_provider_cfg.operators.create import (
    CfgCreateExperimentFromActionOperator,
    CfgCreateExperimentFromActionsOperator,
    CfgCreateExperimentFromTemplateOperator,
)
from tests.airflow_helpers import (
    INSTANCE,
    INSTANCES,
    FakeTI,
    actions_of,
    chaos,
    context_for,
    ok,
    record_wire,
    task_list,
    task_of,
)


def tags_of(task: dict) -> dict[str, str]:
    return {t["TagKey"]: t["TagValue"] for t in task["Tags"] or []}


def identity_of(ti: FakeTI) -> AirflowIdentity:
    return AirflowIdentity(ti.dag_id, ti.task_id, ti.run_id, ti.map_index)


# -- template fields ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "kwargs", "fields"),
    [
        (
            CfgCreateExperimentFromTemplateOperator,
            {"template_id": "{{ params.template }}", "instances": ["{{ params.ins }}"], "title": "{{ params.title }}",
             "description": "{{ params.title }} d", "tags": {"run": "{{ params.title }}"},
             "region": "{{ params.region }}", "cfg_conn_id": "{{ params.conn }}",
             "action_parameters": {"1.1": {"custom": {"x": "{{ params.title }}"}}},
             "task_config": {"TaskTitle": "{{ params.title }}"}},
            {"cfg_conn_id", "region", "title", "description", "tags", "template_id", "instances", "action_parameters",
             "task_config"},
        ),
        (
            CfgCreateExperimentFromActionOperator,
            {"action_id": "{{ params.template }}", "instances": ["{{ params.ins }}"], "title": "{{ params.title }}",
             "general_configuration": {"ActionTimeout": "{{ params.template }}"},
             "custom_configuration": {"x": "{{ params.title }}"}},
            {"cfg_conn_id", "region", "title", "description", "tags", "action_id", "instances", "general_configuration",
             "custom_configuration"},
        ),
        (
            CfgCreateExperimentFromActionsOperator,
            {"instances": ["{{ params.ins }}"], "title": "{{ params.title }}",
             "actions": [{"action_id": "{{ params.template }}"}]},
            {"cfg_conn_id", "region", "title", "description", "tags", "instances", "actions"},
        ),
    ],
)
def test_template_fields_render(cls, kwargs, fields):
    assert set(cls.template_fields) == fields
    op = cls(task_id="create", **kwargs)
    params = {"template": "627", "ins": "ins-rendered", "title": "Rendered", "region": "ap-shanghai", "conn": "my_conn"}
    op.render_template_fields({"params": params})
    assert op.instances == ["ins-rendered"] and op.title == "Rendered"
    if cls is CfgCreateExperimentFromTemplateOperator:
        assert (op.template_id, op.region, op.cfg_conn_id, op.tags) == (
            "627", "ap-shanghai", "my_conn", {"run": "Rendered"})
        assert op.action_parameters == {"1.1": {"custom": {"x": "Rendered"}}}
        assert op.task_config == {"TaskTitle": "Rendered"}
    elif cls is CfgCreateExperimentFromActionOperator:
        assert op.action_id == "627" and op.custom_configuration == {"x": "Rendered"}
        assert op.general_configuration == {"ActionTimeout": "627"}
    else:
        assert op.actions == [{"action_id": "627"}]


# -- from a template ---------------------------------------------------------------------------


def test_from_template_creates_tags_and_publishes(emu):
    ti = FakeTI()
    op = CfgCreateExperimentFromTemplateOperator(
        task_id="create", template_id=627, instances=INSTANCES, title="Shutdown drill",
        description="weekly", tags={"owner": "sre-oncall", "team": "chaos"},
    )
    experiment_id = op.execute(context_for(ti))

    (listed,) = task_list(emu)
    assert listed["TaskId"] == experiment_id
    task = task_of(emu, experiment_id)
    assert task["TaskTitle"] == "Shutdown drill"
    identity = identity_of(ti)
    assert task["TaskDescription"] == f"weekly {identity.marker}"
    tags = tags_of(task)
    assert tags[IDENTITY_TAG] == identity.key
    assert tags[MANAGED_TAG] == MANAGED_VALUE
    assert tags["airflow-dag"] == ti.dag_id
    # the template's tags are merged in; a tag given to the operator wins over the template's
    assert tags["env"] == "staging" and tags["team"] == "chaos" and tags["owner"] == "sre-oncall"
    # the experiment is published before the operator returns
    assert ti.pushed[XCOM_EXPERIMENT_ID] == experiment_id
    assert ti.pushed[XCOM_CONSOLE_URL] == f"{emu.url}/_emulator/tasks/{experiment_id}"
    assert emu.http().get(ti.pushed[XCOM_CONSOLE_URL]).status_code == 200


def test_from_template_defaults_to_template_description_and_mode(emu):
    ti = FakeTI()
    experiment_id = CfgCreateExperimentFromTemplateOperator(
        task_id="create", template_id=629, instances=[INSTANCE],
    ).execute(context_for(ti))
    task = task_of(emu, experiment_id)
    assert task["TaskMode"] == 2  # template 629 is automatic
    assert (task["TaskDescription"].startswith("Runs CPU high load")
            and task["TaskDescription"].endswith(identity_of(ti).marker))
    assert tags_of(task)["team"] == "sre"


@pytest.mark.parametrize(("mode", "code"), [("manual", 1), ("Automatic", 2), (2, 2)])
def test_mode_and_policy(emu, mode, code):
    experiment_id = CfgCreateExperimentFromTemplateOperator(
        task_id="create", template_id=626, instances=[INSTANCE], mode=mode, policy_deal_type="pause", pause_duration=7,
    ).execute(context_for(FakeTI()))
    task = task_of(emu, experiment_id)
    assert task["TaskMode"] == code
    assert task["PolicyDealType"] == 2
    assert task["TaskPauseDuration"] == 7


def test_per_action_overrides_reach_the_task(emu, monkeypatch):
    op = CfgCreateExperimentFromTemplateOperator(
        task_id="create", template_id=628, instances=[[INSTANCE], ["cdb-aaaaaaaa"]],
        action_parameters={"1.1": {"custom": {"percent": 70}, "general": {"ActionTimeout": 600}},
                           "2.1": {"custom": {"ForceSwitch": "true"}}},
    )
    recorder = record_wire(monkeypatch, op, emu)
    experiment_id = op.execute(context_for(FakeTI()))
    loss, loss_recovery, switch = actions_of(emu, experiment_id)
    assert json.loads(loss["TaskGroupActionCustomConfiguration"]) == {
        "duration": 180, "percent": 70, "interfaces": "eth0"}
    assert json.loads(loss["TaskGroupActionGeneralConfiguration"])["ActionTimeout"] == 600
    assert json.loads(loss_recovery["TaskGroupActionGeneralConfiguration"])["ActionTimeout"] == 1800
    assert json.loads(switch["TaskGroupActionCustomConfiguration"]) == {"ForceSwitch": "true"}
    # CFG types these parameters as JSON *strings*: they must travel serialised, not as objects
    (body,) = recorder.bodies("CreateTaskFromTemplate")
    overrides = [c for g in body["TaskConfig"]["TaskGroupsConfig"] for c in g.get("TaskGroupActionsConfig", [])]
    assert len(overrides) == 2
    for entry in overrides:
        for key in ("TaskGroupActionGeneralConfiguration", "TaskGroupActionCustomConfiguration"):
            if key in entry:
                assert isinstance(entry[key], str), entry
                json.loads(entry[key])


def test_task_config_passthrough_with_named_arguments_first(emu):
    experiment_id = CfgCreateExperimentFromTemplateOperator(
        task_id="create", template_id=626, title="named wins",
        task_config={"TaskTitle": "raw", "TaskGroupsConfig": [{"TaskGroupInstances": ["ins-cccccccc"]}],
                     "TaskPauseDuration": 5},
    ).execute(context_for(FakeTI()))
    task = task_of(emu, experiment_id)
    assert task["TaskTitle"] == "named wins" and task["TaskPauseDuration"] == 5
    ok(emu, "ExecuteTask", TaskId=experiment_id)  # instances exist once the experiment started
    (action, _) = actions_of(emu, experiment_id)
    assert [i["TaskGroupInstanceObjectId"] for i in action["TaskGroupInstances"]] == ["ins-cccccccc"]


# -- exactly once --------------------------------------------------------------------------------


def test_second_execute_with_same_identity_reattaches(emu):
    op = CfgCreateExperimentFromTemplateOperator(task_id="create", template_id=626, instances=[INSTANCE], title="once")
    first_ti, retry_ti = FakeTI(), FakeTI()
    first = op.execute(context_for(first_ti))
    again = op.execute(context_for(retry_ti))
    assert again == first
    assert [t["TaskId"] for t in task_list(emu)] == [first]
    assert retry_ti.pushed[XCOM_EXPERIMENT_ID] == first  # the retry publishes the same experiment


def test_each_task_instance_gets_its_own_experiment(emu):
    op = CfgCreateExperimentFromTemplateOperator(task_id="create", template_id=626, instances=[INSTANCE],
                                                 title="per ti")
    ids = {
        op.execute(context_for(FakeTI())),
        op.execute(context_for(FakeTI(run_id="scheduled__2026-01-14T10:00:00+00:00"))),
        op.execute(context_for(FakeTI(map_index=0))),
        op.execute(context_for(FakeTI(map_index=1))),
    }
    assert len(ids) == 4
    assert len(task_list(emu)) == 4


def test_reattach_disabled_creates_again(emu):
    op = CfgCreateExperimentFromTemplateOperator(task_id="create", template_id=626, instances=[INSTANCE],
                                                 reattach=False)
    assert op.execute(context_for(FakeTI())) != op.execute(context_for(FakeTI()))
    assert len(task_list(emu)) == 2


@pytest.mark.parametrize(
    "make",
    [
        lambda: CfgCreateExperimentFromTemplateOperator(task_id="create", template_id=626, instances=[INSTANCE],
                                                        title="lost answer"),
        lambda: CfgCreateExperimentFromActionOperator(task_id="create", action_id=12, instances=[INSTANCE],
                                                      title="lost answer"),
        lambda: CfgCreateExperimentFromActionsOperator(task_id="create", instances=[INSTANCE], title="lost answer",
                                                       actions=[{"action_id": 12}]),
    ],
    ids=["template", "action", "actions"],
)
def test_lost_create_answer_reattaches_without_duplicate(emu, make, caplog):
    chaos(emu, drop_after_commit_rate=1.0)
    ti = FakeTI()
    experiment_id = make().execute(context_for(ti))
    chaos(emu)
    assert "answer dropped after commit" in caplog.text  # the answer really was lost
    assert [t["TaskId"] for t in task_list(emu)] == [experiment_id]
    assert ti.pushed[XCOM_EXPERIMENT_ID] == experiment_id
    assert identity_of(ti).marker in task_of(emu, experiment_id)["TaskDescription"]


def test_lost_create_that_did_not_land_is_sent_once_more(emu, mocker, caplog):
    """An ambiguous create that CFG never applied: the lookup finds nothing, so it is sent again, once."""
    sent = CfgClient.call

    def lose_the_first_create(client, action, params=None):
        if action.startswith("Create") and not lost:
            lost.append(action)
            raise CfgOutcomeUnknownError(action, "connection reset before the request was read")
        return sent(client, action, params)

    lost: list[str] = []
    mocker.patch.object(CfgClient, "call", lose_the_first_create)
    ti = FakeTI()
    experiment_id = CfgCreateExperimentFromActionOperator(
        task_id="create", action_id=12, instances=[INSTANCE], title="sent again",
    ).execute(context_for(ti))
    assert lost == ["CreateTaskFromAction"]
    assert [t["TaskId"] for t in task_list(emu)] == [experiment_id]
    assert ti.pushed[XCOM_EXPERIMENT_ID] == experiment_id
    assert "did not take effect; sending it once more" in caplog.text


# -- refused before anything is created --------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"template_id": 628, "instances": INSTANCES}, r"template 628 has 2 action group\(s\) but 1 instance list"),
        ({"template_id": 626, "instances": [[INSTANCE], ["ins-bbbbbbbb"]]}, r"has 1 action group\(s\) but 2"),
        ({"template_id": 626}, r"has 1 action group\(s\) but 0"),
        ({"template_id": 626, "instances": [INSTANCE], "action_parameters": {"2.1": {"custom": {}}}},
         r"'2\.1' must be 'group\.action'"),
        ({"template_id": 626, "instances": [INSTANCE], "action_parameters": {"first": {"custom": {}}}},
         r"'first' must be 'group\.action'"),
        ({"template_id": 626, "instances": [INSTANCE], "action_parameters": {"1.1": {"customs": {}}}},
         r"accepts 'general' and 'custom', not \['customs'\]"),
        ({"template_id": 626, "instances": [INSTANCE, ["ins-bbbbbbbb"]]},
         r"instances must be a list of object ids or a list of such lists"),
    ],
)
def test_template_input_refused_before_creating(emu, kwargs, message):
    op = CfgCreateExperimentFromTemplateOperator(task_id="create", **kwargs)
    ti = FakeTI()
    with pytest.raises(ValueError, match=message):
        op.execute(context_for(ti))
    assert task_list(emu) == []
    assert ti.pushed == {}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"mode": "chaotic"}, r"mode must be one of 'manual' \(1\), 'automatic' \(2\); got 'chaotic'"),
     ({"mode": 3}, r"mode must be one of"),
     ({"policy_deal_type": "explode"}, r"policy_deal_type must be one of 'rollback' \(1\), 'pause' \(2\)")],
)
def test_bad_codes_refused_at_definition(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CfgCreateExperimentFromTemplateOperator(task_id="create", template_id=626, instances=[INSTANCE], **kwargs)


def test_unknown_template_is_an_api_error_and_nothing_is_created(emu):
    with pytest.raises(CfgApiError) as info:
        CfgCreateExperimentFromTemplateOperator(
            task_id="create", template_id=99999, instances=[INSTANCE],
        ).execute(context_for(FakeTI()))
    assert info.value.code == "InvalidParameterValue"
    assert task_list(emu) == []


def test_model_validation_refuses_before_sending(emu):
    op = CfgCreateExperimentFromActionOperator(task_id="create", action_id="not-a-number", instances=[INSTANCE])
    with pytest.raises(CfgValidationError, match="TaskActionId"):
        op.execute(context_for(FakeTI()))
    assert task_list(emu) == []


# -- from one action / several actions ---------------------------------------------------------


def test_from_action(emu, monkeypatch):
    ti = FakeTI(task_id="create_loss")
    op = CfgCreateExperimentFromActionOperator(
        task_id="create_loss", action_id="462", instances=[INSTANCE], title="Packet loss drill",
        custom_configuration={"interfaces": "eth1", "percent": 20}, general_configuration={"ActionTimeout": 300},
        tags={"owner": "net"},
    )
    recorder = record_wire(monkeypatch, op, emu)
    experiment_id = op.execute(context_for(ti))
    task = task_of(emu, experiment_id)
    assert task["TaskTitle"] == "Packet loss drill"
    tags = tags_of(task)
    assert tags[IDENTITY_TAG] == identity_of(ti).key and tags[MANAGED_TAG] == MANAGED_VALUE and tags["owner"] == "net"
    loss, recovery = actions_of(emu, experiment_id)
    assert json.loads(loss["TaskGroupActionCustomConfiguration"])["interfaces"] == "eth1"
    assert json.loads(loss["TaskGroupActionGeneralConfiguration"])["ActionTimeout"] == 300
    assert recovery["ActionId"] == 463
    (body,) = recorder.bodies("CreateTaskFromAction")
    assert isinstance(body["TaskActionCustomConfiguration"], str)
    # and a retry of the same task instance reattaches
    assert op.execute(context_for(FakeTI(task_id="create_loss"))) == experiment_id
    assert len(task_list(emu)) == 1


def test_from_actions_reattaches_by_title_and_marker(emu):
    def op():
        return CfgCreateExperimentFromActionsOperator(
            task_id="create_multi", instances=INSTANCES, title="Two faults",
            actions=[{"action_id": 12},
                     {"action_id": 21, "custom": {"cpu_percent": 55}, "general": {"ActionTimeout": 120}}],
        )

    ti = FakeTI(task_id="create_multi")
    experiment_id = op().execute(context_for(ti))
    titles = [a["ActionTitle"] for a in actions_of(emu, experiment_id)]
    assert titles == ["Empty Operation", "Empty Operation (rollback)", "CPU high load", "CPU high load recovery"]
    cpu = actions_of(emu, experiment_id)[2]
    assert json.loads(cpu["TaskGroupActionCustomConfiguration"])["cpu_percent"] == 55
    assert identity_of(ti).marker in task_of(emu, experiment_id)["TaskDescription"]
    assert op().execute(context_for(FakeTI(task_id="create_multi"))) == experiment_id
    # same title, another run: the marker differs, so it is a different experiment
    other = op().execute(context_for(FakeTI(task_id="create_multi", run_id="manual__other")))
    assert other != experiment_id and len(task_list(emu)) == 2


def test_from_actions_needs_a_title():
    with pytest.raises(ValueError, match="needs a title"):
        CfgCreateExperimentFromActionsOperator(task_id="create", instances=[INSTANCE], actions=[{"action_id": 12}])


@pytest.mark.parametrize("actions", [[{"custom": {}}], [{"action_id": 12, "params": {}}]])
def test_from_actions_bad_entry_refused_before_creating(emu, actions):
    op = CfgCreateExperimentFromActionsOperator(task_id="create", instances=[INSTANCE], title="bad", actions=actions)
    with pytest.raises(ValueError, match=r"actions\[0\] needs 'action_id'"):
        op.execute(context_for(FakeTI()))
    assert task_list(emu) == []
