"""The big red button, ``cfg_halt_all``, end to end with ``dag.test()`` against the emulator.

Experiments created by the provider (tag ``managed-by=airflow-provider-cfg``) that have not ended
are rolled back — faults recovered, ended with ``TaskExpect`` 2 — each in its own mapped task;
anything else is left alone; the summary fails only when something is still injected.
"""

from __future__ import annotations

import json

import pytest

from airflow_provider_cfg.core.identity import AirflowIdentity
from tests.airflow_helpers import chaos, faults, ok, run_action, start, task_of
from tests.airflow_setup import DAGS_FOLDER

DAG_ID = "cfg_halt_all"


@pytest.fixture(scope="module")
def dag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER / "cfg_halt_all.py"))
    assert bag.import_errors == {}
    return bag.get_dag(DAG_ID)


@pytest.fixture(autouse=True)
def quick_polls(dag, monkeypatch):
    """The rollback reads every second in the DAG; every 0.1 s here (actions take 0.1 s in the emulator)."""
    monkeypatch.setitem(dag.get_task("rollback_experiment").partial_kwargs, "poll_interval", 0.1)


@pytest.fixture
def emu(cfg_emulator, monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_TENCENTCLOUD_CFG_DEFAULT",
        json.dumps({"conn_type": "tencentcloud_cfg", "login": cfg_emulator.secret_id,
                    "password": cfg_emulator.secret_key, "host": cfg_emulator.endpoint}),
    )
    return cfg_emulator


def create(emu, title: str, instance: str, managed: bool = True) -> int:
    """A 626 experiment (fault 1.1, recovery 1.2) tagged the way the provider's create operators tag."""
    if managed:
        tags = AirflowIdentity("cfg_game_day", "create_experiment", f"manual__{title}").tags()
    else:
        tags = {"team": "sre"}
    return ok(
        emu, "CreateTaskFromTemplate", TemplateId=626,
        TaskConfig={"TaskTitle": title, "TaskGroupsConfig": [{"TaskGroupInstances": [instance]}],
                    "Tags": [{"TagKey": k, "TagValue": v} for k, v in tags.items()]},
    )["TaskId"]


def inject(emu, experiment_id: int) -> None:
    start(emu, experiment_id)
    fault = task_of(emu, experiment_id)["TaskGroups"][0]["TaskGroupActions"][0]
    assert fault["ActionAttribute"] == 1
    run_action(emu, experiment_id, fault["TaskGroupActionId"])


def halt(dag, **conf):
    """``dag.test()`` with every param given: in-process runs share the DAG object, params included."""
    return dag.test(run_conf={"region": "", "dry_run": False, "reason": "test", **conf})


def states(run) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for ti in run.get_task_instances():
        found.setdefault(ti.task_id, []).append(ti.state)
    return found


@pytest.fixture
def fleet(emu):
    """Three live managed experiments (two with a fault injected, one not started), one managed
    experiment already concluded, and one running experiment that Airflow did not create."""
    injected = [create(emu, "halt A", "ins-aaaaaaaa"), create(emu, "halt B", "ins-bbbbbbbb")]
    for experiment_id in injected:
        inject(emu, experiment_id)
    waiting = create(emu, "halt C", "ins-cccccccc")
    concluded = create(emu, "halt D", "ins-dddddddd")
    start(emu, concluded)
    ok(emu, "ModifyTaskRunStatus", TaskId=concluded, Status=1004, Summary="went fine", IsExpect=True)
    foreign = create(emu, "console drill", "ins-eeeeeeee", managed=False)
    start(emu, foreign)
    assert {f["TaskId"] for f in faults(emu)} == set(injected)
    return {"live": [*injected, waiting], "concluded": concluded, "foreign": foreign}


