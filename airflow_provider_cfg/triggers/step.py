"""Trigger waiting for one action step of an experiment to finish.

It needs the whole experiment (``DescribeTask``), read through the shared poller: watchers of the
same experiment share one read per interval.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.core.events import step_event
from airflow_provider_cfg.core.progress import step_progress
from airflow_provider_cfg.triggers.base import CfgPollingTrigger

if TYPE_CHECKING:
    from airflow_provider_cfg.api.models import Task


class CfgStepTrigger(CfgPollingTrigger["Task"]):
    """Wait until the step (``TaskGroupActionId``) reaches 2004, then report success or failure.

    :param task_action_id: the step's ``TaskGroupActionId``.
    :param instance_ids: wait only for these instances (``TaskGroupInstanceId``), when the step was
        operated on some of its instances; default the whole step.
    """

    def __init__(self, task_action_id: int, instance_ids: list[int] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.task_action_id = int(task_action_id)
        self.instance_ids = [int(i) for i in instance_ids] if instance_ids else None

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "airflow_provider_cfg.triggers.step.CfgStepTrigger",
            {**self._base_kwargs(), "task_action_id": self.task_action_id, "instance_ids": self.instance_ids},
        )

    def check(self, task: Task) -> dict[str, Any] | None:
        return step_event(task, self.task_action_id, self.instance_ids)

    def progress(self, task: Task) -> str:
        return step_progress(task, self.task_action_id, self.instance_ids)
