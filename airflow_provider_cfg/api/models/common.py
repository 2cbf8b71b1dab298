"""Small structures shared by several CFG models: tags, filters, APM services, targets."""

from __future__ import annotations

from airflow_provider_cfg.api.models.base import CfgModel


class TagWithCreate(CfgModel):
    """A tag given when creating a task (request input; both parts are required by the API)."""

    TagKey: str
    TagValue: str


class TagWithDescribe(CfgModel):
    """A tag as returned on tasks/templates, also used as a filter in the list calls."""

    TagKey: str | None = None
    TagValue: str | None = None


class ActionFilter(CfgModel):
    """A list filter (request input; ``Keyword`` and ``Values`` are required by the API).

    For ``DescribeActionLibraryList`` the keywords are ``a_title``, ``a_desc``, ``a_type``,
    ``a_create_time`` and ``a_resource_type``.
    """

    Keyword: str
    Values: list[str]


class ApmServiceInfo(CfgModel):
    """An Application Performance Monitoring service associated with a task or template."""

    InstanceId: str | None = None
    ServiceNameList: list[str] | None = None
    RegionId: int | None = None


class TaskTarget(CfgModel):
    """An experiment scenario or purpose tag (``Type`` 1 scenario, 2 purpose)."""

    TargetId: int | None = None
    TargetDesc: str | None = None
    Type: int | None = None
    Source: int | None = None
    TargetStatus: int | None = None


__all__ = ["ActionFilter", "ApmServiceInfo", "TagWithCreate", "TagWithDescribe", "TaskTarget"]
