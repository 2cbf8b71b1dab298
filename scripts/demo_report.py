"""Print what the demo's DAG run did: each task's final state, the experiment's conclusion as CFG
recorded it, and the emulator's fault ledger.

Exits non-zero unless the run succeeded, the experiment ended with a conclusion, and nothing is
left injected.
"""

from __future__ import annotations

import os
import sys

import httpx

from airflow_provider_cfg.api import CfgClient
from airflow_provider_cfg.api.enums import TaskExpect, TaskStatus

GREEN, RED, RESET = "\033[32m", "\033[31m", "\033[0m"


def colour(text: str, good: bool) -> str:
    return f"{GREEN if good else RED}{text}{RESET}"


def last_run(dag_id: str) -> tuple[str, list[tuple[str, str]]]:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        run = session.query(DagRun).filter(DagRun.dag_id == dag_id).order_by(DagRun.id.desc()).first()
        if run is None:
            return "missing", []
        tis = sorted(run.get_task_instances(session=session), key=lambda ti: (ti.start_date is None, ti.start_date))
        return str(run.state), [(ti.task_id, str(ti.state)) for ti in tis]


def main(dag_id: str, title: str) -> int:
    run_state, tasks = last_run(dag_id)
    for task_id, state in tasks:
        print(f"  {task_id:<24} {colour(state, state == 'success')}")
    print(f"DAG run {dag_id}: {colour(run_state, run_state == 'success')}")

    endpoint = os.environ["CFG_ENDPOINT"]
    with CfgClient(os.environ["CFG_SECRET_ID"], os.environ["CFG_SECRET_KEY"], endpoint=endpoint) as client:
        items = client.describe_task_list(title=title).TaskList or []
        if not items:
            print(colour(f"no experiment titled {title!r} found", False))
            return 1
        task = client.describe_task(max(i.TaskId for i in items)).Task
    concluded = task.TaskStatus == TaskStatus.ENDED and task.TaskExpect is not None
    print(f"experiment {task.TaskId}: {TaskStatus.describe(task.TaskStatus)}, "
          f"{colour(TaskExpect.describe(task.TaskExpect), task.TaskExpect == TaskExpect.MET)}")
    print(f"conclusion recorded in CFG: {task.TaskSummary}")
    faults = httpx.get(f"http://{endpoint}/_emulator/faults").json()
    verdict = "nothing left injected" if not faults else "FAULTS LEFT INJECTED"
    print(f"emulator fault ledger: {faults} — {colour(verdict, not faults)}")
    return 0 if run_state == "success" and concluded and not faults else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
