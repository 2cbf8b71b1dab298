"""Steady-state probes: http_probe over loopback HTTP (the emulator and a tiny slow server) and judge()."""

from __future__ import annotations

import json
import socket
import time

import pytest

from airflow_provider_cfg.core.probes import ProbeResult, http_probe, json_path_value, judge
from tests.airflow_helpers import create_626, json_service

SLOW_SECONDS = 0.3


@pytest.fixture(scope="module")
def slow_url():
    def answer():
        time.sleep(SLOW_SECONDS)
        return 200, {"status": "ok", "items": [{"state": "up"}, {"state": "down"}]}

    with json_service(answer) as url:
        yield url


def test_healthy_emulator(cfg_emulator):
    result = http_probe(f"{cfg_emulator.url}/_emulator/health", json_path="status", expected_value="ok")
    assert result.passed is True
    assert result.latency_ms is not None and 0 < result.latency_ms < 2000
    assert result.detail == f"HTTP 200 in {result.latency_ms:.0f} ms"


def test_nested_json_path(cfg_emulator):
    assert http_probe(f"{cfg_emulator.url}/_emulator/health", json_path="chaos.error_rate",
                      expected_value=0.0).passed is True
    wrong = http_probe(f"{cfg_emulator.url}/_emulator/health", json_path="status", expected_value="degraded")
    assert wrong.passed is False and wrong.detail == "status = 'ok', expected 'degraded'"
    missing = http_probe(f"{cfg_emulator.url}/_emulator/health", json_path="db.status", expected_value="ok")
    assert missing.passed is False and missing.detail == "db.status missing from the response"


def test_not_found(cfg_emulator):
    result = http_probe(f"{cfg_emulator.url}/no-such-page")
    assert result.passed is False and result.detail == "HTTP 404, expected [200]"
    assert http_probe(f"{cfg_emulator.url}/no-such-page", expected_status=(404,)).passed is True


def test_latency_tolerance(cfg_emulator, slow_url):
    assert http_probe(f"{cfg_emulator.url}/_emulator/health", max_latency_ms=0).detail.endswith("ms > 0 ms")
    too_slow = http_probe(slow_url, max_latency_ms=100)
    assert too_slow.passed is False and too_slow.latency_ms >= SLOW_SECONDS * 1000
    assert too_slow.detail == f"latency {too_slow.latency_ms:.0f} ms > 100 ms"
    assert http_probe(slow_url, max_latency_ms=5000, json_path="items.1.state", expected_value="down").passed is True
    assert http_probe(slow_url, max_latency_ms=None).passed is True


def test_not_json(cfg_emulator):
    task_id = create_626(cfg_emulator)
    page = f"{cfg_emulator.url}/_emulator/tasks/{task_id}"  # an HTML page
    assert http_probe(page).passed is True
    result = http_probe(page, json_path="status", expected_value="ok")
    assert result.passed is False and result.detail == "response is not JSON"


def test_unreachable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    result = http_probe(f"http://127.0.0.1:{port}/health", timeout=2)
    assert result.passed is False and result.detail.startswith("ConnectError") and result.latency_ms is None


@pytest.mark.parametrize("url", ["127.0.0.1:8080/health", "ftp://127.0.0.1/x", ""])
def test_misconfigured_probe_raises(url):
    with pytest.raises(ValueError, match="probe url must be http"):
        http_probe(url)


def test_as_check_is_json_safe():
    check = ProbeResult(False, "HTTP 503, expected [200]", 12.5).as_check()
    assert check == {"passed": False, "detail": "HTTP 503, expected [200]", "latency_ms": 12.5}
    assert json.loads(json.dumps(check)) == check


# -- judge ------------------------------------------------------------------------------------------------


def judged(status=200, latency=10.0, body=None, **kwargs):
    options = {"expected_status": (200,), "max_latency_ms": 100.0, "json_path": None, "expected_value": None, **kwargs}
    return judge(status, latency, body, **options)


def test_judge_order_of_checks():
    assert judged(status=500, latency=900.0).detail == "HTTP 500, expected [200]"  # status first
    assert judged(latency=900.0, body={}, json_path="x").detail == "latency 900 ms > 100 ms"  # then latency
    assert judged(body={"x": 1}, json_path="x", expected_value=2).detail == "x = 1, expected 2"
    assert judged(status=None).passed is False


def test_judge_passes():
    assert judged(status=204, expected_status={200, 204}) == ProbeResult(True, "HTTP 204 in 10 ms", 10.0)
    assert judged(body={"a": [{"b": True}]}, json_path="a.0.b", expected_value=True).passed is True
    assert judged(latency=5000.0, max_latency_ms=None).passed is True
    # latency is optional (an observation without timing): judged, not a crash
    assert (judged(latency=None, body={"s": "ok"}, json_path="s", expected_value="ok")
            == ProbeResult(True, "HTTP 200", None))


@pytest.mark.parametrize(
    ("body", "path"),
    [({"a": 1}, "b"), ({"a": [1]}, "a.3"), ({"a": "text"}, "a.b"), ([1, 2], "x"), (None, "a")],
)
def test_judge_missing_path(body, path):
    result = judged(body=body, json_path=path, expected_value=1)
    assert result.passed is False and result.detail == f"{path} missing from the response"


def test_json_path_value():
    document = {"status": {"db": "ok"}, "items": [{"state": "up"}]}
    assert json_path_value(document, "status.db") == "ok"
    assert json_path_value(document, "items.0.state") == "up"
    with pytest.raises(KeyError):
        json_path_value(document, "status.db.x")
