"""plugins/: the "Game days" page and the report page behind Airflow's auth manager (FastAPI TestClient).

The stored XCom rows are given (``store._rows``, as the metadata database returns them) and the
auth manager is mocked (a user who may read ``cfg_game_day`` but not ``secret_game_day``): both are
Airflow's side; what is tested is what the plugin does with them.
"""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from airflow_provider_cfg.core.report import collect_report
from airflow_provider_cfg.core.report.render import render_markdown
from tests.airflow_helpers import make_client
from tests.unit.core.report.game_day import run_game_day

READABLE = "cfg_game_day"
DENIED = "secret_game_day"


def row(dag_id: str, run_id: str, key: str, value: Any, minute: int) -> SimpleNamespace:
    return SimpleNamespace(dag_id=dag_id, run_id=run_id, key=key, value=value,
                           timestamp=datetime(2026, 1, 7, 10, minute, tzinfo=timezone.utc))


@pytest.fixture
def stored(cfg_emulator) -> dict[str, Any]:
    """Two game days of the readable DAG (one with a newer rollback report) and one of the denied DAG."""
    with make_client(cfg_emulator) as client:
        report = collect_report(client, run_game_day(cfg_emulator), checks={"http": {"passed": True, "detail": "200"}})
    older = {**report, "verdict": {**report["verdict"], "as_expected": True}}

    def titled(base: dict[str, Any], title: str) -> dict[str, Any]:
        return {**base, "experiment": {**base["experiment"], "title": title}}

    return {"report": report, "rows": [  # newest first, as store._rows orders them
        row(READABLE, "run_2", "report", report, 30),
        row(READABLE, "run_2", "report_markdown", render_markdown(report), 30),
        row(READABLE, "run_2", "console_url", "http://127.0.0.1:1/_emulator/tasks/3256", 20),
        row(READABLE, "run_1", "report", titled(older, "older rollback"), 12),
        row(READABLE, "run_1", "report", titled(older, "older end"), 11),
        row(DENIED, "run_9", "report", titled(report, "top secret"), 40),
    ]}


@pytest.fixture
def client(mocker, stored):
    from airflow.api_fastapi.core_api.security import get_user

    from airflow_provider_cfg.plugins import store
    from airflow_provider_cfg.plugins.app import create_app

    mocker.patch.object(store, "_rows", side_effect=lambda dag_id=None, run_id=None, limit=500: [
        r for r in stored["rows"] if dag_id in (None, r.dag_id) and run_id in (None, r.run_id)])
    manager = mocker.Mock()
    manager.filter_authorized_dag_ids.side_effect = lambda *, dag_ids, user, method: {
        d for d in dag_ids if method == "GET" and user.username == "sre" and d != DENIED}
    mocker.patch("airflow.api_fastapi.app.get_auth_manager", return_value=manager)
    app = create_app()
    app.dependency_overrides[get_user] = lambda: SimpleNamespace(username="sre")
    return TestClient(app)


def test_game_days_lists_the_readable_dags_runs_with_their_latest_report_and_a_chart(client, stored):
    page = client.get("/game-days")
    assert page.status_code == 200
    assert page.text.count('<tr class="game-day">') == 2
    assert "top secret" not in page.text and DENIED not in page.text
    assert "older rollback" in page.text and "older end" not in page.text  # the run's latest report
    assert '<a href="report/cfg_game_day/run_2">report</a>' in page.text.replace(' class="report"', "")
    assert 'href="http://127.0.0.1:1/_emulator/tasks/3256"' in page.text
    (fault,) = stored["report"]["metrics"]["faults"]
    assert f"<td>{fault['time_to_detect_s']} s</td><td>{fault['time_to_recover_s']} s</td>" in page.text
    assert page.text.count("<circle class=\"verdict\"") == 2
    assert "<td class=\"as-expected\">as expected</td>" in page.text and ">no conclusion</td>" in page.text
    assert "<svg" in page.text and "<script" not in page.text


def test_the_report_page_renders_the_stored_markdown(client, stored):
    page = client.get("/report/cfg_game_day/run_2")
    assert page.status_code == 200
    assert "<h2>Resilience metrics</h2>" in page.text and "<table>" in page.text
    assert f"experiment {stored['report']['experiment']['id']}" in page.text
    assert client.get("/report/cfg_game_day/run_1").status_code == 200  # rendered from the report dict
    assert client.get("/report/cfg_game_day/no_such_run").status_code == 404


def test_a_user_denied_the_dag_gets_403_for_its_report_and_sees_none_of_its_game_days(client):
    assert client.get(f"/report/{DENIED}/run_9").status_code == 403
    from airflow.api_fastapi.core_api.security import get_user

    client.app.dependency_overrides[get_user] = lambda: SimpleNamespace(username="visitor")  # may read nothing
    assert client.get("/report/cfg_game_day/run_2").status_code == 403
    page = client.get("/game-days")
    assert page.status_code == 200 and '<tr class="game-day">' not in page.text


def test_without_a_token_the_pages_are_401(mocker):
    from airflow_provider_cfg.plugins.app import create_app

    anonymous = TestClient(create_app())
    assert anonymous.get("/game-days").status_code == 401
    assert anonymous.get("/report/cfg_game_day/run_2").status_code == 401


def test_the_plugin_registers_the_app_under_cfg_and_browse_game_days():
    from importlib.metadata import entry_points

    from airflow_provider_cfg.plugins.game_days import CfgGameDaysPlugin

    (entry,) = [e for e in entry_points(group="airflow.plugins") if e.name == "cfg_game_days"]
    assert entry.load() is CfgGameDaysPlugin
    (app,) = CfgGameDaysPlugin.fastapi_apps
    assert app["url_prefix"] == "/cfg"
    (view,) = CfgGameDaysPlugin.external_views
    assert (view["name"], view["category"], view["href"]) == ("Game days", "browse", "/cfg/game-days")
