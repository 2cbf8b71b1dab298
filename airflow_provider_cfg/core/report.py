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
    ActionStatus,
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


def _outcome(kind: type[ActionStatusType] | type[InstanceStatusType], value: int | None) -> str:
    """``success``, ``failed``, ``terminated``, ``skipped`` (a type code means nothing to a reader),
    ``—`` before there is one."""
    if value is None:
        return "—"
    try:
        return kind(int(value)).text
    except ValueError:
        return kind.describe(value)


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
                "outcome": _outcome(InstanceStatusType, inst.TaskGroupInstanceStatusType),
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
                "status": ActionStatus.describe(action.TaskGroupActionStatus),
                "finished": action.TaskGroupActionStatus == ActionStatus.FINISHED,
                "outcome": _outcome(ActionStatusType, action.TaskGroupActionStatusType),
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
            "created": task.TaskCreateTime,
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


def _cell(value: Any, limit: int | None = None) -> str:
    text = str(value if value not in (None, "") else "—")
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("|", "\\|").replace("\n", " ")


def _gantt_text(text: Any) -> str:
    """Mermaid Gantt names end at ':' and ';', and '#' starts an entity: keep them out."""
    return " ".join(str(text).replace(":", " ").replace(";", " ").replace("#", " ").split())


MAX_INSTANCE_EVENTS = 5
"""Steps on more instances than this get one timeline line for their instances, not one each."""


