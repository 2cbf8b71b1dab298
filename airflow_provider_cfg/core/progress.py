"""Progress lines for long waits, logged at a steady, readable rate.

A wait on a step or an experiment can last an hour; a line per poll buries the log, silence looks
like a hang. :class:`ProgressLog` logs a line when what it says changes, and otherwise at most once
per ``every`` seconds, always with the time elapsed. The lines say where the experiment stands:
step k of n, instances done out of total, outcome so far. No Airflow import here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from airflow_provider_cfg.api.enums import ActionStatus, InstanceStatus, TaskStatus
from airflow_provider_cfg.core.log import Log
from airflow_provider_cfg.core.steps import step_outcome

if TYPE_CHECKING:
    from airflow_provider_cfg.api.models import Task, TaskListItem


EVERY = 60.0
"""Seconds between two identical progress lines."""


def _elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def step_progress(task: Task, task_action_id: int, instance_ids: Collection[int] | None = None) -> str:
    """Where one step stands: ``step 2 of 4 (1.2 'CPU load'): running; instances 3/5 done, 0 failed``."""
    steps = list(task.iter_actions())
    position = next((k for k, (_, a) in enumerate(steps, start=1) if a.TaskGroupActionId == task_action_id), None)
    if position is None:
        return f"experiment {task.TaskId}: step {task_action_id} not found"
    group, action = steps[position - 1]
    outcome = step_outcome(action)
    if instance_ids:
        outcome = outcome.restricted_to(instance_ids)
    done = sum(1 for i in outcome.instances if i.status == InstanceStatus.FINISHED)
    failed = len(outcome.failed_instances)
    label = f"{group.TaskGroupOrder}.{action.TaskGroupActionOrder} '{action.ActionTitle or ''}'"
    return (
        f"experiment {task.TaskId}: step {position} of {len(steps)} ({label}): "
        f"{ActionStatus.describe(outcome.status)}; instances {done}/{len(outcome.instances)} done, {failed} failed"
    )


def experiment_progress(task: Task | TaskListItem) -> str:
    """Where an experiment stands; with the whole experiment (``DescribeTask``), step by step."""
    line = f"experiment {task.TaskId}: {TaskStatus.describe(task.TaskStatus)}"
    iter_actions = getattr(task, "iter_actions", None)  # a DescribeTaskList item has no steps
    if iter_actions is None:
        return line
    actions = [action for _, action in iter_actions()]
    finished = sum(1 for a in actions if a.TaskGroupActionStatus == ActionStatus.FINISHED)
    active = (ActionStatus.PENDING, ActionStatus.RUNNING)
    running = next((a for a in actions if a.TaskGroupActionStatus in active), None)
    line += f"; steps {finished}/{len(actions)} finished"
    if running is not None:
        line += f", now '{running.ActionTitle or running.TaskGroupActionId}'"
    return line


class ProgressLog:
    """Log progress lines: at once when the line changes, else at most every ``every`` seconds.

    :param log: the logger (an operator's or a trigger's ``self.log``).
    :param every: seconds between two identical lines.
    :param clock: monotonic clock (tests pass a fake one).
    """

    def __init__(self, log: Log, every: float = EVERY, clock: Callable[[], float] = time.monotonic) -> None:
        self.log = log
        self.every = every
        self.clock = clock
        self.started = clock()
        self._last: str | None = None
        self._last_at = self.started

    def __call__(self, line: str) -> bool:
        """Log ``line`` if it is due; True when it was logged."""
        now = self.clock()
        if line == self._last and now - self._last_at < self.every:
            return False
        self._last, self._last_at = line, now
        self.log.info("%s (waiting %s)", line, _elapsed(now - self.started))
        return True
