"""Plan mode: what an experiment would do, checked against a blast-radius policy — without
changing anything.

:func:`build_plan` resolves a template, one library action or several into an
:class:`ExperimentPlan` (groups, object types, instances, ordered steps with their final
parameters and recovery pairing) using **read-only** calls only (``DescribeTemplate``,
``DescribeObjectTypeList``, ``DescribeActionLibraryList``, ``DescribeActionFieldConfigList``), and
checks it:

* input — the template exists and is in use, one instance list per template group, instance ids
  in the format of the group's object type, every required action parameter given (``Required=1``
  without ``DefaultValue``), parameter names, types, ranges and options as the parameter schema
  says, one object type for a multi-action experiment, a request body within CFG's 10 MB;
* policy (:class:`BlastRadiusPolicy`) — instances per group, risk level of every step, allowed
  object types, and a paired recovery for every fault that does not heal by itself.

Every problem becomes a :class:`Violation` naming the field and, where finite, the allowed values;
:meth:`ExperimentPlan.raise_for_violations` raises :class:`PlanViolationError` listing them all.
A plan that cannot be built at all (unknown template or action, malformed arguments) raises
:class:`PlanError`. No Airflow import here.

Instance-id formats: ``DescribeObjectTypeList`` does not expose one, so :data:`ID_FORMATS` keeps
the formats that cfg-api.md §1.2 documents (CVM ``ins-…``, CLB ``lb-…``, MySQL ``cdb-…``, Redis
``crs-…``, TKE nodes and pods as JSON objects, …), matched on the object type's platform name and
title (whole words), and on the ``ObjectTypeId`` only when the type has no title. An object type
that matches no entry is not format-checked (the plan notes it).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from airflow_provider_cfg.api import models as m
    from airflow_provider_cfg.api.client import CfgClient

XCOM_PLAN = "plan"
XCOM_PLAN_MARKDOWN = "plan_markdown"

MAX_BODY_BYTES = 10 * 1024 * 1024
"""CFG's documented request size limit (10 MB)."""

RISK_LEVELS = {1: "low", 2: "medium", 3: "high"}
MODES = {1: "manual", 2: "automatic"}
FAULT, RECOVERY = 1, 2
_MAX_SHOWN = 60  # characters of a bad value quoted in a message


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


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else f"{text[:_MAX_SHOWN]}…' ({len(text)} characters)"


def _as_int(value: Any, name: str, *, minimum: int | None = None) -> int:
    if isinstance(value, bool):
        raise PlanError(f"{name} must be an integer; got {_short(value)}")
    try:
        number = int(str(value).strip()) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        raise PlanError(f"{name} must be an integer; got {_short(value)}") from None
    if isinstance(value, float) and value != number:
        raise PlanError(f"{name} must be an integer; got {_short(value)}")
    if minimum is not None and number < minimum:
        raise PlanError(f"{name} must be >= {minimum}; got {_short(value)}")
    return number


def risk_level(value: Any) -> int | None:
    """1 low, 2 medium, 3 high from ``ActionRisk`` ("1" to "3", "高风险") or ``RiskDesc`` ("High risk");
    ``None`` when unknown."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip().lower()
    if text.isdigit():
        number = int(text)
        return number if number in RISK_LEVELS else None
    for level, words in ((3, ("high", "高")), (2, ("medium", "middle", "moderate", "中")), (1, ("low", "低"))):
        if any(word in text for word in words):
            return level
    return None


def _risk_text(level: int | None) -> str:
    return f"{level} ({RISK_LEVELS[level]})" if level in RISK_LEVELS else "unknown"


# -- the policy ---------------------------------------------------------------------------------------


@dataclass
class BlastRadiusPolicy:
    """How much an experiment may touch.

    :param max_instances_per_group: most instances one action group may act on (after the execute
        rule, when it is known); ``None``: no limit.
    :param max_risk_level: highest step risk allowed: 1 low, 2 medium, 3 high; ``None``: any.
        A step whose risk is unknown violates a set limit (fail closed).
    :param allowed_object_types: ``ObjectTypeId`` values groups may target; ``None``: any.
    :param require_recovery: every fault must have a paired recovery step, unless the library says it
        heals by itself (it has no recovery action, ``RelationActionId`` 0).
    """

    max_instances_per_group: int | None = None
    max_risk_level: int | None = None
    allowed_object_types: list[int] | None = None
    require_recovery: bool = True

    FIELDS: ClassVar[tuple[str, ...]] = (
        "max_instances_per_group", "max_risk_level", "allowed_object_types", "require_recovery",
    )

    def __post_init__(self) -> None:
        if self.max_instances_per_group is not None:
            self.max_instances_per_group = _as_int(
                self.max_instances_per_group, "policy.max_instances_per_group", minimum=1
            )
        if self.max_risk_level is not None:
            level = self.max_risk_level
            if isinstance(level, str) and level.strip().lower() in RISK_LEVELS.values():
                level = {v: k for k, v in RISK_LEVELS.items()}[level.strip().lower()]
            try:
                level = _as_int(level, "policy.max_risk_level")
            except PlanError:
                level = 0
            if level not in RISK_LEVELS:
                allowed = ", ".join(f"{k} ({v})" for k, v in RISK_LEVELS.items())
                raise PlanError(f"policy.max_risk_level must be one of {allowed}; got {_short(self.max_risk_level)}")
            self.max_risk_level = level
        if self.allowed_object_types is not None:
            given = self.allowed_object_types
            if isinstance(given, (str, bytes, Mapping)) or not isinstance(given, Iterable):
                raise PlanError(
                    f"policy.allowed_object_types must be a list of ObjectTypeId integers; got {_short(given)}"
                )
            types = [_as_int(t, f"policy.allowed_object_types[{i}]", minimum=0) for i, t in enumerate(given)]
            if not types:
                raise PlanError("policy.allowed_object_types must list at least one ObjectTypeId (or be null for any)")
            self.allowed_object_types = types
        value = self.require_recovery
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
            value = value.strip().lower() in ("true", "1", "yes")
        if not isinstance(value, bool):
            raise PlanError(f"policy.require_recovery must be true or false; got {_short(self.require_recovery)}")
        self.require_recovery = value

    @classmethod
    def from_value(cls, value: BlastRadiusPolicy | Mapping[str, Any] | None) -> BlastRadiusPolicy:
        """A policy from ``None`` (the default policy), a dict (e.g. a rendered operator argument) or a policy."""
        if value is None:
            return cls()
        if isinstance(value, BlastRadiusPolicy):
            return value
        if not isinstance(value, Mapping):
            raise PlanError(f"policy must be a dict with keys {', '.join(cls.FIELDS)}; got {_short(value)}")
        unknown = sorted(set(value) - set(cls.FIELDS))
        if unknown:
            raise PlanError(f"unknown policy key(s) {unknown}; allowed: {', '.join(cls.FIELDS)}")
        return cls(**{key: value[key] for key in cls.FIELDS if value.get(key) is not None})

    def to_dict(self) -> dict[str, Any]:
        return {
            "max_instances_per_group": self.max_instances_per_group,
            "max_risk_level": self.max_risk_level,
            "allowed_object_types": list(self.allowed_object_types) if self.allowed_object_types is not None else None,
            "require_recovery": self.require_recovery,
        }


# -- instance-id formats (cfg-api.md §1.2) ---------------------------------------------------------

_ID8 = r"[a-z0-9]{8}"
_IPV4 = r"\d{1,3}(\.\d{1,3}){3}"
_DNS_NAME = r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?"


@dataclass(frozen=True)
class IdFormat:
    """The instance-id format of a kind of object.

    :param name: what the object is.
    :param keywords: whole words/phrases matched in the lower-cased object type platform name + title.
    :param example: the documented form.
    :param regex: a plain id (full match); or
    :param json_keys: a JSON-object id: key → regex of its (string) value.
    :param type_ids: ``ObjectTypeId`` values used only when the object type has no title.
    """

    name: str
    keywords: tuple[str, ...]
    example: str
    regex: str | None = None
    json_keys: Mapping[str, str] | None = None
    type_ids: tuple[int, ...] = ()

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not an id of this format (``None`` if it is)."""
        if not isinstance(value, str):
            return f"must be a string; got {_short(value)}"
        if self.regex is not None:
            return None if re.fullmatch(self.regex, value) else f"{_short(value)} is not a valid {self.name} id"
        try:
            obj = json.loads(value)
        except ValueError:
            obj = None
        if not isinstance(obj, dict):
            return f"{_short(value)} is not a valid {self.name} id (a JSON object string)"
        for key, regex in (self.json_keys or {}).items():
            item = obj.get(key)
            if not isinstance(item, str) or not re.fullmatch(regex, item):
                return f"{_short(value)} has a missing or invalid {key!r}"
        return None


