"""Smoke run under a real ``airflow standalone``: a deferrable step of cfg_game_day completes
through the real triggerer (which must import our trigger from the package, not a DAG file)."""

from __future__ import annotations

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
    with Standalone(emulator) as airflow:
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
    expected = {"inject_fault_1": "success", "guard_during_fault_1": "passed", "recover_fault_1": "success"}
    assert state == "success", states
    assert set(states.values()) == {"success"}
    # Both deferrable steps were resumed by an event the real triggerer fired from our trigger.
    for task_id, log in trigger_logs.items():
        assert "Trigger fired event" in log and f"'status': '{expected[task_id]}'" in log, (task_id, log[-2000:])
    tasks = emulator.call("DescribeTaskList", Limit=10, Offset=0)["TaskList"]
    (experiment,) = [t for t in tasks if t["TaskTitle"].startswith("Game day")]
    assert experiment["TaskStatus"] == 1004 and experiment["TaskExpect"] == 1
    assert emulator.http().get("/_emulator/faults").json() == []
