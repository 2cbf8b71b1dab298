"""Provider metadata that the Airflow UI renders."""

from __future__ import annotations

from airflow_provider_cfg.get_provider_info import get_provider_info


def test_the_language_dropdown_offers_languages_only():
    """A ``None`` in the enum shows as a "null" choice in Airflow 3.2+'s connection form."""
    (info,) = get_provider_info()["connection-types"]
    language = info["conn-fields"]["language"]["schema"]
    assert language["enum"] == ["en-US", "zh-CN"] and language["default"] == "en-US"


def test_both_links_are_registered():
    assert get_provider_info()["extra-links"] == [
        "airflow_provider_cfg.links.console.CfgConsoleLink",
        "airflow_provider_cfg.links.report.CfgReportLink",
    ]
