"""What the stack check sees: Airflow's metadata database (read-only SQL), Airflow's REST API (runs,
task states, what people do), the emulator (fault ledger sampled every second, experiments), and the
steady-state endpoint the guards probe (every probe's arrival time, per scenario).
"""

from __future__ import annotations

import bisect
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from airflow_provider_cfg.api.client import CfgClient
from airflow_provider_cfg.core.identity import DAG_TAG

PROBE_WINDOW = 5.0
"""A live fault counts as guarded at time t when its run's guard probed within the PROBE_WINDOW seconds
before t (the guards probe every 2 s: 2.5 intervals)."""


class MetadataDb:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.lock = threading.Lock()
        self.conn: Any = None

    def query(self, sql: str, *params: object) -> list[tuple]:
        import psycopg2  # in the stack's venv (requirements/stack.lock)

        with self.lock:
            for attempt in (1, 2):
                try:
                    if self.conn is None:
                        self.conn = psycopg2.connect(self.dsn)
                        self.conn.autocommit = True
                    with self.conn.cursor() as cur:
                        cur.execute(sql, params)
                        return cur.fetchall()
                except psycopg2.Error:
                    self.conn = None
                    if attempt == 2:
                        raise
        return []

    def run_state(self, dag_id: str, run_id: str) -> str | None:
        rows = self.query("select state from dag_run where dag_id=%s and run_id=%s", dag_id, run_id)
        return rows[0][0] if rows else None

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str | None]:
        return dict(self.query("select task_id, state from task_instance where dag_id=%s and run_id=%s",
                               dag_id, run_id))

    def ti(self, dag_id: str, run_id: str, task_id: str) -> dict[str, Any] | None:
        rows = self.query(
            "select ti.state, ti.pid, ti.try_number, t.triggerer_id from task_instance ti "
            "left join trigger t on t.id = ti.trigger_id where ti.dag_id=%s and ti.run_id=%s and ti.task_id=%s",
            dag_id, run_id, task_id)
        if not rows:
            return None
        state, pid, try_number, triggerer_id = rows[0]
        return {"state": state, "pid": pid, "try_number": try_number, "triggerer_id": triggerer_id}

    def running_jobs(self, job_type: str) -> set[int]:
        return {row[0] for row in self.query("select id from job where job_type=%s and state='running'", job_type)}


