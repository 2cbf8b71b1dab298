"""The structure models of the CFG API: neither request nor response, named as in the official SDK."""

from __future__ import annotations

from airflow_provider_cfg.api.models.base import CfgModel
from airflow_provider_cfg.api.models.common import (
    ActionFilter,
    ApmServiceInfo,
    TagWithCreate,
    TagWithDescribe,
    TaskTarget,
)
from airflow_provider_cfg.api.models.config import (
    TaskConfig,
    TaskGroupActionConfig,
    TaskGroupConfig,
    TaskGroupForAction,
)
from airflow_provider_cfg.api.models.library import (
    ActionFieldConfigDetail,
    ActionFieldConfigResult,
    ActionLibraryListResult,
    ObjectType,
    ObjectTypeConfig,
    ObjectTypeConfigFields,
    ObjectTypeJsonParse,
    ResourceOffline,
)
from airflow_provider_cfg.api.models.policy import DescribePolicy, PolicyTriggerLog
from airflow_provider_cfg.api.models.task import (
    Task,
    TaskGroup,
    TaskGroupAction,
    TaskGroupInstance,
    TaskGroupInstancesExecuteRules,
    TaskListItem,
    TaskMonitor,
    TaskOrg,
    TaskReportInfo,
)
from airflow_provider_cfg.api.models.template import (
    Template,
    TemplateGroup,
    TemplateGroupAction,
    TemplateListItem,
    TemplateMonitor,
    TemplatePolicy,
)

NESTED_MODELS: tuple[type[CfgModel], ...] = (
    ActionFieldConfigDetail,
    ActionFieldConfigResult,
    ActionFilter,
    ActionLibraryListResult,
    ApmServiceInfo,
    DescribePolicy,
    ObjectType,
    ObjectTypeConfig,
    ObjectTypeConfigFields,
    ObjectTypeJsonParse,
    PolicyTriggerLog,
    ResourceOffline,
    TagWithCreate,
    TagWithDescribe,
    Task,
    TaskConfig,
    TaskGroup,
    TaskGroupAction,
    TaskGroupActionConfig,
    TaskGroupConfig,
    TaskGroupForAction,
    TaskGroupInstance,
    TaskGroupInstancesExecuteRules,
    TaskListItem,
    TaskMonitor,
    TaskOrg,
    TaskReportInfo,
    TaskTarget,
    Template,
    TemplateGroup,
    TemplateGroupAction,
    TemplateListItem,
    TemplateMonitor,
    TemplatePolicy,
)
"""Every structure model (neither request nor response), named as in the official SDK."""

__all__ = ["NESTED_MODELS"]
