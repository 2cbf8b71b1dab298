"""Action steps of an experiment: naming them, and reading how they went.

A DAG author names a step the way people do — "group 1, action 2", or by its title — and
:func:`resolve_step` finds the ids CFG wants (``TaskGroupId``, ``TaskGroupActionId``, instance
ids) in a ``DescribeTask`` result at run time. :func:`step_outcome` reads a step's state into one
verdict that operators, sensors and triggers all share. :func:`call_not_needed` and
:func:`instances_to_operate` decide, from that state, whether an operation is still to be sent
and on which instances. No Airflow import here.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.api.enums import (
    ActionAttribute,
    ActionStatus,
    ActionStatusType,
    InstanceStatus,
    InstanceStatusType,
)

if TYPE_CHECKING:
    from airflow_provider_cfg.api.models import Task, TaskGroup, TaskGroupAction


class StepNotFoundError(LookupError):
    """The selector matches no step, or more than one."""


@dataclass(frozen=True)
class StepSelector:
    """Which step of an experiment to act on. Give one of:

    * ``group`` and ``action`` — 1-based ``TaskGroupOrder`` and ``TaskGroupActionOrder``;
    * ``title`` — the action's title (``ActionTitle``), optionally narrowed by ``group``;
    * ``task_action_id`` — the raw ``TaskGroupActionId`` (``task_group_id`` optional).

    :param group: 1-based group order.
    :param action: 1-based action order inside the group.
    :param title: action title, matched exactly (case-insensitive).
    :param task_action_id: ``TaskGroupActionId``.
    :param task_group_id: ``TaskGroupId`` (only to double-check ``task_action_id``).
    """

    group: int | None = None
    action: int | None = None
    title: str | None = None
    task_action_id: int | None = None
    task_group_id: int | None = None

    def __post_init__(self) -> None:
        ways = sum([self.action is not None, self.title is not None, self.task_action_id is not None])
        if ways != 1:
            raise ValueError(
                "a step selector needs exactly one of: group+action orders, a title, or task_action_id; "
                f"got {self.describe()}"
            )
        if self.action is not None and self.group is None:
            raise ValueError("a step selector by order needs both 'group' and 'action' (1-based)")
        for name in ("group", "action", "task_action_id", "task_group_id"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise ValueError(f"step selector '{name}' must be a positive integer, got {value!r}")

    @classmethod
    def parse(cls, value: StepSelector | str | int | list[int] | dict[str, Any]) -> StepSelector:
        """Accept ``"1.2"`` (group.action), ``[1, 2]``, an int (``TaskGroupActionId``), a dict of the
        fields, or a title."""
        if isinstance(value, StepSelector):
            return value
        if isinstance(value, float):
            # "1.2" rendered by a DAG with render_template_as_native_obj=True arrives as a float,
            # and 1.10 and 1.1 are then the same number: refuse rather than guess.
            raise ValueError(
                f"step {value!r} is a number, not 'group.action' text (a DAG rendering templates as native "
                "objects turns '1.2' into a float); write [1, 2] or {'group': 1, 'action': 2} instead"
            )
        if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, int) for v in value):
            return cls(group=value[0], action=value[1])
        if isinstance(value, bool):
            raise ValueError(f"not a step selector: {value!r}")
        if isinstance(value, int):
            return cls(task_action_id=value)
        if isinstance(value, dict):
            unknown = set(value) - {"group", "action", "title", "task_action_id", "task_group_id"}
            if unknown:
                raise ValueError(
                    f"unknown step selector keys {sorted(unknown)}; "
                    "allowed: group, action, title, task_action_id, task_group_id"
                )
            return cls(**value)
        if isinstance(value, str):
            head, dot, tail = value.strip().partition(".")
            if dot and head.isascii() and tail.isascii() and head.isdigit() and tail.isdigit():
                return cls(group=int(head), action=int(tail))
            return cls(title=value.strip())
        raise ValueError(f"not a step selector: {value!r}")

    def describe(self) -> str:
        names = ("group", "action", "title", "task_action_id", "task_group_id")
        parts = [f"{name}={getattr(self, name)!r}" for name in names if getattr(self, name) is not None]
        return ", ".join(parts) or "nothing"


@dataclass(frozen=True)
class StepRef:
    """The ids of one resolved step."""

    experiment_id: int
    task_group_id: int
    task_action_id: int
    group_order: int
    action_order: int
    title: str
    is_fault: bool
    instance_ids: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        return f"step {self.group_order}.{self.action_order} '{self.title}' (TaskActionId {self.task_action_id})"


def _ref(task: Task, group: TaskGroup, action: TaskGroupAction) -> StepRef:
    return StepRef(
        experiment_id=int(task.TaskId or 0),
        task_group_id=int(group.TaskGroupId or 0),
        task_action_id=int(action.TaskGroupActionId or 0),
        group_order=int(group.TaskGroupOrder or 0),
        action_order=int(action.TaskGroupActionOrder or 0),
        title=action.ActionTitle or "",
        is_fault=action.ActionAttribute == ActionAttribute.FAULT,
        instance_ids=tuple(
            int(i.TaskGroupInstanceId) for i in action.TaskGroupInstances or [] if i.TaskGroupInstanceId is not None
        ),
    )


def all_steps(task: Task) -> list[StepRef]:
    """Every step of ``task`` in execution order."""
    return [_ref(task, group, action) for group, action in task.iter_actions()]


def resolve_step(task: Task, selector: StepSelector) -> StepRef:
    """Find the one step ``selector`` names in ``task``, or raise :class:`StepNotFoundError`
    listing the steps that exist."""
    steps = all_steps(task)
    if selector.task_action_id is not None:
        matches = [s for s in steps if s.task_action_id == selector.task_action_id]
        if selector.task_group_id is not None:
            matches = [s for s in matches if s.task_group_id == selector.task_group_id]
    elif selector.title is not None:
        wanted = selector.title.casefold()
        matches = [s for s in steps if s.title.casefold() == wanted and selector.group in (None, s.group_order)]
    else:
        matches = [s for s in steps if (s.group_order, s.action_order) == (selector.group, selector.action)]
    if len(matches) != 1:
        available = "; ".join(f"{s.group_order}.{s.action_order} {s.title!r} (id {s.task_action_id})" for s in steps)
        problem = "matches no step" if not matches else f"matches {len(matches)} steps"
        raise StepNotFoundError(
            f"step selector ({selector.describe()}) {problem} of experiment {task.TaskId}; steps: {available or 'none'}"
        )
    return matches[0]


def step_action(task: Task, ref: StepRef) -> TaskGroupAction:
    """The action of resolved step ``ref`` in ``task`` (a later read of the same experiment), or
    :class:`StepNotFoundError` if it is no longer there."""
    action = task.find_action(ref.task_action_id)
    if action is None:
        raise StepNotFoundError(f"{ref.label} is no longer in experiment {ref.experiment_id}")
    return action


@dataclass(frozen=True)
class InstanceOutcome:
    instance_id: int | None
    object_id: str | None
    status: int | None
    status_type: int | None
    failed: bool
    log: str | None


@dataclass(frozen=True)
class StepOutcome:
    """Where a step stands: finished or not, and whether it went well.

    ``succeeded`` is true for a step that finished with success, or that was skipped.
    """

    task_action_id: int
    title: str
    status: int | None
    status_type: int | None
    finished: bool
    succeeded: bool
    instances: tuple[InstanceOutcome, ...] = field(default=())

    @property
    def failed(self) -> bool:
        return self.finished and not self.succeeded

    @property
    def started(self) -> bool:
        """True once the step has been executed (running or finished)."""
        return self.status in (ActionStatus.RUNNING, ActionStatus.FINISHED)

    @property
    def failed_instances(self) -> tuple[InstanceOutcome, ...]:
        return tuple(i for i in self.instances if i.failed)

    def restricted_to(self, instance_ids: Collection[int]) -> StepOutcome:
        """The outcome of only these instances (a step operated on some of its instances): done
        when they have all finished — CFG keeps the step itself open until every instance ran."""
        wanted = {int(i) for i in instance_ids}
        chosen = tuple(i for i in self.instances if i.instance_id in wanted)
        finished = self.finished or (bool(chosen) and all(i.status == InstanceStatus.FINISHED for i in chosen))
        succeeded = finished and not any(i.failed for i in chosen)
        return replace(self, instances=chosen, finished=finished, succeeded=succeeded)

    def summary(self) -> str:
        outcome = f": {ActionStatusType.words(self.status_type)}" if self.status == ActionStatus.FINISHED else ""
        text = (
            f"'{self.title}' (TaskActionId {self.task_action_id}) {ActionStatus.words(self.status)}{outcome}; "
            f"{_instances_in_words(self.instances)}"
        )
        for inst in self.failed_instances:
            text += (
                f"\n  instance {inst.object_id} ({inst.instance_id}) {InstanceStatusType.words(inst.status_type)}: "
                f"{inst.log or 'no log'}"
            )
        return text


def _instances_in_words(instances: Sequence[InstanceOutcome]) -> str:
    """``2 of 3 instances done: 1 succeeded, 1 failed`` (a count, never a code)."""
    done = [i for i in instances if i.status == InstanceStatus.FINISHED]
    counts: dict[str, int] = {}
    for inst in done:
        word = _PAST.get(InstanceStatusType.words(inst.status_type), InstanceStatusType.words(inst.status_type))
        counts[word] = counts.get(word, 0) + 1
    text = f"{len(done)} of {len(instances)} instance(s) done"
    return text + (": " + ", ".join(f"{n} {word}" for word, n in counts.items()) if counts else "")


_PAST = {"success": "succeeded", "no status": "without an outcome"}
"""Outcome words read as what instances did (``1 succeeded``, ``1 failed``, ``1 skipped``)."""


def step_outcome(action: TaskGroupAction) -> StepOutcome:
    """Read one action's state into a :class:`StepOutcome`."""
    status_type = action.TaskGroupActionStatusType
    finished = action.TaskGroupActionStatus == ActionStatus.FINISHED
    instances = tuple(
        InstanceOutcome(
            instance_id=inst.TaskGroupInstanceId,
            object_id=inst.TaskGroupInstanceObjectId,
            status=inst.TaskGroupInstanceStatus,
            status_type=inst.TaskGroupInstanceStatusType,
            failed=inst.TaskGroupInstanceStatusType in (InstanceStatusType.FAILED, InstanceStatusType.TERMINATED),
            log=inst.TaskGroupInstanceExecuteLog,
        )
        for inst in action.TaskGroupInstances or []
    )
    return StepOutcome(
        task_action_id=int(action.TaskGroupActionId or 0),
        title=action.ActionTitle or "",
        status=action.TaskGroupActionStatus,
        status_type=status_type,
        finished=finished,
        succeeded=finished and status_type in (ActionStatusType.SUCCESS, ActionStatusType.SKIPPED),
        instances=instances,
    )


