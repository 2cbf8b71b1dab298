"""The sliding-window limiter: never more than `limit` grants in any window."""

from __future__ import annotations

import asyncio

import pytest

from airflow_provider_cfg.api.ratelimit import RateLimiterRegistry, SlidingWindowLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_try_acquire_caps_each_window():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(3, window=1.0, clock=clock)
    assert [limiter.try_acquire() for _ in range(4)] == [True, True, True, False]
    clock.now += 0.999
    assert not limiter.try_acquire()
    clock.now += 0.002
    assert limiter.try_acquire()


def test_reserve_books_future_slots_without_exceeding_the_limit():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(5, window=1.0, clock=clock)
    delays = [limiter.reserve() for _ in range(23)]
    grant_times = [clock.now + d for d in delays]
    assert delays[:5] == [0, 0, 0, 0, 0]
    assert delays[5] == pytest.approx(1.0)
    # Any window [t, t+1) holds at most 5 grants.
    for start in grant_times:
        assert sum(1 for t in grant_times if start <= t < start + 1.0) <= 5
    assert max(delays) == pytest.approx(4.0)  # 23 grants at 5/s need four extra windows


def test_registry_shares_one_limiter_per_credential_region_action():
    registry = RateLimiterRegistry()
    a = registry.get("AKID1", "ap-guangzhou", "DescribeTask", 20)
    assert registry.get("AKID1", "ap-guangzhou", "DescribeTask", 20) is a
    assert registry.get("AKID1", "ap-shanghai", "DescribeTask", 20) is not a
    assert registry.get("AKID2", "ap-guangzhou", "DescribeTask", 20) is not a
    assert registry.get("AKID1", "ap-guangzhou", "DescribeTaskList", 100) is not a


def test_async_acquire_waits_for_a_slot():
    limiter = SlidingWindowLimiter(2, window=0.2)

    async def run() -> float:
        loop = asyncio.get_running_loop()
        start = loop.time()
        for _ in range(5):
            await limiter.acquire_async()
        return loop.time() - start

    elapsed = asyncio.run(run())
    assert elapsed >= 0.39  # 5 grants at 2 per 0.2 s need two extra windows


def _bursts_over(sends: list[float], limit: int, window: float) -> list[float]:
    """Window starts [t, t + window) that hold more than ``limit`` sends."""
    return [t for t in sends if sum(1 for s in sends if t <= s < t + window) > limit]


def test_callers_that_wake_late_book_again_instead_of_bursting():
    """Four callers book at 2/s; the first two wake a second late (their thread or loop stalled),
    together with the two booked for that moment. Sending on waking would put four in one window:
    the late ones give up their slots and book the next free ones."""
    clock = FakeClock()
    limiter = SlidingWindowLimiter(2, window=1.0, clock=clock)
    assert [limiter.book() for _ in range(2)] == [100.0, 100.0]  # sent at once
    sends = [100.0, 100.0]
    a, b, c, d = (limiter.book() for _ in range(4))
    assert (a, b, c, d) == (101.0, 101.0, 102.0, 102.0)
    clock.now = 102.0  # a and b wake a second late, c and d on time
    assert limiter.confirm(c) is None and limiter.confirm(d) is None
    sends += [c, d]
    a2, b2 = limiter.confirm(a), limiter.confirm(b)
    assert (a2, b2) == (103.0, 103.0)  # the next free slots, not now
    clock.now = 103.0
    assert limiter.confirm(a2) is None and limiter.confirm(b2) is None
    sends += [a2, b2]
    assert _bursts_over(sends, 2, 1.0) == []


def test_a_caller_on_time_keeps_its_slot():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(1, window=1.0, clock=clock, late_tolerance=0.02)
    limiter.book()
    at = limiter.book()
    clock.now = at + 0.015  # woke a little late, within the tolerance
    assert limiter.confirm(at) is None
    assert limiter.book() == pytest.approx(at + 1.0)  # its slot still counts
