"""The emulator's default port: one value for the CLI, the example DAGs and the docs."""

from __future__ import annotations

import subprocess
import sys

from airflow_provider_cfg.emulator.__main__ import build_parser
from airflow_provider_cfg.emulator.defaults import DEFAULT_PORT, URL_ENV_VAR, emulator_url


def test_the_cli_listens_where_the_dags_look(monkeypatch):
    monkeypatch.delenv("CFG_EMULATOR_PORT", raising=False)
    monkeypatch.delenv(URL_ENV_VAR, raising=False)
    assert build_parser().parse_args([]).port == DEFAULT_PORT == 8999
    assert emulator_url() == f"http://127.0.0.1:{DEFAULT_PORT}"


def test_the_url_follows_the_environment_when_the_emulator_runs_elsewhere(monkeypatch):
    monkeypatch.setenv(URL_ENV_VAR, "http://127.0.0.1:41234/")
    assert emulator_url() == "http://127.0.0.1:41234"


def test_reading_the_defaults_loads_no_web_server():
    """The example DAGs read them when parsed: starlette and uvicorn stay unloaded."""
    code = ("import sys, airflow_provider_cfg.emulator.defaults; "
            "print(sorted(m for m in ('starlette', 'uvicorn') if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"