# -- operating a step ---------------------------------------------------------------------------------

def select_instances(task: Task, ref: StepRef, instances: Collection[str | int] | None) -> list[int] | None:
    """``instances`` (object ids such as ``ins-…`` or ``TaskGroupInstanceId``s) as ``TaskGroupInstanceId``s.

    :param instances: what the DAG author named; ``None`` means every instance (and gives ``None``).
    :raises ValueError: an instance that is not in the step, listing the step's instances.
    """
    if instances is None:
        return None
    by_object = {
        i.TaskGroupInstanceObjectId: i.TaskGroupInstanceId
        for i in step_action(task, ref).TaskGroupInstances or []
        if i.TaskGroupInstanceId is not None
    }
    known = set(by_object.values())
    ids = []
    for item in instances:
        if isinstance(item, int) and item in known:
            ids.append(item)
        elif str(item) in by_object:
            ids.append(by_object[str(item)])
        else:
            raise ValueError(
                f"instance {item!r} is not in {ref.label}; its instances are "
                + ", ".join(f"{obj} ({iid})" for obj, iid in by_object.items())
            )
    return ids


def call_not_needed(task: Task, ref: StepRef, operation: str, selected: Collection[int] | None = None) -> str | None:
    """Why the step's state already reflects ``operation`` (for the log), or ``None`` when the call is
    still to be sent. This is how a step that ran is never operated twice.

    :param operation: ``execute``, ``start``, ``skip`` or ``retry`` (``ExecuteActionType`` by name).
    :param selected: only these instances (``TaskGroupInstanceId``) are operated; ``None``: all.
    :raises ValueError: a retry of a step that has not run yet.
    """
    outcome = step_outcome(step_action(task, ref))
    if selected:
        outcome = outcome.restricted_to(selected)
    if operation != "retry":
        if outcome.started or outcome.finished:
            return f"{ref.label} already ran ({outcome.summary()}); not operating it again"
        return None
    if not outcome.finished:
        if not outcome.started:
            raise ValueError(f"cannot retry {ref.label}: it has not run yet (use operation='execute')")
        return f"{ref.label} is running; waiting instead of retrying"
    if outcome.succeeded:
        return f"{ref.label} already succeeded; nothing to retry"
    return None


