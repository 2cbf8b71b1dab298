"""Events: the one vocabulary of the verdicts that end a wait, and their one validator.

Operators (their immediate check and their synchronous wait), sensors (``poke``) and triggers
(``run``) all build their events here, so a status seen before deferring and the same status seen
by the triggerer lead to the same event and, in the operator, to the same handler. Every event is
``{"status", "experiment_id", "message", ...}``. Payloads hold only JSON types because they cross
the triggerer/worker boundary through the metadata database.

A wait for a step or a status ends with :data:`STATUSES` (``success``, ``failed``, ``timeout``,
``error``); the steady-state guard's watch with :data:`GUARD_STATUSES` (``passed``, ``breached``,
``ended``, ``error``).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.api.enums import TaskStatus
from airflow_provider_cfg.core.steps import StepOutcome, step_outcome

if TYPE_CHECKING:
    from airflow_provider_cfg.api.models import Task, TaskListItem

SUCCESS = "success"
FAILED = "failed"
TIMEOUT = "timeout"
ERROR = "error"
STATUSES = (SUCCESS, FAILED, TIMEOUT, ERROR)
"""How a wait for a step or an experiment status ends."""

PASSED = "passed"
BREACHED = "breached"
ENDED = "ended"
GUARD_STATUSES = (PASSED, BREACHED, ENDED, ERROR)
"""How a steady-state guard's watch ends (see :mod:`airflow_provider_cfg.core.guard`)."""


def event(status: str, experiment_id: int | None, message: str, **fields: Any) -> dict[str, Any]:
    """An event: its status, the experiment (``TaskId``) and a message for people, then ``fields``."""
    return {"status": status, "experiment_id": experiment_id, "message": message, **fields}


def _outcome_payload(outcome: StepOutcome) -> dict[str, Any]:
    return {
        "task_action_id": outcome.task_action_id,
        "title": outcome.title,
        "action_status": outcome.status,
        "action_status_type": outcome.status_type,
        "failed_instances": [
            {"instance_id": i.instance_id, "object_id": i.object_id, "log": i.log} for i in outcome.failed_instances
        ],
        "detail": outcome.summary(),
    }


def step_event(task: Task, task_action_id: int, instance_ids: Collection[int] | None = None) -> dict[str, Any] | None:
    """The event for a step once it has finished (``None`` while it has not).

    An experiment that ended while the step was unfinished is a failure: nothing will finish it.

    :param instance_ids: only these instances were operated (``TaskGroupInstanceId``): they decide.
    """
    action = task.find_action(task_action_id)
    if action is None:
        return event(ERROR, task.TaskId, f"TaskActionId {task_action_id} is not in experiment {task.TaskId}")
    outcome = step_outcome(action)
    if instance_ids:
        outcome = outcome.restricted_to(instance_ids)
    if outcome.finished:
        status = SUCCESS if outcome.succeeded else FAILED
        return event(status, task.TaskId, f"Step {outcome.summary()}", **_outcome_payload(outcome))
    if task.TaskStatus == TaskStatus.ENDED:
        message = f"Experiment {task.TaskId} ended before the step finished: {outcome.summary()}"
        return event(FAILED, task.TaskId, message, **_outcome_payload(outcome))
    return None


def experiment_event(
    task: Task | TaskListItem, target_statuses: Collection[int], failure_statuses: Collection[int] = ()
) -> dict[str, Any] | None:
    """The event once the experiment reaches one of ``target_statuses`` (``None`` before).

    Reaching a ``failure_statuses`` code, or ending (1004) when 1004 is not a target, fails fast.
    Only the task-level fields are used (``TaskId``, ``TaskStatus``, ``TaskStatusType``,
    ``TaskExpect``), so a ``DescribeTaskList`` entry (:class:`TaskListItem`) does as well as a
    ``DescribeTask`` answer, and gives the same event.
    """
    status = task.TaskStatus
    fields = {
        "task_status": int(status) if status is not None else None,
        "task_status_type": int(task.TaskStatusType) if task.TaskStatusType is not None else None,
        "task_expect": int(task.TaskExpect) if task.TaskExpect is not None else None,
    }
    label = TaskStatus.describe(status)
    if status in target_statuses:
        return event(SUCCESS, task.TaskId, f"Experiment {task.TaskId} reached {label}", **fields)
    if status in failure_statuses or status == TaskStatus.ENDED:
        message = f"Experiment {task.TaskId} is {label}, not one of {sorted(int(s) for s in target_statuses)}"
        return event(FAILED, task.TaskId, message, **fields)
    return None


def validate_event(
    received: Any, allowed: Collection[str] = STATUSES, *, what: str = "CFG trigger"
) -> dict[str, Any]:
    """Reject a malformed event (it crossed a process boundary) with a clear error.

    :param allowed: the statuses this handler takes (:data:`STATUSES`, or :data:`GUARD_STATUSES`).
    :param what: who sent it, for the error (``"steady-state guard"``).
    """
    if not isinstance(received, dict) or received.get("status") not in allowed:
        raise ValueError(f"unexpected {what} event: {received!r}")
    return received
