"""The scenarios of the stack check: one DAG (a copy of an example DAG under its own dag_id) and one run
each, all triggered at once; the deployment faults that hit a shared process (triggerers, scheduler)
are applied one after another by a single thread, each to its designated run while the others go on.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scripts.stack.observe import live_seconds, unguarded_seconds

if TYPE_CHECKING:
    from scripts.stack.check import Check

EXAMPLES = Path(__file__).resolve().parents[2] / "dags_examples"
GUARD = "guard_during_fault_1"
INJECT = "inject_fault_1"
ROLLED_BACK = "Rolled back by Airflow"


@dataclass
class Scenario:
    name: str
    what: str
    example: str = "cfg_game_day"
    watch_seconds: int = 30
    expect_green: bool | None = True  # None: either, as long as the verdict is honest
    expect_rollback: bool | None = False  # None: either
    action: Callable[[Check, Scenario], str] | None = None  # the fault; returns what was done
    shared: bool = False  # the fault hits a shared process: applied by the one fault thread
    instances: int = 2
    # filled in while running
    run_id: str = ""
    done: str = ""
    error: str = ""
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def dag_id(self) -> str:
        return self.example if self.example == "cfg_action_drill" else f"cfg_game_day__{self.name}"

    def conf(self, check: Check, index: int) -> dict[str, Any]:
        """Its own target instances: the provider refuses to inject into instances of another live experiment."""
        url = check.probes.url(self.name)
        instances = [f"ins-stk{index:02d}a{j:02d}" for j in range(self.instances)]
        if self.example == "cfg_action_drill":
            return {"steady_state_url": url, "instance": instances[0]}
        return {"watch_seconds": self.watch_seconds, "steady_state_url": url, "instances": instances}


def write_dags(folder: Path, scenarios: list[Scenario]) -> None:
    """The example DAGs, unchanged but for the dag_id: one game-day DAG per scenario (max_active_runs=1)."""
    source = (EXAMPLES / "cfg_game_day.py").read_text()
    assert source.count('dag_id="cfg_game_day"') == 1
    for scenario in scenarios:
        if scenario.example == "cfg_action_drill":
            (folder / "cfg_action_drill.py").write_text((EXAMPLES / "cfg_action_drill.py").read_text())
        else:
            (folder / f"{scenario.dag_id}.py").write_text(
                source.replace('dag_id="cfg_game_day"', f'dag_id="{scenario.dag_id}"'))


# -- waiting for the moment to strike ---------------------------------------------------------------

def wait_deferred(check: Check, scenario: Scenario, task_id: str, timeout: float = 400) -> dict[str, Any]:
    """The task deferred with its trigger taken by a triggerer."""
    def ready():
        ti = check.db.ti(scenario.dag_id, scenario.run_id, task_id)
        if ti and ti["state"] in ("success", "failed", "upstream_failed"):
            raise RuntimeError(f"{task_id} ended ({ti['state']}) before the fault could be applied")
        return ti if ti and ti["state"] == "deferred" and ti["triggerer_id"] else None
    return poll(ready, timeout, f"{scenario.name}: {task_id} never deferred to a triggerer", every=0.3)


def poll(condition, timeout: float, what: str, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(what)


def experiment_ids(check: Check, scenario: Scenario) -> set[int]:
    return {task["TaskId"] for task in check.emulator.experiments_of(scenario.dag_id)}


# -- the faults -------------------------------------------------------------------------------------

def triggerer_fault(sig: int) -> Callable[[Check, Scenario], str]:
    def apply(check: Check, scenario: Scenario) -> str:
        ti = wait_deferred(check, scenario, GUARD)
        holder = ti["triggerer_id"]
        victim = check.triggerers[holder]
        t0 = time.monotonic()
        victim.signal(sig)
        if sig == signal.SIGSTOP:
            moved = poll(lambda: (check.db.ti(scenario.dag_id, scenario.run_id, GUARD) or {}).get("triggerer_id")
                         not in (None, holder), 180, "the frozen triggerer's trigger never moved", every=1)
            took = time.monotonic() - t0
            time.sleep(5)
            victim.signal(signal.SIGCONT)
            time.sleep(15)  # the thawed triggerer finds its trigger taken
            return f"SIGSTOP triggerer (job {holder}); trigger moved after {took:.0f} s; SIGCONT" if moved else ""
        if sig == signal.SIGTERM:
            poll(lambda: not victim.alive(), 120, "the SIGTERM'd triggerer did not exit", every=0.5)
            exited = time.monotonic() - t0
        check.triggerers.pop(holder, None)
        check.start_triggerer()  # back to two
        state = poll(lambda: _moved_or_done(check, scenario, holder), 180, "the trigger never moved", every=1)
        took = time.monotonic() - t0
        name = {signal.SIGTERM: "SIGTERM", signal.SIGKILL: "SIGKILL"}[sig]
        extra = f", exited after {exited:.0f} s" if sig == signal.SIGTERM else ""
        return f"{name} triggerer (job {holder}){extra}; guard {state} after {took:.0f} s; new triggerer started"
    return apply


def _moved_or_done(check: Check, scenario: Scenario, holder: int) -> str | None:
    ti = check.db.ti(scenario.dag_id, scenario.run_id, GUARD) or {}
    if ti.get("state") == "deferred" and ti.get("triggerer_id") not in (None, holder):
        return "resumed on another triggerer"
    if ti.get("state") not in ("deferred", "scheduled", "queued", "running", None):
        return f"ended {ti.get('state')}"
    return None


def scheduler_kill(check: Check, scenario: Scenario) -> str:
    wait_deferred(check, scenario, GUARD)
    check.scheduler.signal(signal.SIGKILL)
    time.sleep(20)
    check.start_scheduler()
    return "SIGKILL scheduler during the guard; new scheduler after 20 s"


def worker_kill(check: Check, scenario: Scenario) -> str:
    """SIGKILL the Celery worker running one of this run's tasks while its fault is live; a new worker."""
    ids: set[int] = set()
    looked = 0.0

    def target():
        nonlocal ids, looked
        if not ids:
            if time.monotonic() - looked < 3:
                return None
            looked = time.monotonic()
            ids = experiment_ids(check, scenario)
            return None
        live = [entry for entry in check.emulator.ledger() if entry["TaskId"] in ids]
        if not live:
            return None
        for task_id in (GUARD, "recover_fault_1", INJECT):
            ti = check.db.ti(scenario.dag_id, scenario.run_id, task_id)
            if ti and ti["state"] == "running" and ti["pid"]:
                found = check.worker_of(ti["pid"])
                if found is not None:
                    return task_id, *found
        return None

    task_id, worker, chain = poll(target, 600, "no task of the run ran in a worker while its fault was live",
                                  every=0.2)
    worker.signal(signal.SIGKILL)  # the worker, its pool and whatever of the task shares its group
    for pid in chain:  # the task process and its supervisor, wherever they are
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    check.workers.remove(worker)
    check.start_worker()
    return f"SIGKILL worker {worker.name} running {task_id} with the fault live; new worker started"


