"""Trigger waiting for an experiment to reach a target status.

It needs only the task-level status, so it reads through the shared poller's batched
``DescribeTaskList`` (up to 100 experiments per call) rather than one ``DescribeTask`` each.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.core.events import experiment_event
from airflow_provider_cfg.triggers.base import CfgPollingTrigger

if TYPE_CHECKING:
    from airflow_provider_cfg.api.models import Task, TaskListItem
    from airflow_provider_cfg.triggers.poller import Poller, Reading


class CfgExperimentTrigger(CfgPollingTrigger["Task | TaskListItem"]):
    """Wait until the experiment's ``TaskStatus`` is one of ``target_statuses``.

    :param target_statuses: task status codes that end the wait with success (e.g. ``[1004]``).
    :param failure_statuses: codes that end it with failure at once (1004 always does when it is not a target).
    """

    def __init__(self, target_statuses: Sequence[int], failure_statuses: Sequence[int] = (), **kwargs: Any) -> None:
        kwargs.setdefault("rollback_on_kill", False)  # watching only; the experiment is someone else's
        super().__init__(**kwargs)
        self.target_statuses = [int(s) for s in target_statuses]
        self.failure_statuses = [int(s) for s in failure_statuses]

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "airflow_provider_cfg.triggers.experiment.CfgExperimentTrigger",
            {**self._base_kwargs(), "target_statuses": self.target_statuses, "failure_statuses": self.failure_statuses},
        )

    async def read(self, poller: Poller) -> Reading:
        """The task-level status only (batched ``DescribeTaskList``)."""
        return await self.read_status(poller)

    def check(self, task: Task | TaskListItem) -> dict[str, Any] | None:
        return experiment_event(task, self.target_statuses, self.failure_statuses)
