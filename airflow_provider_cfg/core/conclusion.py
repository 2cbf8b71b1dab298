"""Compose an honest experiment conclusion from what happened, and say who or what ended an
experiment and with which verdict (:func:`ended_message`). No Airflow import here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.api.enums import ActionStatusType, TaskExpect, TaskStatusType, TriggerType
from airflow_provider_cfg.core.steps import step_outcome

if TYPE_CHECKING:
    from airflow_provider_cfg.api.models import PolicyTriggerLog, Task

MAX_SUMMARY = 4000
ROLLBACK_PREFIX = "Rolled back by Airflow: "
"""How the provider's rollback starts its summary (:class:`~airflow_provider_cfg.core.rollback.RollbackReport`)."""
_ROLLBACK_SENTENCES = ("Recovered: ", "No fault was left", "Guardrail triggered", "STILL INJECTED", "Problem: ",
                       "Verdict: ")
"""The sentences that follow the reason in the rollback's summary."""
MAX_QUOTED = 600
"""At most this much of CFG's summary is quoted in a message."""


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
        result = ActionStatusType.words(action.TaskGroupActionStatusType) if outcome.finished else "unfinished"
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
        lines.append(f"Guardrail {kind} at {_utc(log.CreatTime)}: {log.Name} — {log.Content}.")
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


def _utc(cfg_time: str | None) -> str:
    """A CFG time (UTC+08:00) in UTC with the zone written: the provider's one convention."""
    from airflow_provider_cfg.core.report.times import ZONE_NAME, to_utc

    return f"{to_utc(cfg_time)} {ZONE_NAME}" if cfg_time else "an unknown time"


def _timing(start: str | None, seconds: int | None) -> str:
    if not start:
        return "not run"
    return f"started {_utc(start)}, took {seconds} s" if seconds is not None else f"started {_utc(start)}"


def as_expected(task: Task | object) -> bool:
    """CFG's verdict is "as expected" (``TaskExpect`` 1)."""
    return getattr(task, "TaskExpect", None) == TaskExpect.MET


def ended_as_expected(expect: int | None, status_type: int | None) -> bool:
    """An ended experiment is "as expected": its conclusion says so, or it has none and ran to its
    successful end by itself (an automatic run, before anyone concluded it)."""
    if expect is not None:
        return expect == TaskExpect.MET
    return status_type == TaskStatusType.SUCCESS


def verdict_words(expect: int | None) -> str:
    """CFG's verdict (``TaskExpect``) in words."""
    if expect == TaskExpect.MET:
        return "as expected"
    if expect == TaskExpect.NOT_MET:
        return "NOT as expected"
    return "without a verdict"


def ended_by(summary: str | None, trigger_logs: Sequence[PolicyTriggerLog] = ()) -> str:
    """Who or what ended an experiment, as far as CFG's record tells: the provider's rollback (and
    its reason: a halt-all, a killed task, a teardown, a guard), a guardrail trigger, or someone or
    something outside Airflow (the console, CFG itself, another tool)."""
    text = (summary or "").strip()
    triggered = [log for log in trigger_logs if log.TriggerType == TriggerType.TRIGGER]
    guardrail = "; ".join(f"guardrail triggered by {log.Name!r} at {_utc(log.CreatTime)}: {log.Content}"
                          for log in triggered)
    if text.startswith(ROLLBACK_PREFIX):
        rest = text[len(ROLLBACK_PREFIX):]
        ends = [at for at in (rest.find(f". {word}") for word in _ROLLBACK_SENTENCES) if at >= 0]
        reason = rest[: min(ends)] if ends else rest.rstrip(".")
        who = f"rolled back by Airflow ({reason})"
    elif guardrail:
        who = "stopped by its guardrail"
    else:
        who = "ended outside this DAG run (in the CFG console, by CFG itself or by another tool)"
    return f"{who}; {guardrail}" if guardrail else who


def ended_message(experiment_id: int | None, expect: int | None, summary: str | None,
                  trigger_logs: Sequence[PolicyTriggerLog] = ()) -> str:
    """One sentence for a task that finds its experiment ended: who or what ended it, CFG's verdict
    and (quoted, capped) CFG's summary.

    :param expect: CFG's ``TaskExpect``.
    """
    quoted = (summary or "").strip()
    if len(quoted) > MAX_QUOTED:
        quoted = quoted[: MAX_QUOTED - 1] + "…"
    return (
        f"Experiment {experiment_id} ended {verdict_words(expect)}: {ended_by(summary, trigger_logs)}. "
        f"CFG's summary: {quoted or '(none)'}"
    )
