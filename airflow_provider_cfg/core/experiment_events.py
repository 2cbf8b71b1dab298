"""Experiments starting and ending, as events: the filter, the cursor, and the diff of list snapshots.

A watcher lists the experiments of a connection and region (``DescribeTaskList``) every interval
and hands the snapshot to :func:`diff` with its :class:`Cursor`. An *observation* is an
experiment seen in a status; it becomes an :class:`ExperimentEvent` when the status is one of the
filter's ``statuses`` (1002 started, 1004 ended, …) and the title and tags match. Each
(experiment, status) is reported at most once while the cursor remembers it.

The cursor is small and JSON-safe so that it can be stored between triggerer restarts:

* ``watermark`` — the latest ``TaskUpdateTime`` seen (CFG's ``%Y-%m-%d %H:%M:%S``, CFG's clock);
  entries updated more than ``overlap`` seconds before it are not looked at again. The overlap
  covers an update stamped in the same second as, or a little before, one already seen.
* ``reported`` — ``"<experiment id>:<status>"`` → the ``TaskUpdateTime`` it was reported at, kept
  for ``remember_for`` seconds of watermark time (a running experiment updates its time often;
  this is what keeps it from being reported as started again).

A cursor without a watermark (a watcher's first poll, nothing stored, no ``since``) is a baseline:
what is already in a target status is remembered, not reported — the watcher reports what happens
after it started. No Airflow import here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

CFG_TIME = "%Y-%m-%d %H:%M:%S"
STATUS_KINDS = {1001: "created", 1002: "started", 1003: "paused", 1004: "ended"}
"""The event ``kind`` for each task status an experiment can be reported in."""
DEFAULT_STATUSES = (1002, 1004)
EPOCH = "0001-01-01 00:00:00"
DEFAULT_OVERLAP = 120.0
DEFAULT_REMEMBER_FOR = 7 * 86400.0


class Listed(Protocol):
    """What :func:`diff` reads of a ``DescribeTaskList`` entry (a ``TaskListItem``)."""

    TaskId: int | None
    TaskTitle: str | None
    TaskStatus: Any
    TaskUpdateTime: str | None
    Tags: Any


def parse_cfg_time(value: str, name: str = "since") -> datetime:
    """A CFG timestamp (``%Y-%m-%d %H:%M:%S``); a clear error naming ``name`` otherwise."""
    try:
        return datetime.strptime(value, CFG_TIME)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a CFG time like '2026-01-31 23:59:00' ({CFG_TIME}); got {value!r}") from None


@dataclass(frozen=True)
class EventFilter:
    """Which observations are events.

    :param statuses: task status codes that fire (1001 created, 1002 started, 1003 paused, 1004 ended).
    :param tags: tag key → value (``None``: any value); every pair must be on the experiment.
    :param title_pattern: regular expression searched in the title (``None``: any title).
    """

    statuses: tuple[int, ...] = DEFAULT_STATUSES
    tags: Mapping[str, str | None] = field(default_factory=dict)
    title_pattern: str | None = None

    def __post_init__(self) -> None:
        if not self.statuses:
            raise ValueError(f"statuses must name at least one of {sorted(STATUS_KINDS)}")
        for status in self.statuses:
            if isinstance(status, bool) or status not in STATUS_KINDS:
                raise ValueError(f"statuses: {status!r} is not a task status; allowed: {STATUS_KINDS}")
        for key, value in self.tags.items():
            if not isinstance(key, str) or not key or not (value is None or isinstance(value, str)):
                raise ValueError(
                    f"tags must map tag keys (non-empty str) to a value (str or None); got {key!r}: {value!r}")
        if self.title_pattern is not None:
            try:
                re.compile(self.title_pattern)
            except re.error as exc:
                raise ValueError(f"title_pattern is not a valid regular expression: {exc}") from None

    def matches(self, item: Listed) -> bool:
        """Whether the entry's status, tags and title are the ones wanted."""
        if _status(item) not in self.statuses:
            return False
        if self.title_pattern is not None and not re.search(self.title_pattern, item.TaskTitle or ""):
            return False
        have = {_tag_field(tag, "TagKey"): _tag_field(tag, "TagValue") for tag in item.Tags or []}
        return all(key in have and (value is None or have[key] == value) for key, value in self.tags.items())


def _tag_field(tag: Any, name: str) -> Any:
    return tag.get(name) if isinstance(tag, Mapping) else getattr(tag, name, None)


def _status(item: Listed) -> int | None:
    return None if item.TaskStatus is None else int(item.TaskStatus)


