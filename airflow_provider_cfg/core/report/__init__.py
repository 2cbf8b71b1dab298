"""The game-day report: what was injected where, for how long, what the checks saw, the verdict.

:mod:`.collect` reads CFG's own record and builds the report as a JSON-safe dict; :mod:`.render`
turns it into Markdown with a Mermaid Gantt chart. CFG's own report export is console-only and
expires; this one lives in XCom, the task log, and any object storage path. No Airflow import here.
"""

from airflow_provider_cfg.core.report.collect import build_report, collect_report
from airflow_provider_cfg.core.report.render import render_markdown

__all__ = ["build_report", "collect_report", "render_markdown"]