ID_FORMATS: tuple[IdFormat, ...] = (
    # most specific first: a TKE node title may mention CVM, TDSQL-MySQL mentions MySQL
    IdFormat("TKE Pod", ("tke-pod", "tke pod", "pod"),
             '{"ClusterId":"cls-xxxxxxxx","PodName":"podname","NodeName":"1.1.1.1","NameSpace":"ns","Workload":"workload"}',
             json_keys={"ClusterId": rf"cls-{_ID8}", "PodName": _DNS_NAME, "NodeName": r"\S+",
                        "NameSpace": r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", "Workload": _DNS_NAME}, type_ids=(22,)),
    IdFormat("TKE serverless super node", ("serverless super node", "serverless cluster super node"),
             '{"ClusterId":"cls-xxxxxxxx","InstanceId":"eklet-xxxxxxxx","LanIP":"1.1.1.1"}',
             json_keys={"ClusterId": rf"cls-{_ID8}", "InstanceId": r"eklet-[a-z0-9-]+", "LanIP": _IPV4}),
    IdFormat("TKE super node", ("super node", "supernode", "eklet"),
             '{"ClusterId":"cls-xxxxxxxx","InstanceId":"eklet-xxxxxxxx","LanIP":"1.1.1.1","NodePoolId":"np-xxxxxxxx"}',
             json_keys={"ClusterId": rf"cls-{_ID8}", "InstanceId": r"eklet-[a-z0-9-]+", "LanIP": _IPV4,
                        "NodePoolId": r"np-[a-z0-9]+"}),
    IdFormat("TKE node", ("tke-node", "tke node", "tke standard cluster node", "cluster node"),
             '{"ClusterId":"cls-xxxxxxxx","InstanceId":"ins-xxxxxxxx","LanIP":"1.1.1.1"}',
             json_keys={"ClusterId": rf"cls-{_ID8}", "InstanceId": rf"ins-{_ID8}", "LanIP": _IPV4}, type_ids=(21,)),
    IdFormat("TDSQL-C", ("tdsql-c", "cynosdb"), "cynosdbmysql-xxxxxxxx", regex=r"cynosdbmysql-[a-z0-9]+"),
    IdFormat("TDSQL-MySQL", ("tdsql-mysql", "tdsql for mysql", "tdsql mysql", "dcdb"), "tdsqlshard-xxxxxxxx",
             regex=r"tdsqlshard-[a-z0-9]+"),
    IdFormat("MariaDB", ("mariadb",), "tdsql-xxxxxxxx", regex=r"tdsql-[a-z0-9]+"),
    IdFormat("PostgreSQL", ("postgresql", "postgres"), "postgres-xxxxxxxx", regex=r"postgres-[a-z0-9]+"),
    IdFormat("MySQL", ("cdb", "mysql"), "cdb-xxxxxxxx", regex=rf"cdb-{_ID8}", type_ids=(2,)),
    IdFormat("Redis", ("redis", "crs"), "crs-xxxxxxxx", regex=rf"crs-{_ID8}", type_ids=(4,)),
    IdFormat("CLB", ("clb", "load balancer"), "lb-xxxxxxxx", regex=rf"lb-{_ID8}", type_ids=(3,)),
    IdFormat("cloud-native gateway", ("cloud-native gateway", "cloud native gateway"), "gateway-xxxxxxxx",
             regex=r"gateway-[a-z0-9]+"),
    IdFormat("NAT gateway", ("nat gateway", "nat"), "nat-xxxxxxxx", regex=rf"nat-{_ID8}", type_ids=(5,)),
    IdFormat("Direct Connect tunnel", ("direct connect", "dcx"), "dcx-xxxxxxxx", regex=r"dcx-[a-z0-9]+"),
    IdFormat("VPC subnet", ("subnet",), "subnet-xxxxxxxx", regex=r"subnet-[a-z0-9]+"),
    IdFormat("CKafka", ("ckafka", "kafka"), "ckafka-xxxxxxxx", regex=r"ckafka-[a-z0-9]+"),
    IdFormat("Elasticsearch", ("elasticsearch",), "es-xxxxxxxx", regex=r"es-[a-z0-9]+"),
    IdFormat("RabbitMQ", ("rabbitmq", "amqp"), "amqp-xxxxxxxx", regex=r"amqp-[a-z0-9]+"),
    IdFormat("CVM", ("cvm", "cloud virtual machine"), "ins-xxxxxxxx", regex=rf"ins-{_ID8}", type_ids=(1,)),
)


def id_format_for(object_type_id: int | None, object_type: m.ObjectType | None) -> IdFormat | None:
    """The id format of an object type: by its platform name and title, else (no title) by its id."""
    parts = (getattr(object_type, "ObjectPlatformName", None), getattr(object_type, "ObjectTypeTitle", None))
    text = " ".join(str(part) for part in parts if part).lower()
    if text:
        for fmt in ID_FORMATS:
            if any(re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", text) for word in fmt.keywords):
                return fmt
        return None
    for fmt in ID_FORMATS:
        if object_type_id in fmt.type_ids:
            return fmt
    return None


def _object_key(value: Any) -> str:
    if isinstance(value, str):
        try:
            obj = json.loads(value)
        except ValueError:
            return value
        if isinstance(obj, dict):
            return json.dumps(obj, sort_keys=True, separators=(",", ":"))
        return value
    return repr(value)


# -- the plan -----------------------------------------------------------------------------------------


@dataclass
class PlanStep:
    """One action step as CFG would run it."""

    order: int
    action_id: int | None
    title: str
    kind: str  # "fault", "recovery" or "unknown"
    risk: int | None
    general: dict[str, Any]
    custom: dict[str, Any]
    recovery: str = ""
    paired_with: int | None = None  # order of the paired step (recovery of a fault, fault of a recovery)
    heals_by_itself: bool = False
    added_by_cfg: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "order": self.order, "action_id": self.action_id, "title": self.title, "kind": self.kind,
            "risk": self.risk, "risk_text": _risk_text(self.risk),
            "parameters": {"general": self.general, "custom": self.custom},
            "recovery": self.recovery, "paired_with": self.paired_with,
            "heals_by_itself": self.heals_by_itself, "added_by_cfg": self.added_by_cfg,
        }


@dataclass
class PlanGroup:
    """One action group: its object type, the instances it acts on and its steps."""

    order: int
    title: str
    object_type_id: int | None
    object_type_title: str | None
    instances: list[str]
    execute_rule: dict[str, Any] | None
    affected: int
    selection: str
    steps: list[PlanStep] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "order": self.order, "title": self.title,
            "object_type": {"id": self.object_type_id, "title": self.object_type_title},
            "instances": list(self.instances), "execute_rule": self.execute_rule,
            "affected_instances": self.affected, "selection": self.selection,
            "steps": [step.to_dict() for step in self.steps],
        }


@dataclass
class ExperimentPlan:
    """What an experiment would do, and whether it may (``violations`` empty)."""

    source: dict[str, Any]
    title: str
    mode: str | None
    groups: list[PlanGroup]
    policy: BlastRadiusPolicy
    violations: list[Violation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    object_type_titles: dict[int, str | None] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not self.violations

    def violate(self, code: str, field_name: str, message: str, kind: str = "input") -> None:
        self.violations.append(Violation(code, field_name, message, kind))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe; ``digest`` is a SHA-256 of everything else (the same plan gives the same digest)."""
        body = {
            "source": dict(self.source),
            "title": self.title,
            "mode": self.mode,
            "changes_made": False,
            "groups": [group.to_dict() for group in self.groups],
            "policy": self.policy.to_dict(),
            "verdict": {"ok": self.ok, "violations": [v.to_dict() for v in self.violations]},
            "notes": list(self.notes),
        }
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        return {**body, "digest": hashlib.sha256(canonical.encode()).hexdigest()}

    def describe_source(self) -> str:
        return describe_source(self.source)

    def to_markdown(self) -> str:
        lines = [f"# CFG experiment plan: {_md(self.title)}", ""]
        lines.append(f"- **source**: {_md(self.describe_source())}")
        lines.append(f"- **mode**: {self.mode or 'unknown'}")
        lines.append("- **changes made**: none (plan only)")
        verdict = "✅ within policy" if self.ok else f"❌ {len(self.violations)} violation(s)"
        lines.append(f"- **verdict**: {verdict}")
        lines.append("")
        for group in self.groups:
            otype = f"{_md(group.object_type_title or 'unknown object type')} (ObjectTypeId {group.object_type_id})"
            lines.append(f"## Group {group.order}: {_md(group.title)} — {otype}")
            lines.append("")
            shown = ", ".join(f"`{_md(i)}`" for i in group.instances[:20])
            more = f" … and {len(group.instances) - 20} more" if len(group.instances) > 20 else ""
            lines.append(f"- **instances** ({len(group.instances)} given): {shown or '—'}{more}")
            lines.append(f"- **selection**: {_md(group.selection)} → at most {group.affected} affected")
            lines.append("")
            lines.append("| # | action | kind | risk | parameters | recovery |")
            lines.append("|---|---|---|---|---|---|")
            for step in group.steps:
                params = "; ".join(
                    f"{name}: `{_md(json.dumps(values, ensure_ascii=False, default=str))}`"
                    for name, values in (("general", step.general), ("custom", step.custom)) if values
                ) or "—"
                action = f"{step.action_id} {_md(step.title)}" + (" *(added by CFG)*" if step.added_by_cfg else "")
                lines.append(
                    f"| {step.order} | {action} | {step.kind} | {_risk_text(step.risk)} | {params} "
                    f"| {_md(step.recovery) or '—'} |"
                )
            lines.append("")
        policy = self.policy
        lines.append("## Policy")
        lines.append("")
        max_instances = policy.max_instances_per_group
        lines.append(f"- max instances per group: {max_instances if max_instances is not None else 'no limit'}")
        max_risk = policy.max_risk_level
        lines.append(f"- max risk level: {_risk_text(max_risk) if max_risk is not None else 'any'}")
        allowed_types = policy.allowed_object_types
        allowed = ", ".join(str(t) for t in allowed_types) if allowed_types is not None else "any"
        lines.append(f"- allowed object types: {allowed}")
        lines.append(f"- require recovery: {'yes' if policy.require_recovery else 'no'}")
        lines.append("")
        if self.violations:
            lines.append("## Violations")
            lines.append("")
            lines.extend(f"- **{v.kind}** `{_md(v.field)}`: {_md(v.message)}" for v in self.violations)
            lines.append("")
        if self.notes:
            lines.append("## Notes")
            lines.append("")
            lines.extend(f"- {_md(note)}" for note in self.notes)
            lines.append("")
        return "\n".join(lines)

    def raise_for_violations(self) -> None:
        """Raise :class:`PlanViolationError` listing every violation (nothing if there is none)."""
        if self.violations:
            raise PlanViolationError(self.violations, f"CFG experiment plan {self.title!r} ({self.describe_source()})")


def describe_source(source: Mapping[str, Any]) -> str:
    """``template 626 "Empty Operation"``, ``library action 462`` or ``library actions 21, 462``."""
    kind = source.get("kind")
    if kind == "template":
        return f"template {source.get('template_id')} \"{source.get('template_title') or ''}\""
    if kind == "action":
        return f"library action {source.get('action_id')}"
    return f"library actions {', '.join(str(a) for a in source.get('action_ids', []))}"


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


# -- reading the catalogue (read-only calls) ------------------------------------------------------


class _Catalogue:
    """Object types, library actions and parameter schemas, each read once per plan."""

    def __init__(self, client: CfgClient) -> None:
        self.client = client
        self._object_types: dict[int, m.ObjectType] | None = None
        self._library: dict[int, m.ActionLibraryListResult] = {}
        self._schemas: dict[int, tuple[m.ActionFieldConfigResult | None, m.ActionFieldConfigResult | None]] = {}

    def object_types(self) -> dict[int, m.ObjectType]:
        if self._object_types is None:
            listing = self.client.describe_object_type_list().ObjectTypeList or []
            self._object_types = {int(o.ObjectTypeId): o for o in listing if o.ObjectTypeId is not None}
        return self._object_types

    def object_type_title(self, type_id: int | None) -> str | None:
        obj = self.object_types().get(type_id) if type_id is not None else None
        return obj.ObjectTypeTitle if obj is not None else None

    def library(self, object_type: int, action_ids: Iterable[int]) -> dict[int, m.ActionLibraryListResult]:
        action_ids = list(action_ids)
        wanted = sorted({a for a in action_ids if a not in self._library})
        for start in range(0, len(wanted), 100):
            chunk = wanted[start:start + 100]
            page = self.client.describe_action_library_list(object_type, limit=100, action_ids=chunk)
            for item in page.Results or []:
                if item.ActionId is not None:
                    self._library[int(item.ActionId)] = item
        return {a: self._library[a] for a in action_ids if a in self._library}

    def find(self, action_ids: Iterable[int]) -> dict[int, m.ActionLibraryListResult]:
        """Library entries of ``action_ids`` whatever their object type (one listing per object type
        until all are found; an object type whose listing is refused is skipped)."""
        from airflow_provider_cfg.api.errors import CfgApiError, ErrorKind

        ids = set(action_ids)
        for type_id in self.object_types():
            missing = ids - set(self._library)
            if not missing:
                break
            try:
                self.library(type_id, missing)
            except CfgApiError as exc:
                if exc.kind is not ErrorKind.PERMANENT:
                    raise
        return {a: self._library[a] for a in ids if a in self._library}

    def schemas(
        self, object_type: int, action_ids: Iterable[int]
    ) -> dict[int, tuple[m.ActionFieldConfigResult | None, m.ActionFieldConfigResult | None]]:
        """``{ActionId: (general schema, custom schema)}`` from ``DescribeActionFieldConfigList``."""
        action_ids = list(action_ids)
        wanted = sorted({a for a in action_ids if a not in self._schemas})
        if wanted:
            answer = self.client.describe_action_field_config_list(wanted, object_type)
            for kind, results in ((0, answer.Common or []), (1, answer.Results or [])):
                for position, result in enumerate(results):
                    action_id = int(result.ActionId) if result.ActionId is not None else (
                        wanted[position] if position < len(wanted) else None)
                    if action_id is None:
                        continue
                    pair = list(self._schemas.get(action_id, (None, None)))
                    pair[kind] = result
                    self._schemas[action_id] = (pair[0], pair[1])
        return {a: self._schemas.get(a, (None, None)) for a in action_ids}


# -- parameters ---------------------------------------------------------------------------------------


def _typed_default(detail: m.ActionFieldConfigDetail) -> Any:
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
        if isinstance(value, bool):
            return f"must be a number; got {_short(value)}"
        try:
            number = float(value)
        except (TypeError, ValueError):
            return f"must be a number; got {_short(value)}"
        if math.isnan(number):
            return f"must be a number; got {_short(value)}"
        low, high = config.get("min"), config.get("max")
        low = low if isinstance(low, (int, float)) and not isinstance(low, bool) else None
        high = high if isinstance(high, (int, float)) and not isinstance(high, bool) else None
        if (low is not None and number < low) or (high is not None and number > high):
            bounds = f"between {low} and {high}" if low is not None and high is not None else (
                f">= {low}" if low is not None else f"<= {high}")
            return f"must be a number {bounds}; got {_short(value)}"
        return None
    options = config.get("options")
    if isinstance(options, list) and options and all(isinstance(o, Mapping) and "value" in o for o in options):
        allowed = [str(o["value"]) for o in options]
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if isinstance(value, (dict, list)) or text not in allowed:
            return f"must be one of {', '.join(allowed)}; got {_short(value)}"
        return None
    if ftype in ("input", "textarea", "text") and (not isinstance(value, (str, int, float)) or isinstance(value, bool)):
        return f"must be a string; got {_short(value)}"
    return None


def _json_object(value: Any, where: str, plan: ExperimentPlan) -> dict[str, Any]:
    """A configuration given as a dict or a JSON string; a violation (and ``{}``) otherwise."""
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
    plan.violate("parameter_json", where, f"must be a JSON object (a dict or its JSON string); got {_short(value)}")
    return {}


def _resolve_parameters(
    plan: ExperimentPlan,
    label: str,
    schema: tuple[m.ActionFieldConfigResult | None, m.ActionFieldConfigResult | None],
    base: tuple[dict[str, Any], dict[str, Any]],
    given: tuple[Any, Any],
    given_fields: tuple[str, str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Defaults ← ``base`` (a template's stored values) ← ``given`` (the caller's), checked.

    Names, types and ranges are checked on what the caller gives; required parameters on the result.
    """
    result = []
    for kind, result_schema, stored, supplied, supplied_field in zip(
        ("general", "custom"), schema, base, given, given_fields, strict=True
    ):
        details = {d.Field: d for d in (result_schema.ConfigDetail or []) if d.Field} if result_schema else None
        values: dict[str, Any] = {}
        if details:
            values.update({name: _typed_default(d) for name, d in details.items() if _typed_default(d) is not None})
        values.update(stored)
        overrides = _json_object(supplied, supplied_field, plan)
        for key, value in overrides.items():
            path = f"{supplied_field}.{key}"
            if details is not None and key not in details:
                allowed = ", ".join(details) or "none"
                plan.violate("unknown_parameter", path,
                             f"{key!r} is not a {kind} parameter of {label}; allowed: {allowed}")
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
        result.append(values)
    return result[0], result[1]


# -- groups -------------------------------------------------------------------------------------------


def _execute_rule(group: Any) -> dict[str, Any] | None:
    """The template group's instance-selection rule, if CFG exposes one (the 2021-08-20
    ``TemplateGroup`` has no such field; a newer API may add it)."""
    extra = getattr(group, "model_extra", None) or {}
    for key, value in extra.items():
        if "executerule" not in key.lower():
            continue
        rule = value[0] if isinstance(value, list) and value else value
        if isinstance(rule, Mapping):
            found = {k.split("Execute")[-1].lower(): v for k, v in rule.items()}
            return {"mode": found.get("mode"), "percent": found.get("percent"), "num": found.get("num")}
    return None


def _affected(rule: dict[str, Any] | None, count: int, *, known_all: bool) -> tuple[int, str]:
    if rule is None:
        if known_all:
            return count, "all given instances"
        return count, "execute rule not exposed by DescribeTemplate; counting every given instance (upper bound)"
    try:
        mode = int(rule.get("mode") or 1)
        if mode == 1:
            return count, "all given instances (execute rule: all)"
        if mode == 2:
            percent = int(rule.get("percent") or 100)
            chosen = min(count, max(1, math.ceil(count * percent / 100))) if count else 0
            return chosen, f"a random {percent}% of the given instances (execute rule: percent)"
        if mode == 3:
            number = int(rule.get("num") or count)
            chosen = min(count, max(1, number)) if count else 0
            return chosen, f"a random {number} of the given instances (execute rule: count)"
    except (TypeError, ValueError):
        pass
    return count, f"unknown execute rule {rule!r}; counting every given instance (upper bound)"


def _check_instances(plan: ExperimentPlan, where: str, instances: Any, fmt: IdFormat | None,
                     type_id: int | None, type_title: str | None) -> list[str]:
    if isinstance(instances, (str, bytes)) or not isinstance(instances, Sequence):
        plan.violate("instances_type", where, f"must be a list of object ids; got {_short(instances)}")
        return []
    values = list(instances)
    if not values:
        expected = f" ({fmt.name}: {fmt.example})" if fmt else ""
        plan.violate("no_instances", where, f"must list at least one instance{expected}")
    seen: set[str] = set()
    what = f"object type {type_id} ({type_title or 'unknown'})"
    for index, value in enumerate(values):
        path = f"{where}[{index}]"
        if not isinstance(value, str):
            plan.violate("instance_format", path, f"instance ids must be strings; got {_short(value)}")
            continue
        if fmt is not None:
            problem = fmt.problem(value)
            if problem:
                plan.violate("instance_format", path, f"{problem} for {what}; expected format: {fmt.example}")
                continue
        key = _object_key(value)
        if key in seen:
            plan.violate("duplicate_instance", path, f"instance {_short(value)} is listed twice")
        seen.add(key)
    return [v for v in values if isinstance(v, str)]


def _group_checks(plan: ExperimentPlan, group: PlanGroup, instances_field: str) -> None:
    """The policy rules of one group (fields: the instances to change, else ``groups[g].…`` of the plan)."""
    policy = plan.policy
    where = f"groups[{group.order}]"
    label = f"group {group.order} ({group.title})"
    if policy.allowed_object_types is not None and group.object_type_id not in policy.allowed_object_types:
        catalogue_titles = plan.object_type_titles
        allowed = ", ".join(
            f"{t} ({catalogue_titles[t]})" if catalogue_titles.get(t) else str(t) for t in policy.allowed_object_types)
        plan.violate("object_type_not_allowed", f"{where}.object_type",
                     f"{label} targets object type {group.object_type_id} ({group.object_type_title or 'unknown'}); "
                     f"policy allowed_object_types: {allowed}", "policy")
    if policy.max_instances_per_group is not None and group.affected > policy.max_instances_per_group:
        plan.violate("too_many_instances", instances_field,
                     f"{label} would act on {group.affected} instance(s) ({group.selection}); policy "
                     f"max_instances_per_group is {policy.max_instances_per_group}", "policy")
    for step in group.steps:
        step_label = f"{label} step {step.order} (action {step.action_id} {step.title})"
        if policy.max_risk_level is not None:
            if step.risk is None:
                plan.violate("risk_unknown", f"{where}.steps[{step.order}]",
                             f"{step_label} has an unknown risk level; policy max_risk_level is "
                             f"{_risk_text(policy.max_risk_level)} and cannot be verified", "policy")
            elif step.risk > policy.max_risk_level:
                allowed = ", ".join(_risk_text(level) for level in RISK_LEVELS if level <= policy.max_risk_level)
                plan.violate("risk_too_high", f"{where}.steps[{step.order}]",
                             f"{step_label} has risk {_risk_text(step.risk)}; policy max_risk_level is "
                             f"{_risk_text(policy.max_risk_level)} (allowed: {allowed})", "policy")
        if policy.require_recovery and step.kind == "fault" and step.paired_with is None and not step.heals_by_itself:
            plan.violate("missing_recovery", f"{where}.steps[{step.order}]",
                         f"{step_label} is a fault without a paired recovery step ({step.recovery}); add its recovery "
                         "action after it, or set policy require_recovery=false", "policy")


# -- building -----------------------------------------------------------------------------------------


def build_plan(
    client: CfgClient,
    *,
    template_id: int | str | None = None,
    task_config: Mapping[str, Any] | None = None,
    action_id: int | str | None = None,
    instances: Sequence[Any] | None = None,
    general: Mapping[str, Any] | str | None = None,
    custom: Mapping[str, Any] | str | None = None,
    actions: Sequence[Mapping[str, Any]] | None = None,
    title: str | None = None,
    policy: BlastRadiusPolicy | Mapping[str, Any] | None = None,
) -> ExperimentPlan:
    """Resolve and check an experiment without changing anything (read-only calls only).

    Give one source:

    * ``template_id`` with ``task_config`` (``CreateTaskFromTemplate``'s ``TaskConfig``) and/or
      ``instances`` (one list per group; a flat list means one group);
    * ``action_id`` with ``instances``, ``general`` and ``custom`` (dicts or JSON strings);
    * ``actions`` (``[{"action_id", "general", "custom"}]`` or the wire ``TaskAction`` entries) with ``instances``.

    :param policy: the blast-radius policy (default :class:`BlastRadiusPolicy` ()).
    :raises PlanError: the plan cannot be built (unknown template or action, malformed arguments).
    """
    chosen = [name for name, value in (("template_id", template_id), ("action_id", action_id), ("actions", actions))
              if value is not None]
    if len(chosen) != 1:
        raise PlanError(f"give exactly one of template_id, action_id or actions; got {chosen or 'none'}")
    rules = BlastRadiusPolicy.from_value(policy)
    catalogue = _Catalogue(client)
    if template_id is not None:
        return _template_plan(catalogue, rules, template_id, task_config, instances, title)
    if action_id is not None:
        entries = [{"action_id": action_id, "general": general, "custom": custom}]
        return _actions_plan(catalogue, rules, entries, instances, title, single=True)
    if isinstance(actions, (str, bytes, Mapping)) or not isinstance(actions, Sequence):
        raise PlanError(
            f"actions must be a list of {{'action_id', 'general', 'custom'}} entries; got {_short(actions)}"
        )
    entries = []
    for index, item in enumerate(actions):
        if not isinstance(item, Mapping):
            raise PlanError(f"actions[{index}] must be a dict with 'action_id'; got {_short(item)}")
        if "TaskActionId" in item:
            item = {"action_id": item["TaskActionId"], "general": item.get("TaskActionGeneralConfiguration"),
                    "custom": item.get("TaskActionCustomConfiguration")}
        unknown = sorted(set(item) - {"action_id", "general", "custom"})
        if "action_id" not in item or unknown:
            raise PlanError(
                f"actions[{index}] needs 'action_id' and may have 'general' and 'custom'; got keys {sorted(item)}"
            )
        entries.append(dict(item))
    if not entries:
        raise PlanError("actions must list at least one action")
    return _actions_plan(catalogue, rules, entries, instances, title, single=False)


def plan_for_request(
    client: CfgClient,
    action: str,
    params: Mapping[str, Any],
    policy: BlastRadiusPolicy | Mapping[str, Any] | None = None,
) -> ExperimentPlan:
    """The plan of a create call's wire parameters (``CreateTaskFromTemplate``, ``CreateTaskFromAction``
    or ``CreateTaskFromMultiAction``), including CFG's 10 MB request-size limit."""
    if action == "CreateTaskFromTemplate":
        plan = build_plan(client, template_id=params.get("TemplateId"), task_config=params.get("TaskConfig") or {},
                          policy=policy)
    elif action == "CreateTaskFromAction":
        plan = build_plan(client, action_id=params.get("TaskActionId"), instances=params.get("TaskInstances"),
                          general=params.get("TaskActionGeneralConfiguration"),
                          custom=params.get("TaskActionCustomConfiguration"), title=params.get("TaskTitle"),
                          policy=policy)
    elif action == "CreateTaskFromMultiAction":
        plan = build_plan(client, actions=params.get("TaskAction") or [], instances=params.get("TaskInstances"),
                          title=params.get("TaskTitle"), policy=policy)
    else:
        raise PlanError(
            f"no plan for {action!r}; allowed: CreateTaskFromTemplate, CreateTaskFromAction, CreateTaskFromMultiAction"
        )
    size = len(json.dumps(dict(params), separators=(",", ":"), ensure_ascii=False, default=str).encode())
    if size > MAX_BODY_BYTES:
        plan.violate("payload_too_large", "(request body)",
                     f"the {action} request body would be {size} bytes; "
                     f"CFG accepts at most {MAX_BODY_BYTES} bytes (10 MB)")
    return plan


def _template_plan(
    catalogue: _Catalogue, policy: BlastRadiusPolicy, template_id: Any, task_config: Mapping[str, Any] | None,
    instances: Sequence[Any] | None, title: str | None,
) -> ExperimentPlan:
    from airflow_provider_cfg.api.errors import CfgApiError

    tid = _as_int(template_id, "template_id", minimum=1)
    try:
        template = catalogue.client.describe_template(tid).Template
    except CfgApiError as exc:
        if exc.code.startswith("ResourceNotFound") or exc.code.startswith("InvalidParameterValue"):
            raise PlanError(f"TemplateId: template {tid} cannot be planned: [{exc.code}] {exc.message}") from None
        raise
    if template is None:
        raise PlanError(f"TemplateId: template {tid} was not returned by DescribeTemplate")
    if task_config is not None and not isinstance(task_config, Mapping):
        raise PlanError(f"task_config must be a dict (CFG's TaskConfig); got {_short(task_config)}")
    config = dict(task_config or {})
    groups_config = config.get("TaskGroupsConfig") or []
    if isinstance(groups_config, (str, bytes, Mapping)) or not isinstance(groups_config, Sequence):
        raise PlanError(
            f"TaskConfig.TaskGroupsConfig must be a list (one entry per template group); got {_short(groups_config)}"
        )
    groups_config = [dict(g) if isinstance(g, Mapping) else {"TaskGroupInstances": g} for g in groups_config]
    if instances is not None:
        items = list(instances)
        lists = [items] if all(isinstance(i, str) for i in items) else items
        groups_config = [{**(groups_config[i] if i < len(groups_config) else {}), "TaskGroupInstances": group}
                         for i, group in enumerate(lists)]

    mode_code = config.get("TaskMode")
    mode: str | None
    if mode_code is None:
        mode_code = template.TemplateMode
    try:
        mode = MODES[int(mode_code)] if mode_code is not None else None
    except (TypeError, ValueError, KeyError):
        mode = None
    plan = ExperimentPlan(
        source={"kind": "template", "template_id": tid, "template_title": template.TemplateTitle},
        title=str(title or config.get("TaskTitle") or template.TemplateTitle or f"template {tid}"),
        mode=mode, groups=[], policy=policy,
    )
    if mode_code is not None and mode is None:
        plan.violate("mode", "TaskConfig.TaskMode",
                     f"must be one of {', '.join(f'{k} ({v})' for k, v in MODES.items())}; got {_short(mode_code)}")
    if template.TemplateIsUsed is not None and int(template.TemplateIsUsed) != 1:
        plan.violate("template_disabled", "TemplateId",
                     f"template {tid} ({template.TemplateTitle}) is disabled "
                     f"(TemplateIsUsed {int(template.TemplateIsUsed)}); "
                     "experiments can only be created from templates in use (TemplateIsUsed 1)")

    groups = sorted(template.TemplateGroups or [], key=lambda g: (g.Order is None, g.Order or 0))
    if len(groups_config) != len(groups):
        names = ", ".join(str(g.Title) for g in groups)
        plan.violate("group_count", "TaskConfig.TaskGroupsConfig",
                     f"{len(groups_config)} instance list(s) given but template {tid} has {len(groups)} "
                     f"action group(s) ({names}); give exactly one entry per group, in order")
    object_types = catalogue.object_types()
    plan.object_type_titles = {k: v.ObjectTypeTitle for k, v in object_types.items()}
    for gi, group in enumerate(groups):
        gcfg = groups_config[gi] if gi < len(groups_config) else {}
        where = f"TaskConfig.TaskGroupsConfig[{gi}]"
        type_id = int(group.ObjectTypeId) if group.ObjectTypeId is not None else None
        obj = object_types.get(type_id) if type_id is not None else None
        fmt = id_format_for(type_id, obj)
        if fmt is None:
            plan.notes.append(f"group {gi + 1}: no known instance-id format for object type {type_id}; ids not checked")
        if gi < len(groups_config):
            given = _check_instances(plan, f"{where}.TaskGroupInstances", gcfg.get("TaskGroupInstances", []),
                                     fmt, type_id, obj.ObjectTypeTitle if obj else None)
        else:
            given = []
        rule = _execute_rule(group)
        affected, selection = _affected(rule, len(given), known_all=False)
        plan_group = PlanGroup(order=gi + 1, title=str(gcfg.get("TaskGroupTitle") or group.Title or f"group {gi + 1}"),
                               object_type_id=type_id, object_type_title=obj.ObjectTypeTitle if obj else None,
                               instances=given, execute_rule=rule, affected=affected, selection=selection)
        template_actions = sorted(group.TemplateGroupActions or [], key=lambda a: (a.Order is None, a.Order or 0))
        ids = [int(a.ActionId) for a in template_actions if a.ActionId is not None]
        library = catalogue.library(type_id, ids) if type_id is not None and ids else {}
        schemas = catalogue.schemas(type_id, ids) if type_id is not None and ids else {}
        orders = [a.Order for a in template_actions]
        overrides: dict[int | None, tuple[int, Mapping[str, Any]]] = {}  # by action order (the template's may be null)
        raw_overrides = gcfg.get("TaskGroupActionsConfig") or []
        for ai, override in enumerate(raw_overrides if isinstance(raw_overrides, Sequence) else []):
            path = f"{where}.TaskGroupActionsConfig[{ai}].TaskGroupActionOrder"
            order = override.get("TaskGroupActionOrder") if isinstance(override, Mapping) else None
            if order not in orders:
                plan.violate("action_order", path, f"{_short(order)} matches no action of template group {gi + 1}; "
                             f"its action orders: {', '.join(str(o) for o in orders)}")
            elif order in overrides:
                plan.violate("action_order", path, f"action order {order} is configured twice")
            else:
                overrides[order] = (ai, override)
        links: list[tuple[PlanStep, m.TemplateGroupAction, int | None]] = []
        for action in template_actions:
            aid = int(action.ActionId) if action.ActionId is not None else None
            entry = library.get(aid) if aid is not None else None
            attribute = action.ActionAttribute
            if attribute is None:
                attribute = entry.AttributeId if entry else None
            kind = {FAULT: "fault", RECOVERY: "recovery"}.get(int(attribute) if attribute is not None else 0, "unknown")
            risk = risk_level(action.ActionRisk)
            if risk is None and entry is not None:
                risk = risk_level(entry.RiskDesc)
            label = f"action {aid} ({action.ActionTitle or (entry.ActionName if entry else '?')})"
            configured = overrides.get(action.Order)
            config_index, override = configured if configured is not None else (None, {})
            position = config_index if config_index is not None else f"order={action.Order}"
            prefix = f"{where}.TaskGroupActionsConfig[{position}]"
            base_general = _json_object(
                action.GeneralConfiguration, f"template {tid} {label} GeneralConfiguration", plan
            )
            base_custom = _json_object(action.CustomConfiguration, f"template {tid} {label} CustomConfiguration", plan)
            general, custom = _resolve_parameters(
                plan, label, schemas.get(aid, (None, None)) if aid is not None else (None, None),
                (base_general, base_custom),
                (
                    override.get("TaskGroupActionGeneralConfiguration"),
                    override.get("TaskGroupActionCustomConfiguration"),
                ),
                (f"{prefix}.TaskGroupActionGeneralConfiguration", f"{prefix}.TaskGroupActionCustomConfiguration"),
            )
            step = PlanStep(order=int(action.Order or len(plan_group.steps) + 1), action_id=aid,
                            title=str(action.ActionTitle or (entry.ActionName if entry else f"action {aid}")),
                            kind=kind, risk=risk, general=general, custom=custom)
            plan_group.steps.append(step)
            links.append((step, action, entry.RelationActionId if entry is not None else None))
        _pair_template(links)
        plan.groups.append(plan_group)
        _group_checks(plan, plan_group, f"{where}.TaskGroupInstances")
    return plan


def _pair_template(links: list[tuple[PlanStep, m.TemplateGroupAction, int | None]]) -> None:
    """Pair steps as the template does: a fault's ``RecoverId`` is its recovery's ``RandomId``."""
    by_random = {action.RandomId: step for step, action, _ in links if action.RandomId is not None}
    for step, action, relation in links:
        recover_id, execute_id = action.RecoverId, action.ExecuteId
        if step.kind == "fault":
            partner = by_random.get(recover_id) if recover_id is not None else None
            if partner is not None:
                step.paired_with = partner.order
                step.recovery = f"recovered by step {partner.order} ({partner.title})"
            elif relation == 0:
                step.heals_by_itself = True
                step.recovery = "heals by itself (no recovery action in the library)"
            elif relation:
                step.recovery = (
                    f"NOT recovered: the library pairs it with action {relation}, "
                    "which the template does not run after it"
                )
            else:
                step.recovery = "NOT recovered: no paired recovery step"
        elif step.kind == "recovery":
            partner = by_random.get(execute_id) if execute_id is not None else None
            if partner is not None:
                step.paired_with = partner.order
                step.recovery = f"recovers step {partner.order} ({partner.title})"


def _actions_plan(
    catalogue: _Catalogue, policy: BlastRadiusPolicy, entries: list[dict[str, Any]], instances: Any,
    title: str | None, *, single: bool,
) -> ExperimentPlan:
    ids = [_as_int(e["action_id"], "action_id" if single else f"actions[{i}].action_id", minimum=1)
           for i, e in enumerate(entries)]
    found = catalogue.find(ids)
    missing = [a for a in ids if a not in found]
    if missing:
        searched = len(catalogue.object_types())
        raise PlanError(
            f"{'TaskActionId' if single else 'TaskAction'}: action(s) {', '.join(map(str, missing))} "
            f"do not exist in the action library (searched {searched} object type(s) with DescribeActionLibraryList)")
    first = found[ids[0]]
    type_id = int(first.ObjectTypeId) if first.ObjectTypeId is not None else None
    source: dict[str, Any] = (
        {"kind": "action", "action_id": ids[0]} if single else {"kind": "actions", "action_ids": ids}
    )
    plan = ExperimentPlan(source=source, title=str(title or first.ActionName or f"action {ids[0]}"),
                          mode=MODES[1], groups=[], policy=policy)
    object_types = catalogue.object_types()
    plan.object_type_titles = {k: v.ObjectTypeTitle for k, v in object_types.items()}
    for index, aid in enumerate(ids):
        other = found[aid].ObjectTypeId
        if other is not None and type_id is not None and int(other) != type_id:
            plan.violate("mixed_object_types", f"actions[{index}].action_id",
                         f"action {aid} ({found[aid].ActionName}) targets object type {other} "
                         f"({catalogue.object_type_title(int(other)) or 'unknown'}) "
                         f"but action {ids[0]} targets {type_id} "
                         f"({catalogue.object_type_title(type_id) or 'unknown'}); "
                         "all actions share the same instances and must target one object type")
    relations = {relation for a in ids if (relation := found[a].RelationActionId)}
    library = catalogue.library(type_id, [*ids, *relations]) if type_id is not None else dict(found)
    library = {**library, **found}
    schemas = catalogue.schemas(type_id, [a for a in dict.fromkeys([*ids, *relations])
                                          if library.get(a) is not None and library[a].ObjectTypeId == type_id]) \
        if type_id is not None else {}
    obj = object_types.get(type_id) if type_id is not None else None
    fmt = id_format_for(type_id, obj)
    if fmt is None:
        plan.notes.append(f"no known instance-id format for object type {type_id}; ids not checked")
    where = "TaskInstances"
    given = _check_instances(plan, where, instances if instances is not None else [], fmt, type_id,
                             obj.ObjectTypeTitle if obj else None)
    affected, selection = _affected(None, len(given), known_all=True)
    group = PlanGroup(order=1, title=plan.title, object_type_id=type_id,
                      object_type_title=obj.ObjectTypeTitle if obj else None, instances=given,
                      execute_rule={"mode": 1}, affected=affected, selection=selection)
    # (entry, general, custom, added_by_cfg)
    steps: list[tuple[m.ActionLibraryListResult, dict[str, Any], dict[str, Any], bool]] = []
    for index, (aid, entry_input) in enumerate(zip(ids, entries, strict=True)):  # one id per entry
        entry = library[aid]
        prefix = "" if single else f"actions[{index}]."
        if single:
            fields = ("general_configuration", "custom_configuration")
        else:
            fields = (f"{prefix}general", f"{prefix}custom")
        general, custom = _resolve_parameters(
            plan, f"action {aid} ({entry.ActionName})", schemas.get(aid, (None, None)), ({}, {}),
            (entry_input.get("general"), entry_input.get("custom")), fields,
        )
        steps.append((entry, general, custom, False))
    # CFG adds the library recovery right after each fault that has none later in the list
    final: list[tuple[m.ActionLibraryListResult, dict[str, Any], dict[str, Any], bool]] = []
    pairs: dict[int, int] = {}
    for i, (entry, *_rest) in enumerate(steps):
        if entry.AttributeId == FAULT and entry.RelationActionId:
            for j in range(i + 1, len(steps)):
                if j not in pairs.values() and steps[j][0].ActionId == entry.RelationActionId:
                    pairs[i] = j
                    break
    for i, item in enumerate(steps):
        final.append(item)
        entry = item[0]
        if entry.AttributeId == FAULT and entry.RelationActionId and i not in pairs:
            relation = int(entry.RelationActionId)
            recovery = library.get(relation)  # the library is keyed by ActionId
            if recovery is not None:
                general, custom = _resolve_parameters(
                    plan, f"recovery action {recovery.ActionId}", schemas.get(relation, (None, None)),
                    ({}, {}), (None, None), ("recovery.general", "recovery.custom"))
                final.append((recovery, general, custom, True))
    for order, (entry, general, custom, added) in enumerate(final, start=1):
        attribute = int(entry.AttributeId) if entry.AttributeId is not None else 0
        kind = {FAULT: "fault", RECOVERY: "recovery"}.get(attribute, "unknown")
        group.steps.append(PlanStep(order=order, action_id=entry.ActionId,
                                    title=str(entry.ActionName or entry.ActionId), kind=kind,
                                    risk=risk_level(entry.RiskDesc), general=general, custom=custom,
                                    added_by_cfg=added))
    _pair_actions(group.steps, library)
    plan.groups.append(group)
    _group_checks(plan, group, where)
    return plan


def _pair_actions(steps: list[PlanStep], library: Mapping[int, m.ActionLibraryListResult]) -> None:
    """Pair each fault with the first later unpaired recovery of its library partner."""
    for i, step in enumerate(steps):
        if step.kind != "fault":
            continue
        entry = library.get(step.action_id) if step.action_id is not None else None
        relation = int(entry.RelationActionId) if entry is not None and entry.RelationActionId else 0
        if not relation:
            step.heals_by_itself = entry is not None
            if entry is not None:
                step.recovery = "heals by itself (no recovery action in the library)"
            else:
                step.recovery = "NOT recovered"
            continue
        for later in steps[i + 1:]:
            if later.action_id == relation and later.kind == "recovery" and later.paired_with is None:
                step.paired_with, later.paired_with = later.order, step.order
                added = " (added by CFG)" if later.added_by_cfg else ""
                step.recovery = f"recovered by step {later.order} ({later.title}){added}"
                later.recovery = f"recovers step {step.order} ({step.title})"
                break
        else:
            step.recovery = f"NOT recovered: the library pairs it with action {relation}, which is not in the library"


__all__ = [
    "ID_FORMATS",
    "MAX_BODY_BYTES",
    "XCOM_PLAN",
    "XCOM_PLAN_MARKDOWN",
    "BlastRadiusPolicy",
    "ExperimentPlan",
    "IdFormat",
    "PlanError",
    "PlanGroup",
    "PlanStep",
    "PlanViolationError",
    "Violation",
    "build_plan",
    "id_format_for",
    "plan_for_request",
    "risk_level",
]
