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


# ruff: ignore[unused-async] - Starlette would run a sync endpoint in a thread
async def task_page(request: Request) -> HTMLResponse:
    state = request.app.state.emulator.state
    task_id = int(request.path_params["task_id"])
    with state.lock:
        state.advance()
        record = state.tasks.get(task_id)
        if record is None:
            return HTMLResponse(f"<p>cfg-emulator: no experiment {task_id}</p>", status_code=404)
        task = record.model.model_copy(deep=True)
        faults = [f for f in state.faults() if f["TaskId"] == task_id]
    rows = [_row(["step", "action", "status", "outcome", "instance", "instance status", "log"], header=True)]
    for group, action in task.iter_actions():
        for inst in action.TaskGroupInstances or [None]:
            inst_status = (
                f"{InstanceStatus.describe(inst.TaskGroupInstanceStatus)} / "
                f"{InstanceStatusType.describe(inst.TaskGroupInstanceStatusType)}"
            ) if inst else ""
            rows.append(_row([
                f"{group.TaskGroupOrder}.{action.TaskGroupActionOrder}",
                action.ActionTitle,
                ActionStatus.describe(action.TaskGroupActionStatus),
                ActionStatusType.describe(action.TaskGroupActionStatusType),
                inst.TaskGroupInstanceObjectId if inst else "",
                inst_status,
                (inst.TaskGroupInstanceExecuteLog or "") if inst else "",
            ]))
    ledger = "".join(
        f"<li class=bad>{escape(f['ActionTitle'])} on {escape(f['ObjectId'])} since {escape(str(f['Since']))}</li>"
        for f in faults
    )
    html = (
        f"<!doctype html><title>CFG experiment {task_id}</title><style>{_STYLE}</style>"
        f"<h1>Experiment {task_id}: {escape(task.TaskTitle or '')}</h1>"
        f"<p>Status <b>{escape(TaskStatus.describe(task.TaskStatus))}</b> · expect {escape(str(task.TaskExpect))} · "
        f"started {escape(str(task.TaskStartTime))} · ended {escape(str(task.TaskEndTime))}</p>"
        f"<p>Summary: {escape(task.TaskSummary or '—')}</p><table>{''.join(rows)}</table>"
        f"<h2>Faults still injected</h2>{'<ul>' + ledger + '</ul>' if ledger else '<p>none</p>'}"
        "<p><small>Served by cfg-emulator, the local stand-in for the Tencent Cloud CFG console.</small></p>"
    )
    return HTMLResponse(html)
