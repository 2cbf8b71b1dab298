"""No fault left behind, whatever fails and wherever: the failure matrix.

A game-day (create → start → inject → wait → recover → wait → conclude, with the rollback
teardown) is run with the real operators against the emulator over loopback HTTP. At each failure
point one failure kind is injected:

* ``exception`` — the task fails after (part of) its work and Airflow retries it;
* ``killed`` — the task is killed (``on_kill``) and the run stops;
* ``execution_timeout`` — the task hits its deadline while waiting (or is killed for it) and the run stops;
* ``outage`` — the run stops there, and the API is down for 2 s while the teardown rolls back;
* ``dropped`` — the server applies the task's change but the answer is lost; Airflow retries the task.

After every run: the emulator's fault ledger is empty, there is exactly one experiment, the fault
was injected exactly once, and the experiment is ended with an honest verdict — "as expected" only
when the game-day ran to its conclusion, "not as expected" with a rollback summary otherwise.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pytest

from airflow_provider_cfg.api.errors import CfgError
from airflow_provider_cfg.exceptions import CfgWaitTimeoutError
from airflow_provider_cfg.operators.create import CfgCreateExperimentFromTemplateOperator
from airflow_provider_cfg.operators.experiment import CfgEndExperimentOperator, CfgStartExperimentOperator
from airflow_provider_cfg.operators.rollback import CfgRollbackExperimentOperator
from airflow_provider_cfg.operators.step import CfgExecuteStepOperator
from tests.airflow_helpers import FakeTI, context_for, use_emulator

POINTS = ["after_create", "after_start", "during_inject", "after_inject", "during_recovery", "after_recovery"]
KINDS = ["exception", "killed", "execution_timeout", "outage", "dropped"]
INSTANCES = ["ins-bfydnvta", "ins-ehxmry76"]
RUN_ID = "scheduled__2026-11-25T10:00:00+00:00"


class Stop(Exception):
    """The DAG run stops here (the failed task is not retried; downstream tasks do not run)."""


@dataclass
class GameDay:
    emu: Any
    experiment: int | None = None
    completed: bool = False
    log: list[str] = field(default_factory=list)

    def ctx(self, task_id: str) -> dict[str, Any]:
        return context_for(FakeTI(dag_id="matrix", task_id=task_id, run_id=RUN_ID))

    def chaos(self, **config: Any) -> None:
        self.emu.http().post("/_emulator/chaos", json=config).raise_for_status()

    # -- the tasks -------------------------------------------------------------------------------

    def create(self) -> CfgCreateExperimentFromTemplateOperator:
        return CfgCreateExperimentFromTemplateOperator(
            task_id="create", template_id=626, instances=[INSTANCES], mode="manual", title="matrix game day"
        )

    def start(self) -> CfgStartExperimentOperator:
        return CfgStartExperimentOperator(task_id="start", experiment_id=self.experiment)

    def step(self, name: str, step: list[int], **kwargs: Any) -> CfgExecuteStepOperator:
        kwargs.setdefault("poll_interval", 0.05)
        return CfgExecuteStepOperator(task_id=name, experiment_id=self.experiment, step=step, **kwargs)

    def run_task(self, op: Any, kind: str | None, partial: bool = False) -> Any:
        """Run one task; ``kind`` is the failure to inject into it (None: it just runs)."""
        task_id = op.task_id
        if kind is None:
            return op.execute(self.ctx(task_id))
        if kind == "dropped":
            self.chaos(drop_after_commit_rate=1.0)
            try:
                result = op.execute(self.ctx(task_id))
            except CfgError as exc:
                self.log.append(f"{task_id}: {type(exc).__name__}")
                result = None
            finally:
                self.chaos()
            # Airflow retries the task (or, if it coped by itself, the retry is a no-op re-run).
            return op.execute(self.ctx(task_id)) if result is None else result
        if kind == "exception":
            if partial:  # sent its call, then crashed while waiting
                op.wait_for_completion = False
                op.execute(self.ctx(task_id))
                op.wait_for_completion = True
            else:  # did all its work, then crashed before reporting success
                op.execute(self.ctx(task_id))
            self.log.append(f"{task_id}: crashed, retried")
            return op.execute(self.ctx(task_id))  # the Airflow retry
        if kind == "killed":
            if partial:
                op.wait_for_completion = False
            result = op.execute(self.ctx(task_id))
            if self.experiment is None and isinstance(result, int):
                self.experiment = result
            if hasattr(op, "on_kill"):
                op.on_kill()
            raise Stop(f"{task_id} killed")
        if kind == "execution_timeout":
            if partial:  # the wait passes its deadline: the operator's own timeout path
                self.emu.state.action_seconds = 1.0  # the step must still be running at its deadline
                op.timeout = 0.0
                with pytest.raises(CfgWaitTimeoutError):
                    op.execute(self.ctx(task_id))
                raise Stop(f"{task_id} timed out")
            result = op.execute(self.ctx(task_id))  # Airflow kills a timed-out task: on_kill
            if self.experiment is None and isinstance(result, int):
                self.experiment = result
            op.on_kill()
            raise Stop(f"{task_id} killed by execution_timeout")
        if kind == "outage":
            if partial:
                op.wait_for_completion = False
            result = op.execute(self.ctx(task_id))
            if self.experiment is None and isinstance(result, int):
                self.experiment = result
            raise Stop(f"{task_id} failed; the API goes down for the teardown")
        raise AssertionError(kind)

    def run(self, point: str, kind: str) -> None:
        tasks = [  # (task, the failure points at which it is the one that fails)
            (lambda: self.create(), ("after_create",)),
            (lambda: self.start(), ("after_start",)),
            (lambda: self.step("inject", [1, 1]), ("during_inject", "after_inject")),
            (lambda: self.step("recover", [1, 2]), ("during_recovery", "after_recovery")),
        ]
        try:
            for make, points in tasks:
                here = point in points
                result = self.run_task(make(), kind if here else None, partial=here and point.startswith("during"))
                if self.experiment is None:
                    self.experiment = result
            CfgEndExperimentOperator(
                task_id="conclude", experiment_id=self.experiment, summary="Game day ran to its end", is_expect=True
            ).execute(self.ctx("conclude"))
            self.completed = True
        except Stop as stop:
            self.log.append(str(stop))
        self.teardown(outage=kind == "outage" and not self.completed)

    def teardown(self, outage: bool) -> None:
        rollback = CfgRollbackExperimentOperator(
            task_id="rollback", experiment_id=self.experiment, poll_interval=0.05, read_patience=30
        )
        if outage:
            self.chaos(error_rate=1.0, error_codes=["InternalError", "ServiceUnavailable"])
            threading.Timer(2.0, self.chaos).start()
        rollback.execute(self.ctx("rollback"))


@pytest.fixture
def emu(cfg_emulator, monkeypatch):
    use_emulator(monkeypatch, cfg_emulator, max_attempts="2", backoff="0.01", backoff_max="0.05")
    return cfg_emulator


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("point", POINTS)
def test_failure_matrix(emu, point, kind):
    game = GameDay(emu)
    game.run(point, kind)

    assert emu.http().get("/_emulator/faults").json() == [], game.log
    tasks = emu.call("DescribeTaskList", Limit=100, Offset=0)["TaskList"]
    assert len(tasks) == 1, f"duplicate experiments: {tasks}"
    task = emu.call("DescribeTask", TaskId=tasks[0]["TaskId"])["Task"]
    assert task["TaskStatus"] == 1004
    if game.completed:
        assert task["TaskExpect"] == 1 and task["TaskSummary"] == "Game day ran to its end", game.log
    else:
        assert task["TaskExpect"] == 2, game.log
        assert "Rolled back by Airflow" in task["TaskSummary"] and "not as expected" in task["TaskSummary"]
    logs = emu.call("DescribeTaskExecuteLogs", TaskId=task["TaskId"], Limit=500, Offset=0)["LogMessage"]
    injections = [line for line in logs if "action 11395 'Empty Operation'" in line and "started on" in line]
    assert len(injections) <= 1, f"fault injected more than once: {injections}"
