"""Delete an experiment (``DeleteTask``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.operators.base import CfgBaseOperator, experiment_id_of

if TYPE_CHECKING:
    from airflow.sdk import Context


class CfgDeleteExperimentOperator(CfgBaseOperator):
    """Delete an experiment. One that no longer exists counts as deleted (``missing_ok``).

    :param experiment_id: the experiment (``TaskId``) (templated).
    :param missing_ok: succeed when the experiment is already gone.
    """

    template_fields: Sequence[str] = (*CfgBaseOperator.template_fields, "experiment_id")

    def __init__(self, *, experiment_id: int | str, missing_ok: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.experiment_id = experiment_id
        self.missing_ok = missing_ok

    def execute(self, context: Context) -> bool:
        from airflow_provider_cfg.api.errors import CfgApiError

        task_id = experiment_id_of(self.experiment_id)
        with self.client() as client:
            try:
                client.delete_task(task_id)
            except CfgApiError as exc:
                if exc.code == "ResourceNotFound" and self.missing_ok:
                    self.log.info("Experiment %s does not exist (already deleted)", task_id)
                    return False
                raise
        self.log.info("Experiment %s deleted", task_id)
        return True
