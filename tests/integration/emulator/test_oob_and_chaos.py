"""Out-of-band routes, chaos injection, rate limits and the command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from airflow_provider_cfg.api.signing import Credentials
from tests.emu_helpers import INSTANCES, Cfg


def test_health_and_reset(cfg: Cfg) -> None:
    health = httpx.get(f"{cfg.server.url}/_emulator/health").json()
    assert health["status"] == "ok" and health["version"] == "2021-08-20" and health["tasks"] == 0
    assert cfg.create() == 3256
    cfg.chaos(latency_ms=1)
    assert httpx.get(f"{cfg.server.url}/_emulator/health").json()["tasks"] == 1
    assert httpx.post(f"{cfg.server.url}/_emulator/reset").json() == {"status": "reset"}
    assert httpx.get(f"{cfg.server.url}/_emulator/chaos").json()["latency_ms"] == 0
    assert cfg.ok("DescribeTaskList", Limit=10, Offset=0)["Total"] == 0
    assert cfg.create() == 3256  # counters back to the seed values


def test_oob_routes_need_no_signature(cfg: Cfg) -> None:
    assert httpx.get(f"{cfg.server.url}/_emulator/faults").json() == []


def test_chaos_config_validation(cfg: Cfg) -> None:
    url = f"{cfg.server.url}/_emulator/chaos"
    for body in ({"error_rate": 2}, {"typo": 1}, {"error_codes": ["Nope"]}, {"latency_ms": "slow"},
                 {"failing_instances": "ins-aaaaaaaa"}, [1]):
        response = httpx.post(url, json=body)
        assert response.status_code == 400 and response.json()["error"]
    assert httpx.post(url, content=b"{bad").status_code == 400
    config = cfg.chaos(error_rate=0.5, error_codes=["InternalError"], seed=3)
    assert config["error_rate"] == pytest.approx(0.5) and httpx.get(url).json() == config
    assert cfg.chaos()["error_rate"] == 0  # {} switches everything off


def test_injected_errors_change_nothing(cfg: Cfg) -> None:
    cfg.chaos(error_rate=1.0, error_codes=["InternalError", "RequestLimitExceeded"], seed=7)
    codes = {cfg.err("CreateTaskFromTemplate", TemplateId=626,
                     TaskConfig={"TaskGroupsConfig": [{"TaskGroupInstances": INSTANCES}]})[0] for _ in range(12)}
    assert codes == {"InternalError", "RequestLimitExceeded"}
    cfg.chaos()
    assert cfg.ok("DescribeTaskList", Limit=10, Offset=0)["Total"] == 0
    assert cfg.create() == 3256


def test_error_rate_is_a_probability(cfg: Cfg) -> None:
    cfg.chaos(error_rate=0.5, seed=11)
    results = [("Error" in cfg.call("DescribeTemplate", TemplateId=626)) for _ in range(40)]
    assert 5 < sum(results) < 35


def test_latency(cfg: Cfg) -> None:
    cfg.chaos(latency_ms=200)
    started = time.monotonic()
    cfg.ok("DescribeTemplate", TemplateId=626)
    assert time.monotonic() - started >= 0.2


def test_drop_after_commit(cfg: Cfg) -> None:
    cfg.chaos(drop_after_commit_rate=1.0)
    cfg.ok("DescribeTemplate", TemplateId=626)  # read-only calls are never dropped
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        cfg.http.post("/", json={"TemplateId": 626, "TaskConfig": {"TaskGroupsConfig": [
            {"TaskGroupInstances": INSTANCES}]}}, headers=cfg.headers("CreateTaskFromTemplate"))
    cfg.chaos()
    fresh = Cfg(cfg.server)
    assert fresh.task(3256)["TaskStatus"] == 1001  # the change happened
    fresh.close()


def test_failed_calls_are_not_dropped(cfg: Cfg) -> None:
    cfg.chaos(drop_after_commit_rate=1.0)
    assert cfg.err("ExecuteTask", TaskId=1)[0] == "InvalidParameter"  # ExecuteTask's list has no ResourceNotFound


def test_rate_limits(cfg: Cfg) -> None:
    cfg.rate_limits(True)
    codes = [cfg.call("DescribeTemplate", TemplateId=626).get("Error", {}).get("Code") for _ in range(30)]
    assert codes[:20] == [None] * 20 and "RequestLimitExceeded" in codes[20:]
    # limits are per SecretId, region and action
    assert "Error" not in cfg.call("DescribeTemplateList", Limit=1, Offset=0)
    assert "Error" not in Cfg(cfg.server, region="ap-shanghai").call("DescribeTemplate", TemplateId=626)
    time.sleep(1.05)
    assert "Error" not in cfg.call("DescribeTemplate", TemplateId=626)
    cfg.rate_limits(False)
    codes = [cfg.call("DescribeTemplate", TemplateId=626).get("Error", {}).get("Code") for _ in range(40)]
    assert codes == [None] * 40
    assert httpx.get(f"{cfg.server.url}/_emulator/rate-limits").json() == {"enabled": False}
    assert httpx.post(f"{cfg.server.url}/_emulator/rate-limits", json={"enabled": "yes"}).status_code == 400


def test_rate_limit_of_mutating_action(cfg: Cfg) -> None:
    cfg.rate_limits(True)
    codes = [cfg.call("ExecuteTask", TaskId=1)["Error"]["Code"] for _ in range(12)]
    assert codes[:10] == ["InvalidParameter"] * 10 and codes[10:] == ["RequestLimitExceeded"] * 2


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_cli_subprocess() -> None:
    port = _free_port()
    env = {**os.environ, "CFG_EMULATOR_ACTION_SECONDS": "0.05", "CFG_EMULATOR_RATE_LIMITS": "off"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_cfg.emulator", "--port", str(port), "--secret-id", "AKIDcli000000",
         "--secret-key", "cli-key", "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        line = proc.stdout.readline().strip()
        assert line == f"cfg-emulator listening on http://127.0.0.1:{port} (pid {proc.pid})"
        health = httpx.get(f"http://127.0.0.1:{port}/_emulator/health", timeout=10).json()
        assert health["action_seconds"] == pytest.approx(0.05) and health["rate_limits"] is False

        class Server:
            url = f"http://127.0.0.1:{port}"

        caller = Cfg(Server, Credentials("AKIDcli000000", "cli-key"))
        assert caller.create() == 3256
        assert Cfg(Server, Credentials("AKIDcli000000", "other")).call("DescribeTask", TaskId=3256)["Error"][
            "Code"] == "AuthFailure.SignatureFailure"
        caller.close()
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()
        proc.stderr.close()


def test_cli_env_defaults_and_token(monkeypatch) -> None:
    from airflow_provider_cfg.emulator.__main__ import build_parser

    monkeypatch.setenv("CFG_EMULATOR_HOST", "0.0.0.0")
    monkeypatch.setenv("CFG_EMULATOR_PORT", "12345")
    monkeypatch.setenv("CFG_EMULATOR_TOKEN", "tok")
    monkeypatch.setenv("CFG_EMULATOR_RATE_LIMITS", "off")
    args = build_parser().parse_args([])
    assert (args.host, args.port, args.token, args.rate_limits, args.action_seconds) == \
        ("0.0.0.0", 12345, "tok", False, 2.0)
    assert build_parser().parse_args(["--rate-limits"]).rate_limits is True
    monkeypatch.setenv("CFG_EMULATOR_RATE_LIMITS", "on")
    assert build_parser().parse_args(["--no-rate-limits"]).rate_limits is False
