"""Start an experiment (``ExecuteTask``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.operators.base import CfgBaseOperator, experiment_id_of

if TYPE_CHECKING:
    from airflow.sdk import Context


class CfgStartExperimentOperator(CfgBaseOperator):
    """Start an experiment: 1001 (not started) → 1002 (running).

    Idempotent: an experiment that is already running or paused is left as it is; an ended one is
    refused. In manual mode the first step then waits at 2002 for :class:`CfgExecuteStepOperator`.

    :param experiment_id: the experiment (``TaskId``) (templated).
    """

    template_fields: Sequence[str] = (*CfgBaseOperator.template_fields, "experiment_id")

    def __init__(self, *, experiment_id: int | str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.experiment_id = experiment_id

    def execute(self, context: Context) -> int:
        from airflow_provider_cfg.api.enums import TaskStatus
        from airflow_provider_cfg.api.errors import CfgApiError, CfgOutcomeUnknownError
        from airflow_provider_cfg.exceptions import CfgExperimentStatusError

        task_id = experiment_id_of(self.experiment_id)
        with self.client() as client:
            self.publish_experiment(context, client, task_id)
            for attempt in range(2):
                status = client.describe_task(task_id).require_task().TaskStatus
                if status == TaskStatus.ENDED:
                    raise CfgExperimentStatusError(f"experiment {task_id} has already ended; it cannot be started")
                if status in (TaskStatus.RUNNING, TaskStatus.PAUSED):
                    self.log.info("Experiment %s is already %s", task_id, TaskStatus.describe(status))
                    return task_id
                try:
                    client.execute_task(task_id)
                    self.log.info("Experiment %s started", task_id)
                    return task_id
                except (CfgOutcomeUnknownError, CfgApiError) as exc:
                    refused = isinstance(exc, CfgApiError) and exc.code != "FailedOperation" and not exc.is_transient
                    if attempt or refused:
                        raise
                    self.log.warning("ExecuteTask did not answer clearly (%s); re-reading the experiment", exc)
        return task_id
