"""One ``<Action>Response`` model per CFG action: the content of the ``Response`` envelope.

Every field is optional (the API returns explicit nulls freely) and unknown fields are kept.
"""

from __future__ import annotations

from airflow_provider_cfg.api.errors import CfgTransportError
from airflow_provider_cfg.api.models.base import CfgModel
from airflow_provider_cfg.api.models.library import (
    ActionFieldConfigResult,
    ActionLibraryListResult,
    ObjectType,
    ResourceOffline,
)
from airflow_provider_cfg.api.models.policy import PolicyTriggerLog
from airflow_provider_cfg.api.models.task import Task, TaskListItem, TaskReportInfo
from airflow_provider_cfg.api.models.template import Template, TemplateListItem

# Fields named like their type (``DescribeTaskResponse.Task: Task``) are annotated through these
# aliases so that the annotation does not resolve to the field itself.
_Task = Task
_Template = Template
_ResourceOffline = ResourceOffline


class CfgResponse(CfgModel):
    """Base of the ``<Action>Response`` models."""

    RequestId: str | None = None


class CreateTaskFromActionResponse(CfgResponse):
    TaskId: int | None = None


class CreateTaskFromMultiActionResponse(CfgResponse):
    TaskId: int | None = None


class CreateTaskFromTemplateResponse(CfgResponse):
    TaskId: int | None = None


class DeleteTaskResponse(CfgResponse):
    pass


class DescribeActionFieldConfigListResponse(CfgResponse):
    """``Common`` holds the general parameters, ``Results`` the action-specific ones."""

    Common: list[ActionFieldConfigResult] | None = None
    Results: list[ActionFieldConfigResult] | None = None
    ResourceOffline: list[_ResourceOffline] | None = None


class DescribeActionLibraryListResponse(CfgResponse):
    Results: list[ActionLibraryListResult] | None = None
    Total: int | None = None


class DescribeObjectTypeListResponse(CfgResponse):
    ObjectTypeList: list[ObjectType] | None = None


class DescribeTaskResponse(CfgResponse):
    """``ReportInfo`` is null while no report has been exported."""

    Task: _Task | None = None
    ReportInfo: TaskReportInfo | None = None

    def require_task(self) -> _Task:
        """``Task``, which a successful ``DescribeTask`` always has: an answer without it is
        unreadable, and raises :class:`CfgTransportError` like any other unreadable answer."""
        if self.Task is None:
            raise CfgTransportError("DescribeTask", "response without Task", sent=True)
        return self.Task


class DescribeTaskExecuteLogsResponse(CfgResponse):
    LogMessage: list[str] | None = None


class DescribeTaskListResponse(CfgResponse):
    TaskList: list[TaskListItem] | None = None
    Total: int | None = None


class DescribeTaskPolicyTriggerLogResponse(CfgResponse):
    TriggerLogs: list[PolicyTriggerLog] | None = None


class DescribeTemplateResponse(CfgResponse):
    Template: _Template | None = None


class DescribeTemplateListResponse(CfgResponse):
    TemplateList: list[TemplateListItem] | None = None
    Total: int | None = None


class ExecuteTaskResponse(CfgResponse):
    pass


class ExecuteTaskInstanceResponse(CfgResponse):
    pass


class ModifyTaskRunStatusResponse(CfgResponse):
    pass


class TriggerPolicyResponse(CfgResponse):
    TaskId: int | None = None
    Success: bool | None = None


__all__ = [
    "CfgResponse",
    "CreateTaskFromActionResponse",
    "CreateTaskFromMultiActionResponse",
    "CreateTaskFromTemplateResponse",
    "DeleteTaskResponse",
    "DescribeActionFieldConfigListResponse",
    "DescribeActionLibraryListResponse",
    "DescribeObjectTypeListResponse",
    "DescribeTaskExecuteLogsResponse",
    "DescribeTaskListResponse",
    "DescribeTaskPolicyTriggerLogResponse",
    "DescribeTaskResponse",
    "DescribeTemplateListResponse",
    "DescribeTemplateResponse",
    "ExecuteTaskInstanceResponse",
    "ExecuteTaskResponse",
    "ModifyTaskRunStatusResponse",
    "TriggerPolicyResponse",
]
