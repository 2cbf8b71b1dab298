"""The blast-radius policy, risk levels, and how a plan says what is wrong (violations, errors)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from airflow_provider_cfg.api.enums import RiskLevel
from airflow_provider_cfg.core.names import shown

RISK_LEVELS = {1: "low", 2: "medium", 3: "high"}
DEFAULT_MAX_INSTANCES_PER_GROUP = 100
"""The default policy's cap on the instances one action group may act on. Raise it with
``policy={"max_instances_per_group": N}``; ``None`` there means no limit."""


class PlanError(ValueError):
    """The plan cannot be built: unknown template or action, malformed arguments or policy."""


class PlanViolationError(PlanError):
    """The plan breaks its input checks or its blast-radius policy; ``violations`` lists them all."""

    def __init__(self, violations: Sequence[Violation], subject: str = "the experiment plan") -> None:
        self.violations = list(violations)
        lines = "\n".join(f"- {v.field}: {v.message}" for v in self.violations)
        super().__init__(f"{subject} has {len(self.violations)} violation(s); nothing was changed:\n{lines}")


@dataclass(frozen=True)
class Violation:
    """One problem of a plan.

    :param code: what kind of problem (``instance_format``, ``risk_too_high``…).
    :param field: the offending field (dotted path as the caller gave it).
    :param message: what is wrong and what is allowed.
    :param kind: ``input`` (CFG would refuse or mis-run it) or ``policy`` (the blast-radius policy).
    """

    code: str
    field: str
    message: str
    kind: str = "input"

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "field": self.field, "message": self.message, "kind": self.kind}


def as_int(value: Any, name: str, *, minimum: int | None = None) -> int:
    """``value`` as an integer (``"12"`` and ``12.0`` too; not ``True``, ``12.5``, ``"١٢"`` nor ``"1_2"``).

    :param name: the argument, for the message.
    :param minimum: the smallest value allowed, if any.
    :raises PlanError: not such an integer.
    """
    from airflow_provider_cfg.core.inputs import parse_int

    number = parse_int(value)
    if number is None:
        raise PlanError(f"{name} must be an integer; got {shown(value)}")
    if minimum is not None and number < minimum:
        raise PlanError(f"{name} must be >= {minimum}; got {shown(value)}")
    return number


def risk_level(value: Any) -> int | None:
    """1 low, 2 medium, 3 high from ``ActionRisk`` ("1" to "3", "高风险") or ``RiskDesc`` ("High risk",
    "中风险"): either language, or the code; ``None`` when unknown."""
    level = RiskLevel.from_text(value)
    return int(level) if level is not None else None


def risk_text(level: int | None) -> str:
    """``"2 (medium)"``, or ``"unknown"``."""
    return f"{level} ({RISK_LEVELS[level]})" if level in RISK_LEVELS else "unknown"


@dataclass
class BlastRadiusPolicy:
    """How much an experiment may touch.

    :param max_instances_per_group: most instances one action group may act on (after the execute
        rule, when it is known); default :data:`DEFAULT_MAX_INSTANCES_PER_GROUP` (100); ``None``: no limit.
    :param max_risk_level: highest step risk allowed: 1 low, 2 medium, 3 high; ``None``: any.
        A step whose risk is unknown violates a set limit (fail closed).
    :param allowed_object_types: ``ObjectTypeId`` values groups may target; ``None``: any.
    :param require_recovery: every fault must have a paired recovery step, unless the library says it
        heals by itself (it has no recovery action, ``RelationActionId`` 0).
    """

    max_instances_per_group: int | None = DEFAULT_MAX_INSTANCES_PER_GROUP
    max_risk_level: int | None = None
    allowed_object_types: list[int] | None = None
    require_recovery: bool = True

    FIELDS: ClassVar[tuple[str, ...]] = (
        "max_instances_per_group", "max_risk_level", "allowed_object_types", "require_recovery",
    )

    def __post_init__(self) -> None:
        if self.max_instances_per_group is not None:
            self.max_instances_per_group = as_int(
                self.max_instances_per_group, "policy.max_instances_per_group", minimum=1
            )
        if self.max_risk_level is not None:
            self.max_risk_level = _risk_limit(self.max_risk_level)
        if self.allowed_object_types is not None:
            self.allowed_object_types = _object_type_ids(self.allowed_object_types)
        self.require_recovery = _flag(self.require_recovery, "policy.require_recovery")

    @classmethod
    def from_value(cls, value: BlastRadiusPolicy | Mapping[str, Any] | None) -> BlastRadiusPolicy:
        """A policy from ``None`` (the default policy), a dict (e.g. a rendered operator argument) or a policy."""
        if value is None:
            return cls()
        if isinstance(value, BlastRadiusPolicy):
            return value
        if not isinstance(value, Mapping):
            raise PlanError(f"policy must be a dict with keys {', '.join(cls.FIELDS)}; got {shown(value)}")
        unknown = sorted(set(value) - set(cls.FIELDS))
        if unknown:
            raise PlanError(f"unknown policy key(s) {unknown}; allowed: {', '.join(cls.FIELDS)}")
        # an explicit None means "no limit" (max_instances_per_group); require_recovery None is its default
        return cls(**{key: value[key] for key in cls.FIELDS
                      if key in value and not (key == "require_recovery" and value[key] is None)})

    def instance_limit_text(self) -> str:
        """``max_instances_per_group is 100 (the default; …)``: the limit, and how to raise it."""
        limit = self.max_instances_per_group
        default = " (the default)" if limit == DEFAULT_MAX_INSTANCES_PER_GROUP else ""
        return (f"max_instances_per_group is {limit}{default}; raise it with "
                "policy={'max_instances_per_group': N}, or None for no limit")

    def to_dict(self) -> dict[str, Any]:
        return {
            "max_instances_per_group": self.max_instances_per_group,
            "max_risk_level": self.max_risk_level,
            "allowed_object_types": list(self.allowed_object_types) if self.allowed_object_types is not None else None,
            "require_recovery": self.require_recovery,
        }


def _risk_limit(given: Any) -> int:
    """A risk level from ``2``, ``"medium"``, ``"Medium risk"`` or ``"中风险"`` (as CFG shows it in either language)."""
    level = given
    if isinstance(level, str) and not level.strip().isdigit():
        level = risk_level(level) or 0
    try:
        level = as_int(level, "policy.max_risk_level")
    except PlanError:
        level = 0
    if level not in RISK_LEVELS:
        allowed = ", ".join(f"{k} ({v})" for k, v in RISK_LEVELS.items())
        raise PlanError(f"policy.max_risk_level must be one of {allowed}; got {shown(given)}")
    return level


def _object_type_ids(given: Any) -> list[int]:
    if isinstance(given, (str, bytes, Mapping)) or not isinstance(given, Iterable):
        raise PlanError(f"policy.allowed_object_types must be a list of ObjectTypeId integers; got {shown(given)}")
    types = [as_int(t, f"policy.allowed_object_types[{i}]", minimum=0) for i, t in enumerate(given)]
    if not types:
        raise PlanError("policy.allowed_object_types must list at least one ObjectTypeId (or be null for any)")
    return types


def _flag(given: Any, name: str) -> bool:
    """A boolean from ``True`` or its text (``"false"``, ``"1"``, ``"yes"``…)."""
    value = given
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        value = value.strip().lower() in ("true", "1", "yes")
    if not isinstance(value, bool):
        raise PlanError(f"{name} must be true or false; got {shown(given)}")
    return value
