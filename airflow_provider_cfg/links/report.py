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


def base_url_option(airflow_3: bool) -> tuple[str, str]:
    """Where Airflow keeps the UI's base URL: ``[api] base_url`` on 3.x, ``[webserver] base_url`` on 2."""
    return ("api", "base_url") if airflow_3 else ("webserver", "base_url")


def airflow_base_url() -> str | None:
    """The UI's base URL from Airflow's configuration, ``None`` when it is not set (the link is
    then relative to the host the UI is on)."""
    from airflow.providers.common.compat.sdk import conf
    from airflow.providers.common.compat.version_compat import AIRFLOW_V_3_0_PLUS

    value = conf.get(*base_url_option(AIRFLOW_V_3_0_PLUS), fallback=None)
    return str(value) if value else None


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
