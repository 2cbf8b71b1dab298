"""Emulator hardening (issue 12, finding 8): limits on request heads, deep JSON, malformed
timestamps, capped task pages, admin controls behind a token."""

from __future__ import annotations

import contextlib
import json
import socket
import time

import httpx
import pytest

from airflow_provider_cfg.api.actions import API_VERSION
from airflow_provider_cfg.api.signing import Tc3Auth
from airflow_provider_cfg.emulator import limits
from airflow_provider_cfg.emulator.app import MAX_JSON_DEPTH
from airflow_provider_cfg.emulator.server import EmulatorServer
from airflow_provider_cfg.emulator.views import MAX_PAGE_ROWS


def raw_exchange(emu: EmulatorServer, data: bytes, wait: float = 5.0) -> bytes:
    """Send ``data`` on a fresh connection; what the emulator answered before closing (or ``wait`` s)."""
    with socket.create_connection((emu.host, emu.port), timeout=wait) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return answer


def signed_post(emu: EmulatorServer, body: bytes, action: str = "DescribeTask", **headers: str) -> dict:
    with httpx.Client(base_url=emu.url, auth=Tc3Auth(emu.credentials), trust_env=False) as http:
        response = http.post("/", content=body, headers={
            "Content-Type": "application/json", "X-TC-Action": action, "X-TC-Version": API_VERSION,
            "X-TC-Region": "ap-guangzhou", **headers})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    return response.json()["Response"]


def test_an_oversized_header_is_refused_with_431(cfg_emulator):
    big = b"x" * (limits.MAX_HEAD_BYTES + 1)
    answer = raw_exchange(cfg_emulator, b"POST / HTTP/1.1\r\nHost: a\r\nX-Big: " + big + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 431 ")
    # many headers under the limit each, over it together
    many = b"".join(b"X-%d: %s\r\n" % (i, b"y" * 1000) for i in range(100))
    assert raw_exchange(cfg_emulator, b"POST / HTTP/1.1\r\nHost: a\r\n" + many + b"\r\n").startswith(b"HTTP/1.1 431 ")
    assert cfg_emulator.call("DescribeTemplate", TemplateId=626)["Template"]["TemplateId"] == 626  # still serving


def test_a_head_sent_too_slowly_is_cut_off(cfg_emulator, monkeypatch):
    monkeypatch.setattr(limits, "HEAD_SECONDS", 0.3)
    began = time.monotonic()
    answer = raw_exchange(cfg_emulator, b"POST / HTTP/1.1\r\nHost: a\r\nX-Half: ")
    assert answer.startswith(b"HTTP/1.1 408 ") and time.monotonic() - began < 3
    began = time.monotonic()
    assert raw_exchange(cfg_emulator, b"").startswith(b"HTTP/1.1 408 ")  # connected, sent nothing
    assert time.monotonic() - began < 3


def test_a_normal_keep_alive_client_is_not_cut_off(cfg_emulator, monkeypatch):
    monkeypatch.setattr(limits, "HEAD_SECONDS", 0.3)
    with httpx.Client(base_url=cfg_emulator.url, trust_env=False) as http:
        for _ in range(3):
            assert http.get("/_emulator/health").status_code == 200
            time.sleep(0.4)  # idle between requests is the keep-alive timer's business


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5000, 200_000])
@pytest.mark.parametrize("bracket", ["[]", "{}"])
def test_deep_json_is_invalid_parameter(cfg_emulator, depth, bracket):
    opening, closing = (b"[", b"]") if bracket == "[]" else (b'{"a":', b"}")
    inner = b"1" if bracket == "{}" else b""
    body = b'{"TaskId": 1, "X": ' + opening * (depth - 1) + inner + closing * (depth - 1) + b"}"
    answer = signed_post(cfg_emulator, body, action="CreateTaskFromAction")
    assert answer["Error"]["Code"] == "InvalidParameter", answer
    assert f"more than {MAX_JSON_DEPTH} levels deep" in answer["Error"]["Message"]


def test_deep_json_to_a_control_is_a_400(cfg_emulator):
    response = cfg_emulator.http().post("/_emulator/chaos", content=b"[" * 100_000 + b"]" * 100_000)
    assert response.status_code == 400 and "nested too deeply" in response.json()["error"]


@pytest.mark.parametrize("timestamp", ["9" * 20, "1" * 13, "1_700_000_000", "+1700000000", "-1", "1e9",
                                       "1700000000.5"])
