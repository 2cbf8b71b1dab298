"""Link from an Airflow task to the rendered game-day report of its DAG run.

The provider's Airflow plugin serves the report of a run, rendered, at
``<base_url>/cfg/report/<dag_id>/<run_id>``
(:data:`~airflow_provider_cfg.core.report.note.REPORT_PATH`). A task that published a report pushes
that URL to XCom (``report_url``), so the "Game-day report" button shows only on those tasks, and
only once there is a report to open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import BaseOperator, TaskInstanceKey

XCOM_REPORT_URL = "report_url"
XCOM_RUN_NOTE = "cfg_run_note"
"""The run note a task composed; the provider's listener copies the latest onto the run when it ends."""

BASE_URL_OPTIONS = (("api", "base_url"), ("webserver", "base_url"))
"""Where Airflow 3 and Airflow 2 keep the UI's base URL."""


def airflow_base_url() -> str | None:
    """The UI's base URL from Airflow's configuration, ``None`` when it is not set (the link is
    then relative to the host the UI is on)."""
    from airflow.providers.common.compat.sdk import conf

    for section, key in BASE_URL_OPTIONS:
        value = conf.get(section, key, fallback=None)
        if value:
            return str(value)
    return None


def run_report_url(dag_id: str, run_id: str) -> str:
    """The rendered report of a DAG run, under Airflow's base URL."""
    from airflow_provider_cfg.core.report.note import report_url

    return report_url(dag_id, run_id, airflow_base_url())


class CfgReportLink(BaseOperatorLink):
    """"Game-day report" button on the task: opens the rendered report of the run (when the task
    published one)."""

    name = "Game-day report"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        from airflow.providers.common.compat.sdk import XCom

        value: Any = XCom.get_value(key=XCOM_REPORT_URL, ti_key=ti_key)
        return value or ""
