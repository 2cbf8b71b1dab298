"""The game-day report in Markdown: verdict, a Mermaid Gantt chart of the steps, the timeline,
steps and instances, steady-state checks, guardrail, plan and CFG's execution log.

Works on the dict of :func:`.collect.build_report` only (no CFG call, no Airflow import). It says
what happened in words (statuses, counts, outcomes), writes every time in UTC and says so, and uses
no glyph beyond what every font has (a verdict emoji shows as an empty box without an emoji font).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_cfg.core.markdown import code_block, md_text
from airflow_provider_cfg.core.plan.model import describe_source
from airflow_provider_cfg.core.report.cap import capped_note
from airflow_provider_cfg.core.report.metrics import metrics_section
from airflow_provider_cfg.core.report.note import verdict_words
from airflow_provider_cfg.core.report.times import ZONE_NAME, plus_seconds


def _cell(value: Any, limit: int | None = None) -> str:
    """User or CFG text as inert Markdown on one line (``—`` when empty), cut to ``limit``."""
    return md_text(value if value not in (None, "") else "—", limit)


def _gantt_text(text: Any) -> str:
    """Mermaid Gantt names end at ':' and ';', '#' starts an entity, and a backtick could end the
    chart's fence: keep them out."""
    return " ".join(str(text).translate(str.maketrans(":;#`<>", "      ")).split())


MAX_TITLE = 300
"""Longest title shown; longer ones are cut with "…"."""
MAX_TEXT = 2000
"""Longest summary, issue, event or guardrail text shown."""

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
        name = f"{step['kind']} step {step['order']} {step['title']}"
        instances = step["instances"]
        if step["start"]:
            total = step.get("instances_total", len(instances))
            events.append((step["start"], f"{name} started on {total} instance(s)"))
        if len(instances) <= MAX_INSTANCE_EVENTS:
            events += [(i["end"], f"{name} on {i['object_id']}: {i['outcome']}") for i in instances if i["end"]]
        if step["end"] and step["finished"]:
            events.append((step["end"], f"{name} finished: {step['outcome']}"))
    guardrail = [g for g in report["guardrail"] if g["at"]]
    events += [(g["at"], f"guardrail {'triggered' if g['type'] == 'trigger' else 'recovered'}: {g['name']} - "
                         f"{g['content']}") for g in guardrail]
    if exp["end"]:
        events.append((exp["end"], f"experiment ended, {verdict_words(report['verdict']['as_expected'])}"))
    return sorted(events, key=lambda event: event[0])  # CFG times sort as text; sorted() is stable


def _visible_end(start: str, end: str) -> str:
    """A step that took under a second (CFG times have whole seconds) is drawn one second long."""
    return (plus_seconds(start, 1) or end) if end <= start else end


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
        f"{_cell(describe_source(plan.get('source') or {}))} · {_cell(plan.get('mode') or 'unknown')} mode · {ok}"
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
            f"| {_cell(group.get('order'))} {_cell(group.get('title'))} | {_cell(otype.get('title'))} "
            f"({_cell(otype.get('id'))}) | "
            f"{_cell(', '.join(group.get('instances') or []), 200)} | {_cell(group.get('selection'))} | "
            f"{_cell(group.get('affected_instances'))} | {_cell(steps)} |"
        )
    return lines


def _header(report: Mapping[str, Any]) -> list[str]:
    """Title, verdict, status and summary (as sent to CFG), the issue if one was recorded."""
    exp, verdict = report["experiment"], report["verdict"]
    lines = [
        f"# Game-day report: experiment {_cell(exp['id'])} - {_cell(exp['title'], MAX_TITLE)}",
        "",
        f"**Verdict:** {verdict_words(verdict['as_expected'])}  ",
        f"**Status:** {_cell(exp['status'])}, {exp['mode']} mode, from {_cell(exp['start'])} to {_cell(exp['end'])} "
        f"(times in {_zone(report)})",
        "",
        f"> {md_text(verdict['summary'] or 'no summary', MAX_TEXT, line_start=True)}",
        "",
    ]
    if verdict.get("issue"):
        lines += [f"**Issue recorded:** {_cell(verdict['issue'], MAX_TEXT)}", ""]
    return lines


