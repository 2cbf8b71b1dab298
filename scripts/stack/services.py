"""The distributed stack, natively: Postgres, Redis, the CFG emulator and the Airflow pieces
(api-server, scheduler, dag-processor, triggerers, Celery workers), each in its own process group on
loopback FREE ports with throw-away directories, configured from deploy/airflow.env (the file
docker-compose.yml reads) plus the addresses. Everything is stopped by process group.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV_FILE = ROOT / "deploy" / "airflow.env"
EMULATOR_ACTION_SECONDS = 15  # a fault step lasts long enough to be caught deferred (the compose file uses 5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_env_file(path: Path = ENV_FILE) -> dict[str, str]:
    """KEY=VALUE lines (comments and blank lines skipped), as docker-compose's env_file reads them."""
    env = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value
    return env


def ensure_debian_packages() -> None:
    """Install Postgres and Redis from Debian when missing (apt-get update first)."""
    missing = []
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        missing.append("postgresql")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    if missing:
        print(f"installing {' '.join(missing)} from Debian", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("no /usr/lib/postgresql/*/bin/initdb: install Debian's postgresql")
    return Path(found[-1]).parent


class Proc:
    """One long-running process in its own process group, output to ``log``."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path, user: str | None = None,
                 stop_signal: int = signal.SIGTERM) -> None:
        self.name, self.argv, self.env, self.log, self.user = name, argv, env, log, user
        self.stop_signal = stop_signal
        self.popen: subprocess.Popen | None = None

    def start(self) -> Proc:
        kwargs = {"user": self.user, "group": self.user, "extra_groups": []} if self.user else {}
        self.popen = subprocess.Popen(self.argv, env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True, **kwargs)
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, sig: int) -> None:
        """Send ``sig`` to the whole process group (the process and every child it forked)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, sig)

    def stop(self, timeout: float = 20) -> None:
        if self.popen is None:
            return
        self.signal(signal.SIGCONT)  # a frozen process cannot act on SIGTERM
        self.signal(self.stop_signal)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout)
        self.signal(signal.SIGKILL)  # whatever of the group is left
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(10)

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


