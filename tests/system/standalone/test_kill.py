"""SIGKILL drill under a real ``airflow standalone``: the worker running a fault step is killed
with SIGKILL while the fault is live. The scheduler notices the missing heartbeat and fails the
task; the rollback teardown recovers the fault and ends the experiment honestly."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.system.standalone.harness import Standalone

pytestmark = pytest.mark.standalone
KILL_DAGS = Path(__file__).parent / "dags"


@pytest.fixture
def emulator():
    from airflow_provider_cfg.emulator.server import EmulatorServer

    with EmulatorServer(action_seconds=1.0) as server:
        yield server


def _wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise TimeoutError(what)


@pytest.mark.timeout(600)
def test_sigkill_of_the_worker_during_a_fault(emulator):
    env = {
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "10",
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "2",
    }
    with Standalone(emulator, extra_env=env, dags_folder=KILL_DAGS) as airflow:
        airflow.wait_for_dag("cfg_kill_drill")
        run_id = airflow.trigger("cfg_kill_drill", {})
        emulator.state.action_seconds = 40.0  # the fault stays live while we kill its worker
        _wait(lambda: emulator.http().get("/_emulator/faults").json(), 180, "the fault was never injected")

        def running_pid():
            rows = airflow.query(
                "select pid from task_instance where dag_id='cfg_kill_drill' and run_id=? "
                "and task_id='inject_fault' and state='running'", run_id)
            return rows[0][0] if rows and rows[0][0] else None

        pid = _wait(running_pid, 60, "no running inject_fault task with a pid")
        parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])  # ppid
        for victim in (pid, parent):  # the task process and its supervisor: the whole worker dies
            os.kill(victim, signal.SIGKILL)
        emulator.state.action_seconds = 1.0  # recoveries may run quickly again
        state = airflow.wait_for_run("cfg_kill_drill", run_id, timeout=300)
        states = airflow.task_states("cfg_kill_drill", run_id)

    assert state == "failed"
    assert states["inject_fault"] == "failed" and states["rollback"] == "success", states
    assert emulator.http().get("/_emulator/faults").json() == []
    (item,) = emulator.call("DescribeTaskList", Limit=10, Offset=0)["TaskList"]
    task = emulator.call("DescribeTask", TaskId=item["TaskId"])["Task"]
    assert task["TaskStatus"] == 1004 and task["TaskExpect"] == 2
    assert "Rolled back by Airflow" in task["TaskSummary"]
