"""cfg_postmortem under a real ``airflow standalone`` (scheduler, dag-processor, triggerer): an
experiment created, started and ended through the CFG API directly — as from the console, not by
Airflow — fires the asset watcher in the real triggerer, the scheduler starts a cfg_postmortem run
for it, and that run writes the experiment's game-day report."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from airflow_provider_cfg.api.client import CfgClient
from tests.airflow_setup import DAGS_FOLDER
from tests.system.standalone.harness import Standalone

pytestmark = pytest.mark.standalone


@pytest.fixture
def emulator():
    from airflow_provider_cfg.emulator.server import EmulatorServer

    with EmulatorServer(action_seconds=1.0, rate_limits=True) as server:
        yield server


@pytest.fixture
def folders():
    dags, reports = Path(tempfile.mkdtemp(prefix="cfg-pm-dags-")), Path(tempfile.mkdtemp(prefix="cfg-pm-reports-"))
    shutil.copy(DAGS_FOLDER / "cfg_postmortem.py", dags)
    yield dags, reports
    shutil.rmtree(dags, ignore_errors=True)
    shutil.rmtree(reports, ignore_errors=True)


def wait(condition, what: str, airflow: Standalone, timeout: float = 240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        airflow._check_alive()
        found = condition()
        if found:
            return found
        time.sleep(2)
    raise TimeoutError(f"{what} not seen in {timeout} s\n{airflow.log()[-6000:]}")


def listings(emulator) -> int:
    return emulator.http().get("/_emulator/stats").json()["calls"].get("DescribeTaskList", 0)


def end_outside_airflow(emulator, title: str) -> int:
    """Create, start and end an experiment with the plain API client, as the console would."""
    with CfgClient(emulator.secret_id, emulator.secret_key, endpoint=emulator.endpoint) as cfg:
        experiment = cfg.create_task_from_template(626, {
            "TaskTitle": title, "TaskGroupsConfig": [{"TaskGroupInstances": ["ins-aaaaaaaa"]}],
        }).TaskId
        cfg.execute_task(experiment)
        cfg.modify_task_run_status(experiment, 1004, is_expect=True, summary=f"{title}: ended in the console")
    return experiment


def finished_runs(airflow: Standalone) -> list[tuple[str, str]]:
    return airflow.query("select run_id, state from dag_run where dag_id = 'cfg_postmortem' "
                         "and state in ('success', 'failed') order by id")


def stored_cursor(airflow: Standalone) -> str:
    rows = airflow.query("select value from asset_state_store where key like 'cfg_experiment_events:%'")
    return rows[0][0] if rows else ""


@pytest.mark.timeout(900)
def test_experiments_ended_outside_airflow_get_their_postmortem_across_a_restart(emulator, folders):
    dags, reports = folders
    env = {"CFG_POSTMORTEM_PATH": str(reports), "CFG_POSTMORTEM_POLL_SECONDS": "2",
           "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "True"}  # asset-triggered runs are "job schedule" runs
    airflow = Standalone(emulator, extra_env=env, dags_folder=dags)
    try:
        airflow.start()
        airflow.wait_for_dag("cfg_postmortem")
        airflow.airflow("dags", "unpause", "cfg_postmortem")
        emulator.http().post("/_emulator/stats").raise_for_status()
        wait(lambda: listings(emulator) >= 1, "the watcher's first listing", airflow)
        first = end_outside_airflow(emulator, "console drill")
        wait(lambda: len(finished_runs(airflow)) >= 1, "a finished cfg_postmortem run", airflow)
        # The cursor reaches the asset's state store one interval after the event (Airflow 3.3).
        wait(lambda: f"{first}:1004" in stored_cursor(airflow), "the stored cursor", airflow)
        assert airflow.stop()

        second = end_outside_airflow(emulator, "while airflow was down")
        airflow.start()  # same home and database: the watcher resumes from its stored cursor
        wait(lambda: len(finished_runs(airflow)) >= 2, "a second finished cfg_postmortem run", airflow)
        third = end_outside_airflow(emulator, "sentinel")  # its event follows any duplicate
        wait(lambda: len(finished_runs(airflow)) >= 3, "a third finished cfg_postmortem run", airflow)
        runs = finished_runs(airflow)
        states = {run_id: airflow.task_states("cfg_postmortem", run_id) for run_id, _ in runs}
        events = airflow.query("select extra from asset_event order by id")
        triggers = airflow.query("select classpath from trigger")
    finally:
        airflow.stop()
    assert [state for _, state in runs] == ["success"] * 3, states
    assert ("airflow_provider_cfg.triggers.experiment_events.CfgExperimentEventTrigger",) in triggers
    payloads = [json.loads(extra)["payload"] for (extra,) in events]
    # One event each: the first not repeated after the restart, the one ended meanwhile not lost.
    assert [(p["experiment_id"], p["kind"]) for p in payloads] == [(first, "ended"), (second, "ended"),
                                                                  (third, "ended")]
    for experiment, title in ((first, "console drill"), (second, "while airflow was down"), (third, "sentinel")):
        report = (reports / f"cfg-experiment-{experiment}.md").read_text()
        assert title in report and f"{title}: ended in the console" in report
        record = json.loads((reports / f"cfg-experiment-{experiment}.json").read_text())
        assert record["experiment"]["id"] == experiment and record["verdict"]["as_expected"] is True