def _timeline(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every dated event, in time order: the experiment's and each step's transitions, the
    instances' outcomes, the guardrail's triggers, the end and its verdict."""
    exp = report["experiment"]
    events: list[tuple[str, str]] = []
    if exp.get("created"):
        events.append((exp["created"], "experiment created"))
    if exp["start"]:
        events.append((exp["start"], f"experiment started ({exp['mode']} mode)"))
    for step in report["steps"]:
        name = f"step {step['order']} {step['title']} ({step['kind']})"
        instances = step["instances"]
        if step["start"]:
            events.append((step["start"], f"{name} started on {len(instances)} instance(s)"))
        if len(instances) <= MAX_INSTANCE_EVENTS:
            events += [(i["end"], f"{name}: {i['object_id']} {i['outcome']}") for i in instances if i["end"]]
        if step["end"] and step["finished"]:
            events.append((step["end"], f"{name} finished: {step['outcome']}"))
    guardrail = [g for g in report["guardrail"] if g["at"]]
    events += [(g["at"], f"guardrail {g['type']}: {g['name']} — {g['content']}") for g in guardrail]
    if exp["end"]:
        events.append((exp["end"], f"experiment ended: {exp['status']}"))
    return sorted(events, key=lambda event: event[0])  # CFG times sort as text; sorted() is stable


def _visible_end(start: str, end: str) -> str:
    """A step that took under a second (CFG times have whole seconds) is drawn one second long."""
    return _end_time(start, 1, None) or end if end <= start else end


def _gantt(report: Mapping[str, Any]) -> list[str]:
    """A Mermaid Gantt chart: a section per action group, a bar per step (faults in red), the
    guardrail's triggers as milestones."""
    timed = [s for s in report["steps"] if s["start"] and s["end"]]
    if not timed:
        return []
    lines = ["```mermaid", "gantt", f"    title Experiment {report['experiment']['id']}",
             "    dateFormat YYYY-MM-DD HH:mm:ss", "    axisFormat %H:%M:%S"]
    section = None
    for step in timed:
        if step["group"] != section:
            section = step["group"]
            lines.append(f"    section {_gantt_text(step['order'].split('.')[0] + ' ' + (section or 'group'))}")
        tag = "crit, " if step["kind"] == "fault" else ""
        ident = "s" + step["order"].replace(".", "_")
        name = _gantt_text(f"{step['order']} {step['title'] or ''}")
        lines.append(f"    {name} :{tag}{ident}, {step['start']}, {_visible_end(step['start'], step['end'])}")
    triggers = [g for g in report["guardrail"] if g["at"]]
    if triggers:
        lines.append("    section guardrail")
        lines += [f"    {_gantt_text(g['type'] + ' ' + (g['name'] or ''))} :milestone, g{n}, {g['at']}, 0s"
                  for n, g in enumerate(triggers, start=1)]
    return [*lines, "```", ""]


def _plan_section(plan: Mapping[str, Any]) -> list[str]:
    from airflow_provider_cfg.core.plan import describe_source

    verdict = plan.get("verdict") or {}
    ok = "within policy" if verdict.get("ok", True) else f"{len(verdict.get('violations') or [])} violation(s)"
    policy = plan.get("policy") or {}
    limits = [
        f"max {policy['max_instances_per_group']} instance(s) per group"
        if policy.get("max_instances_per_group") is not None else None,
        f"max risk {policy['max_risk_level']}" if policy.get("max_risk_level") is not None else None,
        f"object types {policy['allowed_object_types']}" if policy.get("allowed_object_types") is not None else None,
        "every fault needs a recovery" if policy.get("require_recovery") else None,
    ]
    lines = [
        "", "## Plan", "",
        f"{describe_source(plan.get('source') or {})} · {plan.get('mode') or 'unknown'} mode · {ok}"
        f" · policy: {', '.join(x for x in limits if x) or 'none'}",
        "",
        "| group | object type | instances | selection | affected at most | steps |",
        "|---|---|---|---|---|---|",
    ]
    for group in plan.get("groups") or []:
        otype = group.get("object_type") or {}
        steps = ", ".join(
            f"{step.get('title')} ({step.get('kind')}, {step.get('risk_text') or 'risk unknown'})"
            for step in group.get("steps") or []
        )
        lines.append(
            f"| {group.get('order')} {_cell(group.get('title'))} | {_cell(otype.get('title'))} ({otype.get('id')}) | "
            f"{_cell(', '.join(group.get('instances') or []), 200)} | {_cell(group.get('selection'))} | "
            f"{_cell(group.get('affected_instances'))} | {_cell(steps)} |"
        )
    return lines


def render_markdown(report: Mapping[str, Any]) -> str:
    """The report in Markdown: verdict and summary as sent to CFG, a Mermaid Gantt chart, the
    timeline, the steps and their instances (outcomes, execution logs), the steady-state checks,
    the guardrail, the plan, and CFG's execution log."""
    exp, verdict = report["experiment"], report["verdict"]
    expected = {True: "✅ as expected", False: "❌ NOT as expected", None: "no conclusion yet"}[verdict["as_expected"]]
    lines = [
        f"# Game-day report: experiment {exp['id']} — {exp['title']}",
        "",
        f"**Verdict:** {expected}  ",
        f"**Status:** {exp['status']} · {exp['mode']} mode · {exp['start'] or '—'} → {exp['end'] or '—'} (CFG time)",
        "",
        f"> {verdict['summary'] or 'no summary'}",
        "",
    ]
    if verdict.get("issue"):
        lines += [f"**Issue recorded:** {verdict['issue']}", ""]
    lines += _gantt(report)
    lines += ["## Timeline", "", "| time | event |", "|---|---|"]
    lines += [f"| {at} | {_cell(event)} |" for at, event in _timeline(report)] or ["| — | nothing ran |"]
    lines += [
        "",
        "## Steps",
        "",
        "| step | action | kind | outcome | start | end | instances |",
        "|---|---|---|---|---|---|---|",
    ]
    for step in report["steps"]:
        inst = ", ".join(f"{i['object_id']}: {i['outcome']}" for i in step["instances"])
        lines.append(
            f"| {step['order']} | {_cell(step['title'])} | {step['kind']} | {_cell(step['outcome'])} | "
            f"{_cell(step['start'])} | {_cell(step['end'])} | {_cell(inst, 300)} |"
        )
    ran = [(step, i) for step in report["steps"] for i in step["instances"] if i["start"] or i["log"]]
    if ran:
        lines += ["", "### Instances", "", "| step | object | outcome | start | end | execution log |",
                  "|---|---|---|---|---|---|"]
        lines += [
            f"| {step['order']} | {_cell(i['object_id'])} | {_cell(i['outcome'])} | {_cell(i['start'])} | "
            f"{_cell(i['end'])} | {_cell(i['log'], 300)} |"
            for step, i in ran
        ]
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
        lines += _plan_section(report["plan"])
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