def mark_guard_failed(check: Check, scenario: Scenario) -> str:
    wait_deferred(check, scenario, GUARD)
    check.api.mark(scenario.dag_id, scenario.run_id, GUARD, "failed")
    took = wait_ended(check, scenario)
    return f"{GUARD} (deferred) marked failed via the REST API; experiment ended {took:.0f} s later"


def wait_ended(check: Check, scenario: Scenario, timeout: float = 180) -> float:
    """Until the run's experiment has ended (the rollback's work), so that the next fault does not cut it."""
    t0 = time.monotonic()
    poll(lambda: [t for t in check.emulator.experiments_of(scenario.dag_id) if t.get("TaskStatus") == 1004],
         timeout, f"{scenario.name}: the experiment never ended", every=2)
    return time.monotonic() - t0


def clear_running_step(check: Check, scenario: Scenario) -> str:
    wait_deferred(check, scenario, INJECT)  # its trigger runs in a triggerer: the step is injecting
    check.api.clear(scenario.dag_id, scenario.run_id, INJECT)
    took = wait_ended(check, scenario)
    return f"{INJECT} cleared via the REST API while deferred (injecting); experiment ended {took:.0f} s later"


SCENARIOS = [
    *[Scenario(f"concurrent_{i}", f"game day {i} of 4, concurrent", watch_seconds=20) for i in range(1, 5)],
    Scenario("action_drill", "cfg_action_drill, concurrent", example="cfg_action_drill", instances=1),
    # What people do, then the shared-process faults: one at a time, in this order (one thread), each
    # waiting for its run's guard or step; the guards watch long enough for the faults before them.
    # A clear of a deferred step: Airflow 3.3 may defer the new try at once with a trigger of its own
    # (the fault stays watched: on_kill stands down and the game day goes on), or leave the task without
    # a state for a moment (on_kill rolls back; so does an unreadable state). Both are honest; either
    # way nothing is injected twice.
    Scenario("step_cleared", "deferred inject step cleared (REST API)", watch_seconds=30,
             expect_green=None, expect_rollback=None, action=clear_running_step, shared=True),
    Scenario("guard_marked_failed", "deferred guard marked failed (REST API)", watch_seconds=150,
             expect_green=False, expect_rollback=True, action=mark_guard_failed, shared=True),
    Scenario("triggerer_sigterm", "triggerer SIGTERM mid-guard", watch_seconds=150,
             action=triggerer_fault(signal.SIGTERM), shared=True),
    Scenario("triggerer_sigkill", "triggerer SIGKILL mid-guard", watch_seconds=200,
             action=triggerer_fault(signal.SIGKILL), shared=True),
    Scenario("triggerer_sigstop", "triggerer SIGSTOP past the health threshold, SIGCONT", watch_seconds=240,
             action=triggerer_fault(signal.SIGSTOP), shared=True),
    Scenario("scheduler_sigkill", "scheduler SIGKILL mid-guard, restart", watch_seconds=270,
             action=scheduler_kill, shared=True),
    Scenario("worker_sigkill", "Celery worker SIGKILL, fault live; new worker", watch_seconds=30,
             action=worker_kill),
]