def instances_to_operate(
    task: Task, ref: StepRef, operation: str, selected: Collection[int] | None = None
) -> list[int]:
    """The ``TaskGroupInstanceId``s to send with ``operation``: always named, never ``IsOperateAll``
    (whose meaning CFG leaves open: this action, or the whole task).

    Without chosen instances: the step's instances that have not run (a retry: the failed ones).

    :raises ValueError: the step has no instances yet (CFG creates them when the experiment starts).
    """
    if selected is not None:
        return list(selected)
    action = step_action(task, ref)
    if not action.TaskGroupInstances:
        raise ValueError(f"{ref.label} has no instances yet: CFG creates them when the experiment starts "
                         "(run the start operator first)")
    return open_instance_ids(action, operation)


def open_instance_ids(action: TaskGroupAction, operation: str) -> list[int]:
    """The instances of ``action`` an ``operation`` applies to: those not run yet (all of them when
    every one ran), or for a retry the failed ones.

    :param operation: ``execute``, ``start``, ``skip`` or ``retry``.
    """
    outcome = step_outcome(action)
    if operation == "retry":
        chosen = outcome.failed_instances
    else:
        chosen = tuple(i for i in outcome.instances if i.status == InstanceStatus.NOT_STARTED) or outcome.instances
    return [int(i.instance_id) for i in chosen if i.instance_id is not None]
