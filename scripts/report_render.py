"""Render a game-day report's Markdown the way a reader sees it, and check that it renders.

Markdown -> HTML with the package's renderer (core/report/html.py: markdown-it-py, CommonMark + tables);
every ```mermaid block is drawn by mermaid.js (the npm package, pinned in the Makefile) in Debian's
headless Chromium. Checks: each Mermaid block renders without a syntax error, the Gantt chart has
one bar per step of the report, and the tables are tables. Saves a full-page screenshot.

    python scripts/report_render.py REPORT.md OUT.png [--steps N] [--mermaid PATH]

``make ui-check`` calls :func:`render_report` on the report of its ``cfg_game_day`` run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from airflow_provider_cfg.core.report.html import to_html  # the one renderer, shared with the UI plugin

ROOT = Path(__file__).resolve().parent.parent
MERMAID_JS = ROOT / ".venv" / "share" / "mermaid" / "mermaid.min.js"
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium's own connections are refused by the closed
# network. Playwright gives every launch a fresh, temporary --user-data-dir.
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


class RenderError(Exception):
    """The report does not render as it should; the message says what is wrong."""


def render_report(page: Any, markdown: str, out_png: Path, *, steps: int | None = None,
                  mermaid_js: Path = MERMAID_JS) -> dict[str, int]:
    """Render ``markdown`` in the Playwright ``page``; raise :class:`RenderError` unless it renders.

    :param steps: the number of steps the Gantt chart must draw (a bar each); None skips that check.
    :return: counts of what was drawn: ``charts``, ``bars``, ``tables``.
    """
    if not mermaid_js.is_file():
        raise RenderError(f"{mermaid_js} is missing (make ui-check fetches it)")
    page.set_content(to_html(markdown))
    page.add_script_tag(path=str(mermaid_js))
    errors = page.evaluate(
        """async () => {
            mermaid.initialize({startOnLoad: false, securityLevel: "strict", gantt: {useWidth: 1000}});
            const errors = [];
            for (const block of document.querySelectorAll("pre.mermaid")) {
                try { await mermaid.run({nodes: [block]}); } catch (e) { errors.push(String(e.message || e)); }
            }
            return errors;
        }"""
    )
    counts = page.evaluate(
        """() => ({
            blocks: document.querySelectorAll("pre.mermaid").length,
            charts: document.querySelectorAll("pre.mermaid svg").length,
            bars: document.querySelectorAll("pre.mermaid svg rect.task").length,
            tables: document.querySelectorAll("table").length,
            syntax_errors: document.querySelectorAll("pre.mermaid svg .error-text").length,
        })"""
    )
    out_png.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out_png), full_page=True)
    problems = [f"mermaid: {e}" for e in errors]
    if counts["syntax_errors"]:
        problems.append("mermaid drew a syntax-error chart")
    if counts["blocks"] == 0 or counts["charts"] != counts["blocks"]:
        problems.append(f"{counts['charts']} chart(s) drawn for {counts['blocks']} mermaid block(s)")
    if steps is not None and counts["bars"] != steps:
        problems.append(f"the Gantt chart has {counts['bars']} bar(s) for {steps} step(s)")
    if counts["tables"] == 0:
        problems.append("no table rendered")
    if problems:
        raise RenderError("; ".join(problems) + f" (screenshot: {out_png})")
    return {key: counts[key] for key in ("charts", "bars", "tables")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="the report's Markdown file")
    parser.add_argument("out", type=Path, help="where to save the screenshot (PNG)")
    parser.add_argument("--steps", type=int, help="steps the Gantt chart must show")
    parser.add_argument("--mermaid", type=Path, default=MERMAID_JS, help="mermaid.min.js")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            counts = render_report(page, args.report.read_text(), args.out, steps=args.steps, mermaid_js=args.mermaid)
        except RenderError as exc:
            print(f"report does not render: {exc}", file=sys.stderr)
            return 1
        finally:
            browser.close()
    print(f"report renders: {counts['charts']} chart(s), {counts['bars']} bar(s), {counts['tables']} table(s) "
          f"-> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