def test_a_malformed_timestamp_is_an_auth_failure(cfg_emulator, timestamp):
    auth = Tc3Auth(cfg_emulator.credentials)
    with httpx.Client(base_url=cfg_emulator.url, trust_env=False) as http:
        request = http.build_request("POST", "/", content=b'{"TemplateId": 626}', headers={
            "Content-Type": "application/json", "X-TC-Action": "DescribeTemplate", "X-TC-Version": API_VERSION,
            "X-TC-Region": "ap-guangzhou"})
        request = next(auth.auth_flow(request))
        request.headers["X-TC-Timestamp"] = timestamp.encode("utf-8").decode("latin-1")
        answer = http.send(request).json()["Response"]
    assert answer["Error"]["Code"].startswith("AuthFailure."), answer


def test_the_task_page_is_capped(cfg_emulator):
    instances = [f"ins-{i:08d}" for i in range(MAX_PAGE_ROWS + 200)]
    created = cfg_emulator.call("CreateTaskFromAction", TaskActionId=12, TaskInstances=instances)
    cfg_emulator.call("ExecuteTask", TaskId=created["TaskId"])  # instances appear when it starts
    page = cfg_emulator.http().get(f"/_emulator/tasks/{created['TaskId']}")
    assert page.status_code == 200
    assert page.text.count("<tr>") <= MAX_PAGE_ROWS + 1  # the header row and at most MAX_PAGE_ROWS
    assert "more instance rows not shown" in page.text


def test_the_task_page_escapes_and_truncates_user_text(cfg_emulator):
    created = cfg_emulator.call("CreateTaskFromAction", TaskActionId=12, TaskInstances=["ins-aaaaaaaa"],
                                TaskTitle="<img src=x onerror=alert(1)>" + "t" * 5000)
    page = cfg_emulator.http().get(f"/_emulator/tasks/{created['TaskId']}").text
    assert "<img" not in page and "&lt;img" in page and "(5028 characters)" in page


def test_admin_controls_need_the_token_when_one_is_set():
    with EmulatorServer(admin_token="admin-canary", action_seconds=0.05) as emu:
        anonymous = httpx.Client(base_url=emu.url, trust_env=False)
        for path, body in (("/_emulator/reset", None), ("/_emulator/chaos", {}),
                           ("/_emulator/rate-limits", {"enabled": False}), ("/_emulator/stats", None)):
            refused = anonymous.post(path, json=body)
            assert refused.status_code == 401 and "X-Emulator-Admin-Token" in refused.json()["error"]
            wrong = anonymous.post(path, json=body, headers={"X-Emulator-Admin-Token": "nope"})
            assert wrong.status_code == 401
            assert emu.http().post(path, json=body).status_code == 200  # emu.http() sends the token
        assert anonymous.get("/_emulator/health").status_code == 200  # reads stay open
        anonymous.close()


def test_admin_controls_are_refused_on_a_non_loopback_address_without_a_token():
    with EmulatorServer(host="0.0.0.0", action_seconds=0.05) as emu:
        url = f"http://127.0.0.1:{emu.port}"
        with httpx.Client(base_url=url, trust_env=False) as http:
            refused = http.post("/_emulator/reset")
            assert refused.status_code == 403 and "--admin-token" in refused.json()["error"]
            assert http.post("/_emulator/chaos", content=json.dumps({"error_rate": 1})).status_code == 403
            assert http.get("/_emulator/health").json()["chaos"]["error_rate"] == 0


def test_the_command_line_takes_an_admin_token(monkeypatch):
    from airflow_provider_cfg.emulator.__main__ import build_parser

    monkeypatch.setenv("CFG_EMULATOR_ADMIN_TOKEN", "from-env")
    assert build_parser().parse_args([]).admin_token == "from-env"
    assert build_parser().parse_args(["--admin-token", "flag"]).admin_token == "flag"


class WatchedLock:
    """The state lock, counting how deep it is held (``held``)."""

    def __init__(self, lock) -> None:
        self.lock, self.held = lock, 0

    def __enter__(self):
        self.lock.__enter__()
        self.held += 1
        return self

    def __exit__(self, *exc):
        self.held -= 1
        return self.lock.__exit__(*exc)


def test_the_task_page_builds_no_html_under_the_state_lock(cfg_emulator, mocker):
    from airflow_provider_cfg.emulator import views

    created = cfg_emulator.call("CreateTaskFromAction", TaskActionId=12,
                                TaskInstances=[f"ins-{i:08d}" for i in range(2000)])
    cfg_emulator.call("ExecuteTask", TaskId=created["TaskId"])  # instances appear when it starts
    watched = WatchedLock(cfg_emulator.state.lock)
    mocker.patch.object(cfg_emulator.state, "lock", watched)
    row = views._row

    def outside_the_lock(*args, **kwargs):
        assert watched.held == 0, "HTML built while the state lock is held"
        return row(*args, **kwargs)

    mocker.patch.object(views, "_row", side_effect=outside_the_lock)
    assert cfg_emulator.http().get(f"/_emulator/tasks/{created['TaskId']}").status_code == 200
    assert views._row.call_count == MAX_PAGE_ROWS + 1  # the header and the capped rows
