"""Simulated time: a monotonic clock shown as CFG's wall-clock strings (UTC+8)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from airflow_provider_cfg.emulator.errors import bad_value

CST = timezone(timedelta(hours=8))
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class SimClock:
    """Monotonic time for the simulation, mapped to wall-clock strings (UTC+8).

    :param monotonic: the clock that orders events (replaceable in tests).
    :param wall: the Unix time matching the first monotonic reading.
    """

    def __init__(self, monotonic: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time):
        self._monotonic = monotonic
        self._m0 = monotonic()
        self._w0 = wall()

    def now(self) -> float:
        """The simulation time now."""
        return self._monotonic()

    def wall(self, t: float) -> float:
        """The Unix time of simulation time ``t``."""
        return self._w0 + (t - self._m0)

    def fmt(self, t: float) -> str:
        """Simulation time ``t`` as CFG shows times (``%Y-%m-%d %H:%M:%S``, UTC+8)."""
        return datetime.fromtimestamp(self.wall(t), CST).strftime(TIME_FORMAT)


def parse_time(value: str, param: str) -> float:
    """A ``%Y-%m-%d %H:%M:%S`` (UTC+8) string as a Unix timestamp.

    :param value: the time as sent by the caller.
    :param param: the request parameter, named in the error.
    """
    try:
        return datetime.strptime(value, TIME_FORMAT).replace(tzinfo=CST).timestamp()
    except ValueError:
        raise bad_value(f"{param} must have the format YYYY-MM-DD HH:MM:SS; got {value!r}") from None
