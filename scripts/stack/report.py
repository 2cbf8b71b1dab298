"""The scenario table, printed and written into docs/deployment.md between two markers."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "deployment.md"
BEGIN, END = "<!-- stack-check table: begin -->", "<!-- stack-check table: end -->"
COLUMNS = [("scenario", "scenario"), ("done", "what was done"), ("run", "DAG run"), ("experiments", "exp."),
           ("verdict", "CFG verdict"), ("injections", "injections"), ("ledger_left", "faults left"),
           ("probes", "probes"), ("live_s", "fault live s"), ("unguarded_s", "unguarded s"), ("ok", "as expected")]


def render(rows: list[dict], wall_seconds: float) -> str:
    lines = ["| " + " | ".join(title for _, title in COLUMNS) + " |",
             "|" + "|".join(" --- " for _ in COLUMNS) + "|"]
    for row in rows:
        cells = []
        for key, _ in COLUMNS:
            value = row.get(key, "")
            if key == "ok":
                value = "yes" if value else f"**NO**: {row['problems']}"
            elif key == "done":
                value = value or row["what"]
            cells.append(str(value).replace("|", "/"))
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"`make stack-check` wall time: {wall_seconds / 60:.1f} min (boot included).")
    return "\n".join(lines)


def write_docs(table: str) -> None:
    text = DOC.read_text()
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    DOC.write_text(pattern.sub(lambda _: f"{BEGIN}\n{table}\n{END}", text))
