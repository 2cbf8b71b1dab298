"""``make stack-check``: boot the distributed stack natively, run every scenario, print and record the table."""

from __future__ import annotations

import signal
import sys
import time
import traceback
from pathlib import Path

from scripts.stack.observe import AirflowApi, Emulator, MetadataDb, ProbeTarget
from scripts.stack.report import render, write_docs
from scripts.stack.scenarios import SCENARIOS, Scenario, judge, run_actions, write_dags
from scripts.stack.services import Proc, Stack, ensure_debian_packages, wait_until


class Check:
    """The stack, what observes it, and the processes the faults hit (triggerers by their job id)."""

    def __init__(self, venv: Path) -> None:
        self.started = time.monotonic()
        self.stack = Stack(venv)
        self.probes = ProbeTarget()
        self.triggerers: dict[int, Proc] = {}
        self.workers: list[Proc] = []
        self.scheduler: Proc
        self.db: MetadataDb
        self.api: AirflowApi
        self.emulator: Emulator

    def log(self, message: str) -> None:
        print(f"[{time.monotonic() - self.started:6.0f} s] {message}", flush=True)

    # -- processes the scenarios restart --------------------------------------------------------

    def start_triggerer(self) -> None:
        """A triggerer, known by the job id it registers (the triggers table names that id)."""
        known = self.db.running_jobs("TriggererJob") | set(self.triggerers)
        proc = self.stack.airflow("triggerer")
        job = wait_until(lambda: (self.db.running_jobs("TriggererJob") - known) or None, 240,
                         "the triggerer never registered", proc)
        self.triggerers[min(job)] = proc
        self.log(f"{proc.name} up (job {min(job)}, pid {proc.pid})")

    def start_worker(self) -> None:
        proc = self.stack.airflow("worker")
        self.workers.append(proc)
        self.log(f"{proc.name} started (pid {proc.pid})")

    def start_scheduler(self) -> None:
        self.scheduler = self.stack.airflow("scheduler")
        self.log(f"{self.scheduler.name} started (pid {self.scheduler.pid})")

    def worker_of(self, pid: int) -> tuple[Proc, list[int]] | None:
        """The Celery worker that ``pid`` (a task process) descends from, and the chain of processes from
        the task up to the worker (the task and its supervisor may sit in sessions of their own)."""
        chain = []
        while pid > 1:
            worker = next((w for w in self.workers if w.pid == pid and w.alive()), None)
            if worker is not None:
                return worker, chain
            chain.append(pid)
            try:
                pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])  # the ppid
            except (OSError, ValueError, IndexError):
                return None
        return None

    # -- boot -----------------------------------------------------------------------------------

    def boot(self, scenarios: list[Scenario]) -> None:
        ensure_debian_packages()
        write_dags(self.stack.dags_folder, scenarios)
        self.stack.start_postgres()
        self.stack.start_redis()
        self.stack.start_emulator()
        self.log(f"postgres :{self.stack.ports['postgres']}, redis :{self.stack.ports['redis']}, "
                 f"emulator :{self.stack.ports['emulator']} up")
        self.db = MetadataDb(self.stack.db_dsn)
        self.emulator = Emulator(self.stack.emulator_url).start()
        self.stack.run_airflow("db", "migrate")
        self.log("airflow db migrate done")
        api = self.stack.airflow("api-server")
        self.start_scheduler()
        self.stack.airflow("dag-processor")
        self.start_worker()
        self.start_worker()
        self.api = AirflowApi(self.stack.api_url)
        wait_until(lambda: _answers(self.stack.api_url), 300, "the api-server never answered", api, every=2)
        self.log("api-server answers")
        self.start_triggerer()
        self.start_triggerer()
        wanted = {s.dag_id for s in scenarios}
        wait_until(lambda: wanted <= self.api.dag_ids(), 400, "the DAGs were never parsed", every=3)
        wait_until(lambda: _scheduler_healthy(self.stack.ports["scheduler_health"]), 120,
                   "the scheduler's /health never answered", self.scheduler, every=2)
        self.log(f"{len(wanted)} DAGs parsed, scheduler healthy: stack up")

    def run(self, scenarios: list[Scenario]) -> list[dict]:
        for index, scenario in enumerate(scenarios, start=1):
            scenario.run_id = f"stack__{scenario.name}__{int(time.time())}"
            self.api.trigger(scenario.dag_id, scenario.run_id, scenario.conf(self, index))
        self.log(f"{len(scenarios)} runs triggered")
        threads = run_actions(self, scenarios)
        pending = {s.name: s for s in scenarios}
        deadline = time.monotonic() + 900
        while pending and time.monotonic() < deadline:
            for name, scenario in list(pending.items()):
                if self.db.run_state(scenario.dag_id, scenario.run_id) in ("success", "failed"):
                    self.log(f"{name}: run {self.db.run_state(scenario.dag_id, scenario.run_id)}")
                    del pending[name]
            time.sleep(3)
        for thread in threads:
            thread.join(timeout=5)
        if pending:
            for scenario in pending.values():
                self.log(f"{scenario.name} still running: {self.db.task_states(scenario.dag_id, scenario.run_id)}")
        time.sleep(3)  # one more ledger sample after the last recovery
        return [judge(self, scenario) for scenario in scenarios]


def _answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{url}/api/v2/version", timeout=5).status_code < 500
    except httpx.HTTPError:
        return False


def _scheduler_healthy(port: int) -> bool:
    import httpx

    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def main(argv: list[str]) -> int:
    venv = Path(argv[0]) if argv else Path(".stack-venv")
    only = set(argv[1:])
    scenarios = [s for s in SCENARIOS if not only or s.name in only]

    def stop_on_signal(signum: int, frame: object) -> None:
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGHUP, stop_on_signal)
    check = Check(venv.resolve())
    rows: list[dict] = []
    try:
        check.boot(scenarios)
        rows = check.run(scenarios)
    except BaseException:
        traceback.print_exc()
        for proc in check.stack.procs:
            if not proc.alive():
                print(f"--- {proc.name} exited:\n{proc.tail()}", flush=True)
        raise
    finally:
        check.log("stopping every process of the stack")
        if hasattr(check, "emulator"):
            check.emulator.stop()
        check.probes.stop()
        check.stack.stop()
        if rows and all(row["ok"] for row in rows):
            check.stack.cleanup()
        else:
            print(f"logs kept in {check.stack.logs}", flush=True)
    wall = time.monotonic() - check.started
    table = render(rows, wall)
    print(table, flush=True)
    if not only:
        write_docs(table)
    failed = [row["scenario"] for row in rows if not row["ok"]]
    if failed:
        print(f"FAILED: {', '.join(failed)}", flush=True)
        return 1
    print(f"stack-check: all {len(rows)} scenarios as expected in {wall:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
