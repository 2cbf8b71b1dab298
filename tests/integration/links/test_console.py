"""The console link: URL per endpoint (emulator page, mainland and international console), the
operator extra link reading the ``console_url`` XCom, and publishing the experiment to XCom."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from airflow_provider_cfg.hooks.cfg import CfgHook
from airflow_provider_cfg.links.console import (
    XCOM_CONSOLE_URL,
    XCOM_EXPERIMENT_ID,
    CfgConsoleLink,
    console_url,
    publish_experiment,
)
from airflow_provider_cfg.operators.base import CfgBaseOperator
from airflow_provider_cfg.sensors.base import CfgBaseSensor
from tests.airflow_helpers import FakeTI, context_for, create_626


def test_loopback_link_opens_the_emulator_page(cfg_emulator):
    task_id = create_626(cfg_emulator, title="Link target <drill>")
    url = console_url(task_id, "ap-guangzhou", cfg_emulator.url)
    assert url == f"{cfg_emulator.url}/_emulator/tasks/{task_id}"
    # a scheme-less host:port (the form of the connection's host field) still gives a clickable URL
    assert console_url(task_id, "ap-guangzhou", cfg_emulator.endpoint) == url
    page = cfg_emulator.http().get(url)
    assert page.status_code == 200
    assert f"Experiment {task_id}: Link target &lt;drill&gt;" in page.text
    assert cfg_emulator.http().get(console_url(task_id + 1, "ap-guangzhou", cfg_emulator.url)).status_code == 404


@pytest.mark.parametrize(
    ("endpoint", "page"),
    [("http://127.0.0.1:8999", "http://127.0.0.1:8999"), ("http://[::1]:8999/", "http://[::1]:8999"),
     ("127.0.0.2:8999", "http://127.0.0.2:8999")],
)
def test_other_loopback_forms(endpoint, page):
    assert console_url(5, "ap-guangzhou", endpoint) == f"{page}/_emulator/tasks/5"


@pytest.mark.parametrize(
    ("endpoint", "console"),
    [
        ("https://cfg.tencentcloudapi.com", "https://console.cloud.tencent.com"),
        ("cfg.ap-shanghai.tencentcloudapi.com", "https://console.cloud.tencent.com"),
        ("https://cfg.intl.tencentcloudapi.com", "https://console.tencentcloud.com"),
        ("cfg.ap-singapore.intl.tencentcloudapi.com", "https://console.tencentcloud.com"),
    ],
)
def test_cloud_console_links(endpoint, console):
    url = console_url(3256, "ap-shanghai", endpoint)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == console
    assert parts.path == "/cfg/experience/detail"
    assert parse_qs(parts.query) == {"id": ["3256"], "region": ["ap-shanghai"]}


def test_operators_and_sensors_carry_the_link():
    assert any(isinstance(link, CfgConsoleLink) for link in CfgBaseOperator.operator_extra_links)
    assert any(isinstance(link, CfgConsoleLink) for link in CfgBaseSensor.operator_extra_links)
    assert CfgConsoleLink().name == "CFG experiment"


@pytest.mark.parametrize(("stored", "shown"), [
    ("https://console.cloud.tencent.com/cfg/experience/detail?id=1&region=ap-guangzhou", None),
    (None, ""),
])
def test_get_link_reads_the_console_url_xcom(stored, shown, mocker):
    ti_key = mocker.sentinel.ti_key
    get_value = mocker.patch("airflow.providers.common.compat.sdk.XCom.get_value", return_value=stored)
    link = CfgConsoleLink().get_link(mocker.Mock(), ti_key=ti_key)
    get_value.assert_called_once_with(key=XCOM_CONSOLE_URL, ti_key=ti_key)
    assert link == (stored if shown is None else shown)


def test_publish_experiment_pushes_the_id_and_url_and_logs_it(monkeypatch, mocker):
    """Operators and sensors publish through this one function, before anything waits."""
    monkeypatch.setenv("AIRFLOW_CONN_TENCENTCLOUD_CFG_DEFAULT", json.dumps({
        "conn_type": "tencentcloud_cfg", "login": "AKIDabc12345", "password": "links-secret",
        "extra": {"region": "ap-shanghai", "console_url": "https://console.example.com/{task_id}?r={region}"}}))
    hook, ti, log = CfgHook(), FakeTI(), mocker.Mock()
    with hook.get_client() as client:
        url = publish_experiment(context_for(ti), hook, client, 3256, log)
    assert url == "https://console.example.com/3256?r=ap-shanghai"
    assert ti.pushed == {XCOM_EXPERIMENT_ID: 3256, XCOM_CONSOLE_URL: url}
    log.info.assert_called_once_with("CFG experiment %s: %s", 3256, url)
