"""The DAG run's note: the verdict in words, the summary and where to read more, in Markdown.

Airflow shows the note on the run page, above the tasks: where a person looks first. It holds at
most :data:`NOTE_LIMIT` characters (Airflow's column), so the summary is cut to fit and the links,
which matter most after the verdict, are never cut. No Airflow import here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from airflow_provider_cfg.core.markdown import md_text

NOTE_LIMIT = 1000
"""Longest note Airflow stores (``dag_run_note.content``)."""
NOTE_HEADING = "**CFG game day:"
"""How every note of the provider starts (a note a person wrote is kept, ours is replaced)."""
REPORT_PATH = "/cfg/report/{dag_id}/{run_id}"
"""Where the provider's Airflow plugin serves the rendered game-day report of a DAG run."""


def report_url(dag_id: str, run_id: str, base_url: str | None = None) -> str:
    """The rendered report of a DAG run: :data:`REPORT_PATH` under Airflow's ``base_url`` (relative
    to the UI's host when there is none); the run id is quoted (``manual__…+00:00``).

    :param base_url: Airflow's base URL (``[api] base_url``, ``[webserver] base_url`` on Airflow 2).
    """
    path = REPORT_PATH.format(dag_id=quote(dag_id, safe=""), run_id=quote(run_id, safe=""))
    return (base_url or "").rstrip("/") + path


def verdict_words(as_expected: bool | None) -> str:
    """CFG's verdict in words, in glyphs every font has."""
    return {True: "as expected", False: "NOT as expected"}.get(as_expected, "no conclusion yet")  # type: ignore[arg-type]


def _links(report_link: str | None, console_link: str | None) -> str:
    links = [f"[Game-day report]({report_link})" if report_link else "",
             f"[CFG experiment]({console_link})" if console_link else ""]
    return " | ".join(link for link in links if link)


def _fit(head: str, body: str, tail: str) -> str:
    """``head``, ``body`` cut so that the note fits :data:`NOTE_LIMIT`, then ``tail`` whole."""
    room = NOTE_LIMIT - len(head) - len(tail) - 4
    if len(body) > room:
        body = body[: max(0, room - 1)].rstrip() + "…"
    return "\n\n".join(part for part in (head, body, tail) if part)[:NOTE_LIMIT]


def report_note(
    report: Mapping[str, Any],
    *,
    report_link: str | None = None,
    console_link: str | None = None,
    outcome: str | None = None,
) -> str:
    """The note of a run that concluded or rolled back an experiment.

    ``**CFG game day: NOT as expected** (rolled back) - experiment 7, "Game day"``, then the
    summary CFG holds, then the links.

    :param report: the game-day report (:func:`~airflow_provider_cfg.core.report.collect.build_report`).
    :param report_link: the rendered report (:func:`report_url`).
    :param console_link: the experiment in CFG's console.
    :param outcome: what the task did, in a few words (``"rolled back"``).
    """
    exp, verdict = report["experiment"], report["verdict"]
    head = f"{NOTE_HEADING} {verdict_words(verdict.get('as_expected'))}**"
    if outcome:
        head += f" ({md_text(outcome, 200)})"
    head += f" - experiment {md_text(exp.get('id'))}, {md_text(exp.get('title') or 'untitled', 120)}"
    summary = md_text(verdict.get("summary") or "no summary", NOTE_LIMIT, line_start=True)
    return _fit(head, summary, _links(report_link, console_link))


def halt_note(
    *, halted: Sequence[int] = (), problems: Sequence[str] = (), would_halt: Sequence[int] | None = None,
    report_link: str | None = None,
) -> str:
    """The note of a halt-all run: what was halted, what was not (a dry run: what would be)."""
    if would_halt is not None:
        head = f"{NOTE_HEADING} dry run** - would halt {len(would_halt)} experiment(s)"
        body = ", ".join(str(i) for i in would_halt) or "nothing is running"
    elif problems:
        head = f"{NOTE_HEADING} halt INCOMPLETE** - {len(halted)} experiment(s) halted, {len(problems)} problem(s)"
        body = "\n".join(f"* {md_text(problem, 300)}" for problem in problems)
    else:
        head = f"{NOTE_HEADING} halted** - {len(halted)} experiment(s) halted and recovered"
        body = ", ".join(str(i) for i in halted) or "nothing was running"
    return _fit(head, body, _links(report_link, None))


def merged_note(existing: str | None, ours: str) -> str:
    """The note to store: ours replaces an earlier note of the provider; a person's note is kept
    above ours (cut, never ours, when both do not fit)."""
    if not existing or existing.startswith(NOTE_HEADING):
        return ours
    keep = NOTE_LIMIT - len(ours) - 2
    if keep <= 0:
        return ours
    return (existing[:keep] + "\n\n" + ours)[:NOTE_LIMIT]