class Stack:
    """Every process of the stack; :meth:`stop` (also on any error) stops them, newest first."""

    def __init__(self, venv: Path) -> None:
        self.venv = venv
        self.dir = Path(tempfile.mkdtemp(prefix="cfg-stack-"))
        os.chmod(self.dir, 0o755)  # the postgres user reaches its data directory inside
        self.logs = self.dir / "logs"
        self.dags_folder = self.dir / "dags"
        self.logs.mkdir()
        self.dags_folder.mkdir()
        self.procs: list[Proc] = []
        self.ports = {name: free_port() for name in ("postgres", "redis", "emulator", "api", "scheduler_health")}
        self.counter: dict[str, int] = {}

    # -- the environment ------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['api']}"

    @property
    def emulator_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['emulator']}"

    @property
    def db_dsn(self) -> str:
        return f"postgresql://airflow@127.0.0.1:{self.ports['postgres']}/airflow"

    def airflow_env(self) -> dict[str, str]:
        """deploy/airflow.env (what the compose file reads) plus where things are, here."""
        pg, redis = self.ports["postgres"], self.ports["redis"]
        return {
            **os.environ,
            "PATH": f"{self.venv / 'bin'}:{os.environ.get('PATH', '')}",
            "AIRFLOW_HOME": str(self.dir / "home"),
            **read_env_file(),
            # where things are (the compose file names its services instead)
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://airflow@127.0.0.1:{pg}/airflow",
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql+psycopg2://airflow@127.0.0.1:{pg}/airflow",
            "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{redis}/0",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
            "AIRFLOW__API__BASE_URL": self.api_url,
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": "127.0.0.1",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(self.ports["scheduler_health"]),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
            "AIRFLOW_CONN_TENCENTCLOUD_CFG_DEFAULT": json.dumps({
                "conn_type": "tencentcloud_cfg", "login": "AKIDcfgEmulatorDefaultSecretId",
                "password": "cfgEmulatorDefaultSecretKey", "host": self.emulator_url,
                "extra": {"region": "ap-guangzhou"},
            }),
            # this check only: runs are the ones it triggers, DAG files are picked up quickly
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "5",
            "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
            "AIRFLOW__CORE__DAG_FILE_PROCESSOR_TIMEOUT": "180",
        }

    # -- processes ------------------------------------------------------------------------------

    def _name(self, kind: str) -> str:
        self.counter[kind] = self.counter.get(kind, 0) + 1
        return f"{kind}{self.counter[kind]}"

    def spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None, **kwargs) -> Proc:
        proc = Proc(name, argv, env or self.airflow_env(), self.logs / f"{name}.log", **kwargs).start()
        self.procs.append(proc)
        return proc

    def airflow(self, kind: str, *args: str) -> Proc:
        """Start an Airflow piece (``kind``: api-server, scheduler, dag-processor, triggerer, worker)."""
        name = self._name(kind)
        bin_airflow = str(self.venv / "bin" / "airflow")
        argv = {
            "api-server": [bin_airflow, "api-server", "-H", "127.0.0.1", "-p", str(self.ports["api"]), "-w", "1"],
            "scheduler": [bin_airflow, "scheduler"],
            "dag-processor": [bin_airflow, "dag-processor"],
            "triggerer": [bin_airflow, "triggerer", "--skip-serve-logs", "--pid", str(self.dir / f"{name}.pid")],
            "worker": [bin_airflow, "celery", "worker", "-H", f"{name}@%h", "-c", "2", "--skip-serve-logs",
                       "--without-gossip", "--without-mingle", "--pid", str(self.dir / f"{name}.pid")],
        }[kind]
        return self.spawn(name, [*argv, *args])

    def run_airflow(self, *args: str, timeout: float = 600) -> str:
        result = subprocess.run([str(self.venv / "bin" / "airflow"), *args], env=self.airflow_env(),
                                capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def start_postgres(self) -> None:
        """initdb and postgres as the ``postgres`` user (both refuse root), socket and data in the stack dir."""
        pg_bin = postgres_bin()
        data = self.dir / "pgdata"
        data.mkdir()
        shutil.chown(data, "postgres", "postgres")
        subprocess.run([str(pg_bin / "initdb"), "-D", str(data), "-U", "airflow", "--auth=trust", "-E", "UTF8"],
                       check=True, capture_output=True, user="postgres", group="postgres", extra_groups=[],
                       cwd=str(data))
        self.spawn("postgres", [str(pg_bin / "postgres"), "-D", str(data), "-h", "127.0.0.1",
                                "-p", str(self.ports["postgres"]), "-k", str(data), "-c", "max_connections=300",
                                "-c", "fsync=off"],
                   env={"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}, user="postgres",
                   stop_signal=signal.SIGINT)  # SIGINT: fast shutdown
        wait_until(lambda: subprocess.run([str(pg_bin / "pg_isready"), "-h", "127.0.0.1", "-p",
                                           str(self.ports["postgres"])], capture_output=True).returncode == 0,
                   60, "postgres did not start", self.procs[-1])
        subprocess.run([str(pg_bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.ports["postgres"]),
                        "-U", "airflow", "airflow"], check=True, capture_output=True)

    def start_redis(self) -> None:
        redis_dir = self.dir / "redis"
        redis_dir.mkdir()
        proc = self.spawn("redis", ["redis-server", "--bind", "127.0.0.1", "--port", str(self.ports["redis"]),
                                    "--dir", str(redis_dir), "--save", "", "--appendonly", "no"],
                          env={"PATH": os.environ.get("PATH", "")})
        wait_until(lambda: port_open(self.ports["redis"]), 30, "redis did not start", proc)

    def start_emulator(self) -> None:
        proc = self.spawn("emulator", [str(self.venv / "bin" / "python"), "-m", "airflow_provider_cfg.emulator",
                                       "--host", "127.0.0.1", "--port", str(self.ports["emulator"]),
                                       "--action-seconds", str(EMULATOR_ACTION_SECONDS), "--log-level", "warning"],
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
        wait_until(lambda: port_open(self.ports["emulator"]), 60, "the emulator did not start", proc)

    def stop(self) -> None:
        """Airflow first (all at once), then the emulator, Redis and Postgres it talks to."""
        base = {"postgres", "redis", "emulator"}
        for group in ([p for p in self.procs if p.name not in base], [p for p in self.procs if p.name in base]):
            for proc in group:
                proc.signal(signal.SIGCONT)  # a frozen process cannot act on SIGTERM
                proc.signal(proc.stop_signal)
            for proc in group:
                try:
                    proc.stop()
                except Exception as exc:  # keep stopping the others
                    print(f"stopping {proc.name}: {exc}", flush=True)
        self.procs.clear()

    def cleanup(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_until(condition, timeout: float, what: str, proc: Proc | None = None, every: float = 1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if proc is not None and not proc.alive():
            raise RuntimeError(f"{what}: {proc.name} exited\n{proc.tail()}")
        time.sleep(every)
    raise TimeoutError(f"{what} (after {timeout:.0f} s)" + (f"\n{proc.tail()}" if proc else ""))