class AirflowApi:
    """Airflow's REST API (v2); the simple auth manager's all-admins mode hands out a token."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60)
        self.token: str | None = None

    def _headers(self) -> dict[str, str]:
        if self.token is None:
            self.token = self.http.get("/auth/token").raise_for_status().json()["access_token"]
        return {"Authorization": f"Bearer {self.token}"}

    def request(self, method: str, path: str, body: dict | None = None) -> Any:
        response = self.http.request(method, path, json=body, headers=self._headers())
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: HTTP {response.status_code} {response.text[:500]}")
        return response.json() if response.content else None

    def trigger(self, dag_id: str, run_id: str, conf: dict) -> None:
        self.request("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
        deadline = time.monotonic() + 180
        while True:  # listed is not yet serialized: "Dag ... not found" for a while after the first parse
            try:
                self.request("POST", f"/api/v2/dags/{dag_id}/dagRuns",
                             {"dag_run_id": run_id, "logical_date": None, "conf": conf})
                return
            except RuntimeError as exc:
                if "HTTP 404" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(3)

    def mark(self, dag_id: str, run_id: str, task_id: str, state: str) -> None:
        self.request("PATCH", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}",
                     {"new_state": state})

    def clear(self, dag_id: str, run_id: str, task_id: str) -> None:
        self.request("POST", f"/api/v2/dags/{dag_id}/clearTaskInstances", {
            "dry_run": False, "dag_run_id": run_id, "task_ids": [task_id], "only_failed": False,
            "include_downstream": False, "include_upstream": False, "reset_dag_runs": True,
        })

    def dag_ids(self) -> set[str]:
        return {dag["dag_id"] for dag in self.request("GET", "/api/v2/dags?limit=100")["dags"]}


class Emulator:
    """The emulator's fault ledger, sampled every second by a thread; its experiments, read signed."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=30)
        self.client = CfgClient("AKIDcfgEmulatorDefaultSecretId", "cfgEmulatorDefaultSecretKey",
                                endpoint=url, region="ap-guangzhou")
        # (TaskId, TaskGroupActionId, ObjectId, SinceEpoch) -> [injected at, last seen, gone at | None]
        self.faults: dict[tuple, list[float | None]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def start(self) -> Emulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def ledger(self) -> list[dict[str, Any]]:
        return self.http.get("/_emulator/faults").raise_for_status().json()

    def _sample(self) -> None:
        while not self._stop.wait(1.0):
            try:
                entries = self.ledger()
            except httpx.HTTPError:
                continue
            now = time.time()
            live = set()
            for entry in entries:
                key = (entry["TaskId"], entry["TaskGroupActionId"], entry["ObjectId"], entry["SinceEpoch"])
                live.add(key)
                self.faults.setdefault(key, [entry["SinceEpoch"], now, None])[1] = now
            for key, times in self.faults.items():
                if key not in live and times[2] is None:
                    times[2] = now

    def fault_intervals(self, experiment_ids: set[int]) -> list[tuple[float, float]]:
        """When each fault of these experiments was live: (injected, recovered or now)."""
        now = time.time()
        return [(times[0], times[2] or now) for key, times in self.faults.items() if key[0] in experiment_ids]

    def injections(self, experiment_ids: set[int]) -> int:
        return sum(1 for key in self.faults if key[0] in experiment_ids)

    def experiments_of(self, dag_id: str, summary: bool = False) -> list[dict[str, Any]]:
        """Every experiment the provider created for ``dag_id`` (its airflow-dag tag), as listed; with
        ``summary``, read whole (``DescribeTask``: the summary says whether Airflow rolled it back).
        One list call: the check shares the provider's SecretId and so its rate limits."""
        listing = self.client.call("DescribeTaskList", {"Limit": 100, "Offset": 0}).get("TaskList") or []
        found = [item for item in listing
                 if {t["TagKey"]: t["TagValue"] for t in item.get("Tags") or []}.get(DAG_TAG) == dag_id]
        if summary:
            return [self.client.call("DescribeTask", {"TaskId": item["TaskId"]})["Task"] for item in found]
        return found


class ProbeTarget:
    """The steady state the guards watch: ``GET /steady/<scenario>`` answers 200 and records when."""

    def __init__(self) -> None:
        self.hits: dict[str, list[float]] = {}
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = self.path.rstrip("/").rsplit("/", 1)[-1]
                hits.setdefault(name, []).append(time.time())
                body = json.dumps({"status": "ok"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/steady/{name}"

    def stop(self) -> None:
        self.server.shutdown()


def unguarded_seconds(intervals: list[tuple[float, float]], probes: list[float], window: float = PROBE_WINDOW,
                      step: float = 0.1) -> float:
    """Seconds during which some fault was live and no guard probe had arrived in the ``window`` before."""
    if not intervals:
        return 0.0
    probes = sorted(probes)
    start, end = min(s for s, _ in intervals), max(e for _, e in intervals)
    total, t = 0.0, start
    while t < end:
        if any(s <= t < e for s, e in intervals):
            i = bisect.bisect_right(probes, t)
            if i == 0 or t - probes[i - 1] > window:
                total += step
        t += step
    return round(total, 1)


def live_seconds(intervals: list[tuple[float, float]]) -> float:
    """Seconds during which at least one fault was live (overlaps counted once)."""
    total, current_end, current_start = 0.0, None, None
    for s, e in sorted(intervals):
        if current_end is None or s > current_end:
            if current_end is not None:
                total += current_end - current_start
            current_start, current_end = s, e
        else:
            current_end = max(current_end, e)
    if current_end is not None:
        total += current_end - current_start
    return round(total, 1)
