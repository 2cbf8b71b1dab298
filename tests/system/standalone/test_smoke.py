"""Smoke run under a real ``airflow standalone``: a deferrable step of cfg_game_day completes
through the real triggerer (which must import our trigger from the package, not a DAG file); the
deferred guard's progress reaches the task log; the run ends with the verdict in its note (set by
the listener of the provider's own plugin, loaded from its entry point)."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.system.standalone.harness import Standalone

pytestmark = pytest.mark.standalone


@pytest.fixture
def emulator():
    from airflow_provider_cfg.emulator.server import EmulatorServer

    with EmulatorServer(action_seconds=1.0, rate_limits=True) as server:
        yield server


@pytest.mark.timeout(600)
def test_game_day_under_standalone(emulator):
    standalone = Standalone(emulator, extra_env={"AIRFLOW__CFG__PROGRESS_EVERY": "1"})
    with standalone as airflow:
        airflow.wait_for_dag("cfg_game_day")
        run_id = airflow.trigger("cfg_game_day",
                                 {"steady_state_url": f"{emulator.url}/_emulator/health", "watch_seconds": 4})
        state = airflow.wait_for_run("cfg_game_day", run_id)
        states = airflow.task_states("cfg_game_day", run_id)
        trigger_logs = {
            task_id: "".join(path.read_text() for path in airflow.home.glob(
                f"logs/dag_id=cfg_game_day/run_id={run_id}/task_id={task_id}/*.trigger.*"))
            for task_id in ("inject_fault_1", "guard_during_fault_1", "recover_fault_1")
        }
        notes = airflow.query("select n.content from dag_run_note n join dag_run r on r.id = n.dag_run_id "
                              "where r.dag_id = ? and r.run_id = ?", "cfg_game_day", run_id)
        links = dict(airflow.query("select task_id, value from xcom where dag_id = ? and run_id = ? and key = ?",
                                   "cfg_game_day", run_id, "report_url"))
    expected = {"inject_fault_1": "success", "guard_during_fault_1": "passed", "recover_fault_1": "success"}
    assert state == "success", states
    assert set(states.values()) == {"success"}
    # Both deferrable steps were resumed by an event the real triggerer fired from our trigger.
    for task_id, log in trigger_logs.items():
        assert "Trigger fired event" in log and f"'status': '{expected[task_id]}'" in log, (task_id, log[-2000:])
    # The deferred guard's progress, through the trigger's own log, into the task log: probes passed, time left.
    progress = [line for line in trigger_logs["guard_during_fault_1"].splitlines() if "guard: " in line]
    assert progress and all(" left" in line for line in progress), trigger_logs["guard_during_fault_1"][-2000:]
    assert "guard: 1 of 1 probes passed" in progress[0]
    tasks = emulator.call("DescribeTaskList", Limit=10, Offset=0)["TaskList"]
    (experiment,) = [t for t in tasks if t["TaskTitle"].startswith("Game day")]
    # The run's note: the verdict in words, the summary, the link to the rendered report (and the button's URL).
    url = f"{airflow.env['AIRFLOW__API__BASE_URL']}/cfg/report/cfg_game_day/{quote(run_id, safe='')}"
    assert json.loads(links["conclude_experiment"]) == url, links
    ((note,),) = notes
    assert note.startswith(f"**CFG game day: as expected** - experiment {experiment['TaskId']}, Game day"), note
    assert f"[Game-day report]({url})" in note
    assert experiment["TaskStatus"] == 1004 and experiment["TaskExpect"] == 1
    assert emulator.http().get("/_emulator/faults").json() == []
