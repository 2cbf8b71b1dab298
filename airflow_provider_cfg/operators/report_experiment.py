"""Write the game-day report of experiments that already ended — whoever ran them (Airflow, the
console, another team's pipeline): :class:`CfgReportExperimentOperator`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.operators.base import CfgBaseOperator, experiment_id_of, report_file

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context


class CfgReportReadError(RuntimeError):
    """Some reports could not be built (the others were written); the task fails so it is retried."""


def payloads_of(triggering_asset_events: Any) -> list[Mapping[str, Any]]:
    """The CFG event payloads of a run's ``triggering_asset_events`` (asset → events), oldest first."""
    found = []
    for events in (triggering_asset_events or {}).values():
        for event in events:
            extra = getattr(event, "extra", None) or {}
            payload = extra.get("payload") if isinstance(extra, Mapping) else None
            if isinstance(payload, Mapping):
                found.append((str(getattr(event, "timestamp", "")), payload))
    return [payload for _, payload in sorted(found, key=lambda pair: pair[0])]


class CfgReportExperimentOperator(CfgBaseOperator):
    """Build each experiment's game-day report from CFG's record and write it to ``report_path``
    (``cfg-experiment-<id>.md`` and ``.json``, overwritten: reporting twice is harmless).

    The experiments are ``experiment_ids`` or, when not given, those of the run's triggering asset
    events (:class:`~airflow_provider_cfg.triggers.experiment_events.CfgExperimentEventTrigger`
    payloads) in ``statuses``. Every report is attempted; the task fails at the end if one could not
    be built, so a retry completes them.

    :param report_path: folder (any Airflow object storage URL) the reports are written to (templated).
    :param experiment_ids: the experiments (``TaskId``; a list, or a comma-separated string); ``None`` or
        blank: those of the triggering asset events (templated).
    :param statuses: the event statuses reported (default ``[1004]``: the experiments that ended).
    :return: ``[{"experiment_id", "title", "as_expected", "report"}]`` — the report's Markdown path.
    """

    template_fields: Sequence[str] = (*CfgBaseOperator.template_fields, "report_path", "experiment_ids")

    def __init__(self, *, report_path: str, experiment_ids: Sequence[int | str] | None = None,
                 statuses: Sequence[int] = (1004,), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.report_path = report_path
        self.experiment_ids = experiment_ids
        self.statuses = [int(status) for status in statuses]

    def experiments(self, context: Context) -> list[int]:
        from airflow_provider_cfg.core.experiment_events import experiment_ids_of

        ids = self.experiment_ids
        if isinstance(ids, (str, int)):
            ids = str(ids).replace(",", " ").split() or None  # a blank template: the events decide
        if ids is not None:
            return list(dict.fromkeys(experiment_id_of(value) for value in ids))
        return experiment_ids_of(payloads_of(context.get("triggering_asset_events")), self.statuses)

    def execute(self, context: Context) -> list[dict[str, Any]]:
        from airflow_provider_cfg.core.report import collect_report, render_markdown

        ids = self.experiments(context)
        if not ids:
            self.log.info("No experiment to report on")
            return []
        client = self.client()
        written, failed = [], []
        for experiment_id in ids:
            try:
                report = collect_report(client, experiment_id)
                self.write_report(self.report_path, experiment_id, report, render_markdown(report))
            except Exception as exc:  # go on with the others; fail at the end
                self.log.warning("Report of experiment %s not written: %s: %s", experiment_id, type(exc).__name__, exc)
                failed.append(experiment_id)
                continue
            written.append({"experiment_id": experiment_id, "title": report["experiment"]["title"],
                            "as_expected": report["verdict"]["as_expected"],
                            "report": f"{self.report_path.rstrip('/')}/{report_file(experiment_id, 'md')}"})
        if failed:
            raise CfgReportReadError(f"reports of experiments {failed} could not be built ({len(written)} written)")
        return written


__all__ = ["CfgReportExperimentOperator", "CfgReportReadError", "payloads_of"]
