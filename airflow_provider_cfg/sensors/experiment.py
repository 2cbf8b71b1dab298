"""Wait for an experiment to reach a status."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.sensors.base import CfgBaseSensor

if TYPE_CHECKING:
    from airflow_provider_cfg.api.models import Task
    from airflow_provider_cfg.triggers.experiment import CfgExperimentTrigger


class CfgExperimentSensor(CfgBaseSensor):
    """Wait until the experiment's ``TaskStatus`` is one of ``target_statuses`` (default 1004, ended).

    Fails fast when the experiment ends (1004) without 1004 being a target, or reaches one of
    ``failure_statuses``.

    :param target_statuses: task status codes to wait for: 1001 not started, 1002 running, 1003 paused, 1004 ended.
    :param failure_statuses: codes that fail the sensor at once.
    """

    def __init__(
        self, *, target_statuses: Sequence[int] = (1004,), failure_statuses: Sequence[int] = (), **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        from airflow_provider_cfg.api.enums import TaskStatus
        from airflow_provider_cfg.api.methods import checked_enum

        self.target_statuses = [int(checked_enum(TaskStatus, s, "target_statuses")) for s in target_statuses]
        self.failure_statuses = [int(checked_enum(TaskStatus, s, "failure_statuses")) for s in failure_statuses]

    def verdict(self, task: Task) -> dict[str, Any] | None:
        from airflow_provider_cfg.core.events import experiment_event

        return experiment_event(task, self.target_statuses, self.failure_statuses)

    def trigger(self, experiment_id: int, deadline: float | None) -> CfgExperimentTrigger:
        from airflow_provider_cfg.triggers.experiment import CfgExperimentTrigger

        return CfgExperimentTrigger(
            target_statuses=self.target_statuses,
            failure_statuses=self.failure_statuses,
            experiment_id=experiment_id,
            cfg_conn_id=self.cfg_conn_id,
            region=self.region,
            poll_interval=self.poke_interval,
            deadline=deadline,
        )
