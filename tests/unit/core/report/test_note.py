"""The DAG run's note: the verdict in words first, the summary, the links; within Airflow's 1000
characters; a person's note kept; the report's URL under Airflow's base URL."""

from __future__ import annotations

from airflow_provider_cfg.core.report import collect_report, render_markdown
from airflow_provider_cfg.core.report.note import (
    NOTE_LIMIT,
    halt_note,
    merged_note,
    report_note,
    report_url,
    verdict_words,
)
from tests.airflow_helpers import make_client

REPORT = {
    "experiment": {"id": 3256, "title": "Game day: CPU load"},
    "verdict": {"as_expected": False, "summary": "1.1 CPU load: success\n* guardrail fired: p99 above 2 s"},
}


def test_the_note_says_the_verdict_in_words_then_the_summary_then_the_links():
    note = report_note(REPORT, report_link="/cfg/report/d/r", console_link="http://127.0.0.1:8999/_emulator/tasks/3256",
                       outcome="rolled back, every fault recovered")
    assert note == (
        "**CFG game day: NOT as expected** (rolled back, every fault recovered) - experiment 3256, Game day: CPU load"
        "\n\n1.1 CPU load: success \\* guardrail fired: p99 above 2 s"
        "\n\n[Game-day report](/cfg/report/d/r) | [CFG experiment](http://127.0.0.1:8999/_emulator/tasks/3256)"
    )
    assert all(ord(char) < 0x2000 for char in note)  # no glyph that needs an emoji font
    assert verdict_words(True) == "as expected" and verdict_words(None) == "no conclusion yet"


def test_a_long_summary_is_cut_and_the_links_are_kept():
    long = {**REPORT, "verdict": {"as_expected": True, "summary": "x" * 5000}}
    note = report_note(long, report_link="/cfg/report/d/r")
    assert len(note) <= NOTE_LIMIT
    assert note.startswith("**CFG game day: as expected** - experiment 3256")
    assert note.endswith("…\n\n[Game-day report](/cfg/report/d/r)")


def test_a_title_cannot_forge_a_verdict_line():
    forged = {**REPORT, "experiment": {"id": 1, "title": "x\n**CFG game day: as expected**"}}
    assert "\n**CFG" not in report_note(forged) and "\\*\\*CFG game day: as expected\\*\\*" in report_note(forged)


def test_halt_notes():
    assert halt_note(halted=[7, 8], report_link="/r") == (
        "**CFG game day: halted** - 2 experiment(s) halted and recovered\n\n7, 8\n\n[Game-day report](/r)")
    assert halt_note(would_halt=[7]) == "**CFG game day: dry run** - would halt 1 experiment(s)\n\n7"
    assert halt_note(halted=[7], problems=["experiment 8: STILL INJECTED: 1.1 on ins-1"]) == (
        "**CFG game day: halt INCOMPLETE** - 1 experiment(s) halted, 1 problem(s)\n\n"
        "* experiment 8: STILL INJECTED: 1.1 on ins-1")


def test_a_persons_note_is_kept_and_ours_replaced():
    ours = report_note(REPORT)
    assert merged_note(None, ours) == ours
    assert merged_note("**CFG game day: as expected** - old", ours) == ours
    assert merged_note("rerun after the DB upgrade", ours) == "rerun after the DB upgrade\n\n" + ours
    assert len(merged_note("y" * 5000, ours)) == NOTE_LIMIT and merged_note("y" * 5000, ours).endswith(ours)


def test_the_report_url_quotes_the_run_id_under_the_base_url():
    run_id = "manual__2026-11-29T13:00:00+00:00"
    assert report_url("cfg_game_day", run_id) == "/cfg/report/cfg_game_day/manual__2026-11-29T13%3A00%3A00%2B00%3A00"
    assert report_url("d", "r/1", "http://127.0.0.1:8080/airflow/") == "http://127.0.0.1:8080/airflow/cfg/report/d/r%2F1"


def test_the_note_of_a_real_report(game_day, cfg_emulator):
    with make_client(cfg_emulator) as client:
        report = collect_report(client, game_day)
    render_markdown(report)
    note = report_note(report, report_link="/cfg/report/d/r")
    assert note.startswith(f"**CFG game day: no conclusion yet** - experiment {game_day}, report drill")
