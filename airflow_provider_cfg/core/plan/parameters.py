"""Action parameters: defaults from the parameter schema, the caller's values checked against it
(names, types, ranges, options), and the required ones present."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.core.names import shown

if TYPE_CHECKING:
    from airflow_provider_cfg.api import models as m
    from airflow_provider_cfg.core.plan.catalogue import SchemaPair
    from airflow_provider_cfg.core.plan.model import ExperimentPlan


def _typed_default(detail: m.ActionFieldConfigDetail) -> Any:
    """The schema's ``DefaultValue``, as a number for a number parameter (``None``: no default)."""
    raw = detail.DefaultValue
    if raw is None or raw == "":
        return None
    if (detail.Type or "").lower() == "number":
        try:
            number = float(raw)
        except ValueError:
            return raw
        return int(number) if number.is_integer() else number
    return raw


def _config_of(detail: m.ActionFieldConfigDetail) -> dict[str, Any]:
    try:
        value = detail.config()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _value_problem(detail: m.ActionFieldConfigDetail, value: Any) -> str | None:
    """Why ``value`` does not fit the parameter's schema (type, range, options), or ``None``."""
    if value is None:
        return None
    config = _config_of(detail)
    ftype = (detail.Type or "").lower()
    if ftype == "number":
        return _number_problem(config, value)
    options = config.get("options")
    if isinstance(options, list) and options and all(isinstance(o, Mapping) and "value" in o for o in options):
        allowed = [str(o["value"]) for o in options]
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if isinstance(value, (dict, list)) or text not in allowed:
            return f"must be one of {', '.join(allowed)}; got {shown(value)}"
        return None
    if ftype in ("input", "textarea", "text") and (not isinstance(value, (str, int, float)) or isinstance(value, bool)):
        return f"must be a string; got {shown(value)}"
    return None


def _number_problem(config: Mapping[str, Any], value: Any) -> str | None:
    """Why ``value`` is not a number within the schema's ``min`` and ``max``, or ``None``."""
    if isinstance(value, bool):
        return f"must be a number; got {shown(value)}"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return f"must be a number; got {shown(value)}"
    if math.isnan(number):
        return f"must be a number; got {shown(value)}"
    low, high = config.get("min"), config.get("max")
    low = low if isinstance(low, (int, float)) and not isinstance(low, bool) else None
    high = high if isinstance(high, (int, float)) and not isinstance(high, bool) else None
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = f"between {low} and {high}" if low is not None and high is not None else (
            f">= {low}" if low is not None else f"<= {high}")
        return f"must be a number {bounds}; got {shown(value)}"
    return None


def json_object(value: Any, where: str, plan: ExperimentPlan) -> dict[str, Any]:
    """A configuration given as a dict or a JSON string; a violation (and ``{}``) otherwise.

    :param where: the field, for the violation.
    :param plan: where a violation is recorded.
    """
    if value is None or value == "":
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            return decoded
    plan.violate("parameter_json", where, f"must be a JSON object (a dict or its JSON string); got {shown(value)}")
    return {}


def resolve_parameters(
    plan: ExperimentPlan,
    label: str,
    schema: SchemaPair,
    base: tuple[dict[str, Any], dict[str, Any]],
    given: tuple[Any, Any],
    given_fields: tuple[str, str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Defaults ← ``base`` (a template's stored values) ← ``given`` (the caller's), checked.

    Names, types and ranges are checked on what the caller gives; required parameters on the result.

    :param plan: where violations are recorded.
    :param label: the action, for messages (``action 462 (Network packet loss)``).
    :param schema: the action's (general, custom) parameter schemas.
    :param base: (general, custom) values stored before the caller's (a template's).
    :param given: (general, custom) as the caller gave them: dicts or JSON strings.
    :param given_fields: the fields ``given`` came from, for violations.
    """
    general, custom = (
        _resolve_kind(plan, label, kind, kind_schema, stored, supplied, supplied_field)
        for kind, kind_schema, stored, supplied, supplied_field in zip(
            ("general", "custom"), schema, base, given, given_fields, strict=True
        )
    )
    return general, custom


def _resolve_kind(
    plan: ExperimentPlan,
    label: str,
    kind: str,
    schema: m.ActionFieldConfigResult | None,
    stored: dict[str, Any],
    supplied: Any,
    supplied_field: str,
) -> dict[str, Any]:
    """The general or the custom parameters of one action (see :func:`resolve_parameters`)."""
    details = {d.Field: d for d in (schema.ConfigDetail or []) if d.Field} if schema else None
    values: dict[str, Any] = {}
    if details:
        values.update({name: _typed_default(d) for name, d in details.items() if _typed_default(d) is not None})
    values.update(stored)
    for key, value in json_object(supplied, supplied_field, plan).items():
        path = f"{supplied_field}.{key}"
        if details is not None and key not in details:
            allowed = ", ".join(details) or "none"
            plan.violate("unknown_parameter", path, f"{key!r} is not a {kind} parameter of {label}; allowed: {allowed}")
            continue
        problem = _value_problem(details[key], value) if details else None
        if problem:
            plan.violate("parameter_value", path, f"{kind} parameter {key!r} of {label} {problem}")
            continue
        values[key] = value
    for name, detail in (details or {}).items():
        if detail.is_required and values.get(name) in (None, ""):
            plan.violate("missing_parameter", f"{supplied_field}.{name}",
                         f"{label} requires {kind} parameter {name!r} ({detail.Lable or name}), which has no "
                         f"default value; give it in {supplied_field}")
    return values
