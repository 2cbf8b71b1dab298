"""What a guard really watched (``core/watched.py``): probed intervals and every unwatched gap —
a late start, a copy restarted after a failover, a stall — with explicit clock readings; and the
guard's events naming them (on main a guard claimed the wall time since its start)."""

from __future__ import annotations

import json
import time

import pytest

from airflow_provider_cfg.core.guard import GuardWatch, watch
from airflow_provider_cfg.core.probes import ProbeResult
from airflow_provider_cfg.core.watched import Coverage
from tests.airflow_helpers import build_task

T0 = 1_767_780_000.0  # 2026-01-07 10:00:00 UTC
OK = ProbeResult(True, "HTTP 200 in 5 ms", 5.0)


def probed_every(coverage: Coverage, start: float, end: float, step: float) -> None:
    at = start
    while at <= end:
        coverage.probed(at, at + 0.01)
        at += step


def test_a_steady_watch_has_one_interval_and_no_gap():
    coverage = Coverage(T0, 2.0, copy_started=T0)
    probed_every(coverage, T0 + 0.2, T0 + 30, 2.0)
    assert len(coverage.intervals) == 1 and coverage.gaps(T0 + 30.5) == []
    assert coverage.summary(T0 + 30.5) == "probed 28.0 s of 30.5 s"


def test_a_stall_between_probes_is_a_named_gap():
    coverage = Coverage(T0, 2.0, copy_started=T0)
    probed_every(coverage, T0 + 0.2, T0 + 4.2, 2.0)
    probed_every(coverage, T0 + 26.2, T0 + 30.2, 2.0)  # the triggerer was frozen for 22 s
    (gap,) = coverage.gaps(T0 + 30.5)
    assert gap["seconds"] == pytest.approx(22.0) and "stalled" in gap["why"] and "another triggerer" in gap["why"]
    assert coverage.watched_seconds() == pytest.approx(8.02)
    summary = coverage.summary(T0 + 30.5)
    assert summary.startswith("probed 8.0 s of 30.5 s; NOT watched: 22.0 s from 10:00:04 to 10:00:26 UTC")


def test_a_copy_started_after_a_failover_does_not_count_what_it_did_not_see():
    coverage = Coverage(T0, 2.0, copy_started=T0 + 22.0)
    probed_every(coverage, T0 + 22.1, T0 + 30, 2.0)
    (gap,) = coverage.gaps(T0 + 30.5)
    assert (gap["from"], gap["seconds"]) == (T0, 22.1)
    assert "before this copy of the watch started at 10:00:22" in gap["why"] and "not counted" in gap["why"]


def test_no_probe_and_a_silent_end_are_gaps():
    assert Coverage(T0, 2.0).gaps(T0 + 0.5) == []
    (nothing,) = Coverage(T0, 2.0).gaps(T0 + 10)
    assert nothing["why"] == "no probe at all" and nothing["seconds"] == pytest.approx(10.0)
    coverage = Coverage(T0, 2.0, copy_started=T0)
    coverage.probed(T0 + 0.1, T0 + 0.2)
    (after,) = coverage.gaps(T0 + 20)
    assert after["why"] == "after the last probe" and after["from"] == pytest.approx(T0 + 0.2)


def test_a_slow_probe_is_watched_time_not_a_gap():
    coverage = Coverage(T0, 2.0, copy_started=T0)
    coverage.probed(T0 + 0.1, T0 + 10.1)  # a probe that took its whole 10 s timeout
    coverage.probed(T0 + 12.1, T0 + 12.2)
    assert coverage.gaps(T0 + 12.5) == [] and len(coverage.intervals) == 1


def test_the_guard_names_a_stall_in_its_event_and_its_message():
    """A stall inside one watch (a blocked loop, a frozen process) is reported, not claimed as watched."""
    running = build_task([], status=1002)
    guard = GuardWatch(7, "svc", 2, time.time(), deadline=time.time() + 1.6, poll_interval=0.1)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(1.3 if len(slept) == 2 else seconds)  # one round stalls for 1.3 s

    event = watch(guard, lambda: running, lambda: OK, sleep=sleep)
    assert event["status"] == "passed" and json.loads(json.dumps(event)) == event
    (gap,) = event["gaps"]
    assert gap["seconds"] >= 1.2 and "stalled" in gap["why"]
    assert event["watched_seconds"] < event["elapsed_seconds"] - 1.2
    assert "NOT watched: " in event["message"] and "Steady state held for" not in event["message"]


def test_a_resumed_watch_goes_on_with_the_earlier_tally_and_its_run_of_failures():
    bad = ProbeResult(False, "HTTP 500", 3.0)
    started = time.time() - 20
    earlier = GuardWatch(7, "svc", 2, started, poll_interval=2.0)
    earlier.record(OK, started + 1)
    earlier.record(bad, started + 3)
    state = json.loads(json.dumps(earlier.state()))
    later = GuardWatch(7, "svc", 2, started, poll_interval=2.0)
    assert later.resume(state) and later.probes == 2 and len(later.streak) == 1
    event = later.record(bad)  # the second failure in a row, across the restart: a breach
    assert event is not None and event["status"] == "breached" and event["probes"] == 3
    assert [failure["number"] for failure in event["failures"]] == [2, 3]
    assert later.coverage.resumed and len(later.coverage.intervals) >= 1
    assert not GuardWatch(7, "svc", 2, started + 5).resume(state)  # another watch's state
    assert not GuardWatch(7, "svc", 2, started).resume({"started_at": started})  # unreadable
