"""Small statistics helpers: medians and spreads of per-round samples."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def quartiles(values: Sequence[float]) -> tuple[float, float]:
    """(25th, 75th) percentile; both the single value for fewer than two samples."""
    if len(values) < 2:
        v = values[0] if values else float("nan")
        return v, v
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[2]


def summary(values: Sequence[float]) -> dict[str, float]:
    low, high = quartiles(values)
    return {"median": median(values), "q1": low, "q3": high, "min": min(values), "max": max(values)}
