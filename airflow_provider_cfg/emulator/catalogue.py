"""The read-only catalogue (object types, library actions, templates) as API models.

Also the catalogue rules used when a task is created: instance-id formats per object type,
and the merge/validation of an action's general and custom parameters.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from airflow_provider_cfg.api import models as m
from airflow_provider_cfg.api.enums import ActionAttribute
from airflow_provider_cfg.emulator import catalogue_data as data
from airflow_provider_cfg.emulator.errors import ApiError, bad_value

RISK_TEXT = {1: "Low risk", 2: "Medium risk", 3: "High risk"}


def dumps(value: Any) -> str:
    """JSON as CFG shows it (Python ``json.dumps`` defaults: ``{"a": 1, "b": 2}``)."""
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class FieldDef:
    """One action parameter (general or custom)."""

    type: str
    name: str
    label: str
    default: str
    required: bool
    config: dict[str, Any]
    detail: m.ActionFieldConfigDetail

    @classmethod
    def from_data(cls, raw: Mapping[str, Any]) -> FieldDef:
        detail = m.ActionFieldConfigDetail(
            Type=raw["Type"],
            Lable=raw["Lable"],
            Field=raw["Field"],
            DefaultValue=raw["DefaultValue"],
            Config=dumps(raw["Config"]),
            Required=raw["Required"],
            Validate=dumps(raw["Validate"]),
            Visible=dumps(raw["Visible"]),
        )
        return cls(raw["Type"], raw["Field"], raw["Lable"], raw["DefaultValue"], bool(raw["Required"]),
                   dict(raw["Config"]), detail)

    def default_value(self) -> Any:
        """The typed default, or ``None`` when the field has none."""
        if self.default == "":
            return "" if self.name == "AliasTitle" else None
        return self.coerce(self.default, "DefaultValue")

    def coerce(self, value: Any, where: str) -> Any:
        """``value`` checked against the field's type and limits; raises ``InvalidParameterValue``."""
        if self.type == "number":
            if isinstance(value, bool):
                raise bad_value(f"{where}: {self.name} must be a number; got {value!r}")
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise bad_value(f"{where}: {self.name} must be a number; got {value!r}") from None
            low, high = self.config.get("min"), self.config.get("max")
            if (low is not None and number < low) or (high is not None and number > high):
                raise bad_value(f"{where}: {self.name} must be between {low} and {high}; got {value!r}")
            return int(number) if number.is_integer() else number
        options = self.config.get("options")
        if isinstance(options, list) and options:
            allowed = [str(o["value"]) for o in options]
            text = str(value).lower() if isinstance(value, bool) else str(value)
            if text not in allowed:
                raise bad_value(f"{where}: {self.name} must be one of {', '.join(allowed)}; got {value!r}")
            return text
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise bad_value(f"{where}: {self.name} must be a string; got {value!r}")
        return str(value)


@dataclass(frozen=True)
class ObjectTypeDef:
    id: int
    title: str
    id_format: str
    id_regex: re.Pattern[str] | None
    json_keys: dict[str, re.Pattern[str]]
    support_type: int
    model: m.ObjectType

    def check_instance(self, value: str, where: str) -> None:
        """Raise ``InvalidParameterValue`` unless ``value`` is an id of this object type."""
        expected = f"expected format for {self.title} (ObjectTypeId {self.id}): {self.id_format}"
        if self.id_regex is not None:
            if not self.id_regex.fullmatch(value):
                raise bad_value(f"{where}: {value!r} is not a valid instance id; {expected}")
            return
        try:
            obj = json.loads(value)
        except ValueError:
            obj = None
        if not isinstance(obj, dict):
            raise bad_value(f"{where}: {value!r} is not a valid instance id (a JSON object string); {expected}")
        for key, regex in self.json_keys.items():
            item = obj.get(key)
            if not isinstance(item, str) or not regex.fullmatch(item):
                raise bad_value(f"{where}: {value!r} has a missing or invalid {key!r}; {expected}")


def object_key(object_id: str) -> str:
    """A canonical key for an instance object id (JSON ids compared by content)."""
    try:
        obj = json.loads(object_id)
    except ValueError:
        return object_id
    return json.dumps(obj, sort_keys=True, separators=(",", ":")) if isinstance(obj, dict) else object_id


