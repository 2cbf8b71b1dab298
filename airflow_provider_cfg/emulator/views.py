"""A read-only HTML page per experiment: what the console link opens when the endpoint is the emulator.

It says what happened in words (statuses, outcomes, the verdict) and shows every time in UTC, the
zone Airflow shows, with the zone written: CFG's own times (UTC+08:00) are converted, in the
execution logs too.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
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
from airflow_provider_cfg.emulator.state import CST, TIME_FORMAT

_STAMP = re.compile(r"\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\b")


def _utc(value: str | None) -> str:
    """A CFG time (UTC+08:00) in UTC, ``—`` when there is none."""
    if not value:
        return "—"
    try:
        return datetime.strptime(value, TIME_FORMAT).replace(tzinfo=CST).astimezone(timezone.utc).strftime(TIME_FORMAT)
    except ValueError:
        return value


def _log_in_utc(text: str) -> str:
    return _STAMP.sub(lambda match: _utc(match.group(0)), text)


def _verdict(expect: int | None) -> str:
    if expect is None:
        return "not concluded yet"
    return {1: "as expected", 2: "NOT as expected"}.get(int(expect), f"TaskExpect {expect}")


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
                inst_status = _status(InstanceStatus.words(inst.TaskGroupInstanceStatus),
                                      inst.TaskGroupInstanceStatusType, InstanceStatusType) if inst else ""
                rows.append([
                    f"{group.TaskGroupOrder}.{action.TaskGroupActionOrder}", _cell(action.ActionTitle),
                    _status(ActionStatus.words(action.TaskGroupActionStatus), action.TaskGroupActionStatusType,
                            ActionStatusType),
                    _cell(inst.TaskGroupInstanceObjectId) if inst else "", inst_status,
                    _cell(_log_in_utc(inst.TaskGroupInstanceExecuteLog or "")) if inst else "",
                ])
        faults = state.ledger.of_task(task_id)
        return {
            "title": _cell(task.TaskTitle or ""), "status": TaskStatus.words(task.TaskStatus),
            "verdict": _verdict(task.TaskExpect), "start": _utc(task.TaskStartTime), "end": _utc(task.TaskEndTime),
            "summary": _cell(task.TaskSummary or "—"), "rows": rows, "total": total,
            "faults": [(_cell(f["ActionTitle"]), _cell(f["ObjectId"]), _since(f["Since"]))
                       for f in faults[:MAX_PAGE_ROWS]],
            "fault_total": len(faults),
        }


def _status(status: str, outcome: int | None, kind: Any) -> str:
    """``finished: success``; ``running`` while there is no outcome yet."""
    return f"{status}: {kind.words(outcome)}" if outcome else status


def _since(value: Any) -> str:
    """A fault's start (Unix time, or a CFG time) in UTC."""
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc).strftime(TIME_FORMAT)
    return _utc(str(value)) if value else "—"


def _more(shown: int, total: int, what: str) -> str:
    return f"<p>… and {total - shown} more {what} not shown (the page lists at most {MAX_PAGE_ROWS}).</p>" \
        if total > shown else ""


# ruff: ignore[unused-async] - Starlette would run a sync endpoint in a thread
async def task_page(request: Request) -> HTMLResponse:
    task_id = int(request.path_params["task_id"])
    page = _snapshot(request.app.state.emulator.state, task_id)
    if page is None:
        return HTMLResponse(f"<p>cfg-emulator: no experiment {task_id}</p>", status_code=404)
    header = _row(["step", "action", "step status", "instance", "instance status", "execution log (UTC)"],
                  header=True)
    rows = header + "".join(_row(cells) for cells in page["rows"])
    ledger = "".join(
        f"<li class=bad>{escape(title)} on {escape(obj)} since {escape(since)} UTC</li>"
        for title, obj, since in page["faults"]
    )
    html = (
        f"<!doctype html><title>CFG experiment {task_id}</title><style>{_STYLE}</style>"
        f"<h1>Experiment {task_id}: {escape(page['title'])}</h1>"
        f"<p>Status: <b>{escape(page['status'])}</b> · verdict: <b>{escape(page['verdict'])}</b> · "
        f"started {escape(page['start'])} · ended {escape(page['end'])} (times in UTC; CFG records UTC+08:00)</p>"
        f"<p>Summary: {escape(page['summary'])}</p><table>{rows}</table>"
        f"{_more(len(page['rows']), page['total'], 'instance rows')}"
        f"<h2>Faults still injected</h2>{'<ul>' + ledger + '</ul>' if ledger else '<p>none</p>'}"
        f"{_more(len(page['faults']), page['fault_total'], 'faults')}"
        "<p><small>Served by cfg-emulator, the local stand-in for the Tencent Cloud CFG console.</small></p>"
    )
    return HTMLResponse(html)
