"""The emulator's state: every part of the CFG state machine, composed into one object."""

from __future__ import annotations

from typing import Any

from airflow_provider_cfg.api import models as m
from airflow_provider_cfg.api.enums import TaskStatus
from airflow_provider_cfg.emulator.state.guardrail import GuardrailMixin
from airflow_provider_cfg.emulator.state.instance_operations import InstanceOperationsMixin
from airflow_provider_cfg.emulator.state.lifecycle import LifecycleMixin
from airflow_provider_cfg.emulator.state.listing import list_item
from airflow_provider_cfg.emulator.state.records import ActionRec, TaskRec


class EmulatorState(LifecycleMixin, InstanceOperationsMixin, GuardrailMixin):
    """Tasks, timers and the fault ledger of one emulator.

    The API operations (callers hold :attr:`lock` and have called :meth:`advance`) come from the
    parts: :class:`.CreationMixin` (``create_task``), :class:`.LifecycleMixin` (``execute_task``,
    ``modify_status``, ``delete_task``), :class:`.InstanceOperationsMixin` (``execute_instance``)
    and :class:`.GuardrailMixin` (``trigger_policy``); timers, lookups and log lines from
    :class:`.StateCore`.

    :param catalogue: the read-only catalogue (built from :mod:`..catalogue_data` by default).
    :param action_seconds: how long one action takes on one instance (instances run in parallel).
    :param clock: the simulation clock; replaceable in tests.
    :param seed: seed of the random numbers (RandomIds, instance selection); ``None`` = random.
    """

    def _settle(self, task: TaskRec, action: ActionRec, t: float) -> None:
        # Where the parts meet: a rollback in progress goes first, else the task's mode decides.
        self._update_action(task, action, t)
        if task.status == TaskStatus.ENDED:
            return
        if task.rollback is not None:
            self._rollback_next(task, t)
        elif not self._run_queued(task, t):
            self._proceed_after(task, action, t)

    def faults(self) -> list[dict[str, Any]]:
        """The faults in place now (the ledger, oldest first)."""
        with self.lock:
            self.advance()
            return self.ledger.listing()

    @staticmethod
    def list_item(task: TaskRec) -> m.TaskListItem:
        """The task as a row of ``DescribeTaskList``."""
        return list_item(task)
