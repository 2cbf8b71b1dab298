"""The catalogue's entries (object types, library actions and their parameters, templates) and the
rules they carry: instance-id formats, parameter types and limits, the merge of an action's
general and custom parameters, and how faults pair with their recoveries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_cfg.api import models as m
from airflow_provider_cfg.api.enums import ActionAttribute
from airflow_provider_cfg.emulator import catalogue_data as data
from airflow_provider_cfg.emulator.errors import bad_value

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
    """An object type (CVM, MySQL, TKE pod…) and the format of its instance ids."""

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
    """A library action: fault or recovery, its partner (``relation``), risk and parameters."""

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
    """A configuration parameter: a JSON object string (empty = ``{}``), else ``InvalidParameterValue``."""
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
    """An action of a template group with its resolved parameters and RandomId."""

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
    """An action group of a template."""

    title: str
    description: str
    order: int
    mode: int
    object_type: int
    execute_rule: dict[str, int]
    actions: tuple[TemplateActionDef, ...]


@dataclass
class TemplateDef:
    """A template: its catalogue data, groups and API model."""

    id: int
    raw: dict[str, Any]
    groups: tuple[TemplateGroupDef, ...]
    model: m.Template
    used_num: int = 0
    monitors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.raw["TemplateTitle"]


def pair_faults(actions: Sequence[ActionDef]) -> dict[int, int]:
    """Pair each fault with the first later unpaired recovery of its library partner.

    :param actions: the actions of one group (or task from actions), in order.
    :return: position → position of its partner, both ways; unpaired positions are absent.
    """
    pairs: dict[int, int] = {}
    for i, fault in enumerate(actions):
        if not fault.is_fault or not fault.relation or i in pairs:
            continue
        for j in range(i + 1, len(actions)):
            if j not in pairs and actions[j].id == fault.relation:
                pairs[i], pairs[j] = j, i
                break
    return pairs
