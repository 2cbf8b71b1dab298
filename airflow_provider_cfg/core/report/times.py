"""CFG's times in the report: ``%Y-%m-%d %H:%M:%S`` strings, whole seconds, sortable as text."""

from __future__ import annotations

from datetime import datetime, timedelta

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


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
