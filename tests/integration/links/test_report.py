"""The "Game-day report" button: on every CFG operator, shown only when its task published a report."""

from __future__ import annotations

import pytest

from airflow_provider_cfg.get_provider_info import get_provider_info
from airflow_provider_cfg.links.report import (
    XCOM_REPORT_URL,
    CfgReportLink,
    airflow_base_url,
    base_url_option,
    run_report_url,
)
from airflow_provider_cfg.operators.base import CfgBaseOperator


def test_operators_carry_the_link_and_the_provider_registers_it():
    assert any(isinstance(link, CfgReportLink) for link in CfgBaseOperator.operator_extra_links)
    assert CfgReportLink().name == "Game-day report"
    assert "airflow_provider_cfg.links.report.CfgReportLink" in get_provider_info()["extra-links"]


@pytest.mark.parametrize(("stored", "shown"), [("http://h/cfg/report/d/r", "http://h/cfg/report/d/r"), (None, "")])
def test_the_link_shows_only_when_a_report_was_published(stored, shown, mocker):
    get_value = mocker.patch("airflow.providers.common.compat.sdk.XCom.get_value", return_value=stored)
    assert CfgReportLink().get_link(mocker.Mock(), ti_key=mocker.sentinel.ti_key) == shown
    get_value.assert_called_once_with(key=XCOM_REPORT_URL, ti_key=mocker.sentinel.ti_key)


def test_the_url_is_under_airflow_base_url(monkeypatch):
    monkeypatch.delenv("AIRFLOW__API__BASE_URL", raising=False)
    monkeypatch.delenv("AIRFLOW__WEBSERVER__BASE_URL", raising=False)
    assert airflow_base_url() is None and run_report_url("d", "r") == "/cfg/report/d/r"  # relative to the UI's host
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://airflow3:8080/")
    assert run_report_url("d", "scheduled__x") == "http://airflow3:8080/cfg/report/d/scheduled__x"


def test_the_base_url_option_of_each_version():
    assert base_url_option(True) == ("api", "base_url") and base_url_option(False) == ("webserver", "base_url")
