"""Progress lines for every long wait, logged at a steady, readable rate.

A wait on a step, an experiment or the steady state can last an hour; a line per poll buries the
log, silence looks like a hang. Every wait of the provider — the triggers, the sensors, the step
operator's and the guard's synchronous waits — logs through one :class:`ProgressLog`: a line at
once when the state changes, otherwise one every ``every`` seconds (``[cfg] progress_every``),
each ending with the time waited and the time left. The builders here say where things stand,
key facts first and in words: step k of n, instances done, probes passed. A line is cut to
:data:`WIDTH` characters so that it fits a log viewer. No Airflow import here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Hashable
from typing import TYPE_CHECKING

from airflow_provider_cfg.api.enums import ActionStatus, InstanceStatus, TaskStatus
from airflow_provider_cfg.core.log import Log
from airflow_provider_cfg.core.steps import step_outcome

if TYPE_CHECKING:
    from airflow_provider_cfg.api.models import Task, TaskListItem


EVERY = 15.0
"""Default seconds between two progress lines of an unchanged state."""
WIDTH = 100
"""Longest progress line, in characters (the facts that matter come first; a long title is cut)."""


def duration(seconds: float) -> str:
    """``45s``, ``2m05s``, ``1h02m05s``."""
    minutes, secs = divmod(int(max(0.0, seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def fit(line: str, width: int = WIDTH) -> str:
    """``line`` cut to ``width`` characters, ending with ``…`` when cut."""
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"


def step_progress(task: Task, task_action_id: int, instance_ids: Collection[int] | None = None) -> str:
    """Where one step stands: ``step 2 of 4 running: 3 of 5 instances done, 0 failed; 1.2 'CPU load', exp 7``."""
    steps = list(task.iter_actions())
    position = next((k for k, (_, a) in enumerate(steps, start=1) if a.TaskGroupActionId == task_action_id), None)
    if position is None:
        return f"step {task_action_id} not found in experiment {task.TaskId}"
    group, action = steps[position - 1]
    outcome = step_outcome(action)
    if instance_ids:
        outcome = outcome.restricted_to(instance_ids)
    done = sum(1 for i in outcome.instances if i.status == InstanceStatus.FINISHED)
    failed = len(outcome.failed_instances)
    label = f"{group.TaskGroupOrder}.{action.TaskGroupActionOrder} '{action.ActionTitle or ''}'"
    return (
        f"step {position} of {len(steps)} {ActionStatus.words(outcome.status)}: "
        f"{done} of {len(outcome.instances)} instances done, {failed} failed; {label}, experiment {task.TaskId}"
    )


def experiment_progress(task: Task | TaskListItem) -> str:
    """Where an experiment stands; with the whole experiment (``DescribeTask``), step by step:
    ``experiment 7 running: 1 of 4 steps finished, now 'CPU load'``."""
    line = f"experiment {task.TaskId} {TaskStatus.words(task.TaskStatus)}"
    iter_actions = getattr(task, "iter_actions", None)  # a DescribeTaskList item has no steps
    if iter_actions is None:
        return line
    actions = [action for _, action in iter_actions()]
    finished = sum(1 for a in actions if a.TaskGroupActionStatus == ActionStatus.FINISHED)
    active = (ActionStatus.PENDING, ActionStatus.RUNNING)
    running = next((a for a in actions if a.TaskGroupActionStatus in active), None)
    line += f": {finished} of {len(actions)} steps finished"
    if running is not None:
        line += f", now '{running.ActionTitle or running.TaskGroupActionId}'"
    return line


def guard_progress(probes: int, failed: int, in_a_row: int, failures_to_trip: int, target: str) -> str:
    """Where a steady-state watch stands: ``guard: 6 of 6 probes passed; trips at 2 failed in a row; <url>``."""
    streak = f"{in_a_row} failed in a row, trips at {failures_to_trip}" if in_a_row else \
        f"trips at {failures_to_trip} failed in a row"
    return f"guard: {probes - failed} of {probes} probes passed; {streak}; {target}"


class ProgressLog:
    """Log progress lines: at once when the state changes, else one every ``every`` seconds.

    :param log: the logger (an operator's or a trigger's ``self.log``: in Airflow 3 a trigger's
        lines reach the task's log only through it).
    :param every: seconds between two lines of an unchanged state.
    :param deadline: Unix time the wait ends, for the time left (``None``: no limit).
    :param clock: monotonic clock (tests pass a fake one).
    :param wall: Unix clock, for the time left (tests pass a fake one).
    """

    def __init__(
        self,
        log: Log,
        every: float = EVERY,
        deadline: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.log = log
        self.every = every if every > 0 else EVERY
        self.deadline = deadline
        self.clock = clock
        self.wall = wall
        self.started = clock()
        self._state: Hashable = object()  # nothing logged yet: the first line is always due
        self._last_at = self.started

    def __call__(self, line: str, state: Hashable | None = None) -> bool:
        """Log ``line`` if it is due; True when it was logged.

        :param state: what counts as a change (logged at once); default the line itself. A line
            whose counters move on every poll (probes passed) gives a coarser state, so that it is
            logged at the steady rate only.
        """
        now = self.clock()
        state = line if state is None else state
        if state == self._state and now - self._last_at < self.every:
            return False
        self._state, self._last_at = state, now
        timing = f"{duration(now - self.started)} in"
        if self.deadline is not None:
            timing += f", {duration(self.deadline - self.wall())} left"
        self.log.info("%s", fit(line, WIDTH - len(timing) - 3) + f" | {timing}")
        return True
