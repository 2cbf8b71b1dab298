"""What a steady-state guard really watched: the intervals its probes covered and every gap.

No Airflow import here. A guard claims only time it probed. Probes whose silences are at most
``poll_interval + slack`` apart form one *probed interval* (from the first probe's start to the
last one's end); any longer silence is an *unwatched gap* and is named: before the first probe
(the trigger was picked up late, or this copy of the watch started after a triggerer restart or
failover and could not read an earlier copy's checkpoint — its probes are then not counted), between
probes (a stalled or frozen triggerer, a blocked event loop, the time between an earlier copy's
last checkpoint and this copy's first probe), or after the last probe. A copy that restarts takes
over the earlier copy's checkpointed intervals when it can read them
(:meth:`~airflow_provider_cfg.core.guard.GuardWatch.resume`).

Everything here is JSON-safe: the intervals and gaps travel in the guard's event, its conclusion
check and (through the check's detail) the report.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

MIN_SLACK = 1.0
"""A silence is a gap only when it exceeds ``poll_interval`` by at least this (s), or by
``poll_interval`` itself when that is longer: at least one whole probe was missed."""


def clock(at: float) -> str:
    """A Unix time as ``HH:MM:SS`` UTC, for the messages."""
    return time.strftime("%H:%M:%S", time.gmtime(at))


@dataclass
class Coverage:
    """The probed intervals of one watch (one copy of it, in one process) and their gaps.

    :param started_at: Unix time the watch started (the operator's, carried in the trigger kwargs).
    :param poll_interval: seconds between probes.
    :param copy_started: Unix time this copy of the watch started (a restarted trigger starts later).
    :param resumed: this copy took over an earlier copy's intervals (its checkpoint).
    """

    started_at: float
    poll_interval: float
    copy_started: float = field(default_factory=time.time)
    intervals: list[list[float]] = field(default_factory=list)
    resumed: bool = False

    @property
    def slack(self) -> float:
        return max(MIN_SLACK, self.poll_interval)

    def probed(self, start: float, end: float) -> None:
        """Record one probe that ran from ``start`` to ``end`` (Unix times)."""
        if self.intervals and start - self.intervals[-1][1] <= self.poll_interval + self.slack:
            self.intervals[-1][1] = max(self.intervals[-1][1], end)
        else:
            self.intervals.append([start, end])

    def watched_seconds(self) -> float:
        return sum(end - start for start, end in self.intervals)

    def gaps(self, until: float) -> list[dict[str, Any]]:
        """Every unwatched gap between ``started_at`` and ``until``, oldest first."""
        gaps: list[dict[str, Any]] = []
        previous = self.started_at
        for number, (start, end) in enumerate(self.intervals):
            limit = self.slack if number == 0 else self.poll_interval + self.slack
            if start - previous > limit:
                gaps.append(self._gap(previous, start, self._why_before(number, start)))
            previous = end
        if not self.intervals:
            if until - previous > self.slack:
                gaps.append(self._gap(previous, until, "no probe at all"))
        elif until - previous > self.poll_interval + self.slack:
            gaps.append(self._gap(previous, until, "after the last probe"))
        return gaps

    def _why_before(self, number: int, start: float) -> str:
        if number:
            return "no probe (the triggerer or worker stalled, or the trigger moved to another triggerer)"
        if self.copy_started - self.started_at > self.slack and not self.resumed:
            return (f"before this copy of the watch started at {clock(self.copy_started)} (the trigger was picked "
                    "up late, or restarted after a triggerer restart or failover: a previous copy's probes, "
                    "if any, are not counted)")
        return "before the first probe"

    @staticmethod
    def _gap(start: float, end: float, why: str) -> dict[str, Any]:
        return {"from": round(start, 3), "to": round(end, 3), "seconds": round(end - start, 1), "why": why}

    def summary(self, until: float) -> str:
        """``probed 37.5 s of 60.1 s; NOT watched: 22.3 s from … to … (why)`` — for the messages."""
        elapsed = max(0.0, until - self.started_at)
        text = f"probed {self.watched_seconds():.1f} s of {elapsed:.1f} s"
        gaps = self.gaps(until)
        if gaps:
            shown = "; ".join(
                f"{gap['seconds']:.1f} s from {clock(gap['from'])} to {clock(gap['to'])} UTC, {gap['why']}"
                for gap in gaps
            )
            text += f"; NOT watched: {shown}"
        return text

    def as_fields(self, until: float) -> dict[str, Any]:
        """The event's fields: ``watched_seconds`` (probed), ``elapsed_seconds``, ``intervals``, ``gaps``."""
        return {
            "watched_seconds": round(self.watched_seconds(), 3),
            "elapsed_seconds": round(max(0.0, until - self.started_at), 3),
            "intervals": [[round(start, 3), round(end, 3)] for start, end in self.intervals],
            "gaps": self.gaps(until),
        }
