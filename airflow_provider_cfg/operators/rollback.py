"""The rollback teardown: no fault left behind, whatever happened upstream."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.operators.base import XCOM_REPORT, CfgBaseOperator, experiment_id_of

if TYPE_CHECKING:
    from airflow.sdk import Context


class CfgRollbackExperimentOperator(CfgBaseOperator):
    """Recover every fault the experiment injected and end it honestly — meant as a teardown::

        create >> start >> inject >> check >> recover >> conclude
        rollback = CfgRollbackExperimentOperator(task_id="rollback", experiment_id=create.output)
        rollback.as_teardown(setups=create)

    It reads the experiment, executes the paired recovery of every fault that ran without being
    recovered (reverse order, waiting for each), falls back to the guardrail's sequential rollback
    when a recovery cannot be executed, and ends the experiment with ``IsExpect=false`` and a summary
    of what it did — unless the experiment was already concluded, in which case it changes nothing.
    Running it twice changes nothing the second time. It fails when something is still injected.

    :param experiment_id: the experiment (``TaskId``) (templated). Empty (the create task failed before
        creating anything) means there is nothing to roll back.
    :param reason: why, for the summary (templated).
    :param poll_interval: seconds between reads while waiting for a recovery.
    :param step_timeout: longest wait for one recovery, in seconds.
    :param read_patience: how long reads are retried through an API outage, in seconds.
    :param report_path: where to also write the report of a rolled-back experiment (object storage URL).
    """

    template_fields: Sequence[str] = (*CfgBaseOperator.template_fields, "experiment_id", "reason", "report_path")

    def __init__(
        self,
        *,
        experiment_id: int | str | None,
        reason: str = "Airflow teardown: the game-day run did not conclude the experiment",
        poll_interval: float = 2.0,
        step_timeout: float = 900.0,
        read_patience: float = 300.0,
        report_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("retries", 3)
        super().__init__(**kwargs)
        self.experiment_id = experiment_id
        self.reason = reason
        self.poll_interval = poll_interval
        self.step_timeout = step_timeout
        self.read_patience = read_patience
        self.report_path = report_path

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_cfg.core.rollback import Rollback
        from airflow_provider_cfg.exceptions import CfgStepFailedError

        if self.experiment_id in (None, "", "None"):
            self.log.info("No experiment was created; nothing to roll back")
            return {"task_id": None, "clean": True}
        task_id = experiment_id_of(self.experiment_id)
        with self.client() as client:
            self.publish_experiment(context, client, task_id)
            report = Rollback(
                client, task_id, self.reason,
                poll_interval=self.poll_interval, step_timeout=self.step_timeout, read_patience=self.read_patience,
            ).run()
            nothing_done = report.already_concluded and report.clean
            if nothing_done:
                self.log.info("Experiment %s was already concluded with nothing left injected; nothing to do", task_id)
            else:
                self.log.warning("Rollback of experiment %s: %s", task_id, report.summary())
            # The record, unless a conclusion in this run wrote it (an abort by the steady-state
            # guard, a kill or an end by hand leaves none).
            if not nothing_done or self.upstream_xcom(context, XCOM_REPORT) is None:
                self.publish_report(context, client, task_id, report_path=self.report_path)
        result = {
            "task_id": task_id,
            "clean": report.clean,
            "recovered": report.recovered,
            "left_injected": report.left_injected,
            "guardrail_triggered": report.guardrail_triggered,
            "ended_by_rollback": report.ended and not report.already_concluded,
            "problems": report.problems,
        }
        if not report.clean:
            raise CfgStepFailedError(
                f"experiment {task_id}: faults may still be injected: {', '.join(report.left_injected)}"
            )
        return result
