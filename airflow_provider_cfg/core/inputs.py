"""Checks of what a DAG author passes to an operator or a sensor, before anything is sent.

Every number is finite and inside a documented range; an id is a positive integer written in ASCII
digits (``"٦٢٦"``, ``"6_26"`` and ``" 626"`` with a NUL are refused, though Python's ``int`` takes
the first two); a region follows CFG's grammar. Every error is a
:class:`~airflow_provider_cfg.api.errors.CfgValidationError` (a ``ValueError``) naming the field
and what is allowed. Constructors call these for the arguments known when the DAG is parsed;
``execute`` calls them for templated ones before the first call to CFG.

The ranges (seconds):

============================  ======================================
``poll_interval``             more than 0, at most 3600 (an hour)
``timeout`` of a wait         more than 0, at most 2,592,000 (30 days), or ``None`` (no limit)
``probe_timeout``             more than 0, at most 3600
guard ``duration``            more than 0, at most 2,592,000
============================  ======================================

Light: imports no client and no API model, so constructors may use it when a DAG file is parsed.
"""

from __future__ import annotations

import math
from typing import Any

from airflow_provider_cfg.api.config import check_number, check_region
from airflow_provider_cfg.api.errors import CfgValidationError

__all__ = ["MAX_ID", "MAX_INTERVAL", "MAX_WAIT", "ascii_id", "check_number", "check_region", "interval",
           "parse_int", "wait_limit"]

MAX_INTERVAL = 3600.0
MAX_WAIT = 30 * 24 * 3600.0
MAX_ID = 2**63 - 1  # CFG's ids are 64-bit integers


def parse_int(value: Any) -> int | None:
    """``value`` as an int if it is one — an ``int`` (not ``bool``), an integral finite ``float``, or
    text of ASCII digits with optional surrounding spaces — else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str):
        text = value.strip(" ")
        sign = text[:1] if text[:1] in "+-" and len(text) > 1 else ""
        digits = text[len(sign):]
        if digits and digits.isascii() and digits.isdigit():
            return int(text)
    return None


def ascii_id(value: Any, field: str, what: str = "id") -> int:
    """A CFG id (``TaskId``, ``TemplateId``…): a positive integer, given as an int or ASCII digits.

    :param field: the argument, named in the error.
    :param what: CFG's name of the id, for the message (``TaskId``).
    """
    number = parse_int(value) if not isinstance(value, float) else None
    if number is None or not 1 <= number <= MAX_ID:
        raise CfgValidationError(
            f"{field} must be a CFG {what}: a positive integer written in ASCII digits (0-9), got {value!r}", field
        )
    return number


def interval(value: Any, field: str = "poll_interval") -> float:
    """Seconds between two reads or probes: more than 0, at most :data:`MAX_INTERVAL`."""
    return check_number(value, field, minimum=0, maximum=MAX_INTERVAL, inclusive=False)


def wait_limit(value: Any, field: str = "timeout", *, optional: bool = True) -> float | None:
    """The longest wait in seconds: more than 0, at most :data:`MAX_WAIT`; ``None`` (no limit) if ``optional``."""
    if value is None and optional:
        return None
    return check_number(value, field, minimum=0, maximum=MAX_WAIT, inclusive=False)
