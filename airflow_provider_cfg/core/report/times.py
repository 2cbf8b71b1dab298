"""Times in the report: CFG's, converted to UTC (the zone Airflow shows), so that one report and
the Airflow UI beside it speak of the same instants.

CFG writes ``%Y-%m-%d %H:%M:%S`` strings without a zone, in Beijing time (UTC+08:00, as its console
shows; see cfg-undocumented.md #9). The report keeps that format (whole seconds, sortable as text,
what its Gantt chart parses) in UTC, and says so wherever it shows a time.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
CFG_ZONE = timezone(timedelta(hours=8), "UTC+08:00")
"""The zone of CFG's times."""
ZONE_NAME = "UTC"
"""The zone every time of the report is in, as written next to them."""

_STAMP = re.compile(r"\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\b")


def to_utc(value: str | None) -> str | None:
    """A CFG time in UTC; anything that is not a CFG time is returned as it is."""
    if not value:
        return value
    try:
        moment = datetime.strptime(value, TIME_FORMAT).replace(tzinfo=CFG_ZONE)
    except ValueError:
        return value
    return moment.astimezone(timezone.utc).strftime(TIME_FORMAT)


def text_in_utc(text: str | None) -> str | None:
    """``text`` (an execution log line) with every CFG time in it converted to UTC."""
    if not text:
        return text
    return _STAMP.sub(lambda match: to_utc(match.group(0)) or match.group(0), text)


def plus_seconds(start: str | None, seconds: int | None) -> str | None:
    """``start`` plus ``seconds`` as a CFG time; ``None`` when either is missing or ``start`` is not a CFG time.

    :param start: a CFG time.
    :param seconds: whole seconds to add.
    """
    if not start or seconds is None:
        return None
    try:
        return (datetime.strptime(start, TIME_FORMAT) + timedelta(seconds=int(seconds))).strftime(TIME_FORMAT)
    except ValueError:
        return None
