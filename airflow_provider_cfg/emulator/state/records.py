"""The records of one experiment: the API models plus what the API does not show.

State is kept *as the API models* (``Task`` → ``TaskGroup`` → ``TaskGroupAction`` →
``TaskGroupInstance``); each record wraps its model with the emulator's own bookkeeping (which
instances ran a fault, the run token that invalidates stale timers, the rollback queue…).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from airflow_provider_cfg.api import models as m
from airflow_provider_cfg.api.enums import (
    ActionStatus,
    ActionStatusType,
    InstanceStatus,
    PolicyDealType,
    TaskMode,
    TaskStatusType,
)
from airflow_provider_cfg.emulator.definitions import ActionDef, ObjectTypeDef

OPEN = (ActionStatus.NOT_STARTED, ActionStatus.PENDING)
"""Action states that have not run yet."""
DEFAULT_POLICY_DEAL_TYPE = PolicyDealType.SEQUENTIAL_ROLLBACK


def _assigned(value: int | None, what: str) -> int:
    """An id the emulator set when it created the record (the model's field is optional)."""
    if value is None:
        raise RuntimeError(f"cfg-emulator bug: a {what} record has no id")
    return value


@dataclass(eq=False)
class InstanceRec:
    """One instance of an action (an object it runs on), with its execution log and fail reason."""

    model: m.TaskGroupInstance
    object_id: str
    log: list[str] = field(default_factory=list)
    fail_reason: str | None = None
    started_at: float | None = None
    injected: bool = False
    """Reached the running state (3002) at least once: a fault may have been injected."""

    @property
    def status(self) -> int | None:
        return self.model.TaskGroupInstanceStatus

    @property
    def id(self) -> int:
        return _assigned(self.model.TaskGroupInstanceId, "instance")


@dataclass(eq=False)
class ActionRec:
    """One action of a task: its parameters, instances, paired fault/recovery and current run.

    ``token`` changes with every run and termination, so timers of an older run do nothing.
    """

    model: m.TaskGroupAction
    group: GroupRec
    definition: ActionDef
    general: dict[str, Any]
    custom: dict[str, Any]
    instances: list[InstanceRec]
    pair: ActionRec | None = None
    token: int = 0
    running: list[InstanceRec] = field(default_factory=list)
    first_start: float | None = None

    @property
    def id(self) -> int:
        return _assigned(self.model.TaskGroupActionId, "action")

    @property
    def status(self) -> int | None:
        return self.model.TaskGroupActionStatus

    @property
    def is_fault(self) -> bool:
        return self.definition.is_fault

    @property
    def title(self) -> str:
        return self.model.ActionTitle or self.definition.name

    def label(self) -> str:
        """How log lines and errors name the action."""
        return f"action {self.id} '{self.title}'"

    def wait(self, key: str) -> float:
        """A wait or timeout of the general configuration in seconds (0 when unset or not a number)."""
        try:
            return max(0.0, float(self.general.get(key) or 0))
        except (TypeError, ValueError):
            return 0.0

    def open_instances(self) -> list[InstanceRec]:
        """The instances that have not run yet."""
        return [i for i in self.instances if i.status == InstanceStatus.NOT_STARTED]


@dataclass(eq=False)
class GroupRec:
    """One action group of a task."""

    model: m.TaskGroup
    object_type: ObjectTypeDef
    actions: list[ActionRec] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)
    """The instances chosen by the execute rule (shown once the instances exist)."""
    discarded: list[str] = field(default_factory=list)


@dataclass(eq=False)
class TaskRec:
    """One task (experiment): its groups, actions in order, logs, guardrail and rollback queue.

    ``auto_token`` changes whenever automatic mode is rescheduled, paused or ended.
    """

    model: m.Task
    region: str
    groups: list[GroupRec] = field(default_factory=list)
    actions: list[ActionRec] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    trigger_logs: list[m.PolicyTriggerLog] = field(default_factory=list)
    triggered: bool = False
    rollback: list[ActionRec] | None = None
    queue: list[ActionRec] = field(default_factory=list)
    """Actions still to run for one ``IsOperateAll`` call (variant ``operate_all=task``)."""
    auto_token: int = 0
    auto_failed: bool = False
    created_at: float = 0.0
    updated_at: float = 0.0
    started_at: float | None = None
    ended_at: float | None = None

    @property
    def id(self) -> int:
        return _assigned(self.model.TaskId, "task")

    @property
    def status(self) -> int | None:
        return self.model.TaskStatus

    @property
    def automatic(self) -> bool:
        return self.model.TaskMode == TaskMode.AUTOMATIC

    @property
    def deal_type(self) -> int:
        """What a triggered guardrail does (``PolicyDealType``)."""
        return int(self.model.PolicyDealType or DEFAULT_POLICY_DEAL_TYPE)

    def running_action(self) -> ActionRec | None:
        """The action running now (a task runs one at a time)."""
        return next((a for a in self.actions if a.running), None)

    def outcome(self) -> TaskStatusType:
        """How the task ends now: terminated while an action has not finished, else failed if one
        failed or was terminated, else success."""
        if any(a.status != ActionStatus.FINISHED for a in self.actions):
            return TaskStatusType.TERMINATED
        bad = (ActionStatusType.FAILED, ActionStatusType.TERMINATED)
        if any(a.model.TaskGroupActionStatusType in bad for a in self.actions):
            return TaskStatusType.FAILED
        return TaskStatusType.SUCCESS
