"""What every CFG operator shares: the connection, a lazily built hook, the experiment XComs."""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowFailException, BaseOperator

from airflow_provider_cfg.hooks.cfg import DEFAULT_CONN_ID, CfgHook
from airflow_provider_cfg.links.console import CfgConsoleLink, publish_experiment
from airflow_provider_cfg.links.report import XCOM_REPORT_URL, XCOM_RUN_NOTE, CfgReportLink, run_report_url

XCOM_REPORT = "report"
XCOM_REPORT_MARKDOWN = "report_markdown"


def report_file(experiment_id: int, suffix: str) -> str:
    """The file name of an experiment's report under ``report_path`` (``md`` or ``json``)."""
    return f"cfg-experiment-{experiment_id}.{suffix}"


if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_cfg.api.client import CfgClient


class CfgVerdictError(AirflowFailException):
    """CFG's verdict is not "as expected", or the experiment was ended under the task: the task fails
    so that Airflow shows what CFG recorded. Not retried: a retry cannot change the verdict."""


def fail_unless_expected(log: Any, message: str, fail: bool) -> None:
    """Raise :class:`CfgVerdictError` with ``message`` — or, for a team that only records
    (``fail_on_unexpected=False``), log it as a warning.

    :param log: the operator's logger.
    """
    if fail:
        raise CfgVerdictError(message)
    log.warning("%s (fail_on_unexpected=False: recorded, the task does not fail)", message)


def experiment_id_of(value: Any) -> int:
    """An experiment id from a templated value (``"3256"``, ``3256``) with a clear error otherwise."""
    from airflow_provider_cfg.core.inputs import ascii_id

    return ascii_id(value, "experiment_id", "TaskId")


def deadline_for(timeout: float | None, execution_timeout: Any) -> float | None:
    """Absolute Unix time at which waiting must stop: the earlier of ``timeout`` and ``execution_timeout``."""
    limits = [float(timeout)] if timeout is not None else []
    if execution_timeout is not None:
        limits.append(execution_timeout.total_seconds())
    return time.time() + min(limits) if limits else None


