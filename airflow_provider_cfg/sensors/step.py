"""Wait for one action step (and its instances) to finish successfully."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.sensors.base import CfgBaseSensor

if TYPE_CHECKING:
    from airflow_provider_cfg.api.models import Task
    from airflow_provider_cfg.triggers.step import CfgStepTrigger


class CfgStepSensor(CfgBaseSensor):
    """Wait until a step reaches 2004 (finished) with success or skip; fail fast on failed or
    terminated instances (with their execution logs) or when the experiment ends first.

    :param step: ``"1.2"``, an action title, a ``TaskGroupActionId`` or ``{"group": 1, "action": 2}`` (templated).
    """

    template_fields: Sequence[str] = (*CfgBaseSensor.template_fields, "step")

    def __init__(self, *, step: str | int | dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.step = step
        self._task_action_id: int | None = None

    def verdict(self, task: Task) -> dict[str, Any] | None:
        from airflow_provider_cfg.core.events import step_event
        from airflow_provider_cfg.core.steps import StepSelector, resolve_step

        if self._task_action_id is None:
            self._task_action_id = resolve_step(task, StepSelector.parse(self.step)).task_action_id
        return step_event(task, self._task_action_id)

    def progress(self, task: Task) -> str:
        from airflow_provider_cfg.core.progress import step_progress

        assert self._task_action_id is not None  # resolved by verdict() first
        return step_progress(task, self._task_action_id)

    def trigger(self, experiment_id: int, deadline: float | None) -> CfgStepTrigger:
        from airflow_provider_cfg.triggers.step import CfgStepTrigger

        assert self._task_action_id is not None  # resolved by the poke before deferring
        return CfgStepTrigger(
            task_action_id=self._task_action_id,
            experiment_id=experiment_id,
            cfg_conn_id=self.cfg_conn_id,
            region=self.region,
            poll_interval=self.poke_interval,
            deadline=deadline,
            rollback_on_kill=False,
        )
