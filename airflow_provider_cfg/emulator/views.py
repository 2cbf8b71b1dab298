"""A read-only HTML page per experiment: what the console link opens when the endpoint is the emulator."""

from __future__ import annotations

from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from airflow_provider_cfg.api.enums import (
    ActionStatus,
    ActionStatusType,
    InstanceStatus,
    InstanceStatusType,
    TaskStatus,
)

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}"
    "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}th{background:#f4f4f4}.bad{color:#b00020}"
)


def _row(cells: list[Any], header: bool = False) -> str:
    tag = "th" if header else "td"
    return "<tr>" + "".join(f"<{tag}>{escape(str(c))}</{tag}>" for c in cells) + "</tr>"


MAX_PAGE_ROWS = 500
"""Most instance rows (and fault lines) one page shows; the rest is counted, not listed."""
MAX_CELL_CHARS = 2000
"""Longest text shown in one cell (titles, logs)."""


def _cell(value: Any) -> str:
    text = str(value)
    return text if len(text) <= MAX_CELL_CHARS else text[:MAX_CELL_CHARS] + f"… ({len(text)} characters)"


def _snapshot(state: Any, task_id: int) -> dict[str, Any] | None:
    """What the page shows, as plain values, capped at :data:`MAX_PAGE_ROWS` rows: the only work done
    under the state lock (no copy of the experiment, no HTML), so a large experiment's page cannot
    stall the API."""
    with state.lock:
        state.advance()
        record = state.tasks.get(task_id)
        if record is None:
            return None
        task = record.model
        rows: list[list[Any]] = []
        total = 0
        for group, action in task.iter_actions():
            for inst in action.TaskGroupInstances or [None]:
                total += 1
                if len(rows) >= MAX_PAGE_ROWS:
                    continue
                inst_status = (
                    f"{InstanceStatus.describe(inst.TaskGroupInstanceStatus)} / "
                    f"{InstanceStatusType.describe(inst.TaskGroupInstanceStatusType)}"
                ) if inst else ""
                rows.append([
                    f"{group.TaskGroupOrder}.{action.TaskGroupActionOrder}", _cell(action.ActionTitle),
                    ActionStatus.describe(action.TaskGroupActionStatus),
                    ActionStatusType.describe(action.TaskGroupActionStatusType),
                    _cell(inst.TaskGroupInstanceObjectId) if inst else "", inst_status,
                    _cell(inst.TaskGroupInstanceExecuteLog or "") if inst else "",
                ])
        faults = state.ledger.of_task(task_id)
        return {
            "title": _cell(task.TaskTitle or ""), "status": TaskStatus.describe(task.TaskStatus),
            "expect": task.TaskExpect, "start": task.TaskStartTime, "end": task.TaskEndTime,
            "summary": _cell(task.TaskSummary or "—"), "rows": rows, "total": total,
            "faults": [(_cell(f["ActionTitle"]), _cell(f["ObjectId"]), f["Since"]) for f in faults[:MAX_PAGE_ROWS]],
            "fault_total": len(faults),
        }


def _more(shown: int, total: int, what: str) -> str:
    return f"<p>… and {total - shown} more {what} not shown (the page lists at most {MAX_PAGE_ROWS}).</p>" \
        if total > shown else ""


# ruff: ignore[unused-async] - Starlette would run a sync endpoint in a thread
async def task_page(request: Request) -> HTMLResponse:
    task_id = int(request.path_params["task_id"])
    page = _snapshot(request.app.state.emulator.state, task_id)
    if page is None:
        return HTMLResponse(f"<p>cfg-emulator: no experiment {task_id}</p>", status_code=404)
    header = _row(["step", "action", "status", "outcome", "instance", "instance status", "log"], header=True)
    rows = header + "".join(_row(cells) for cells in page["rows"])
    ledger = "".join(
        f"<li class=bad>{escape(title)} on {escape(obj)} since {escape(str(since))}</li>"
        for title, obj, since in page["faults"]
    )
    html = (
        f"<!doctype html><title>CFG experiment {task_id}</title><style>{_STYLE}</style>"
        f"<h1>Experiment {task_id}: {escape(page['title'])}</h1>"
        f"<p>Status <b>{escape(page['status'])}</b> · expect {escape(str(page['expect']))} · "
        f"started {escape(str(page['start']))} · ended {escape(str(page['end']))}</p>"
        f"<p>Summary: {escape(page['summary'])}</p><table>{rows}</table>"
        f"{_more(len(page['rows']), page['total'], 'instance rows')}"
        f"<h2>Faults still injected</h2>{'<ul>' + ledger + '</ul>' if ledger else '<p>none</p>'}"
        f"{_more(len(page['faults']), page['fault_total'], 'faults')}"
        "<p><small>Served by cfg-emulator, the local stand-in for the Tencent Cloud CFG console.</small></p>"
    )
    return HTMLResponse(html)
