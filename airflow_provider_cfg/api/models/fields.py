"""Annotated field types shared by the CFG models.

Status-code fields accept a known code as the enum member and keep an unknown one as a plain
``int`` (see :func:`~airflow_provider_cfg.api.models.base.enum_or_int`), so a code added by Tencent
later never makes a whole response unparseable. All of them are optional (``None`` allowed).
"""

from __future__ import annotations

from typing import Annotated

from airflow_provider_cfg.api.enums import (
    ActionApiType,
    ActionAttribute,
    ActionStatus,
    ActionStatusType,
    ArchiveStage,
    FieldRequired,
    GroupMode,
    InstancesExecuteMode,
    InstanceStatus,
    InstanceStatusType,
    PolicyDealType,
    PreCheckStatus,
    ReportStage,
    TaskExpect,
    TaskMode,
    TaskStatus,
    TaskStatusType,
    TemplateIsUsed,
    TemplateSource,
    TriggerType,
)
from airflow_provider_cfg.api.models.base import JsonStr, enum_or_int

TaskStatusField = Annotated[TaskStatus | int | None, enum_or_int(TaskStatus)]
TaskStatusTypeField = Annotated[TaskStatusType | int | None, enum_or_int(TaskStatusType)]
ActionStatusField = Annotated[ActionStatus | int | None, enum_or_int(ActionStatus)]
ActionStatusTypeField = Annotated[ActionStatusType | int | None, enum_or_int(ActionStatusType)]
InstanceStatusField = Annotated[InstanceStatus | int | None, enum_or_int(InstanceStatus)]
InstanceStatusTypeField = Annotated[
    InstanceStatusType | int | None, enum_or_int(InstanceStatusType)
]
TaskModeField = Annotated[TaskMode | int | None, enum_or_int(TaskMode)]
GroupModeField = Annotated[GroupMode | int | None, enum_or_int(GroupMode)]
PolicyDealTypeField = Annotated[PolicyDealType | int | None, enum_or_int(PolicyDealType)]
TriggerTypeField = Annotated[TriggerType | int | None, enum_or_int(TriggerType)]
ActionAttributeField = Annotated[ActionAttribute | int | None, enum_or_int(ActionAttribute)]
ActionApiTypeField = Annotated[ActionApiType | int | None, enum_or_int(ActionApiType)]
TaskExpectField = Annotated[TaskExpect | int | None, enum_or_int(TaskExpect)]
InstancesExecuteModeField = Annotated[
    InstancesExecuteMode | int | None, enum_or_int(InstancesExecuteMode)
]
TemplateIsUsedField = Annotated[TemplateIsUsed | int | None, enum_or_int(TemplateIsUsed)]
TemplateSourceField = Annotated[TemplateSource | int | None, enum_or_int(TemplateSource)]
ReportStageField = Annotated[ReportStage | int | None, enum_or_int(ReportStage)]
ArchiveStageField = Annotated[ArchiveStage | int | None, enum_or_int(ArchiveStage)]
PreCheckStatusField = Annotated[PreCheckStatus | int | None, enum_or_int(PreCheckStatus)]
FieldRequiredField = Annotated[FieldRequired | int | None, enum_or_int(FieldRequired)]

OptJsonStr = JsonStr | None
"""An optional JSON-string field; a dict or list given for it is serialised."""

__all__ = [
    "ActionApiTypeField",
    "ActionAttributeField",
    "ActionStatusField",
    "ActionStatusTypeField",
    "ArchiveStageField",
    "FieldRequiredField",
    "GroupModeField",
    "InstanceStatusField",
    "InstanceStatusTypeField",
    "InstancesExecuteModeField",
    "OptJsonStr",
    "PolicyDealTypeField",
    "PreCheckStatusField",
    "ReportStageField",
    "TaskExpectField",
    "TaskModeField",
    "TaskStatusField",
    "TaskStatusTypeField",
    "TemplateIsUsedField",
    "TemplateSourceField",
    "TriggerTypeField",
]