class CfgBaseOperator(BaseOperator):
    """Base of the CFG operators.

    :param cfg_conn_id: the ``tencentcloud_cfg`` connection (templated).
    :param region: overrides the connection's region (templated).
    """

    template_fields: Sequence[str] = ("cfg_conn_id", "region")
    operator_extra_links = (CfgConsoleLink(), CfgReportLink())
    ui_color = "#fde7d9"

    def __init__(self, *, cfg_conn_id: str = DEFAULT_CONN_ID, region: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cfg_conn_id = cfg_conn_id
        self.region = region

    safety_path = False
    """True for the operators that undo or stop experiments (rollback, halt-all): their hook reaches
    CFG even when the ``console_url`` extra is malformed (only the link is lost, and logged)."""

    @cached_property
    def hook(self) -> CfgHook:
        return CfgHook(self.cfg_conn_id, region=self.region, strict_console_url=not self.safety_path)

    def client(self) -> CfgClient:
        return self.hook.get_client()

    def publish_experiment(self, context: Context, client: CfgClient, experiment_id: int) -> str:
        """Push the experiment id and console URL to XCom and log the URL (before any wait)."""
        self.console_link = publish_experiment(context, self.hook, client, experiment_id, self.log)
        return self.console_link

    console_link: str | None = None
    """The console URL this task published (for the run note)."""

    def publish_experiment_safely(self, context: Context, client: CfgClient, experiment_id: int) -> str | None:
        """:meth:`publish_experiment` for the safety paths (a rollback, halt-all, the end of a create):
        the link is optional there, so a failure (a bad ``console_url`` extra, XCom unreachable) is
        logged and the safety work goes on; ``None`` then."""
        try:
            return self.publish_experiment(context, client, experiment_id)
        except Exception as exc:  # optional: never in the way of a rollback or of returning a created id
            self.log.warning(
                "Experiment %s: the console link was not published (%s: %s); going on without it",
                experiment_id, type(exc).__name__, exc,
            )
            return None

    def publish_report(
        self,
        context: Context,
        client: CfgClient,
        experiment_id: int,
        *,
        checks: Any = None,
        report_path: str | None = None,
        outcome: str | None = None,
    ) -> dict[str, Any] | None:
        """Build the game-day report, push it (JSON and Markdown) to XCom, log it, and write it to
        ``report_path`` (any Airflow object storage URL: a local folder, ``s3://…``, ``cos://…``).
        XCom and the log get the capped report (:mod:`core.report.cap`); only ``report_path`` gets
        the full one. Then the link to the rendered report and the DAG run's note (the verdict, the
        summary, the links; ``outcome``: what this task did, in words). Best effort: a report that
        cannot be built never fails the task."""
        from airflow_provider_cfg.core.report import cap_markdown, cap_report, collect_report, render_markdown

        try:
            report = collect_report(client, experiment_id, checks=checks, plan=self.upstream_plan(context))
            small = cap_report(report)
            markdown = cap_markdown(render_markdown(small))
            ti = context["ti"]
            ti.xcom_push(key=XCOM_REPORT, value=small)
            ti.xcom_push(key=XCOM_REPORT_MARKDOWN, value=markdown)
            self.log.info("Game-day report of experiment %s:\n%s", experiment_id, markdown)
            if report_path:
                self.write_report(report_path, experiment_id, report, render_markdown(report))
        except Exception:  # the report is a by-product; the experiment's state is what matters
            self.log.warning("Could not build the report of experiment %s", experiment_id, exc_info=True)
            return None
        self.emit_metrics(context, small)
        self.publish_run_note(context, lambda link: self._report_note(small, link, outcome))
        return small

    def _report_note(self, report: dict[str, Any], link: str | None, outcome: str | None) -> str:
        from airflow_provider_cfg.core.report.note import report_note

        return report_note(report, report_link=link, console_link=self.console_link, outcome=outcome)

    def publish_run_note(self, context: Context, compose: Any, *, with_report: bool = True) -> None:
        """Push the link to the rendered report (the "Game-day report" button) and the DAG run's
        note (``compose(report_link)``), which the provider's listener copies onto the run when it
        ends (tasks of Airflow 3 cannot write the run themselves). Best effort: logged, never raised.

        :param with_report: a report of this run was published (else no link, ``compose(None)``)."""
        try:
            ti = context["ti"]
            link = run_report_url(ti.dag_id, ti.run_id) if with_report else None
            if link:
                ti.xcom_push(key=XCOM_REPORT_URL, value=link)
            note = compose(link)
            ti.xcom_push(key=XCOM_RUN_NOTE, value=note)
            self.log.info("Game-day report: %s; run note:\n%s", link, note)
        except Exception as exc:  # optional: never in the way of a conclusion, a rollback or a halt
            self.log.warning("The run note and report link were not published (%s: %s)", type(exc).__name__, exc)

    def emit_metrics(self, context: Context, report: dict[str, Any]) -> None:
        """Send the report's resilience metrics through Airflow's own metrics (StatsD / OpenTelemetry,
        as configured) under ``cfg.game_day.`` (docs/metrics.md). Best effort: never fails the task."""
        experiment_id = (report.get("experiment") or {}).get("id")
        try:
            from airflow.providers.common.compat.sdk import Stats

            from airflow_provider_cfg.core.report.metrics import metric_points

            for kind, name, value, tags in metric_points(report["metrics"], dag_id=context["ti"].dag_id,
                                                         experiment_id=experiment_id):
                getattr(Stats, kind)(name, value, tags=tags)
        except Exception:  # metrics are a by-product
            self.log.warning("Could not emit the metrics of experiment %s", experiment_id, exc_info=True)

    def upstream_plan(self, context: Context) -> dict[str, Any] | None:
        """The plan an upstream create (or plan) task checked and pushed, if any (for the report)."""
        from airflow_provider_cfg.core.plan.model import XCOM_PLAN

        return self.upstream_xcom(context, XCOM_PLAN)

    def upstream_xcom(self, context: Context, key: str) -> dict[str, Any] | None:
        """The first dict an upstream task of this run pushed under ``key`` (None if there is none)."""
        try:
            upstream = sorted(self.get_flat_relative_ids(upstream=True))
            found = context["ti"].xcom_pull(task_ids=upstream, key=key) if upstream else None
        except Exception:  # no DAG around this operator, or XCom unreachable: treated as not found
            self.log.debug("No %s found upstream", key, exc_info=True)
            return None
        values = found if isinstance(found, list) else [found]
        return next((value for value in values if isinstance(value, dict)), None)

    def write_report(self, report_path: str, experiment_id: int, report: dict[str, Any], markdown: str) -> None:
        import json

        from airflow.providers.common.compat.sdk import ObjectStoragePath

        folder = ObjectStoragePath(report_path)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / report_file(experiment_id, "md")).write_text(markdown)
        (folder / report_file(experiment_id, "json")).write_text(json.dumps(report, indent=2, ensure_ascii=False))
        self.log.info("Report written to %s", folder / report_file(experiment_id, "md"))
