"""``cfg_game_day`` halted from outside while its fault is live ends with a *failed* DAG run whose
message names what happened and CFG's verdict; the same run left alone is green.

The halt comes from another thread while ``dag.test()`` runs the game day: the operators of
``cfg_halt_all`` (find the live experiments, roll each back), or a direct rollback of the
experiment. On main the guard took "the experiment ended" as success and the run was green.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from tests.airflow_helpers import FakeTI, context_for, faults, make_client, use_emulator
from tests.airflow_setup import DAGS_FOLDER

HALT_REASON = "Emergency halt (cfg_halt_all): database incident"


@pytest.fixture(scope="module")
def game_day(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER / "cfg_game_day.py"))
    assert bag.import_errors == {}
    return bag.get_dag("cfg_game_day")


@pytest.fixture
def emu(cfg_emulator, monkeypatch):
    use_emulator(monkeypatch, cfg_emulator)
    return cfg_emulator


def halt_all(emu) -> None:
    """What ``cfg_halt_all`` runs: the sweep, then one rollback per live experiment."""
    from airflow_provider_cfg.operators.rollback import CfgFindLiveExperimentsOperator, CfgRollbackExperimentOperator

    found = CfgFindLiveExperimentsOperator(task_id="find_live_experiments").execute(context_for(FakeTI("cfg_halt_all")))
    for experiment_id in found:
        CfgRollbackExperimentOperator(
            task_id="rollback_experiment", experiment_id=experiment_id, reason=f"Halted by cfg_halt_all: {HALT_REASON}",
            poll_interval=0.1,
        ).execute(context_for(FakeTI("cfg_halt_all", "rollback_experiment")))


def direct_rollback(emu) -> None:
    """Someone rolls the experiment back by hand (the provider's rollback from a script)."""
    from airflow_provider_cfg.core.rollback import rollback_experiment

    (experiment_id,) = {int(fault["TaskId"]) for fault in faults(emu)}
    with make_client(emu) as client:
        rollback_experiment(client, experiment_id, f"by hand: {HALT_REASON}", poll_interval=0.1)


class Halter(threading.Thread):
    """Halts as soon as the game day's fault is in the emulator's ledger; keeps what went wrong."""

    def __init__(self, emu, halt: Callable) -> None:
        super().__init__(daemon=True)
        self.emu, self.halt, self.error = emu, halt, None
        self.halted = False
        self.start()

    def run(self) -> None:
        try:
            deadline = time.monotonic() + 60
            while not faults(self.emu) and time.monotonic() < deadline:
                time.sleep(0.05)
            self.halt(self.emu)
            self.halted = True
        except Exception as exc:  # reported by the test
            self.error = exc


def run_game_day(game_day, emu, watch_seconds: int):
    return game_day.test(run_conf={"steady_state_url": f"{emu.url}/_emulator/health", "watch_seconds": watch_seconds})


def experiment(emu) -> dict:
    (item,) = emu.call("DescribeTaskList", Limit=100, Offset=0)["TaskList"]
    return emu.call("DescribeTask", TaskId=item["TaskId"])["Task"]


@pytest.mark.parametrize(("halt", "who"), [(halt_all, "Halted by cfg_halt_all: "), (direct_rollback, "by hand: ")])
def test_a_game_day_halted_from_outside_mid_fault_fails(game_day, emu, capfd, halt, who):
    halter = Halter(emu, halt)
    run = run_game_day(game_day, emu, watch_seconds=60)
    halter.join(10)
    assert halter.error is None and halter.halted
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert run.state == "failed", states
    assert states["guard_during_fault_1"] == "failed" and states["rollback"] == "success", states
    task = experiment(emu)
    assert task["TaskStatus"] == 1004 and task["TaskExpect"] == 2 and faults(emu) == []
    output = capfd.readouterr()
    logged = output.out + output.err
    assert f"Experiment {task['TaskId']} ended NOT as expected: rolled back by Airflow ({who}{HALT_REASON})" in logged


def test_the_same_game_day_left_alone_is_green(game_day, emu):
    run = run_game_day(game_day, emu, watch_seconds=3)
    assert run.state == "success", [(ti.task_id, ti.state) for ti in run.get_task_instances()]
    task = experiment(emu)
    assert (task["TaskStatus"], task["TaskExpect"]) == (1004, 1) and faults(emu) == []
