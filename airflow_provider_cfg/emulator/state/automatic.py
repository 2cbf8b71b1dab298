"""Moving a task on: automatic mode runs its actions itself, manual mode marks the next one pending.

Automatic mode (``TaskMode`` 2) waits ``PreTimeWait`` before and ``AfterTimeWait`` after each
action, skips the faults once the guardrail fired or an action failed, and ends the task when no
action is left. Every (re)scheduling bumps the task's ``auto_token``, so a paused, ended or
rescheduled task ignores the timers it left behind.
"""

from __future__ import annotations

import functools

from airflow_provider_cfg.api.enums import ActionStatus, TaskStatus
from airflow_provider_cfg.emulator.state.execution import ExecutionMixin
from airflow_provider_cfg.emulator.state.records import OPEN, ActionRec, TaskRec


class AutomaticMixin(ExecutionMixin):
    """The next step of a task: automatic mode's own steps, or manual mode's pending marker."""

    def _proceed(self, task: TaskRec, t: float) -> None:
        """Move ``task`` on now: its next automatic step, or (manual mode) mark the next action pending."""
        if task.automatic:
            self._auto_step(task, t)
        else:
            self._mark_pending(task, t)

    def _proceed_after(self, task: TaskRec, action: ActionRec, t: float) -> None:
        """Move ``task`` on after ``action`` finished: automatic mode waits its ``AfterTimeWait`` first."""
        if not task.automatic:
            self._mark_pending(task, t)
            return
        task.auto_token += 1
        token = task.auto_token
        if action.is_fault and self.variants.auto_pause == "on" and task.status == TaskStatus.RUNNING:
            self._auto_pause(task, t)
            return

        def next_step(due: float) -> None:
            if token == task.auto_token:  # nothing rescheduled the task since
                self._auto_step(task, due)

        self._schedule(t + action.wait("AfterTimeWait"), next_step)

    def _auto_pause(self, task: TaskRec, t: float) -> None:
        """Variant ``auto_pause=on``: pause after a fault, resume by itself after ``TaskPauseDuration``
        (one simulated minute lasts ``action_seconds``); a resume or end on request comes first."""
        task.model.TaskStatus = TaskStatus.PAUSED
        self._touch(task, t)
        self._log(task, t, f"Task paused by itself for TaskPauseDuration ({task.model.TaskPauseDuration} min)")
        token = task.auto_token

        def resume(due: float) -> None:
            if token == task.auto_token and task.status == TaskStatus.PAUSED:
                task.model.TaskStatus = TaskStatus.RUNNING
                self._touch(task, due)
                self._log(task, due, "Task resumed by itself after TaskPauseDuration")
                self._auto_step(task, due)

        self._schedule(t + float(task.model.TaskPauseDuration or 0) * self.action_seconds, resume)

    def _make_pending(self, action: ActionRec, t: float) -> None:
        """Show ``action`` as waiting to run (2002)."""
        if action.status != ActionStatus.PENDING:
            action.model.TaskGroupActionStatus = ActionStatus.PENDING
            action.model.TaskGroupActionUpdateTime = self.fmt(t)

    def _mark_pending(self, task: TaskRec, t: float) -> None:
        """Manual mode: the first action not yet run waits at 2002 ("to be executed")."""
        if task.automatic or task.status not in (TaskStatus.RUNNING, TaskStatus.PAUSED):
            return
        action = next((a for a in task.actions if a.status in OPEN), None)
        if action is not None:
            self._make_pending(action, t)

    def _auto_step(self, task: TaskRec, t: float) -> None:
        """Automatic mode: schedule the next open action after its ``PreTimeWait``, or end the task."""
        if task.status != TaskStatus.RUNNING or not task.automatic or task.rollback is not None:
            return
        if task.running_action() is not None:
            return
        for action in task.actions:
            if action.status not in OPEN:
                continue
            if action.is_fault and (task.triggered or task.auto_failed):
                why = "the guardrail is triggered" if task.triggered else "an earlier action failed"
                self._skip(task, action, action.open_instances(), t, f"fault not injected: {why}")
                continue
            self._make_pending(action, t)
            task.auto_token += 1
            token = task.auto_token
            self._schedule(t + action.wait("PreTimeWait"), functools.partial(self._auto_start, task, action, token))
            return
        self._end(task, t, task.outcome(), "all actions finished (automatic mode)")

    def _auto_start(self, task: TaskRec, action: ActionRec, token: int, t: float) -> None:
        if token != task.auto_token or task.status != TaskStatus.RUNNING or task.rollback is not None:
            return
        if task.running_action() is not None:
            return
        if action.status not in OPEN or (action.is_fault and task.triggered):
            self._auto_step(task, t)
            return
        self._start_run(task, action, action.open_instances(), t, "automatic")
