"""The capped report: what goes to XCom and the task log, whatever the size of the game day.

A 10,000-instance game day made an 8 MB report and 6 MB of Markdown, stored in Airflow's metadata
database (XCom) and written into the task log. The capped copy keeps at most
:data:`MAX_INSTANCES_PER_STEP` instances per step, :data:`MAX_PLAN_INSTANCES` instance ids per plan
group and the last :data:`MAX_LOG_LINES` lines of CFG's execution log, says what it left out
(``capped``), and its Markdown is cut at :data:`MAX_MARKDOWN_CHARS`. The full report goes only to
``report_path`` (object storage), when one is given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MAX_INSTANCES_PER_STEP = 50
MAX_PLAN_INSTANCES = 100
MAX_LOG_LINES = 200
MAX_MARKDOWN_CHARS = 200_000
_FENCE = re.compile(r"^(`{3,})")


def cap_report(report: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``report`` within the limits above; ``capped`` lists what was cut (``{}``: nothing)."""
    capped: dict[str, Any] = {}
    steps = []
    for step in report.get("steps") or []:
        instances = step.get("instances") or []
        if len(instances) > MAX_INSTANCES_PER_STEP:
            step = {**step, "instances": instances[:MAX_INSTANCES_PER_STEP], "instances_total": len(instances)}
            capped["instances_per_step"] = MAX_INSTANCES_PER_STEP
        steps.append(step)
    log = list(report.get("log") or [])
    if len(log) > MAX_LOG_LINES:
        capped["log_lines"] = {"kept": MAX_LOG_LINES, "total": len(log)}
        log = log[-MAX_LOG_LINES:]
    plan = report.get("plan")
    if plan and any(len(g.get("instances") or []) > MAX_PLAN_INSTANCES for g in plan.get("groups") or []):
        plan = {**plan, "groups": [
            {**g, "instances": (g.get("instances") or [])[:MAX_PLAN_INSTANCES],
             "instances_total": len(g.get("instances") or [])} for g in plan.get("groups") or []]}
        capped["plan_instances_per_group"] = MAX_PLAN_INSTANCES
    return {**report, "steps": steps, "log": log, "plan": plan, "capped": capped}


def cap_markdown(markdown: str, limit: int = MAX_MARKDOWN_CHARS) -> str:
    """``markdown`` cut at a line boundary before ``limit`` characters, an open code fence closed,
    and a last line saying so."""
    if len(markdown) <= limit:
        return markdown
    kept: list[str] = []
    size = 0
    fence: str | None = None
    for line in markdown.splitlines():
        if size + len(line) + 1 > limit:
            break
        kept.append(line)
        size += len(line) + 1
        match = _FENCE.match(line)
        if match and (fence is None or line.strip() == fence):
            fence = None if fence is not None else match.group(1)
    if fence is not None:
        kept.append(fence)
    kept += ["", f"*The report was cut at {limit:,} characters; the full report is written to `report_path`.*"]
    return "\n".join(kept) + "\n"


def capped_note(report: Mapping[str, Any]) -> list[str]:
    """The Markdown lines telling the reader what the capped report leaves out (none if nothing)."""
    capped = report.get("capped") or {}
    parts = []
    if "instances_per_step" in capped:
        parts.append(f"at most {capped['instances_per_step']} instances per step")
    if "log_lines" in capped:
        parts.append(f"the last {capped['log_lines']['kept']} of {capped['log_lines']['total']} execution log lines")
    if "plan_instances_per_group" in capped:
        parts.append(f"at most {capped['plan_instances_per_group']} instance ids per plan group")
    if not parts:
        return []
    return [f"*Capped for XCom and the task log: {'; '.join(parts)}. The full report is written to "
            "`report_path`.*", ""]