@dataclass(frozen=True)
class ActionDef:
    id: int
    name: str
    desc: str
    object_type: int
    attribute: int
    relation: int
    risk: int
    api_type: int
    general_fields: tuple[FieldDef, ...]
    custom_fields: tuple[FieldDef, ...]
    model: m.ActionLibraryListResult

    @property
    def is_fault(self) -> bool:
        return self.attribute == ActionAttribute.FAULT

    @property
    def risk_text(self) -> str:
        return RISK_TEXT[self.risk]

    def field_result(self, fields: tuple[FieldDef, ...]) -> m.ActionFieldConfigResult:
        return m.ActionFieldConfigResult(ActionId=self.id, ActionName=self.name,
                                         ConfigDetail=[f.detail for f in fields])

    def default_general(self) -> dict[str, Any]:
        by_name = {f.name: f for f in self.general_fields}
        return {name: by_name[name].default_value() for name in data.GENERAL_CONFIG_ORDER if name in by_name}

    def default_custom(self) -> dict[str, Any]:
        values = {f.name: f.default_value() for f in self.custom_fields}
        return {k: v for k, v in values.items() if v is not None}

    def resolve(
        self,
        general_json: str | None,
        custom_json: str | None,
        where: str,
        base_general: dict[str, Any] | None = None,
        base_custom: dict[str, Any] | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Final ``(general, custom)`` parameters: base (defaults) updated with the given JSON.

        Unknown keys, badly typed values and required custom fields left empty are refused with
        ``InvalidParameterValue`` naming the action and the field.
        """
        general = dict(self.default_general() if base_general is None else base_general)
        custom = dict(self.default_custom() if base_custom is None else base_custom)
        for kind, text, fields, target in (
            ("General", general_json, self.general_fields, general),
            ("Custom", custom_json, self.custom_fields, custom),
        ):
            param = f"{where}{kind}Configuration"
            given = parse_json_object(text, param)
            by_name = {f.name: f for f in fields}
            for key, value in given.items():
                if key not in by_name:
                    allowed = ", ".join(by_name) or "none"
                    raise bad_value(
                        f"{param}: {key!r} is not a parameter of action {self.id} ({self.name}); allowed: {allowed}"
                    )
                target[key] = by_name[key].coerce(value, param)
        for f in self.custom_fields:
            if f.required and custom.get(f.name) in (None, ""):
                raise bad_value(
                    f"{where}CustomConfiguration: action {self.id} ({self.name}) requires parameter {f.name!r} "
                    f"({f.label}), which has no default value"
                )
        return general, custom


def parse_json_object(text: str | None, param: str) -> dict[str, Any]:
    if text is None or text.strip() == "":
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        raise bad_value(f"{param} must be a JSON-serialised object; got {text!r}") from None
    if not isinstance(value, dict):
        raise bad_value(f"{param} must be a JSON-serialised object; got {text!r}")
    return value


@dataclass(frozen=True)
class TemplateActionDef:
    action: ActionDef
    order: int
    general: dict[str, Any]
    custom: dict[str, Any]
    general_json: str
    custom_json: str
    random_id: int
    pair: int | None  # index (in the group) of the paired action


@dataclass(frozen=True)
class TemplateGroupDef:
    title: str
    description: str
    order: int
    mode: int
    object_type: int
    execute_rule: dict[str, int]
    actions: tuple[TemplateActionDef, ...]


@dataclass
class TemplateDef:
    id: int
    raw: dict[str, Any]
    groups: tuple[TemplateGroupDef, ...]
    model: m.Template
    used_num: int = 0
    monitors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.raw["TemplateTitle"]


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
        rng = random.Random(20210820)
        result = {}
        group_id, action_id = 1300, 2800
        for raw in data.TEMPLATES:
            groups = []
            group_models = []
            for g_order, graw in enumerate(raw["groups"], start=1):
                group_id += 1
                actions: list[TemplateActionDef] = []
                for a_order, araw in enumerate(graw["actions"], start=1):
                    action = self.actions[araw["ActionId"]]
                    general, custom = self._template_config(action, araw)
                    gtext = araw["general"] if isinstance(araw.get("general"), str) else dumps(general)
                    ctext = araw["custom"] if isinstance(araw.get("custom"), str) else dumps(custom)
                    actions.append(TemplateActionDef(action, a_order, general, custom, gtext, ctext,
                                                     rng.randint(100000, 999999), None))
                actions = _pair(actions)
                groups.append(TemplateGroupDef(graw["Title"], graw["Description"], g_order, graw["Mode"],
                                               graw["ObjectTypeId"], dict(graw["execute_rule"]), tuple(actions)))
                group_actions = []
                for ta in actions:
                    action_id += 1
                    pair = actions[ta.pair] if ta.pair is not None else None
                    group_actions.append(m.TemplateGroupAction(
                        TemplateGroupActionId=action_id,
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
                group_models.append(m.TemplateGroup(
                    TemplateGroupId=group_id,
                    TemplateGroupActions=group_actions,
                    Title=graw["Title"],
                    Description=graw["Description"],
                    Order=g_order,
                    Mode=graw["Mode"],
                    ObjectTypeId=graw["ObjectTypeId"],
                    CreateTime=data.CATALOGUE_TIME,
                    UpdateTime=data.CATALOGUE_TIME,
                ))
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
                TemplatePolicy=m.TemplatePolicy(**policy, TemplatePolicyDealType=raw["PolicyDealType"])
                if policy else None,
                Tags=[m.TagWithDescribe(**t) for t in raw["Tags"]],
                TemplateSource=raw["TemplateSource"],
                ApmServiceList=[],
                AlarmPolicy=list(raw.get("AlarmPolicy", [])),
                PolicyDealType=raw["PolicyDealType"],
                TemplateScenario=[],
                TemplatePurpose=[],
            )
            result[raw["TemplateId"]] = TemplateDef(raw["TemplateId"], raw, tuple(groups), model,
                                                    monitors=list(monitors))
        return result

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


def _pair(actions: list[TemplateActionDef]) -> list[TemplateActionDef]:
    """Pair each fault with the first later recovery of its library partner (by index)."""
    pairs: dict[int, int] = {}
    for i, fault in enumerate(actions):
        if not fault.action.is_fault or not fault.action.relation:
            continue
        for j in range(i + 1, len(actions)):
            if j not in pairs and actions[j].action.id == fault.action.relation:
                pairs[i], pairs[j] = j, i
                break
    return [TemplateActionDef(a.action, a.order, a.general, a.custom, a.general_json, a.custom_json, a.random_id,
                              pairs.get(i)) for i, a in enumerate(actions)]
