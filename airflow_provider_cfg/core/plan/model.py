"""What an experiment would do: its groups and ordered steps, and whether it may (the violations)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_cfg.api.enums import ActionAttribute
from airflow_provider_cfg.core.plan.policy import BlastRadiusPolicy, PlanViolationError, Violation, risk_text
from airflow_provider_cfg.core.plan.render import render_markdown

XCOM_PLAN = "plan"
"""The XCom key of a plan (:meth:`ExperimentPlan.to_dict`); the game-day report reads it."""
XCOM_PLAN_MARKDOWN = "plan_markdown"
"""The XCom key of a plan's Markdown."""

STEP_KINDS: dict[int, str] = {ActionAttribute.FAULT: "fault", ActionAttribute.RECOVERY: "recovery"}
"""``ActionAttribute`` codes to a step's kind (anything else is ``"unknown"``)."""


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
            "risk": self.risk, "risk_text": risk_text(self.risk),
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
        """Where the plan comes from, e.g. ``template 626 "Empty Operation"``."""
        return describe_source(self.source)

    def to_markdown(self) -> str:
        """The plan as Markdown, for the task log and the game-day report."""
        return render_markdown(self)

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