def test_halt_all_is_a_manual_big_red_button(dag):
    assert type(dag.timetable).__name__ == "NullTimetable"  # schedule=None: manual trigger only
    assert "big red button" in dag.doc_md.lower()
    assert set(dag.params.keys()) == {"region", "dry_run", "reason"} and dag.params["dry_run"] is False
    assert dag.is_paused_upon_creation is False
    assert dag.get_task("summary").trigger_rule == "all_done"


def test_halt_all_rolls_back_every_live_managed_experiment(dag, emu, fleet):
    run = halt(dag, reason="incident INC-42")
    assert run.state == "success", states(run)
    assert states(run)["rollback_experiment"] == ["success"] * 3  # one mapped task per live experiment
    labels = {ti.rendered_map_index for ti in run.get_task_instances() if ti.task_id == "rollback_experiment"}
    assert labels == {f"experiment {experiment_id}" for experiment_id in fleet["live"]}
    assert faults(emu) == []
    for experiment_id in fleet["live"]:
        task = task_of(emu, experiment_id)
        assert (task["TaskStatus"], task["TaskExpect"]) == (1004, 2), experiment_id
        assert "Halted by cfg_halt_all" in task["TaskSummary"] and "incident INC-42" in task["TaskSummary"]
    concluded = task_of(emu, fleet["concluded"])
    assert (concluded["TaskExpect"], concluded["TaskSummary"]) == (1, "went fine")  # ended ones are left alone
    foreign = task_of(emu, fleet["foreign"])
    assert (foreign["TaskStatus"], foreign["TaskExpect"]) == (1002, None)  # not ours: untouched


def test_dry_run_changes_nothing(dag, emu, fleet):
    before = faults(emu)
    run = halt(dag, dry_run=True)
    assert run.state == "success", states(run)
    assert states(run)["rollback_experiment"] == ["skipped"]  # mapped over nothing
    assert faults(emu) == before
    assert all(task_of(emu, experiment_id)["TaskStatus"] in (1001, 1002) for experiment_id in fleet["live"])


def test_one_stuck_experiment_does_not_stop_the_others(dag, emu, fleet, monkeypatch):
    """The recovery of B fails on its instance: B's mapped task fails, A and C are still halted,
    and the summary fails the run naming what is still injected."""
    monkeypatch.setitem(dag.get_task("rollback_experiment").partial_kwargs, "retries", 0)  # no 10 s retry delay here
    chaos(emu, failing_instances=["ins-bbbbbbbb"], failing_actions="recovery")
    run = halt(dag, reason="stuck test")
    assert run.state == "failed", states(run)
    found = states(run)
    assert sorted(found["rollback_experiment"]) == ["failed", "success", "success"]
    assert found["summary"] == ["failed"]
    a, b, c = fleet["live"]
    assert [f["TaskId"] for f in faults(emu)] == [b]
    for experiment_id in (a, c):
        assert (task_of(emu, experiment_id)["TaskStatus"], task_of(emu, experiment_id)["TaskExpect"]) == (1004, 2)
    assert "STILL INJECTED" in task_of(emu, b)["TaskSummary"]


def test_nothing_to_halt(dag, emu):
    run = halt(dag)
    assert run.state == "success", states(run)
    assert faults(emu) == []


def test_the_sweep_pages_through_every_live_experiment(emu):
    """Several pages of DescribeTaskList (page size shrunk to 2): every live managed experiment, once."""
    from airflow_provider_cfg.core.identity import list_managed_experiments
    from tests.airflow_helpers import make_client

    live = [create(emu, f"page {n}", f"ins-0000000{n}") for n in range(5)]
    ended = create(emu, "page ended", "ins-00000009")
    ok(emu, "ModifyTaskRunStatus", TaskId=ended, Status=1004, Summary="done", IsExpect=True)
    create(emu, "page foreign", "ins-00000008", managed=False)
    with make_client(emu) as client:
        found = list_managed_experiments(client, page_size=2)
    assert [item.experiment_id for item in found] == sorted(live, reverse=True)
    assert {item.dag for item in found} == {"cfg_game_day"} and {item.status for item in found} == {1001}
