"""The Airflow plugin of the provider (entry point ``airflow.plugins``): on Airflow 3, the FastAPI
app of :mod:`.app` under ``/cfg`` and a "Game days" item under Browse; on every version, the
listener that copies a CFG task's run note onto its DAG run (:mod:`~airflow_provider_cfg.listeners.run_note`).
Airflow 2.11 has no FastAPI plugins: there the plugin carries only the listener (docs/ui.md), so one
wheel serves every version."""

from __future__ import annotations

from typing import Any

from airflow.providers.common.compat.sdk import AirflowPlugin
from airflow.providers.common.compat.version_compat import AIRFLOW_V_3_0_PLUS

from airflow_provider_cfg.listeners import run_note


def _fastapi_apps() -> list[dict[str, Any]]:
    if not AIRFLOW_V_3_0_PLUS:
        return []
    from airflow_provider_cfg.plugins.app import URL_PREFIX, create_app

    return [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "CFG game days"}]


GAME_DAYS_VIEW = {
    "name": "Game days",
    "href": "/cfg/game-days",
    "destination": "nav",
    "category": "browse",
    "url_route": "cfg-game-days",
}
"""Browse → Game days: the page inside Airflow's UI (an iframe at ``/plugin/cfg-game-days``)."""


class CfgGameDaysPlugin(AirflowPlugin):
    """Game days across DAG runs and DAGs, each run's rendered report (Airflow 3), and the run note."""

    name = "cfg_game_days"
    fastapi_apps = _fastapi_apps()
    external_views = [GAME_DAYS_VIEW] if AIRFLOW_V_3_0_PLUS else []
    listeners = [run_note]  # ruff: ignore[mutable-class-default] - the plugin manager reads the class attribute (as for the others)
