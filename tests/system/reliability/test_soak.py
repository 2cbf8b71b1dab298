"""Soak: the game-day DAG while 20 % of all API calls fail transiently.

Reads are retried by the client; mutating calls are never blindly repeated — an ambiguous failure
is settled by reading state. The run must still end with the right conclusion, one experiment, one
injection, and nothing left injected.
"""

from __future__ import annotations

import json

import pytest

from tests.airflow_setup import DAGS_FOLDER

ERROR_CODES = ["InternalError", "ServiceUnavailable", "RequestLimitExceeded"]


@pytest.fixture(scope="module")
def dagbag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


@pytest.mark.timeout(900)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_game_day_with_20_percent_transient_failures(dagbag, cfg_emulator, monkeypatch, seed):
    monkeypatch.setenv("AIRFLOW_CONN_TENCENTCLOUD_CFG_DEFAULT", json.dumps({
        "conn_type": "tencentcloud_cfg", "login": cfg_emulator.secret_id, "password": cfg_emulator.secret_key,
        "host": cfg_emulator.endpoint, "extra": {"max_attempts": "8", "backoff": "0.05", "backoff_max": "0.5"},
    }))
    cfg_emulator.http().post(
        "/_emulator/chaos", json={"error_rate": 0.2, "error_codes": ERROR_CODES, "seed": seed},
    ).raise_for_status()
    try:
        run = dagbag.get_dag("cfg_game_day").test(
            run_conf={"steady_state_url": f"{cfg_emulator.url}/_emulator/health", "watch_seconds": 3})
    finally:
        cfg_emulator.http().post("/_emulator/chaos", json={}).raise_for_status()

    assert run.state == "success", [(ti.task_id, ti.state) for ti in run.get_task_instances()]
    tasks = cfg_emulator.call("DescribeTaskList", Limit=100, Offset=0)["TaskList"]
    assert len(tasks) == 1, "a retry created a second experiment"
    task = cfg_emulator.call("DescribeTask", TaskId=tasks[0]["TaskId"])["Task"]
    assert task["TaskStatus"] == 1004 and task["TaskExpect"] == 1, task["TaskSummary"]
    assert cfg_emulator.http().get("/_emulator/faults").json() == []
    logs = cfg_emulator.call("DescribeTaskExecuteLogs", TaskId=task["TaskId"], Limit=500, Offset=0)["LogMessage"]
    for action in ("action 11395 ", "action 11396 "):
        assert sum(1 for line in logs if action in line and "started on" in line) == 1, f"{action} ran more than once"
