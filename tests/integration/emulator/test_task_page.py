"""The emulator's experiment page (what the console link opens): in words, times in UTC, labelled."""

from __future__ import annotations

import re

from airflow_provider_cfg.emulator.views import _log_in_utc, _utc
from tests.airflow_helpers import ok
from tests.unit.core.report.game_day import run_game_day


def test_the_page_says_what_happened_in_words_with_times_in_utc(cfg_emulator):
    experiment_id = run_game_day(cfg_emulator)
    ok(cfg_emulator, "ModifyTaskRunStatus", TaskId=experiment_id, Status=1004, Summary="done", IsExpect=False)
    page = cfg_emulator.http().get(f"/_emulator/tasks/{experiment_id}").text
    assert "Status: <b>ended</b> · verdict: <b>NOT as expected</b> · started 20" in page
    assert "(times in UTC; CFG records UTC+08:00)" in page and "<th>execution log (UTC)</th>" in page
    assert "<td>finished: success</td>" in page  # the step and the instances, not "2004 finished", "1 success"
    assert not re.search(r"\b(100[1-4]|200[1-4]|300[1-4])\b", page), "a raw status code on the page"
    assert "expect " not in page
    task = ok(cfg_emulator, "DescribeTask", TaskId=experiment_id)["Task"]
    assert f"started {_utc(task['TaskStartTime'])} " in page and _utc(task["TaskStartTime"]) != task["TaskStartTime"]


def test_cfg_times_become_utc():
    assert _utc("2026-01-07 10:00:00") == "2026-01-07 02:00:00" and _utc(None) == "—" and _utc("soon") == "soon"
    assert _log_in_utc("2026-01-07 00:30:00 running x") == "2026-01-06 16:30:00 running x"
