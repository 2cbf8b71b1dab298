"""One ``<Action>Request`` model per CFG action (fields as in the official SDK request classes).

Fields the API marks required (cfg-api.md §1 tables, tccli ``required``) have no default, so a
request missing one is rejected with a pydantic ``ValidationError`` before anything is sent.
Lax mode is kept on purpose: ``"3256"`` is accepted for an ``int`` (the official examples send
numbers as strings). ``to_wire()`` gives the JSON body.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from airflow_provider_cfg.api.models.base import CfgModel
from airflow_provider_cfg.api.models.common import ActionFilter, TagWithCreate, TagWithDescribe
from airflow_provider_cfg.api.models.config import TaskConfig, TaskGroupForAction
from airflow_provider_cfg.api.models.fields import OptJsonStr

PageLimit100 = Annotated[int, Field(ge=0, le=100)]
"""A page size the API documents as 0-100."""

# ``CreateTaskFromTemplateRequest.TaskConfig`` is named like its type; annotate through an alias
# so the annotation does not resolve to the field itself.
_TaskConfig = TaskConfig


class CfgRequest(CfgModel):
    """Base of the ``<Action>Request`` models."""


class CreateTaskFromActionRequest(CfgRequest):
    """Create an experiment from one library action."""

    TaskActionId: int
    TaskInstances: list[str]
    TaskTitle: str | None = None
    TaskDescription: str | None = None
    TaskActionGeneralConfiguration: OptJsonStr = None
    TaskActionCustomConfiguration: OptJsonStr = None
    TaskPauseDuration: int | None = None
    TaskTags: list[TagWithCreate] | None = None


class CreateTaskFromMultiActionRequest(CfgRequest):
    """Create an experiment running several actions on the same instances."""

    TaskInstances: list[str]
    TaskTitle: str | None = None
    TaskDescription: str | None = None
    TaskPauseDuration: int | None = None
    TaskAction: list[TaskGroupForAction] | None = None


class CreateTaskFromTemplateRequest(CfgRequest):
    """Create an experiment from a template."""

    TemplateId: int
    TaskConfig: _TaskConfig


class DeleteTaskRequest(CfgRequest):
    """Delete an experiment."""

    TaskId: int


class DescribeActionFieldConfigListRequest(CfgRequest):
    """Parameter schema (general and action-specific) of actions."""

    ActionIds: list[int]
    ObjectTypeId: int


class DescribeActionLibraryListRequest(CfgRequest):
    """List the fault/recovery actions of an object type."""

    Limit: PageLimit100
    Offset: int
    ObjectType: int
    Filters: list[ActionFilter] | None = None
    Attribute: list[int] | None = None
    ActionIds: list[int] | None = None


class DescribeObjectTypeListRequest(CfgRequest):
    """List the target object types (``SupportType`` 0 all, 1 platform, 2 application subset)."""

    SupportType: int | None = None


class DescribeTaskRequest(CfgRequest):
    """Full detail of an experiment."""

    TaskId: int


class DescribeTaskExecuteLogsRequest(CfgRequest):
    """Execution log lines of an experiment (line-based paging)."""

    TaskId: int
    Limit: int
    Offset: int


class DescribeTaskListRequest(CfgRequest):
    """List experiments (times as ``%Y-%m-%d %H:%M:%S``)."""

    Limit: int
    Offset: int
    TaskTitle: str | None = None
    TaskTag: list[str] | None = None
    TaskStatus: int | None = None
    TaskStartTime: str | None = None
    TaskEndTime: str | None = None
    TaskUpdateTime: str | None = None
    Tags: list[TagWithDescribe] | None = None
    Filters: list[ActionFilter] | None = None
    TaskId: list[int] | None = None
    ApplicationId: list[str] | None = None
    ApplicationName: list[str] | None = None
    TaskStatusList: list[int] | None = None
    ArchId: str | None = None
    ArchName: str | None = None


class DescribeTaskPolicyTriggerLogRequest(CfgRequest):
    """Guardrail trigger/recover log of an experiment."""

    TaskId: int
    Page: int
    PageSize: int


class DescribeTemplateRequest(CfgRequest):
    """Full detail of a template."""

    TemplateId: int


class DescribeTemplateListRequest(CfgRequest):
    """List templates."""

    Limit: PageLimit100
    Offset: int
    Title: str | None = None
    Tag: list[str] | None = None
    IsUsed: int | None = None
    Tags: list[TagWithDescribe] | None = None
    TemplateSource: int | None = None
    TemplateIdList: list[int] | None = None
    Filters: list[ActionFilter] | None = None


class ExecuteTaskRequest(CfgRequest):
    """Start an experiment."""

    TaskId: int


class ExecuteTaskInstanceRequest(CfgRequest):
    """Operate an action on instances (``ActionType`` 1 start, 2 execute, 3 skip, 5 retry).

    All six fields are required by the API. ``TaskActionId`` is the ``TaskGroupActionId`` and
    ``TaskInstanceIds`` are ``TaskGroupInstanceId`` values; with ``IsOperateAll`` true the server
    ignores ``TaskInstanceIds`` (an empty list is fine then).
    """

    TaskId: int
    TaskActionId: int
    TaskInstanceIds: list[int]
    IsOperateAll: bool
    ActionType: int
    TaskGroupId: int


class ModifyTaskRunStatusRequest(CfgRequest):
    """Pause (1003), resume (1002) or end (1004) an experiment.

    The API documents ``IsExpect`` and ``Summary`` as required when ending (1004); that rule is
    left to the server.
    """

    TaskId: int
    Status: int
    IsExpect: bool | None = None
    Summary: str | None = None
    Issue: str | None = None
    Record: str | None = None
    IncludeRecordInReport: int | None = None


class TriggerPolicyRequest(CfgRequest):
    """Trigger (0) or recover (1) the guardrail of an experiment."""

    TaskId: int
    Name: str
    Content: str
    TriggerType: int


__all__ = [
    "CfgRequest",
    "CreateTaskFromActionRequest",
    "CreateTaskFromMultiActionRequest",
    "CreateTaskFromTemplateRequest",
    "DeleteTaskRequest",
    "DescribeActionFieldConfigListRequest",
    "DescribeActionLibraryListRequest",
    "DescribeObjectTypeListRequest",
    "DescribeTaskExecuteLogsRequest",
    "DescribeTaskListRequest",
    "DescribeTaskPolicyTriggerLogRequest",
    "DescribeTaskRequest",
    "DescribeTemplateListRequest",
    "DescribeTemplateRequest",
    "ExecuteTaskInstanceRequest",
    "ExecuteTaskRequest",
    "ModifyTaskRunStatusRequest",
    "PageLimit100",
    "TriggerPolicyRequest",
]
