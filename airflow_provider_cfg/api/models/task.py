"""The task (experiment) tree returned by ``DescribeTask`` and the ``DescribeTaskList`` item.

Containment: ``Task.TaskGroups[]`` → ``TaskGroup.TaskGroupActions[]`` →
``TaskGroupAction.TaskGroupInstances[]``. Fault and recovery actions are paired through
``TaskGroupActionRandomId`` / ``TaskGroupActionRecoverId`` / ``TaskGroupActionExecuteId``: a fault's
``RecoverId`` is the ``RandomId`` of its recovery action, whose ``ExecuteId`` is the fault's
``RandomId`` (cfg-api.md §7.6).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from airflow_provider_cfg.api.enums import ActionAttribute
from airflow_provider_cfg.api.models.base import CfgModel, parse_json_field
from airflow_provider_cfg.api.models.common import ApmServiceInfo, TagWithDescribe, TaskTarget
from airflow_provider_cfg.api.models.fields import (
    ActionApiTypeField,
    ActionAttributeField,
    ActionStatusField,
    ActionStatusTypeField,
    ArchiveStageField,
    GroupModeField,
    InstancesExecuteModeField,
    InstanceStatusField,
    InstanceStatusTypeField,
    OptJsonStr,
    PolicyDealTypeField,
    PreCheckStatusField,
    ReportStageField,
    TaskExpectField,
    TaskModeField,
    TaskStatusField,
    TaskStatusTypeField,
)
from airflow_provider_cfg.api.models.policy import DescribePolicy

_T = TypeVar("_T")


def _ordered(items: Iterable[_T] | None, order_of: Any) -> list[_T]:
    """Items sorted by their 1-based order field; missing orders go last, ties keep list order."""
    return sorted(items or [], key=lambda item: (order_of(item) is None, order_of(item) or 0))


class TaskGroupInstance(CfgModel):
    """One instance (target object) of an action in a task."""

    TaskGroupInstanceId: int | None = None
    TaskGroupInstanceObjectId: str | None = None
    TaskGroupInstanceStatus: InstanceStatusField = None
    TaskGroupInstanceCreateTime: str | None = None
    TaskGroupInstanceUpdateTime: str | None = None
    TaskGroupInstanceStatusType: InstanceStatusTypeField = None
    TaskGroupInstanceStartTime: str | None = None
    TaskGroupInstanceEndTime: str | None = None
    TaskGroupInstanceExecuteLog: str | None = None
    TaskGroupInstanceIsRedo: bool | None = None
    TaskGroupInstanceExecuteTime: int | None = None


class TaskGroupInstancesExecuteRules(CfgModel):
    """Which instances of a group an action is injected into (all, a percentage, a count)."""

    TaskGroupInstancesExecuteMode: InstancesExecuteModeField = None
    TaskGroupInstancesExecutePercent: int | None = None
    TaskGroupInstancesExecuteNum: int | None = None


class TaskGroupAction(CfgModel):
    """One action of an action group in a task."""

    TaskGroupActionId: int | None = None
    TaskGroupInstances: list[TaskGroupInstance] | None = None
    ActionId: int | None = None
    TaskGroupActionOrder: int | None = None
    TaskGroupActionGeneralConfiguration: OptJsonStr = None
    TaskGroupActionCustomConfiguration: OptJsonStr = None
    TaskGroupActionStatus: ActionStatusField = None
    TaskGroupActionCreateTime: str | None = None
    TaskGroupActionUpdateTime: str | None = None
    ActionTitle: str | None = None
    TaskGroupActionStatusType: ActionStatusTypeField = None
    TaskGroupActionRandomId: int | None = None
    TaskGroupActionRecoverId: int | None = None
    TaskGroupActionExecuteId: int | None = None
    ActionApiType: ActionApiTypeField = None
    ActionAttribute: ActionAttributeField = None
    ActionType: str | None = None
    IsExecuteRedo: bool | None = None
    ActionRisk: str | None = None
    TaskGroupActionExecuteTime: int | None = None
    TaskGroupActionStartTime: str | None = None

    def general_config(self) -> Any:
        """``TaskGroupActionGeneralConfiguration`` decoded (``{}`` when absent)."""
        return parse_json_field(self.TaskGroupActionGeneralConfiguration)

    def custom_config(self) -> Any:
        """``TaskGroupActionCustomConfiguration`` decoded (``{}`` when absent)."""
        return parse_json_field(self.TaskGroupActionCustomConfiguration)

    @property
    def is_fault(self) -> bool:
        return self.ActionAttribute == ActionAttribute.FAULT

    @property
    def is_recovery(self) -> bool:
        return self.ActionAttribute == ActionAttribute.RECOVERY

    def instance_ids(self) -> list[int]:
        """The ``TaskGroupInstanceId`` values (what ``ExecuteTaskInstance`` expects)."""
        return [
            instance.TaskGroupInstanceId
            for instance in self.TaskGroupInstances or []
            if instance.TaskGroupInstanceId is not None
        ]


class TaskGroup(CfgModel):
    """An action group of a task."""

    TaskGroupId: int | None = None
    TaskGroupTitle: str | None = None
    TaskGroupDescription: str | None = None
    TaskGroupOrder: int | None = None
    ObjectTypeId: int | None = None
    TaskGroupCreateTime: str | None = None
    TaskGroupUpdateTime: str | None = None
    TaskGroupActions: list[TaskGroupAction] | None = None
    TaskGroupInstanceList: list[str] | None = None
    TaskGroupMode: GroupModeField = None
    TaskGroupDiscardInstanceList: list[str] | None = None
    TaskGroupSelectedInstanceList: list[str] | None = None
    TaskGroupInstancesExecuteRule: list[TaskGroupInstancesExecuteRules] | None = None

    def ordered_actions(self) -> list[TaskGroupAction]:
        """The actions by ``TaskGroupActionOrder``."""
        return _ordered(self.TaskGroupActions, lambda action: action.TaskGroupActionOrder)


class TaskMonitor(CfgModel):
    """A monitoring metric watched during the experiment."""

    TaskMonitorId: int | None = None
    MetricId: int | None = None
    TaskMonitorObjectTypeId: int | None = None
    MetricName: str | None = None
    InstancesIds: list[str] | None = None
    MetricChineseName: str | None = None
    Unit: str | None = None


class TaskOrg(CfgModel):
    """A role and its owner(s) in the experiment's organisation."""

    TaskRole: str | None = None
    TaskOperator: str | None = None


