"""Template ("经验库", experience library) models of ``DescribeTemplate``/``DescribeTemplateList``.

Template actions are paired like task actions: a fault's ``RecoverId`` is the ``RandomId`` of its
recovery action, whose ``ExecuteId`` is the fault's ``RandomId``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from airflow_provider_cfg.api.models.base import CfgModel, parse_json_field
from airflow_provider_cfg.api.models.common import ApmServiceInfo, TagWithDescribe, TaskTarget
from airflow_provider_cfg.api.models.fields import (
    ActionApiTypeField,
    ActionAttributeField,
    GroupModeField,
    OptJsonStr,
    PolicyDealTypeField,
    TaskModeField,
    TemplateIsUsedField,
    TemplateSourceField,
)


class TemplateGroupAction(CfgModel):
    """One action of a template's action group."""

    TemplateGroupActionId: int | None = None
    ActionId: int | None = None
    Order: int | None = None
    GeneralConfiguration: OptJsonStr = None
    CustomConfiguration: OptJsonStr = None
    CreateTime: str | None = None
    UpdateTime: str | None = None
    ActionTitle: str | None = None
    RandomId: int | None = None
    RecoverId: int | None = None
    ExecuteId: int | None = None
    ActionApiType: ActionApiTypeField = None
    ActionAttribute: ActionAttributeField = None
    ActionType: str | None = None
    ActionRisk: str | None = None
    FailurePerformance: str | None = None

    def general_config(self) -> Any:
        """``GeneralConfiguration`` decoded (``{}`` when absent)."""
        return parse_json_field(self.GeneralConfiguration)

    def custom_config(self) -> Any:
        """``CustomConfiguration`` decoded (``{}`` when absent)."""
        return parse_json_field(self.CustomConfiguration)


class TemplateGroup(CfgModel):
    """An action group of a template."""

    TemplateGroupId: int | None = None
    TemplateGroupActions: list[TemplateGroupAction] | None = None
    Title: str | None = None
    Description: str | None = None
    Order: int | None = None
    Mode: GroupModeField = None
    ObjectTypeId: int | None = None
    CreateTime: str | None = None
    UpdateTime: str | None = None


class TemplateMonitor(CfgModel):
    """A monitoring metric of a template."""

    MonitorId: int | None = None
    MetricId: int | None = None
    ObjectTypeId: int | None = None
    MetricName: str | None = None
    MetricChineseName: str | None = None


class TemplatePolicy(CfgModel):
    """The guardrail of a template."""

    TemplatePolicyIdList: list[str] | None = None
    TemplatePolicyRule: str | None = None
    TemplatePolicyDealType: PolicyDealTypeField = None


# Annotate ``Template.TemplatePolicy`` through an alias: a field named like its type would
# otherwise resolve to the field's default (None) in the class namespace.
_TemplatePolicy = TemplatePolicy


class Template(CfgModel):
    """A template in full, as returned by ``DescribeTemplate``."""

    TemplateId: int | None = None
    TemplateTitle: str | None = None
    TemplateDescription: str | None = None
    TemplateTag: str | None = None
    TemplateIsUsed: TemplateIsUsedField = None
    TemplateCreateTime: str | None = None
    TemplateUpdateTime: str | None = None
    TemplateMode: TaskModeField = None
    TemplatePauseDuration: int | None = None
    TemplateOwnerUin: str | None = None
    TemplateRegionId: int | None = None
    TemplateGroups: list[TemplateGroup] | None = None
    TemplateMonitors: list[TemplateMonitor] | None = None
    TemplatePolicy: _TemplatePolicy | None = None
    Tags: list[TagWithDescribe] | None = None
    TemplateSource: TemplateSourceField = None
    ApmServiceList: list[ApmServiceInfo] | None = None
    AlarmPolicy: list[str] | None = None
    PolicyDealType: PolicyDealTypeField = None
    TemplateScenario: list[TaskTarget] | None = None
    TemplatePurpose: list[TaskTarget] | None = None

    def iter_actions(self) -> Iterator[tuple[TemplateGroup, TemplateGroupAction]]:
        """Every ``(group, action)`` by group ``Order``, then action ``Order``."""

        def key(order: int | None) -> tuple[bool, int]:
            return order is None, order or 0

        for group in sorted(self.TemplateGroups or [], key=lambda g: key(g.Order)):
            for action in sorted(group.TemplateGroupActions or [], key=lambda a: key(a.Order)):
                yield group, action


class TemplateListItem(CfgModel):
    """A template as listed by ``DescribeTemplateList``."""

    TemplateId: int | None = None
    TemplateTitle: str | None = None
    TemplateDescription: str | None = None
    TemplateTag: str | None = None
    TemplateIsUsed: TemplateIsUsedField = None
    TemplateCreateTime: str | None = None
    TemplateUpdateTime: str | None = None
    TemplateUsedNum: int | None = None
    TemplateSource: TemplateSourceField = None


__all__ = [
    "Template",
    "TemplateGroup",
    "TemplateGroupAction",
    "TemplateListItem",
    "TemplateMonitor",
    "TemplatePolicy",
]