@dataclass(frozen=True)
class ExperimentEvent:
    """An experiment seen in a status the filter wants; ``key`` is its dedup key."""

    experiment_id: int
    status: int
    title: str | None
    update_time: str
    region: str | None = None

    @property
    def kind(self) -> str:
        return STATUS_KINDS[self.status]

    @property
    def key(self) -> str:
        return f"{self.region or '-'}:{self.experiment_id}:{self.status}"

    def payload(self) -> dict[str, Any]:
        """The JSON-safe payload (the asset event's ``extra``)."""
        return {"experiment_id": self.experiment_id, "status": self.status, "kind": self.kind, "title": self.title,
                "update_time": self.update_time, "region": self.region, "dedup_key": self.key}


@dataclass
class Cursor:
    """What a watcher has reported: see the module docstring."""

    watermark: str | None = None
    reported: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"watermark": self.watermark, "reported": dict(self.reported)}

    @classmethod
    def from_json(cls, value: Any) -> Cursor | None:
        """A stored cursor, or ``None`` when nothing usable is stored."""
        if not isinstance(value, Mapping) or not isinstance(value.get("reported", {}), Mapping):
            return None
        watermark = value.get("watermark")
        if watermark is not None:
            parse_cfg_time(watermark, "watermark")
        return cls(watermark, {str(k): str(v) for k, v in value.get("reported", {}).items()})


def diff(
    cursor: Cursor,
    items: Iterable[Listed],
    wanted: EventFilter,
    *,
    region: str | None = None,
    overlap: float = DEFAULT_OVERLAP,
    remember_for: float = DEFAULT_REMEMBER_FOR,
) -> tuple[list[ExperimentEvent], Cursor]:
    """The events of a snapshot not reported yet, oldest update first, and the cursor after them.

    :param cursor: what was reported before (left unchanged).
    :param items: one complete ``DescribeTaskList`` listing (every page).
    :param wanted: the filter.
    :param region: the region, for the events' dedup key.
    :param overlap: seconds before the watermark still looked at.
    :param remember_for: seconds (of watermark time) a reported key is remembered.
    """
    listed = sorted((item for item in items if item.TaskId is not None and _is_cfg_time(item.TaskUpdateTime)),
                    key=lambda item: (item.TaskUpdateTime or "", item.TaskId or 0))
    baseline = cursor.watermark is None
    # A baseline of an empty listing starts at the beginning of time: whatever appears later is new.
    latest = max([cursor.watermark or EPOCH, *(item.TaskUpdateTime or "" for item in listed)])
    start = latest if cursor.watermark is None else cursor.watermark
    lower = _minus(start, overlap)
    reported = dict(cursor.reported)
    events = []
    for item in listed:
        updated = item.TaskUpdateTime or ""
        key = f"{item.TaskId}:{_status(item)}"
        if updated < lower or key in reported or not wanted.matches(item):
            continue
        reported[key] = updated
        if not baseline:
            events.append(ExperimentEvent(int(item.TaskId or 0), int(item.TaskStatus), item.TaskTitle, updated, region))
    forget_before = _minus(latest, remember_for)
    reported = {key: at for key, at in reported.items() if at >= forget_before}
    return events, Cursor(latest, reported)


def _is_cfg_time(value: str | None) -> bool:
    """Whether ``value`` is a CFG time (an entry without one cannot be placed, so it is skipped)."""
    try:
        parse_cfg_time(value or "")
    except ValueError:
        return False
    return True


def _minus(when: str, seconds: float) -> str:
    try:
        earlier = parse_cfg_time(when, "watermark") - timedelta(seconds=seconds)
        return earlier.replace(microsecond=0).isoformat(sep=" ")  # zero-padded years, unlike strftime
    except OverflowError:  # before year 1
        return EPOCH


def initial_cursor(since: str | None) -> Cursor:
    """The cursor of a watcher with nothing stored: from ``since`` (a CFG time), else a baseline."""
    if since is None:
        return Cursor()
    parse_cfg_time(since)
    return Cursor(since)


def experiment_ids_of(extras: Sequence[Mapping[str, Any]], statuses: Sequence[int] = (1004,)) -> list[int]:
    """The distinct experiment ids of asset-event extras (payloads of :meth:`ExperimentEvent.payload`)
    in ``statuses``, in order of first appearance."""
    seen: dict[int, None] = {}
    for extra in extras:
        if extra.get("experiment_id") is not None and extra.get("status") in statuses:
            seen.setdefault(int(extra["experiment_id"]), None)
    return list(seen)


__all__ = [
    "CFG_TIME",
    "DEFAULT_STATUSES",
    "STATUS_KINDS",
    "Cursor",
    "EventFilter",
    "ExperimentEvent",
    "diff",
    "experiment_ids_of",
    "initial_cursor",
    "parse_cfg_time",
]
