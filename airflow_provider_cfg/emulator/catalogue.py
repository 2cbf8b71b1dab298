"""The read-only catalogue: object types, library actions and templates built once from
:mod:`.catalogue_data` into their API models (the entries and their rules are in :mod:`.definitions`).
"""

from __future__ import annotations

import dataclasses
import itertools
import random
import re
from collections.abc import Iterator
from functools import cached_property
from typing import Any

from airflow_provider_cfg.api import models as m
from airflow_provider_cfg.api.enums import ActionAttribute
from airflow_provider_cfg.emulator import catalogue_data as data
from airflow_provider_cfg.emulator.definitions import (
    RISK_TEXT,
    ActionDef,
    FieldDef,
    ObjectTypeDef,
    TemplateActionDef,
    TemplateDef,
    TemplateGroupDef,
    dumps,
    pair_faults,
)
from airflow_provider_cfg.emulator.errors import ApiError, bad_value

TEMPLATE_RANDOM_SEED = 20210820
"""Seed of the templates' RandomIds: the same ids on every start."""
FIRST_TEMPLATE_GROUP_ID, FIRST_TEMPLATE_ACTION_ID = 1301, 2801


class Catalogue:
    """Object types, actions and templates, built once from :mod:`.catalogue_data`."""

    def __init__(self) -> None:
        self.object_types: dict[int, ObjectTypeDef] = {}
        for raw in data.OBJECT_TYPES:
            self.object_types[raw["ObjectTypeId"]] = self._object_type(raw)
        common = [FieldDef.from_data(raw) for raw in data.COMMON_FIELDS]
        self.actions: dict[int, ActionDef] = {}
        for raw in data.ACTIONS:
            general = tuple(common if raw["AttributeId"] == ActionAttribute.FAULT else common[1:])
            self.actions[raw["ActionId"]] = self._action(raw, general)
        self._check_pairs()

    # -- object types and actions ---------------------------------------------------------

    @staticmethod
    def _object_type(raw: dict[str, Any]) -> ObjectTypeDef:
        json_parse = raw.get("json_parse")
        model = m.ObjectType(
            ObjectTypeId=raw["ObjectTypeId"],
            ObjectTypeTitle=raw["ObjectTypeTitle"],
            ObjectTypeLevelOne=raw["ObjectTypeLevelOne"],
            ObjectTypeParams=m.ObjectTypeConfig(
                Key=raw["key"],
                Fields=[
                    m.ObjectTypeConfigFields(Key=k, Header=h, Transfer=None, JsonParse=None, Type=t)
                    for k, h, t in raw["columns"]
                ],
            ),
            ObjectTypeJsonParse=m.ObjectTypeJsonParse(**json_parse) if json_parse else None,
            ObjectHasNewAction=False,
            ObjectPlatformName=raw["ObjectPlatformName"],
            ObjectSupportType=raw["ObjectSupportType"],
            ArchLayer=raw["ArchLayer"],
            IsArchSvg=raw["IsArchSvg"],
        )
        regex = raw.get("id_regex")
        return ObjectTypeDef(
            id=raw["ObjectTypeId"],
            title=raw["ObjectTypeTitle"],
            id_format=raw["id_format"],
            id_regex=re.compile(regex) if regex else None,
            json_keys={k: re.compile(v) for k, v in raw.get("json_keys", {}).items()},
            support_type=raw["ObjectSupportType"],
            model=model,
        )

    def _action(self, raw: dict[str, Any], general: tuple[FieldDef, ...]) -> ActionDef:
        object_type = self.object_types[raw["ObjectTypeId"]]
        model = m.ActionLibraryListResult(
            ActionName=raw["ActionName"],
            Desc=raw["Desc"],
            ActionType="Platform",
            CreateTime=data.CATALOGUE_TIME,
            Creator="system",
            UpdateTime=data.CATALOGUE_TIME,
            RiskDesc=RISK_TEXT[raw["risk"]],
            ActionId=raw["ActionId"],
            AttributeId=raw["AttributeId"],
            RelationActionId=raw["RelationActionId"],
            ActionCommand=raw["ActionCommand"],
            ActionCommandType=raw["ActionCommandType"],
            ActionContent=dumps({f["Field"]: f["DefaultValue"] for f in raw["fields"]}),
            ResourceType=raw["ResourceType"],
            ActionDetail=raw["Desc"],
            IsAllowed=True,
            ActionBestCase="",
            ObjectType=object_type.model.ObjectPlatformName,
            MetricIdList=list(raw["MetricIdList"]),
            IsNewAction=False,
            ObjectTypeId=raw["ObjectTypeId"],
        )
        return ActionDef(
            id=raw["ActionId"],
            name=raw["ActionName"],
            desc=raw["Desc"],
            object_type=raw["ObjectTypeId"],
            attribute=raw["AttributeId"],
            relation=raw["RelationActionId"],
            risk=raw["risk"],
            api_type=raw["ActionCommandType"],
            general_fields=general,
            custom_fields=tuple(FieldDef.from_data(f) for f in raw["fields"]),
            model=model,
        )

    def _check_pairs(self) -> None:
        for action in self.actions.values():
            if action.relation:
                partner = self.actions[action.relation]
                assert partner.relation == action.id and partner.attribute != action.attribute, action.id
                assert partner.object_type == action.object_type, action.id

    def action(self, action_id: int, param: str = "TaskActionId") -> ActionDef:
        try:
            return self.actions[action_id]
        except KeyError:
            raise ApiError("ResourceNotFound", f"{param}: action {action_id} does not exist in the action library") \
                from None

    def recovery_of(self, action: ActionDef) -> ActionDef | None:
        """The library recovery action paired with fault ``action`` (``None`` if it has none)."""
        if action.is_fault and action.relation:
            return self.actions[action.relation]
        return None

    def object_type(self, type_id: int, param: str) -> ObjectTypeDef:
        try:
            return self.object_types[type_id]
        except KeyError:
            known = ", ".join(str(k) for k in self.object_types)
            raise bad_value(f"{param}: object type {type_id} does not exist; known object types: {known}") from None

    # -- templates --------------------------------------------------------------------------

    @cached_property
    def templates(self) -> dict[int, TemplateDef]:
        rng = random.Random(TEMPLATE_RANDOM_SEED)
        # Ids run on across templates, in catalogue order.
        group_ids, action_ids = itertools.count(FIRST_TEMPLATE_GROUP_ID), itertools.count(FIRST_TEMPLATE_ACTION_ID)
        result = {}
        for raw in data.TEMPLATES:
            groups = []
            group_models = []
            for g_order, graw in enumerate(raw["groups"], start=1):
                group = self._template_group(graw, g_order, rng)
                groups.append(group)
                group_models.append(_template_group_model(group, next(group_ids), action_ids))
            result[raw["TemplateId"]] = _template(raw, tuple(groups), group_models)
        return result

    def _template_group(self, graw: dict[str, Any], g_order: int, rng: random.Random) -> TemplateGroupDef:
        """A template's action group: its actions' parameters resolved, faults paired with recoveries."""
        actions: list[TemplateActionDef] = []
        for a_order, araw in enumerate(graw["actions"], start=1):
            action = self.actions[araw["ActionId"]]
            general, custom = self._template_config(action, araw)
            gtext = araw["general"] if isinstance(araw.get("general"), str) else dumps(general)
            ctext = araw["custom"] if isinstance(araw.get("custom"), str) else dumps(custom)
            actions.append(TemplateActionDef(action, a_order, general, custom, gtext, ctext,
                                             rng.randint(100000, 999999), None))
        pairs = pair_faults([a.action for a in actions])
        paired = tuple(dataclasses.replace(a, pair=pairs.get(i)) for i, a in enumerate(actions))
        return TemplateGroupDef(graw["Title"], graw["Description"], g_order, graw["Mode"], graw["ObjectTypeId"],
                                dict(graw["execute_rule"]), paired)

    def _template_config(self, action: ActionDef, araw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        general_raw, custom_raw = araw.get("general"), araw.get("custom")
        general_json = general_raw if isinstance(general_raw, str) else dumps(general_raw or {})
        custom_json = custom_raw if isinstance(custom_raw, str) else dumps(custom_raw or {})
        return action.resolve(general_json, custom_json, f"template action {action.id} ")

    def template(self, template_id: int) -> TemplateDef:
        try:
            return self.templates[template_id]
        except KeyError:
            raise ApiError("ResourceNotFound", f"TemplateId: template {template_id} does not exist") from None


def _template_group_model(group: TemplateGroupDef, group_id: int, action_ids: Iterator[int]) -> m.TemplateGroup:
    """The API model of a template group; a fault names its recovery's RandomId and the other way round."""
    group_actions = []
    for ta in group.actions:
        pair = group.actions[ta.pair] if ta.pair is not None else None
        group_actions.append(m.TemplateGroupAction(
            TemplateGroupActionId=next(action_ids),
            ActionId=ta.action.id,
            Order=ta.order,
            GeneralConfiguration=ta.general_json,
            CustomConfiguration=ta.custom_json,
            CreateTime=data.CATALOGUE_TIME,
            UpdateTime=data.CATALOGUE_TIME,
            ActionTitle=ta.action.name,
            RandomId=ta.random_id,
            RecoverId=pair.random_id if pair and ta.action.is_fault else None,
            ExecuteId=pair.random_id if pair and not ta.action.is_fault else None,
            ActionApiType=ta.action.api_type,
            ActionAttribute=ta.action.attribute,
            ActionType="Platform",
            ActionRisk=str(ta.action.risk),
            FailurePerformance=ta.action.desc,
        ))
    return m.TemplateGroup(
        TemplateGroupId=group_id,
        TemplateGroupActions=group_actions,
        Title=group.title,
        Description=group.description,
        Order=group.order,
        Mode=group.mode,
        ObjectTypeId=group.object_type,
        CreateTime=data.CATALOGUE_TIME,
        UpdateTime=data.CATALOGUE_TIME,
    )


def _template(
    raw: dict[str, Any], groups: tuple[TemplateGroupDef, ...], group_models: list[m.TemplateGroup],
) -> TemplateDef:
    """A template from its catalogue data and its built groups."""
    policy = raw.get("policy")
    monitors = raw.get("monitors", [])
    model = m.Template(
        TemplateId=raw["TemplateId"],
        TemplateTitle=raw["TemplateTitle"],
        TemplateDescription=raw["TemplateDescription"],
        TemplateTag=raw["TemplateTag"],
        TemplateIsUsed=raw["TemplateIsUsed"],
        TemplateCreateTime=data.CATALOGUE_TIME,
        TemplateUpdateTime=data.CATALOGUE_TIME,
        TemplateMode=raw["TemplateMode"],
        TemplatePauseDuration=raw["TemplatePauseDuration"],
        TemplateOwnerUin=data.OWNER_UIN,
        TemplateRegionId=1,
        TemplateGroups=group_models,
        TemplateMonitors=[
            m.TemplateMonitor(MonitorId=i, ObjectTypeId=groups[0].object_type, **mon)
            for i, mon in enumerate(monitors, start=1)
        ],
        TemplatePolicy=m.TemplatePolicy(**policy, TemplatePolicyDealType=raw["PolicyDealType"]) if policy else None,
        Tags=[m.TagWithDescribe(**t) for t in raw["Tags"]],
        TemplateSource=raw["TemplateSource"],
        ApmServiceList=[],
        AlarmPolicy=list(raw.get("AlarmPolicy", [])),
        PolicyDealType=raw["PolicyDealType"],
        TemplateScenario=[],
        TemplatePurpose=[],
    )
    return TemplateDef(raw["TemplateId"], raw, groups, model, monitors=list(monitors))
