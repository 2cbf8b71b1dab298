"""core.experiment_events: the filter, the cursor, and the diff of list snapshots into events."""

from __future__ import annotations

import json

import pytest

from airflow_provider_cfg.api.models import TaskListItem
from airflow_provider_cfg.core.experiment_events import (
    Cursor,
    EventFilter,
    diff,
    experiment_ids_of,
    initial_cursor,
)

BOTH = EventFilter((1002, 1004))


def item(task_id: int, status: int, updated: str, title: str = "drill", tags: dict | None = None) -> TaskListItem:
    return TaskListItem(TaskId=task_id, TaskStatus=status, TaskUpdateTime=f"2026-03-01 {updated}", TaskTitle=title,
                        Tags=[{"TagKey": k, "TagValue": v} for k, v in (tags or {}).items()])


def keys(events) -> list[tuple[int, str]]:
    return [(event.experiment_id, event.kind) for event in events]


def test_first_listing_is_a_baseline_then_changes_are_reported_once():
    events, cursor = diff(Cursor(), [item(1, 1002, "10:00:00"), item(2, 1004, "09:00:00")], BOTH)
    assert events == [] and cursor.watermark == "2026-03-01 10:00:00"
    snapshot = [item(1, 1004, "10:05:00"), item(2, 1004, "09:00:00"), item(3, 1002, "10:04:00")]
    events, cursor = diff(cursor, snapshot, BOTH)
    assert keys(events) == [(3, "started"), (1, "ended")]  # oldest update first; 2 ended before the watcher
    again, cursor = diff(cursor, snapshot, BOTH)
    assert again == []
    # A running experiment updates its time (steps progress): still no second "started".
    events, _ = diff(cursor, [item(3, 1002, "10:09:00"), item(1, 1004, "10:05:00")], BOTH)
    assert events == []


def test_an_empty_first_listing_reports_whatever_appears_later():
    events, cursor = diff(Cursor(), [], BOTH)
    assert events == [] and cursor.watermark == "0001-01-01 00:00:00"
    events, _ = diff(cursor, [item(7, 1002, "00:00:01")], BOTH)
    assert keys(events) == [(7, "started")]


def test_since_reports_what_changed_from_then():
    cursor = initial_cursor("2026-03-01 10:00:00")
    snapshot = [item(1, 1004, "08:00:00"), item(2, 1004, "09:59:00"), item(3, 1004, "10:30:00")]
    events, _ = diff(cursor, snapshot, EventFilter((1004,)), overlap=120)
    assert keys(events) == [(2, "ended"), (3, "ended")]  # 2 is inside the overlap, 1 is before it


def test_an_update_stamped_late_within_the_overlap_is_not_lost():
    _, cursor = diff(Cursor("2026-03-01 10:00:00"), [item(1, 1002, "10:10:00")], BOTH)
    late = item(2, 1004, "10:09:30")  # listed only now, stamped before the watermark
    events, _ = diff(cursor, [item(1, 1002, "10:10:00"), late], BOTH, overlap=60)
    assert keys(events) == [(2, "ended")]
    events, _ = diff(cursor, [late], BOTH, overlap=10)
    assert events == []  # outside a shorter overlap: that is what the overlap is for


def test_a_cursor_survives_json_and_a_restart_neither_repeats_nor_loses():
    _, cursor = diff(Cursor(), [item(1, 1002, "10:00:00")], BOTH)
    events, cursor = diff(cursor, [item(1, 1004, "10:01:00"), item(2, 1002, "10:01:00")], BOTH)
    assert keys(events) == [(1, "ended"), (2, "started")]  # same second: by experiment id
    restored = Cursor.from_json(json.loads(json.dumps(cursor.to_json())))
    assert restored == cursor
    # While "down", 2 ended and 3 started and ended: all reported once, nothing already reported again.
    snapshot = [item(1, 1004, "10:01:00"), item(2, 1004, "10:20:00"), item(3, 1004, "10:21:00")]
    events, _ = diff(restored, snapshot, BOTH)
    assert keys(events) == [(2, "ended"), (3, "ended")]