def _zone(report: Mapping[str, Any]) -> str:
    """The zone of the report's times: UTC (a report built before they were converted: CFG's)."""
    return ZONE_NAME if report.get("times") == ZONE_NAME else "CFG time, UTC+08:00"


def _timeline_section(report: Mapping[str, Any]) -> list[str]:
    lines = ["## Timeline", "", f"| time ({_zone(report)}) | event |", "|---|---|"]
    return lines + ([f"| {_cell(at)} | {_cell(event, MAX_TEXT)} |" for at, event in _timeline(report)]
                    or ["| — | nothing ran |"])


def _steps_section(report: Mapping[str, Any]) -> list[str]:
    """A row per step, then (when any ran) a row per instance with its execution log."""
    lines = [
        "",
        "## Steps",
        "",
        f"Times in {_zone(report)}.",
        "",
        "| step | action | kind | outcome | start | end | instances |",
        "|---|---|---|---|---|---|---|",
    ]
    for step in report["steps"]:
        inst = ", ".join(f"{i['object_id']}: {i['outcome']}" for i in step["instances"])
        lines.append(
            f"| {_cell(step['order'])} | {_cell(step['title'])} | {step['kind']} | {_cell(step['outcome'])} | "
            f"{_cell(step['start'])} | {_cell(step['end'])} | {_cell(inst, 300)} |"
        )
    ran = [(step, i) for step in report["steps"] for i in step["instances"] if i["start"] or i["log"]]
    if ran:
        lines += ["", "### Instances", "", "| step | object | outcome | start | end | execution log |",
                  "|---|---|---|---|---|---|"]
        lines += [
            f"| {_cell(step['order'])} | {_cell(i['object_id'])} | {_cell(i['outcome'])} | {_cell(i['start'])} | "
            f"{_cell(i['end'])} | {_cell(i['log'], 300)} |"
            for step, i in ran
        ]
    return lines


def _checks_section(report: Mapping[str, Any]) -> list[str]:
    lines = ["", "## Steady-state checks", ""]
    if not report["checks"]:
        return [*lines, "No steady-state check ran, and the guardrail was not triggered."]
    failed = sum(1 for c in report["checks"].values() if not c.get("passed"))
    lines += [f"{len(report['checks']) - failed} of {len(report['checks'])} passed, {failed} failed.", ""]
    lines += ["| check | result | detail |", "|---|---|---|"]
    return lines + [
        f"| {_cell(n)} | {'passed' if c.get('passed') else 'FAILED'} | {_cell(c.get('detail'))} |"
        for n, c in report["checks"].items()
    ]


def _guardrail_section(report: Mapping[str, Any]) -> list[str]:
    guardrail = [f"* {_cell(g['at'])}: {'triggered' if g['type'] == 'trigger' else 'recovered'} - "
                 f"{_cell(g['name'])}: {_cell(g['content'], MAX_TEXT)}"
                 for g in report["guardrail"]]
    return ["", "## Guardrail", "", *(guardrail or ["Not triggered."])]


def render_markdown(report: Mapping[str, Any]) -> str:
    """The report in Markdown: verdict and summary as sent to CFG, a Mermaid Gantt chart, the
    timeline, the steps and their instances (outcomes, execution logs), the steady-state checks,
    the guardrail, the plan, and CFG's execution log.

    :param report: the dict of :func:`.collect.build_report`.
    """
    lines = [
        *_header(report),
        *capped_note(report),
        *_gantt(report),
        *_timeline_section(report),
        *_steps_section(report),
        *_checks_section(report),
        *_guardrail_section(report),
        *metrics_section(report),
    ]
    if report.get("plan"):
        lines += _plan_section(report["plan"])
    if report["log"]:
        lines += ["", "## CFG execution log", "", f"(times in {_zone(report)})", "", *code_block(report["log"][-200:])]
    return "\n".join(lines) + "\n"
