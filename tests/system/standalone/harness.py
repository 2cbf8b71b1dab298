"""A real ``airflow standalone`` (scheduler, dag-processor, triggerer, api-server) for smoke tests,
``make ui`` and ``make ui-check``.

Started in its own process group with the venv's ``bin`` on PATH, a throw-away home, the example
DAGs, parallelism 2, connection tests enabled, and the CFG connection pointing at an emulator
(an environment variable, or with ``connection_in_db`` a row in the metadata database, which is
what Admin → Connections lists and can test); stopped by process group.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from airflow_provider_cfg.emulator.defaults import URL_ENV_VAR
from tests.airflow_setup import DAGS_FOLDER

VENV_BIN = Path(sys.executable).parent


def free_port(preferred: int = 0) -> int:
    """``preferred`` if nothing listens on it on 127.0.0.1, else a free port (the machine is shared)."""
    for port in (preferred, 0) if preferred else (0,):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise OSError("no free port on 127.0.0.1")


CONN_ID = "tencentcloud_cfg_default"
CONN_ENV_VAR = f"AIRFLOW_CONN_{CONN_ID.upper()}"


def emulator_connection(emulator) -> dict[str, str]:
    """The ``tencentcloud_cfg`` connection to ``emulator``, as Airflow's JSON connection format. The
    port is its own field, not part of ``host``: Airflow 3.3's Test button needs a stored port."""
    return {"conn_type": "tencentcloud_cfg", "login": emulator.secret_id, "password": emulator.secret_key,
            "host": emulator.host, "port": emulator.port}


class Standalone:
    def __init__(self, emulator, extra_env: dict[str, str] | None = None, dags_folder: Path = DAGS_FOLDER,
                 *, connection_in_db: bool = False, port: int = 0) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="cfg-standalone-"))
        self.connection = emulator_connection(emulator)
        self.connection_in_db = connection_in_db
        port = port or free_port()
        self.env = {
            **os.environ,
            "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}",
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__PARALLELISM": "2",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",  # only the runs a test triggers
            "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",  # the form's Test button
            URL_ENV_VAR: emulator.url,  # the example DAGs' default steady-state URL
            **(extra_env or {}),
        }
        self.env.pop(CONN_ENV_VAR, None)
        if not connection_in_db:
            self.env[CONN_ENV_VAR] = json.dumps(self.connection)
        self.log_path = self.home / "standalone.log"
        self.process: subprocess.Popen | None = None

    def airflow(self, *args: str, timeout: float = 120) -> str:
        result = subprocess.run(
            [str(VENV_BIN / "airflow"), *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if result.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed: {result.stderr[-2000:]}")
        return result.stdout

    @property
    def base_url(self) -> str:
        return self.env["AIRFLOW__API__BASE_URL"]

    def start(self) -> Standalone:
        self.airflow("db", "migrate", timeout=300)
        if self.connection_in_db:
            self.airflow("connections", "add", CONN_ID, "--conn-json", json.dumps(self.connection))
        self.process = subprocess.Popen(
            [str(VENV_BIN / "airflow"), "standalone"], env=self.env, stdout=self.log_path.open("w"),
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        return self

    def stop(self, group_timeout: float = 30) -> bool:
        """Stop ``airflow standalone`` and wait until every process of its group is gone (its
        children, the api-server above all, outlive it by a few seconds, and the home must outlive
        them). True when the group is gone."""
        if self.process is None:
            return True
        pgid = self.process.pid
        for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        self.process = None
        if _group_gone(pgid, group_timeout):
            return True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        return _group_gone(pgid, 10)

    def __enter__(self) -> Standalone:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def query(self, sql: str, *params: object) -> list[tuple]:
        with sqlite3.connect(self.home / "airflow.db", timeout=30) as db:
            return db.execute(sql, params).fetchall()

    def wait_for_dag(self, dag_id: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                if self.query("select 1 from dag where dag_id = ?", dag_id):
                    return
            except sqlite3.OperationalError:
                pass
            time.sleep(2)
        raise TimeoutError(f"{dag_id} was not parsed in {timeout} s\n{self.log()[-4000:]}")

    def trigger(self, dag_id: str, conf: dict) -> str:
        run_id = f"smoke__{int(time.time() * 1000)}"
        self.airflow("dags", "unpause", dag_id)
        self.airflow("dags", "trigger", dag_id, "--run-id", run_id, "--conf", json.dumps(conf))
        return run_id

    def wait_for_api(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                if httpx.get(f"{self.base_url}/api/v2/monitor/health", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1)
        raise TimeoutError(f"the api-server at {self.base_url} did not answer in {timeout} s\n{self.log()[-4000:]}")

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str]:
        return dict(self.query("select task_id, state from task_instance where dag_id = ? and run_id = ?",
                               dag_id, run_id))

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 300) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            rows = self.query("select state from dag_run where dag_id = ? and run_id = ?", dag_id, run_id)
            if rows and rows[0][0] in ("success", "failed"):
                return rows[0][0]
            time.sleep(2)
        raise TimeoutError(f"run {run_id} did not finish in {timeout} s: {self.task_states(dag_id, run_id)}\n"
                           f"{self.log()[-4000:]}")

    def _check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"airflow standalone exited with {self.process.returncode}\n{self.log()[-4000:]}")


def _group_gone(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