# A field named like its type (``Task.TaskOrg: list[TaskOrg]``) would resolve the annotation to
# the field's default (None) in the class namespace; annotate through a private alias instead.
_TaskOrg = TaskOrg


class TaskReportInfo(CfgModel):
    """The exported experiment report (``DescribeTaskResponse.ReportInfo``)."""

    Stage: ReportStageField = None
    CreateTime: str | None = None
    ExpirationTime: str | None = None
    Expired: bool | None = None
    CosUrl: str | None = None
    Log: str | None = None
    ArchiveStage: ArchiveStageField = None
    ArchiveTime: str | None = None
    ArchiveUuid: str | None = None


class Task(CfgModel):
    """A chaos experiment (task) in full, as returned by ``DescribeTask``."""

    TaskId: int | None = None
    TaskTitle: str | None = None
    TaskDescription: str | None = None
    TaskTag: str | None = None
    TaskStatus: TaskStatusField = None
    TaskStatusType: TaskStatusTypeField = None
    TaskProtectStrategy: str | None = None
    TaskCreateTime: str | None = None
    TaskUpdateTime: str | None = None
    TaskGroups: list[TaskGroup] | None = None
    TaskStartTime: str | None = None
    TaskEndTime: str | None = None
    TaskExpect: TaskExpectField = None
    TaskSummary: str | None = None
    TaskMode: TaskModeField = None
    TaskPauseDuration: int | None = None
    TaskOwnerUin: str | None = None
    TaskRegionId: int | None = None
    TaskMonitors: list[TaskMonitor] | None = None
    TaskPolicy: DescribePolicy | None = None
    Tags: list[TagWithDescribe] | None = None
    TaskPlanId: int | None = None
    TaskPlanTitle: str | None = None
    ApplicationId: str | None = None
    ApplicationName: str | None = None
    AlarmPolicy: list[str] | None = None
    ApmServiceList: list[ApmServiceInfo] | None = None
    VerifyId: int | None = None
    PolicyDealType: PolicyDealTypeField = None
    TaskPlanStartTime: str | None = None
    TaskPlanEndTime: str | None = None
    TaskOrg: list[_TaskOrg] | None = None
    TaskIssue: str | None = None
    TaskRegionName: str | None = None
    TaskArchId: str | None = None
    TaskScenario: list[TaskTarget] | None = None
    TaskPurpose: list[TaskTarget] | None = None

    def ordered_groups(self) -> list[TaskGroup]:
        """The action groups by ``TaskGroupOrder``."""
        return _ordered(self.TaskGroups, lambda group: group.TaskGroupOrder)

    def iter_actions(self) -> Iterator[tuple[TaskGroup, TaskGroupAction]]:
        """Every ``(group, action)`` in execution order (group order, then action order)."""
        for group in self.ordered_groups():
            for action in group.ordered_actions():
                yield group, action

    def find_group(self, task_group_id: int) -> TaskGroup | None:
        """The group whose ``TaskGroupId`` is ``task_group_id``."""
        return next((g for g in self.TaskGroups or [] if g.TaskGroupId == task_group_id), None)

    def find_action(self, task_group_action_id: int) -> TaskGroupAction | None:
        """The action whose ``TaskGroupActionId`` is ``task_group_action_id``."""
        return next(
            (a for _, a in self.iter_actions() if a.TaskGroupActionId == task_group_action_id),
            None,
        )

    def group_of(self, action: TaskGroupAction | int) -> TaskGroup | None:
        """The group holding ``action`` (an action or its ``TaskGroupActionId``)."""
        action_id = action.TaskGroupActionId if isinstance(action, TaskGroupAction) else action
        return next(
            (g for g, a in self.iter_actions() if a.TaskGroupActionId == action_id),
            None,
        )

    def action_by_random_id(self, random_id: int | None) -> TaskGroupAction | None:
        """The action whose ``TaskGroupActionRandomId`` is ``random_id`` (None/0 → None)."""
        if not random_id:
            return None
        return next(
            (a for _, a in self.iter_actions() if a.TaskGroupActionRandomId == random_id),
            None,
        )

    def recovery_for(self, action: TaskGroupAction) -> TaskGroupAction | None:
        """The recovery action undoing fault ``action`` (its ``RecoverId``), if it has one."""
        return self.action_by_random_id(action.TaskGroupActionRecoverId)

    def fault_for(self, action: TaskGroupAction) -> TaskGroupAction | None:
        """The fault action undone by recovery ``action`` (its ``ExecuteId``), if any."""
        return self.action_by_random_id(action.TaskGroupActionExecuteId)


class TaskListItem(CfgModel):
    """A task as listed by ``DescribeTaskList``."""

    TaskId: int | None = None
    TaskTitle: str | None = None
    TaskDescription: str | None = None
    TaskTag: str | None = None
    TaskStatus: TaskStatusField = None
    TaskCreateTime: str | None = None
    TaskUpdateTime: str | None = None
    TaskPreCheckStatus: PreCheckStatusField = None
    TaskPreCheckSuccess: bool | None = None
    TaskExpect: TaskExpectField = None
    ApplicationId: str | None = None
    ApplicationName: str | None = None
    VerifyId: int | None = None
    TaskStatusType: TaskStatusTypeField = None
    ArchId: str | None = None
    ArchName: str | None = None
    TaskSource: int | None = None
    Tags: list[TagWithDescribe] | None = None


__all__ = [
    "Task",
    "TaskGroup",
    "TaskGroupAction",
    "TaskGroupInstance",
    "TaskGroupInstancesExecuteRules",
    "TaskListItem",
    "TaskMonitor",
    "TaskOrg",
    "TaskReportInfo",
]
