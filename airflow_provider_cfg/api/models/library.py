"""Action library, action parameter schema and object type models.

Used by ``DescribeActionLibraryList``, ``DescribeActionFieldConfigList`` and
``DescribeObjectTypeList``.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_cfg.api.enums import FieldRequired
from airflow_provider_cfg.api.models.base import CfgModel, parse_json_field
from airflow_provider_cfg.api.models.fields import (
    ActionApiTypeField,
    ActionAttributeField,
    FieldRequiredField,
    OptJsonStr,
)


class ActionLibraryListResult(CfgModel):
    """A fault or recovery action of the library (``RelationActionId`` links the pair)."""

    ActionName: str | None = None
    Desc: str | None = None
    ActionType: str | None = None
    CreateTime: str | None = None
    Creator: str | None = None
    UpdateTime: str | None = None
    RiskDesc: str | None = None
    ActionId: int | None = None
    AttributeId: ActionAttributeField = None
    RelationActionId: int | None = None
    ActionCommand: str | None = None
    ActionCommandType: ActionApiTypeField = None
    ActionContent: OptJsonStr = None
    ResourceType: str | None = None
    ActionDetail: str | None = None
    IsAllowed: bool | None = None
    ActionBestCase: str | None = None
    ObjectType: str | None = None
    MetricIdList: list[int] | None = None
    IsNewAction: bool | None = None
    ObjectTypeId: int | None = None


class ActionFieldConfigDetail(CfgModel):
    """One parameter (form field) of an action (note the API's spelling ``Lable``).

    ``Config``, ``Validate`` and ``Visible`` are JSON strings.
    """

    Type: str | None = None
    Lable: str | None = None
    Field: str | None = None
    DefaultValue: str | None = None
    Config: OptJsonStr = None
    Required: FieldRequiredField = None
    Validate: OptJsonStr = None
    Visible: OptJsonStr = None

    @property
    def is_required(self) -> bool:
        return self.Required == FieldRequired.YES

    def config(self) -> Any:
        """``Config`` decoded (``{}`` when absent), e.g. ``{"max": 86400, "min": 0}``."""
        return parse_json_field(self.Config)


class ActionFieldConfigResult(CfgModel):
    """The parameter schema of one action (general ``Common`` or action-specific ``Results``)."""

    ActionId: int | None = None
    ActionName: str | None = None
    ConfigDetail: list[ActionFieldConfigDetail] | None = None

    def defaults(self) -> dict[str, str | None]:
        """``{Field: DefaultValue}`` for every parameter (values are strings as on the wire)."""
        return {d.Field: d.DefaultValue for d in self.ConfigDetail or [] if d.Field is not None}

    def required_fields(self) -> list[str]:
        """The ``Field`` keys marked required (these have no usable default)."""
        return [d.Field for d in self.ConfigDetail or [] if d.is_required and d.Field is not None]


class ResourceOffline(CfgModel):
    """A decommissioned resource reported by ``DescribeActionFieldConfigList``."""

    ResourceId: int | None = None
    ResourceDeleteTime: str | None = None
    ResourceDeleteMessage: str | None = None


class ObjectTypeConfigFields(CfgModel):
    """A column of an object type's instance listing (``Type`` 0 str, 1 list)."""

    Key: str | None = None
    Header: str | None = None
    Transfer: str | None = None
    JsonParse: str | None = None
    Type: int | None = None


class ObjectTypeConfig(CfgModel):
    """Parameters of an object type."""

    Key: str | None = None
    Fields: list[ObjectTypeConfigFields] | None = None


class ObjectTypeJsonParse(CfgModel):
    """JSON parsing rule for TKE objects (``None`` when no parsing is needed)."""

    NameSpace: str | None = None
    WorkloadName: str | None = None
    LanIP: str | None = None
    InstanceId: str | None = None


# Annotate ``ObjectType.ObjectTypeJsonParse`` through an alias: a field named like its type would
# otherwise resolve to the field's default (None) in the class namespace.
_ObjectTypeJsonParse = ObjectTypeJsonParse


class ObjectType(CfgModel):
    """A target object type (CVM, CLB, TKE node, …)."""

    ObjectTypeId: int | None = None
    ObjectTypeTitle: str | None = None
    ObjectTypeLevelOne: str | None = None
    ObjectTypeParams: ObjectTypeConfig | None = None
    ObjectTypeJsonParse: _ObjectTypeJsonParse | None = None
    ObjectHasNewAction: bool | None = None
    ObjectPlatformName: str | None = None
    ObjectSupportType: int | None = None
    ArchLayer: int | None = None
    IsArchSvg: bool | None = None


__all__ = [
    "ActionFieldConfigDetail",
    "ActionFieldConfigResult",
    "ActionLibraryListResult",
    "ObjectType",
    "ObjectTypeConfig",
    "ObjectTypeConfigFields",
    "ObjectTypeJsonParse",
    "ResourceOffline",
]
