"""The CFG emulator in a separate process, so that its CPU time is not counted as the client's."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

SECRET_ID = "AKIDbench00000000000000000000000000"
SECRET_KEY = "bench-secret-key-for-the-local-emulator"

_LISTENING = re.compile(r"listening on (http://\S+) \(pid (\d+)\)")


class EmulatorProcess:
    """``python -m airflow_provider_cfg.emulator`` on a free loopback port, rate limits off
    (``rate_limits=True``: the documented per-action limits, as CFG enforces them).

    The emulator binds the port itself (``--port 0`` picks a free one and prints it), so there
    is no window in which another process could take the port. Stopped by its own PID.

    :param log_path: where its stderr goes (``os.devnull`` by default).
    """

    def __init__(self, *, action_seconds: float = 0.05, seed: int = 20210820, log_path: Path | None = None,
                 rate_limits: bool = False) -> None:
        self.secret_id = SECRET_ID
        self.secret_key = SECRET_KEY
        self._args = [
            sys.executable, "-m", "airflow_provider_cfg.emulator",
            "--host", "127.0.0.1", "--port", "0", "--rate-limits" if rate_limits else "--no-rate-limits",
            "--secret-id", SECRET_ID, "--secret-key", SECRET_KEY,
            "--action-seconds", str(action_seconds), "--seed", str(seed), "--log-level", "warning",
        ]
        self._log_path = log_path
        self._proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.pid = 0

    @property
    def command(self) -> str:
        return " ".join(["python", *self._args[1:]])

    @property
    def endpoint(self) -> str:
        """``127.0.0.1:PORT``, the form ``HttpProfile(endpoint=…)`` wants."""
        return self.url.removeprefix("http://")

    def start(self, timeout: float = 30.0) -> EmulatorProcess:
        # ruff: ignore[open-file-with-context-handler] - closed with the process
        stderr = open(self._log_path or os.devnull, "w")
        try:
            self._proc = subprocess.Popen(self._args, stdout=subprocess.PIPE, stderr=stderr, text=True,
                                          cwd=Path(__file__).resolve().parent.parent)
        finally:
            stderr.close()
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()  # the one line it prints, once the port is bound
        match = _LISTENING.search(line)
        if not match:
            self.stop()
            raise RuntimeError(f"the emulator did not start (said {line!r})")
        self.url, self.pid = match[1], int(match[2])
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=5.0) as http:
            while True:
                try:
                    http.get("/_emulator/health").raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or self._proc.poll() is not None:
                        self.stop()
                        raise RuntimeError("the emulator did not answer") from None
                    time.sleep(0.05)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()  # this PID only
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        if proc.stdout is not None:
            proc.stdout.close()

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
