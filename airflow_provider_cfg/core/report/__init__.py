"""The game-day report: what was injected where, for how long, what the checks saw, the verdict.

:mod:`.collect` reads CFG's own record and builds the report as a JSON-safe dict; :mod:`.render`
turns it into Markdown with a Mermaid Gantt chart; :mod:`.cap` makes the copy small enough for XCom
and the task log (the full one goes to ``report_path``). CFG's own report export is console-only and
expires; this one lives in XCom, the task log, and any object storage path. No Airflow import here.
"""

from airflow_provider_cfg.core.report.cap import cap_markdown, cap_report
from airflow_provider_cfg.core.report.collect import build_report, collect_report
from airflow_provider_cfg.core.report.render import render_markdown

__all__ = ["build_report", "cap_markdown", "cap_report", "collect_report", "render_markdown"]
