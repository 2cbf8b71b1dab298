"""Game days as the operators stored them: the ``report`` XCom (and ``report_markdown``,
``console_url``) of every DAG run — no database of our own. Airflow 3's metadata database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from airflow_provider_cfg.links.console import XCOM_CONSOLE_URL
from airflow_provider_cfg.operators.base import XCOM_REPORT, XCOM_REPORT_MARKDOWN

REPORT_KEYS = (XCOM_REPORT, XCOM_REPORT_MARKDOWN, XCOM_CONSOLE_URL)
"""The XCom keys the operators publish a report under."""


@dataclass
class GameDay:
    """The last report a DAG run pushed (a rollback after an end pushes a second one: the later wins)."""

    dag_id: str
    run_id: str
    at: datetime
    report: dict[str, Any]
    markdown: str | None = None
    console_url: str | None = None


def _rows(dag_id: str | None = None, run_id: str | None = None, limit: int = 500) -> list[Any]:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    query = select(XComModel.dag_id, XComModel.run_id, XComModel.key, XComModel.value, XComModel.timestamp).where(
        XComModel.key.in_(REPORT_KEYS)
    )
    if dag_id is not None:
        query = query.where(XComModel.dag_id == dag_id)
    if run_id is not None:
        query = query.where(XComModel.run_id == run_id)
    with create_session() as session:
        return list(session.execute(query.order_by(XComModel.timestamp.desc()).limit(limit * len(REPORT_KEYS))))


def game_days(dag_id: str | None = None, run_id: str | None = None, limit: int = 500) -> list[GameDay]:
    """The game days (newest first), one per DAG run that pushed a report.

    :param dag_id: only this DAG's.
    :param run_id: only this run's (with ``dag_id``).
    :param limit: at most this many.
    """
    from airflow.models.xcom import XComModel

    found: dict[tuple[str, str], GameDay] = {}
    extras: dict[tuple[str, str, str], Any] = {}
    for row in _rows(dag_id, run_id, limit):
        value = XComModel.deserialize_value(row)
        run = (row.dag_id, row.run_id)
        if row.key == XCOM_REPORT and isinstance(value, dict) and run not in found:  # newest first
            found[run] = GameDay(row.dag_id, row.run_id, row.timestamp, value)
        elif row.key != XCOM_REPORT:
            extras.setdefault((*run, row.key), value)
    for run, day in found.items():
        markdown, console = extras.get((*run, XCOM_REPORT_MARKDOWN)), extras.get((*run, XCOM_CONSOLE_URL))
        day.markdown = markdown if isinstance(markdown, str) else None
        day.console_url = console if isinstance(console, str) else None
    return list(found.values())[:limit]
