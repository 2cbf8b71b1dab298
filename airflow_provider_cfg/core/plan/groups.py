"""One action group of a plan: its instances checked, how many it would touch, and the policy rules."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.api.enums import InstancesExecuteMode
from airflow_provider_cfg.core.names import shown
from airflow_provider_cfg.core.plan.ids import IdFormat, object_key
from airflow_provider_cfg.core.plan.policy import RISK_LEVELS, risk_text

if TYPE_CHECKING:
    from airflow_provider_cfg.core.plan.model import ExperimentPlan, PlanGroup, PlanStep


def execute_rule(group: Any) -> dict[str, Any] | None:
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


def affected(rule: dict[str, Any] | None, count: int, *, known_all: bool) -> tuple[int, str]:
    """How many of ``count`` given instances a group would act on, and how they are selected.

    :param rule: the group's execute rule (:func:`execute_rule`); ``None`` when unknown.
    :param known_all: without a rule, every instance is acted on (an experiment from actions);
        otherwise the count is an upper bound.
    """
    if rule is None:
        if known_all:
            return count, "all given instances"
        return count, "execute rule not exposed by DescribeTemplate; counting every given instance (upper bound)"
    try:
        mode = int(rule.get("mode") or InstancesExecuteMode.ALL)
        if mode == InstancesExecuteMode.ALL:
            return count, "all given instances (execute rule: all)"
        if mode == InstancesExecuteMode.PERCENT:
            percent = int(rule.get("percent") or 100)
            chosen = min(count, max(1, math.ceil(count * percent / 100))) if count else 0
            return chosen, f"a random {percent}% of the given instances (execute rule: percent)"
        if mode == InstancesExecuteMode.COUNT:
            number = int(rule.get("num") or count)
            chosen = min(count, max(1, number)) if count else 0
            return chosen, f"a random {number} of the given instances (execute rule: count)"
    except (TypeError, ValueError):
        pass
    return count, f"unknown execute rule {rule!r}; counting every given instance (upper bound)"


def check_instances(plan: ExperimentPlan, where: str, instances: Any, fmt: IdFormat | None,
                    type_id: int | None, type_title: str | None) -> list[str]:
    """The instance ids of a group that are strings; a violation for each that is malformed or repeated.

    :param where: the field the instances came from.
    :param fmt: the id format of the group's object type (``None``: not format-checked).
    :param type_id: the group's object type, for messages, with its ``type_title``.
    """
    if isinstance(instances, (str, bytes)) or not isinstance(instances, Sequence):
        plan.violate("instances_type", where, f"must be a list of object ids; got {shown(instances)}")
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
            plan.violate("instance_format", path, f"instance ids must be strings; got {shown(value)}")
            continue
        if fmt is not None:
            problem = fmt.problem(value)
            if problem:
                plan.violate("instance_format", path, f"{problem} for {what}; expected format: {fmt.example}")
                continue
        key = object_key(value)
        if key in seen:
            plan.violate("duplicate_instance", path, f"instance {shown(value)} is listed twice")
        seen.add(key)
    return [v for v in values if isinstance(v, str)]


def group_checks(plan: ExperimentPlan, group: PlanGroup, instances_field: str) -> None:
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
                     f"{policy.instance_limit_text()}", "policy")
    for step in group.steps:
        _step_checks(plan, step, where, f"{label} step {step.order} (action {step.action_id} {step.title})")


def _step_checks(plan: ExperimentPlan, step: PlanStep, group_field: str, step_label: str) -> None:
    """The policy rules of one step: its risk level and its recovery."""
    policy = plan.policy
    field = f"{group_field}.steps[{step.order}]"
    if policy.max_risk_level is not None:
        if step.risk is None:
            plan.violate("risk_unknown", field,
                         f"{step_label} has an unknown risk level; policy max_risk_level is "
                         f"{risk_text(policy.max_risk_level)} and cannot be verified", "policy")
        elif step.risk > policy.max_risk_level:
            allowed = ", ".join(risk_text(level) for level in RISK_LEVELS if level <= policy.max_risk_level)
            plan.violate("risk_too_high", field,
                         f"{step_label} has risk {risk_text(step.risk)}; policy max_risk_level is "
                         f"{risk_text(policy.max_risk_level)} (allowed: {allowed})", "policy")
    if policy.require_recovery and step.kind == "fault" and step.paired_with is None and not step.heals_by_itself:
        plan.violate("missing_recovery", field,
                     f"{step_label} is a fault without a paired recovery step ({step.recovery}); add its recovery "
                     "action after it, or set policy require_recovery=false", "policy")