def run_actions(check: Check, scenarios: list[Scenario]) -> list[threading.Thread]:
    """The faults: shared ones in order on one thread, the others each on its own."""
    def guarded(items: list[Scenario]) -> None:
        for scenario in items:
            try:
                assert scenario.action is not None
                scenario.done = scenario.action(check, scenario)
                print(f"  [{scenario.name}] {scenario.done}", flush=True)
            except Exception as exc:
                scenario.error = f"{type(exc).__name__}: {exc}"
                print(f"  [{scenario.name}] FAULT NOT APPLIED: {scenario.error}\n{traceback.format_exc()}",
                      flush=True)

    shared = [s for s in scenarios if s.action and s.shared]
    threads = [threading.Thread(target=guarded, args=(shared,), daemon=True)]
    threads += [threading.Thread(target=guarded, args=([s],), daemon=True)
                for s in scenarios if s.action and not s.shared]
    for thread in threads:
        thread.start()
    return threads


def judge(check: Check, scenario: Scenario) -> dict[str, Any]:
    """The row of the table, and whether it is as the scenario expects."""
    state = check.db.run_state(scenario.dag_id, scenario.run_id)
    experiments = check.emulator.experiments_of(scenario.dag_id, summary=True)
    ids = {task["TaskId"] for task in experiments}
    intervals = check.emulator.fault_intervals(ids)
    ledger_left = [entry for entry in check.emulator.ledger() if entry["TaskId"] in ids]
    verdicts = []
    for task in experiments:
        ended = task.get("TaskStatus") == 1004
        expect = {1: "as expected", 2: "not as expected"}.get(task.get("TaskExpect"), "no verdict")
        rolled_back = ROLLED_BACK in (task.get("TaskSummary") or "")
        verdicts.append((ended, expect, rolled_back))
    problems = []
    if len(experiments) != 1:
        problems.append(f"{len(experiments)} experiments")
    if any(not ended for ended, _, _ in verdicts):
        problems.append("experiment not ended")
    green = state == "success"
    for _, expect, rolled_back in verdicts:
        if green and (rolled_back or expect != "as expected"):
            problems.append("green run with a rolled-back or failed experiment")
        if not green and expect == "as expected":
            problems.append("red run, experiment as expected")
        if scenario.expect_rollback is not None and rolled_back != scenario.expect_rollback:
            problems.append("rolled back" if rolled_back else "not rolled back")
    if scenario.expect_green is not None and green != scenario.expect_green:
        problems.append(f"run {state}, expected {'success' if scenario.expect_green else 'failed'}")
    if ledger_left:
        problems.append(f"{len(ledger_left)} fault(s) left live")
    injections = check.emulator.injections(ids)
    if injections != scenario.instances:
        problems.append(f"{injections} injections for {scenario.instances} instance(s)")
    if scenario.action and not scenario.done:
        problems.append(f"fault not applied ({scenario.error})")
    return {
        "scenario": scenario.name,
        "what": scenario.what,
        "done": scenario.done or scenario.error,
        "run": state,
        "experiments": len(experiments),
        "verdict": ", ".join(f"{e}{' (rolled back)' if r else ''}" for _, e, r in verdicts) or "-",
        "injections": injections,
        "ledger_left": len(ledger_left),
        "probes": len(check.probes.hits.get(scenario.name, [])),
        "live_s": live_seconds(intervals),
        "unguarded_s": unguarded_seconds(intervals, check.probes.hits.get(scenario.name, [])),
        "ok": not problems,
        "problems": "; ".join(problems),
    }
