"""A plan as Markdown: its source and verdict, a table of steps per group, the policy, the violations."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.core.markdown import md_text
from airflow_provider_cfg.core.plan.policy import risk_text

if TYPE_CHECKING:
    from airflow_provider_cfg.core.plan.model import ExperimentPlan, PlanGroup, PlanStep
    from airflow_provider_cfg.core.plan.policy import BlastRadiusPolicy

_INSTANCES_SHOWN = 20  # a group's instances listed before "… and N more"


def render_markdown(plan: ExperimentPlan) -> str:
    """The whole plan as Markdown.

    :param plan: the plan to show.
    """
    verdict = "within policy" if plan.ok else f"NOT within policy: {len(plan.violations)} violation(s)"
    lines = [
        f"# CFG experiment plan: {_md(plan.title)}",
        "",
        f"- **source**: {_md(plan.describe_source())}",
        f"- **mode**: {plan.mode or 'unknown'}",
        "- **changes made**: none (plan only)",
        f"- **verdict**: {verdict}",
        "",
    ]
    for group in plan.groups:
        lines.extend(_group_lines(group))
    lines.extend(_policy_lines(plan.policy))
    if plan.violations:
        lines.extend(["## Violations", ""])
        lines.extend(f"- **{v.kind}** {_md(v.field)}: {_md(v.message)}" for v in plan.violations)
        lines.append("")
    if plan.notes:
        lines.extend(["## Notes", ""])
        lines.extend(f"- {_md(note)}" for note in plan.notes)
        lines.append("")
    return "\n".join(lines)


def _group_lines(group: PlanGroup) -> list[str]:
    otype = f"{_md(group.object_type_title or 'unknown object type')} (ObjectTypeId {group.object_type_id})"
    listed = ", ".join(_md(i) for i in group.instances[:_INSTANCES_SHOWN])
    hidden = len(group.instances) - _INSTANCES_SHOWN
    more = f" … and {hidden} more" if hidden > 0 else ""
    return [
        f"## Group {group.order}: {_md(group.title)} — {otype}",
        "",
        f"- **instances** ({len(group.instances)} given): {listed or '—'}{more}",
        f"- **selection**: {_md(group.selection)} → at most {group.affected} affected",
        "",
        "| # | action | kind | risk | parameters | recovery |",
        "|---|---|---|---|---|---|",
        *(_step_row(step) for step in group.steps),
        "",
    ]


def _step_row(step: PlanStep) -> str:
    params = "; ".join(
        f"{name}: {_md(json.dumps(values, ensure_ascii=False, default=str))}"
        for name, values in (("general", step.general), ("custom", step.custom)) if values
    ) or "—"
    action = f"{step.action_id} {_md(step.title)}" + (" *(added by CFG)*" if step.added_by_cfg else "")
    recovery = _md(step.recovery) or "—"
    return f"| {step.order} | {action} | {step.kind} | {risk_text(step.risk)} | {params} | {recovery} |"


def _policy_lines(policy: BlastRadiusPolicy) -> list[str]:
    max_instances = policy.max_instances_per_group
    max_risk = policy.max_risk_level
    allowed_types = policy.allowed_object_types
    allowed = ", ".join(str(t) for t in allowed_types) if allowed_types is not None else "any"
    return [
        "## Policy",
        "",
        f"- max instances per group: {max_instances if max_instances is not None else 'no limit'}",
        f"- max risk level: {risk_text(max_risk) if max_risk is not None else 'any'}",
        f"- allowed object types: {allowed}",
        f"- require recovery: {'yes' if policy.require_recovery else 'no'}",
        "",
    ]


def _md(text: Any) -> str:
    """``text`` as inert text, safe in a Markdown table cell (see :func:`md_text`)."""
    return md_text(text)
