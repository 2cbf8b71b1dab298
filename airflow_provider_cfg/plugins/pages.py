"""The HTML of the "Game days" page: a table of game days and a trend chart (inline SVG, no script,
no CDN) of each game day's verdict and its slowest time to detect and to recover. No Airflow import."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any
from urllib.parse import quote

from airflow_provider_cfg.core.report.html import STYLE

VERDICTS = {True: ("as expected", "#1a7f37"), False: ("NOT as expected", "#cf222e"), None: ("no conclusion", "#8c959f")}
_EXTRA_STYLE = """
.as-expected { color: #1a7f37; font-weight: 600; } .not-as-expected { color: #cf222e; font-weight: 600; }
.no-conclusion { color: #59636e; } svg text { font: 11px sans-serif; fill: #59636e; }
"""


def report_href(dag_id: str, run_id: str) -> str:
    """Where the rendered report of a run is, relative to ``/cfg/game-days``."""
    return f"report/{quote(dag_id, safe='')}/{quote(run_id, safe='')}"


def _seconds(value: Any) -> str:
    return "—" if value is None else f"{value} s"


def _slowest(faults: Sequence[dict[str, Any]], key: str) -> int | None:
    return max((f[key] for f in faults if f.get(key) is not None), default=None)


def row_of(day: Any) -> dict[str, Any]:
    """What one table row and one chart column show of a :class:`~.store.GameDay`."""
    report = day.report
    metrics = report.get("metrics") or {}
    faults = metrics.get("faults") or [s for s in report.get("steps") or [] if s.get("kind") == "fault"]
    experiment = report.get("experiment") or {}
    return {
        "at": day.at, "dag_id": day.dag_id, "run_id": day.run_id, "console_url": day.console_url,
        "experiment_id": experiment.get("id"), "title": experiment.get("title"),
        "verdict": (report.get("verdict") or {}).get("as_expected"),
        "faults": [f"{f.get('step') or f.get('order')} {f.get('title') or ''}".strip() for f in faults],
        "detect": _slowest(faults, "time_to_detect_s"), "recover": _slowest(faults, "time_to_recover_s"),
    }


def trend_chart(rows: Sequence[dict[str, Any]], width: int = 900, height: int = 220) -> str:
    """Oldest to newest: per game day a bar for the time to detect (orange) and to recover (blue),
    and a dot coloured by its verdict."""
    rows = list(reversed(rows))
    if not rows:
        return ""
    top = max([r["detect"] or 0 for r in rows] + [r["recover"] or 0 for r in rows] + [1])
    left, bottom, plot = 40, height - 40, height - 70
    step = (width - left - 10) / len(rows)
    bar = max(2.0, min(18.0, step / 3))
    parts = [f'<svg id="trend" role="img" aria-label="game-day trend" width="{width}" height="{height}" '
             f'xmlns="http://www.w3.org/2000/svg">',
             f'<line x1="{left}" y1="{bottom}" x2="{width - 10}" y2="{bottom}" stroke="#d0d7de"/>',
             f'<text x="4" y="{bottom - plot + 4}">{top} s</text><text x="4" y="{bottom}">0 s</text>',
             f'<text x="{left}" y="14">■ time to detect</text>'.replace("■", '<tspan fill="#bc4c00">■</tspan>'),
             f'<text x="{left + 120}" y="14"><tspan fill="#0969da">■</tspan> time to recover</text>',
             f'<text x="{left + 240}" y="14">● verdict</text>']
    for n, r in enumerate(rows):
        x = left + n * step + step / 2
        for offset, key, colour in ((-bar, "detect", "#bc4c00"), (0.0, "recover", "#0969da")):
            if r[key] is not None:
                h = max(1.0, plot * r[key] / top)
                parts.append(f'<rect class="{key}" x="{x + offset:.1f}" y="{bottom - h:.1f}" width="{bar:.1f}" '
                             f'height="{h:.1f}" fill="{colour}"><title>{escape(r["run_id"])}: time to {key} '
                             f'{r[key]} s</title></rect>')
        label, colour = VERDICTS[r["verdict"]]
        parts.append(f'<circle class="verdict" cx="{x:.1f}" cy="{bottom + 12}" r="5" fill="{colour}">'
                     f'<title>{escape(r["run_id"])}: {label}</title></circle>')
        parts.append(f'<text x="{x - 12:.1f}" y="{bottom + 30}">{r["at"]:%m-%d}</text>')
    return "".join([*parts, "</svg>"])


def game_days_page(rows: Sequence[dict[str, Any]]) -> str:
    """The whole page: the chart, then a row per game day, newest first."""
    lines = []
    for r in rows:
        label, _ = VERDICTS[r["verdict"]]
        css = label.lower().replace(" ", "-")
        experiment = escape(f"{r['experiment_id']} {r['title'] or ''}".strip())
        if r["console_url"]:
            experiment = f'<a href="{escape(r["console_url"])}" target="_blank" rel="noopener">{experiment}</a>'
        lines.append(
            f'<tr class="game-day"><td>{r["at"]:%Y-%m-%d %H:%M} UTC</td><td>{escape(r["dag_id"])}</td>'
            f'<td>{experiment}</td><td class="{css}">{label}</td>'
            f'<td>{escape(", ".join(r["faults"])) or "—"}</td><td>{_seconds(r["detect"])}</td>'
            f'<td>{_seconds(r["recover"])}</td>'
            f'<td><a class="report" href="{escape(report_href(r["dag_id"], r["run_id"]))}">report</a></td></tr>'
        )
    table = ("<p>No game day yet: a run of a CFG DAG pushes its report to XCom when it ends.</p>" if not rows else
             "<table><thead><tr><th>date</th><th>DAG</th><th>experiment</th><th>verdict</th><th>faults</th>"
             "<th>time to detect</th><th>time to recover</th><th>report</th></tr></thead><tbody>"
             + "".join(lines) + "</tbody></table>")
    return ('<!doctype html><html><head><meta charset="utf-8"><title>Game days</title>'
            f"<style>{STYLE}{_EXTRA_STYLE}</style></head><body><h1>Game days</h1>"
            f"<p>{len(rows)} game day(s) in the DAGs you may read; the slowest fault's times per game day.</p>"
            f"{trend_chart(rows)}{table}</body></html>")
