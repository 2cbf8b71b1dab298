"""Compose an honest experiment conclusion from what happened. No Airflow import here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.api.enums import ActionStatusType, TriggerType
from airflow_provider_cfg.core.steps import step_outcome

if TYPE_CHECKING:
    from airflow_provider_cfg.api.models import PolicyTriggerLog, Task

MAX_SUMMARY = 4000


@dataclass(frozen=True)
class Verdict:
    is_expect: bool
    summary: str


def compose_conclusion(
    task: Task,
    checks: Mapping[str, Mapping[str, Any]],
    trigger_logs: Sequence[PolicyTriggerLog] = (),
    lead: str | None = None,
) -> Verdict:
    """``IsExpect`` and ``Summary`` for an experiment.

    As expected only if every step finished with success or was skipped, every check passed, and no
    guardrail was triggered.
    """
    lines: list[str] = [lead.strip()] if lead else []
    steps_ok = True
    for group, action in task.iter_actions():
        outcome = step_outcome(action)
        ok = outcome.finished and outcome.succeeded
        steps_ok &= ok
        timing = _timing(action.TaskGroupActionStartTime, action.TaskGroupActionExecuteTime)
        result = ActionStatusType.describe(action.TaskGroupActionStatusType) if outcome.finished else "unfinished"
        step = f"{group.TaskGroupOrder}.{action.TaskGroupActionOrder}"
        lines.append(f"Step {step} {action.ActionTitle}: {result} ({timing}).")
    checks_ok = all(c["passed"] for c in checks.values())
    for name, check in checks.items():
        detail = f" — {check['detail']}" if check.get("detail") else ""
        lines.append(f"Check {name}: {'passed' if check['passed'] else 'FAILED'}{detail}.")
    if not checks:
        lines.append("No steady-state check reported.")
    triggered = [log for log in trigger_logs if log.TriggerType == TriggerType.TRIGGER]
    for log in trigger_logs:
        kind = "triggered" if log.TriggerType == TriggerType.TRIGGER else "recovered"
        lines.append(f"Guardrail {kind} at {log.CreatTime}: {log.Name} — {log.Content}.")
    is_expect = steps_ok and checks_ok and not triggered
    reasons = [
        text
        for ok, text in (
            (steps_ok, "a step did not succeed"),
            (checks_ok, "a check failed"),
            (not triggered, "the guardrail fired"),
        )
        if not ok
    ]
    lines.append("Verdict: as expected." if is_expect else f"Verdict: NOT as expected ({'; '.join(reasons)}).")
    summary = " ".join(lines)
    if len(summary) > MAX_SUMMARY:
        summary = summary[: MAX_SUMMARY - 1] + "…"
    return Verdict(is_expect=is_expect, summary=summary)


def _timing(start: str | None, seconds: int | None) -> str:
    if not start:
        return "not run"
    return f"started {start}, took {seconds} s" if seconds is not None else f"started {start}"