def test_reported_keys_are_forgotten_after_remember_for():
    cursor = Cursor("2026-03-01 10:00:00", {"1:1002": "2026-03-01 10:00:00"})
    _, later = diff(cursor, [item(2, 1002, "12:00:00")], BOTH, remember_for=3600)
    assert "1:1002" not in later.reported and "2:1002" in later.reported
    _, kept = diff(cursor, [item(2, 1002, "12:00:00")], BOTH, remember_for=3 * 3600)
    assert "1:1002" in kept.reported


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        (EventFilter((1004,)), [1, 2, 3]),
        (EventFilter((1004,), tags={"team": "payments"}), [1]),
        (EventFilter((1004,), tags={"team": None}), [1, 2]),
        (EventFilter((1004,), title_pattern=r"^Game day"), [2, 3]),
        (EventFilter((1002,)), []),
    ],
)
def test_the_filter_selects_by_status_tags_and_title(wanted, expected):
    snapshot = [
        item(1, 1004, "10:01:00", "console drill", {"team": "payments"}),
        item(2, 1004, "10:02:00", "Game day 7", {"team": "search"}),
        item(3, 1004, "10:03:00", "Game day 8"),
    ]
    events, _ = diff(Cursor("2026-03-01 10:00:00"), snapshot, wanted)
    assert [event.experiment_id for event in events] == expected


def test_the_payload_is_json_with_a_dedup_key():
    events, _ = diff(Cursor("2026-03-01 10:00:00"), [item(5, 1004, "10:01:00", "x")], BOTH, region="ap-guangzhou")
    payload = events[0].payload()
    assert json.loads(json.dumps(payload)) == {
        "experiment_id": 5, "status": 1004, "kind": "ended", "title": "x", "update_time": "2026-03-01 10:01:00",
        "region": "ap-guangzhou", "dedup_key": "ap-guangzhou:5:1004"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"statuses": ()}, "statuses must name"),
        ({"statuses": (1005,)}, "1005 is not a task status"),
        ({"statuses": (True,)}, "True is not a task status"),
        ({"tags": {"": "x"}}, "tags must map"),
        ({"tags": {"team": 3}}, "tags must map"),
        ({"title_pattern": "("}, "title_pattern is not a valid regular expression"),
    ],
)
def test_bad_filters_are_refused_naming_the_field(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EventFilter(**kwargs)


def test_bad_since_and_stored_cursor():
    with pytest.raises(ValueError, match="since must be a CFG time"):
        initial_cursor("2026-03-01T10:00:00Z")
    assert initial_cursor(None) == Cursor()
    assert Cursor.from_json(None) is None and Cursor.from_json({"reported": []}) is None
    with pytest.raises(ValueError, match="watermark must be a CFG time"):
        Cursor.from_json({"watermark": "yesterday"})


def test_experiment_ids_of_event_payloads():
    extras = [{"experiment_id": 3, "status": 1004}, {"experiment_id": 4, "status": 1002},
              {"experiment_id": 3, "status": 1004}, {"experiment_id": 9, "status": 1004}, {"other": 1}]
    assert experiment_ids_of(extras) == [3, 9]
    assert experiment_ids_of(extras, (1002, 1004)) == [3, 4, 9]


def test_entries_without_a_usable_update_time_are_skipped_not_fatal():
    odd = [TaskListItem(TaskId=1, TaskStatus=1004, TaskUpdateTime=None),
           TaskListItem(TaskId=2, TaskStatus=1004, TaskUpdateTime="31/12/2026"), item(3, 1004, "10:01:00")]
    events, cursor = diff(Cursor("2026-03-01 10:00:00"), odd, BOTH)
    assert keys(events) == [(3, "ended")] and cursor.watermark == "2026-03-01 10:01:00"
