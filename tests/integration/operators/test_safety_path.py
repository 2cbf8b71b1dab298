"""Nothing optional stands on the safety path: the rollback teardown, halt-all and the end of a
create go on when the console link, XCom or the report cannot be made, and a create that fails
after CFG created the experiment leaves it to the teardown, which ends it honestly.

On main a ``console_url`` extra with a typo (``{id}``) failed the rollback before it rolled
anything back, and failed a create after CFG had created the experiment (a stray experiment in 1001
that the teardown, given no id, left alone).
"""

from __future__ import annotations

import pytest

from airflow_provider_cfg.links.console import XCOM_CONSOLE_URL
from airflow_provider_cfg.operators.create import CfgCreateExperimentFromTemplateOperator
from airflow_provider_cfg.operators.rollback import (
    CfgFindLiveExperimentsOperator,
    CfgHaltSummaryOperator,
    CfgRollbackExperimentOperator,
)
from tests.airflow_helpers import (
    INSTANCE,
    FakeTI,
    context_for,
    create_managed_626,
    faults,
    run_action,
    started_626,
    task_list,
    task_of,
    use_emulator,
)

BROKEN_CONSOLE_URL = "https://console.example.com/cfg/{id}?region={region}"  # {id}: a KeyError when formatted


@pytest.fixture
def emu(cfg_emulator, monkeypatch):
    use_emulator(monkeypatch, cfg_emulator, console_url=BROKEN_CONSOLE_URL)
    return cfg_emulator


@pytest.fixture
def sound_emu(cfg_emulator, monkeypatch):
    """A connection whose ``console_url`` is sound: a malformed one now fails a create before it
    creates anything (issue 12, finding 4), so the create tests break the link another way."""
    use_emulator(monkeypatch, cfg_emulator)
    return cfg_emulator


def link_failing(ti: FakeTI, mocker) -> FakeTI:
    """``ti`` whose XCom refuses the console URL (an XCom backend down just then)."""
    push = ti.xcom_push

    def refuse_the_link(key, value):
        if key == XCOM_CONSOLE_URL:
            raise RuntimeError("XCom backend unavailable")
        push(key, value)

    mocker.patch.object(ti, "xcom_push", side_effect=refuse_the_link)
    return ti


def test_a_broken_console_link_does_not_stop_the_rollback(emu):
    experiment_id, fault, _ = started_626(emu)
    run_action(emu, experiment_id, fault)
    ti = FakeTI()
    result = CfgRollbackExperimentOperator(
        task_id="rollback", experiment_id=experiment_id, poll_interval=0.05).execute(context_for(ti))
    assert result["clean"] is True and faults(emu) == []
    assert (task_of(emu, experiment_id)["TaskStatus"], task_of(emu, experiment_id)["TaskExpect"]) == (1004, 2)
    assert XCOM_CONSOLE_URL not in ti.pushed


class NoXComTI(FakeTI):
    """XCom unreachable for pushes."""

    def xcom_push(self, key, value):
        raise ConnectionError("XCom backend unreachable")


def test_halt_all_goes_on_without_the_link_or_the_found_xcom(emu):
    experiment_id = create_managed_626(emu, "game day")
    ok_start(emu, experiment_id)
    found = CfgFindLiveExperimentsOperator(task_id="find").execute(context_for(NoXComTI("cfg_halt_all")))
    assert found == [experiment_id]
    CfgRollbackExperimentOperator(task_id="rollback_experiment", experiment_id=experiment_id,
                                  poll_interval=0.05).execute(context_for(NoXComTI("cfg_halt_all")))
    assert faults(emu) == [] and task_of(emu, experiment_id)["TaskStatus"] == 1004
    summary = CfgHaltSummaryOperator(task_id="summary", sweep_task_id="find").execute(
        context_for(ReturnValueOnlyTI("cfg_halt_all", pulls={"find": found})))  # no "found": its ids say what was swept
    assert summary["halted"] == [experiment_id]


class ReturnValueOnlyTI(FakeTI):
    """The sweep's return value is in XCom, its ``found`` details are not."""

    def xcom_pull(self, task_ids=None, key="return_value", **kwargs):
        return super().xcom_pull(task_ids, key, **kwargs) if key == "return_value" else None


def ok_start(emu, experiment_id: int) -> None:
    from tests.airflow_helpers import actions_of, start

    start(emu, experiment_id)
    run_action(emu, experiment_id, actions_of(emu, experiment_id)[0]["TaskGroupActionId"])
    assert faults(emu)


def game_day_dag():
    """create (setup) >> rollback (teardown), as in the example DAGs."""
    from airflow.sdk import DAG

    with DAG(dag_id="cfg_safety_path", schedule=None) as dag:
        create = CfgCreateExperimentFromTemplateOperator(
            task_id="create_experiment", template_id=626, instances=[INSTANCE], mode="manual", title="Game day")
        rollback = CfgRollbackExperimentOperator(
            task_id="rollback", experiment_id="{{ ti.xcom_pull(task_ids='create_experiment') }}", poll_interval=0.05)
        create >> rollback
        rollback.as_teardown(setups=create)
    return dag, create, rollback


def test_a_create_returns_its_experiment_even_if_the_link_fails(sound_emu, mocker):
    _, create, _ = game_day_dag()
    ti = link_failing(FakeTI("cfg_safety_path", "create_experiment", run_id="manual__safety"), mocker)
    experiment_id = create.execute(context_for(ti))
    assert isinstance(experiment_id, int) and task_of(sound_emu, experiment_id)["TaskStatus"] == 1001
    assert XCOM_CONSOLE_URL not in ti.pushed


def test_a_create_with_a_malformed_console_url_creates_nothing(emu):
    _, create, _ = game_day_dag()
    with pytest.raises(ValueError, match="console_url"):
        create.execute(context_for(FakeTI("cfg_safety_path", "create_experiment", run_id="manual__bad")))
    assert task_list(emu) == []


def test_the_teardown_ends_an_experiment_whose_create_failed_after_cfg_created_it(sound_emu):
    """The create task died after CFG created the experiment (no id returned): the teardown finds it
    by the create task's Airflow identity and ends it honestly."""
    _, create, rollback = game_day_dag()
    experiment_id = create.execute(context_for(FakeTI("cfg_safety_path", "create_experiment", run_id="manual__s")))
    rollback.experiment_id = None  # rendered from a create that returned nothing
    result = rollback.execute(context_for(FakeTI("cfg_safety_path", "rollback", run_id="manual__s")))
    assert result["experiment_id"] == experiment_id and result["clean"] is True
    task = task_of(sound_emu, experiment_id)
    assert (task["TaskStatus"], task["TaskExpect"]) == (1004, 2) and "Rolled back by Airflow" in task["TaskSummary"]


def test_the_teardown_leaves_other_runs_alone(sound_emu):
    _, create, rollback = game_day_dag()
    experiment_id = create.execute(context_for(FakeTI("cfg_safety_path", "create_experiment", run_id="manual__a")))
    rollback.experiment_id = None
    result = rollback.execute(context_for(FakeTI("cfg_safety_path", "rollback", run_id="manual__b")))
    assert result == {"experiment_id": None, "clean": True}
    assert task_of(sound_emu, experiment_id)["TaskStatus"] == 1001
