"""The game-day report's data: read from CFG's own record and built into a JSON-safe dict.

Built from ``DescribeTask``, ``DescribeTaskExecuteLogs`` and ``DescribeTaskPolicyTriggerLog``
(read-only calls) plus the steady-state checks and the plan, so the report outlives CFG's own
console-only, expiring export. Every time in it is in UTC (:mod:`.times`); statuses are words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.api.enums import (
    ActionAttribute,
    ActionStatus,
    ActionStatusType,
    InstanceStatusType,
    TaskExpect,
    TaskStatus,
    TriggerType,
)
from airflow_provider_cfg.core.report.metrics import resilience_metrics
from airflow_provider_cfg.core.report.times import ZONE_NAME, plus_seconds, text_in_utc, to_utc

if TYPE_CHECKING:
    from airflow_provider_cfg.api.client import CfgClient
    from airflow_provider_cfg.api.models import PolicyTriggerLog, Task, TaskGroup, TaskGroupAction

LOG_PAGE_SIZE = 100
"""Lines per ``DescribeTaskExecuteLogs`` call; a shorter page is the last."""


def _outcome(kind: type[ActionStatusType] | type[InstanceStatusType], value: int | None) -> str:
    """``success``, ``failed``, ``terminated``, ``skipped`` (a type code means nothing to a reader),
    ``—`` before there is one."""
    if value is None:
        return "—"
    try:
        return kind(int(value)).text
    except ValueError:
        return kind.describe(value)


def _step(group: TaskGroup, action: TaskGroupAction) -> dict[str, Any]:
    """One step (a CFG action) and its instances; a step without instance end times ends at its
    start plus its execution time."""
    instances = [
        {
            "object_id": inst.TaskGroupInstanceObjectId,
            "instance_id": inst.TaskGroupInstanceId,
            "outcome": _outcome(InstanceStatusType, inst.TaskGroupInstanceStatusType),
            "start": to_utc(inst.TaskGroupInstanceStartTime),
            "end": to_utc(inst.TaskGroupInstanceEndTime),
            "log": text_in_utc(inst.TaskGroupInstanceExecuteLog),
        }
        for inst in action.TaskGroupInstances or []
    ]
    start = to_utc(action.TaskGroupActionStartTime)
    ends = [i["end"] for i in instances if i["end"]]
    end = max(ends) if ends else plus_seconds(start, action.TaskGroupActionExecuteTime)
    return {
        "order": f"{group.TaskGroupOrder}.{action.TaskGroupActionOrder}",
        "group": group.TaskGroupTitle,
        "title": action.ActionTitle,
        "kind": "fault" if action.ActionAttribute == ActionAttribute.FAULT else "recovery",
        "risk": action.ActionRisk,
        "status": ActionStatus.words(action.TaskGroupActionStatus),
        "finished": action.TaskGroupActionStatus == ActionStatus.FINISHED,
        "outcome": _outcome(ActionStatusType, action.TaskGroupActionStatusType),
        "start": start,
        "end": end,
        "seconds": action.TaskGroupActionExecuteTime,
        "instances": instances,
    }


def build_report(
    task: Task,
    *,
    checks: Mapping[str, Mapping[str, Any]] | None = None,
    trigger_logs: Sequence[PolicyTriggerLog] = (),
    execute_logs: Sequence[str] = (),
    plan: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The report as a JSON-safe dict.

    :param task: the experiment as ``DescribeTask`` returns it.
    :param checks: the steady-state checks by name (``passed``, ``detail``).
    :param trigger_logs: the guardrail's triggers and recoveries.
    :param execute_logs: CFG's execution log lines.
    :param plan: the reviewed plan, if the experiment had one.
    """
    guardrail = [
        {
            "at": to_utc(log.CreatTime),
            "type": "trigger" if log.TriggerType == TriggerType.TRIGGER else "recover",
            "name": log.Name,
            "content": log.Content,
        }
        for log in trigger_logs
    ]
    report = {
        "times": ZONE_NAME,
        "experiment": {
            "id": task.TaskId,
            "title": task.TaskTitle,
            "status": TaskStatus.words(task.TaskStatus),
            "mode": "automatic" if task.TaskMode == 2 else "manual",
            "created": to_utc(task.TaskCreateTime),
            "start": to_utc(task.TaskStartTime),
            "end": to_utc(task.TaskEndTime),
        },
        "verdict": {
            "as_expected": task.TaskExpect == TaskExpect.MET if task.TaskExpect is not None else None,
            "summary": task.TaskSummary,
            "issue": task.TaskIssue,
        },
        "plan": dict(plan) if plan else None,
        "steps": [_step(group, action) for group, action in task.iter_actions()],
        "checks": _with_breaches(checks or {}, guardrail),
        "guardrail": guardrail,
        "log": [text_in_utc(line) or "" for line in execute_logs],
    }
    return {**report, "metrics": resilience_metrics(report)}


def _with_breaches(checks: Mapping[str, Mapping[str, Any]], guardrail: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The checks, and each time the guardrail was triggered as a failed check: a breach the
    steady-state guard saw (it triggers the guardrail under its name) or CFG's own guardrail — so that
    "checks" never reads as nothing checked while something breached."""
    from airflow_provider_cfg.core.guard import GUARDRAIL_NAME

    found = {name: dict(check) for name, check in checks.items()}
    for trigger in guardrail:
        if trigger["type"] != "trigger":
            continue
        name = "steady-state guard" if trigger["name"] == GUARDRAIL_NAME else f"guardrail {trigger['name']}"
        if name in found and not found[name].get("passed"):
            continue  # already reported as failed (by the conclusion, with its own detail)
        key = name if name not in found else f"{name} (guardrail)"
        found[key] = {"passed": False, "breach": True, "at": trigger["at"],
                      "detail": f"breached at {trigger['at']} {ZONE_NAME}: {trigger['content']}"}
    return found


def _execute_logs(client: CfgClient, experiment_id: int, max_lines: int) -> list[str]:
    """CFG's execution log, page by page, until a short page or ``max_lines``."""
    lines: list[str] = []
    while len(lines) < max_lines:
        page = client.describe_task_execute_logs(experiment_id, limit=LOG_PAGE_SIZE, offset=len(lines)).LogMessage or []
        lines += page
        if len(page) < LOG_PAGE_SIZE:
            break
    return lines


def collect_report(
    client: CfgClient, experiment_id: int, *, checks: Mapping[str, Mapping[str, Any]] | None = None,
    plan: Mapping[str, Any] | None = None, max_log_lines: int = 1000,
) -> dict[str, Any]:
    """Read everything the report needs from CFG (read-only calls) and build it.

    :param client: the CFG client.
    :param experiment_id: CFG's TaskId of the experiment.
    :param checks: the steady-state checks by name.
    :param plan: the reviewed plan, if any.
    :param max_log_lines: read at most about this many execution log lines (whole pages).
    """
    task = client.describe_task(experiment_id).require_task()
    triggers = client.describe_task_policy_trigger_log(experiment_id, page=1, page_size=100).TriggerLogs or []
    lines = _execute_logs(client, experiment_id, max_log_lines)
    return build_report(task, checks=checks, trigger_logs=triggers, execute_logs=lines, plan=plan)
