"""The game-day report: what was injected where, for how long, what the checks saw, the verdict.

Built from CFG's own record (``DescribeTask``, ``DescribeTaskExecuteLogs``,
``DescribeTaskPolicyTriggerLog``) plus the steady-state checks, as a JSON-safe dict and a Markdown
rendering with a Mermaid Gantt chart of the steps. CFG's own report export is console-only and
expires; this one lives in XCom, the task log, and any object storage path. No Airflow import here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.api.enums import (
    ActionAttribute,
    ActionStatusType,
    InstanceStatusType,
    TaskExpect,
    TaskStatus,
    TriggerType,
)

if TYPE_CHECKING:
    from airflow_provider_cfg.api.client import CfgClient
    from airflow_provider_cfg.api.models import PolicyTriggerLog, Task

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def _end_time(start: str | None, seconds: int | None, end: str | None) -> str | None:
    if end or not start or seconds is None:
        return end
    try:
        return (datetime.strptime(start, TIME_FORMAT) + timedelta(seconds=int(seconds))).strftime(TIME_FORMAT)
    except ValueError:
        return None


def build_report(
    task: Task,
    *,
    checks: Mapping[str, Mapping[str, Any]] | None = None,
    trigger_logs: Sequence[PolicyTriggerLog] = (),
    execute_logs: Sequence[str] = (),
    plan: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The report as a JSON-safe dict."""
    steps = []
    for group, action in task.iter_actions():
        instances = [
            {
                "object_id": inst.TaskGroupInstanceObjectId,
                "instance_id": inst.TaskGroupInstanceId,
                "outcome": InstanceStatusType.describe(inst.TaskGroupInstanceStatusType),
                "start": inst.TaskGroupInstanceStartTime,
                "end": inst.TaskGroupInstanceEndTime,
                "log": inst.TaskGroupInstanceExecuteLog,
            }
            for inst in action.TaskGroupInstances or []
        ]
        ends = [i["end"] for i in instances if i["end"]]
        end = max(ends) if ends else _end_time(action.TaskGroupActionStartTime, action.TaskGroupActionExecuteTime, None)
        steps.append(
            {
                "order": f"{group.TaskGroupOrder}.{action.TaskGroupActionOrder}",
                "group": group.TaskGroupTitle,
                "title": action.ActionTitle,
                "kind": "fault" if action.ActionAttribute == ActionAttribute.FAULT else "recovery",
                "risk": action.ActionRisk,
                "outcome": ActionStatusType.describe(action.TaskGroupActionStatusType),
                "start": action.TaskGroupActionStartTime,
                "end": end,
                "seconds": action.TaskGroupActionExecuteTime,
                "instances": instances,
            }
        )
    guardrail = [
        {
            "at": log.CreatTime,
            "type": "trigger" if log.TriggerType == TriggerType.TRIGGER else "recover",
            "name": log.Name,
            "content": log.Content,
        }
        for log in trigger_logs
    ]
    return {
        "experiment": {
            "id": task.TaskId,
            "title": task.TaskTitle,
            "status": TaskStatus.describe(task.TaskStatus),
            "mode": "automatic" if task.TaskMode == 2 else "manual",
            "start": task.TaskStartTime,
            "end": task.TaskEndTime,
        },
        "verdict": {
            "as_expected": task.TaskExpect == TaskExpect.MET if task.TaskExpect is not None else None,
            "summary": task.TaskSummary,
            "issue": task.TaskIssue,
        },
        "plan": dict(plan) if plan else None,
        "steps": steps,
        "checks": {name: dict(check) for name, check in (checks or {}).items()},
        "guardrail": guardrail,
        "log": list(execute_logs),
    }


def _cell(value: Any) -> str:
    return str(value if value not in (None, "") else "—").replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Mapping[str, Any]) -> str:
    """The report in Markdown, with a Mermaid Gantt chart of the steps."""
    exp, verdict = report["experiment"], report["verdict"]
    expected = {True: "✅ as expected", False: "❌ NOT as expected", None: "no conclusion yet"}[verdict["as_expected"]]
    lines = [
        f"# Game-day report: experiment {exp['id']} — {exp['title']}",
        "",
        f"**Verdict:** {expected}  ",
        f"**Status:** {exp['status']} · {exp['mode']} mode · {exp['start'] or '—'} → {exp['end'] or '—'}",
        "",
        f"> {verdict['summary'] or 'no summary'}",
        "",
    ]
    timed = [s for s in report["steps"] if s["start"] and s["end"]]
    if timed:
        lines += ["```mermaid", "gantt", f"    title Experiment {exp['id']}", "    dateFormat YYYY-MM-DD HH:mm:ss",
                  "    axisFormat %H:%M:%S"]
        for step in timed:
            tag = "crit, " if step["kind"] == "fault" else ""
            name = f"{step['order']} {step['title']}".replace(":", " ")
            lines.append(f"    {name} :{tag}s{step['order'].replace('.', '_')}, {step['start']}, {step['end']}")
        lines += ["```", ""]
    lines += [
        "## Steps",
        "",
        "| step | action | kind | outcome | start | end | instances |",
        "|---|---|---|---|---|---|---|",
    ]
    for step in report["steps"]:
        inst = ", ".join(f"{i['object_id']}: {i['outcome']}" for i in step["instances"])
        lines.append(
            f"| {step['order']} | {_cell(step['title'])} | {step['kind']} | {_cell(step['outcome'])} | "
            f"{_cell(step['start'])} | {_cell(step['end'])} | {_cell(inst)} |"
        )
    lines += ["", "## Steady-state checks", ""]
    if report["checks"]:
        lines += ["| check | result | detail |", "|---|---|---|"]
        lines += [
            f"| {_cell(n)} | {'passed' if c.get('passed') else 'FAILED'} | {_cell(c.get('detail'))} |"
            for n, c in report["checks"].items()
        ]
    else:
        lines.append("No check reported.")
    lines += ["", "## Guardrail", ""]
    guardrail = [f"* {g['at']}: {g['type']} — {g['name']}: {g['content']}" for g in report["guardrail"]]
    lines += guardrail or ["Not triggered."]
    if report.get("plan"):
        lines += ["", "## Plan", "", "```json", _json(report["plan"]), "```"]
    if report["log"]:
        lines += ["", "## CFG execution log", "", "```", *report["log"][-200:], "```"]
    return "\n".join(lines) + "\n"


def _json(value: Any) -> str:
    import json

    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def collect_report(
    client: CfgClient, task_id: int, *, checks: Mapping[str, Mapping[str, Any]] | None = None,
    plan: Mapping[str, Any] | None = None, max_log_lines: int = 1000,
) -> dict[str, Any]:
    """Read everything the report needs from CFG (read-only calls) and build it."""
    task = client.describe_task(task_id).require_task()
    triggers = client.describe_task_policy_trigger_log(task_id, page=1, page_size=100).TriggerLogs or []
    lines: list[str] = []
    while len(lines) < max_log_lines:
        page = client.describe_task_execute_logs(task_id, limit=100, offset=len(lines)).LogMessage or []
        lines += page
        if len(page) < 100:
            break
    return build_report(task, checks=checks, trigger_logs=triggers, execute_logs=lines, plan=plan)
