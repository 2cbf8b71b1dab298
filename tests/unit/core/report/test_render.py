"""The game-day report in Markdown: Gantt chart, timeline, steps, instances (core/report/render.py)."""

from __future__ import annotations

from typing import Any

from airflow_provider_cfg.core.report import collect_report, render_markdown
from tests.airflow_helpers import make_client


def test_markdown_of_a_game_day(cfg_emulator, game_day):
    with make_client(cfg_emulator) as client:
        report = collect_report(client, game_day, checks={"steady_state": {"passed": True, "detail": "HTTP 200"}})
    markdown = render_markdown(report)
    assert "```mermaid\ngantt" in markdown
    gantt = markdown.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert "    section 1 " in gantt  # a section per action group
    assert "1.1 Empty Operation :crit, s1_1," in gantt
    assert "1.2 Empty Operation (rollback) :s1_2," in gantt
    assert "    section guardrail\n    trigger p99 latency :milestone, g1, " in gantt
    assert "| steady_state | passed | HTTP 200 |" in markdown
    # the guardrail's trigger is a failed check too: "checks" never says all is well while something breached
    assert "1 of 2 passed, 1 failed." in markdown
    assert "| guardrail p99 latency | FAILED | breached at 20" in markdown
    assert " UTC: p99 above 2 s for 1 min |" in markdown
    # times in UTC, said so; statuses in words; no glyph beyond common fonts
    assert "(times in UTC)" in markdown and "| time (UTC) | event |" in markdown and "Times in UTC." in markdown
    assert "**Status:** paused, manual mode, from 20" in markdown
    assert not any(ord(char) > 0x2FFF for char in markdown)
    # the timeline: every dated event in time order, from creation to the guardrail trigger
    timeline = markdown.split("## Timeline\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("| ").split(" | ") for line in timeline.splitlines() if line.startswith("| 20")]
    times = [row[0] for row in rows]
    assert times == sorted(times)
    events = [row[1] for row in rows]
    assert events[0] == "experiment created" and events[1].startswith("experiment started (manual mode)")
    order = [next(i for i, e in enumerate(events) if e.startswith(prefix)) for prefix in (
        "fault step 1.1 Empty Operation started on 2 instance(s)",
        "fault step 1.1 Empty Operation on ins-aaaaaaaa: success",
        "fault step 1.1 Empty Operation finished: success",
        "recovery step 1.2 Empty Operation (rollback) started",
        "recovery step 1.2 Empty Operation (rollback) finished: success",
        "guardrail triggered: p99 latency - p99 above 2 s for 1 min",
    )]
    assert order == sorted(order), events
    # per-instance outcomes and execution logs
    instances = markdown.split("### Instances\n", 1)[1].split("\n## ", 1)[0]
    assert sum(line.startswith("| 1.") for line in instances.splitlines()) == 4


def _report(**parts: Any) -> dict[str, Any]:
    """A report dict as build_report makes it, with nothing run yet."""
    return {
        "times": "UTC",
        "experiment": {"id": 7, "title": "drill", "status": "not started", "mode": "manual",
                       "created": None, "start": None, "end": None},
        "verdict": {"as_expected": None, "summary": None, "issue": None},
        "plan": None, "steps": [], "checks": {}, "guardrail": [], "log": [], **parts,
    }


def test_markdown_of_an_experiment_that_never_ran():
    markdown = render_markdown(_report())
    assert markdown.startswith("# Game-day report: experiment 7 - drill\n\n**Verdict:** no conclusion yet  \n"
                               "**Status:** not started, manual mode, from — to — (times in UTC)\n")
    assert "```mermaid" not in markdown  # no dated step, no chart
    assert "| — | nothing ran |" in markdown
    assert "No steady-state check ran, and the guardrail was not triggered." in markdown
    assert "Not triggered." in markdown
    assert "### Instances" not in markdown and "## CFG execution log" not in markdown


def test_gantt_names_lose_mermaid_separators_and_short_steps_last_a_second():
    step = {"order": "1.1", "group": "g: one", "title": "a:b;c#d", "kind": "fault", "finished": True,
            "outcome": "success", "start": "2024-01-01 10:00:00", "end": "2024-01-01 10:00:00", "instances": []}
    gantt = render_markdown(_report(steps=[step])).split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert "    title Experiment 7\n" in gantt
    assert "    section 1 g one\n" in gantt
    assert "    1.1 a b c d :crit, s1_1, 2024-01-01 10:00:00, 2024-01-01 10:00:01\n" in gantt


def test_table_cells_escape_pipes_and_cut_long_text():
    step = {"order": "1.1", "group": "g", "title": "a|b", "kind": "recovery", "finished": False, "outcome": None,
            "start": None, "end": None,
            "instances": [{"object_id": "ins-1", "outcome": "—", "start": "2024-01-01 10:00:00", "end": None,
                           "log": "x" * 400}]}
    markdown = render_markdown(_report(steps=[step], log=[f"l{n}" for n in range(250)]))
    assert "| 1.1 | a\\|b | recovery | — | — | — | ins-1: — |" in markdown
    row = next(line for line in markdown.splitlines() if line.startswith("| 1.1 | ins-1 |"))
    assert row.endswith(" | " + "x" * 299 + "… |")
    assert markdown.endswith("\n".join(f"l{n}" for n in range(50, 250)) + "\n```\n")  # the last 200 lines
