"""Per-action request rate limits, shared by every client in the process.

CFG limits each action per credential and region (10, 20 or 100 requests per second,
``cfg-api.md`` §1). A sliding window guarantees that no interval of ``window`` seconds
holds more than ``limit`` requests, which a token bucket does not (it allows a burst
on top of the refill). The emulator enforces its limits with the same class.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable

# A little slack on the client side: requests signed at t arrive a little later, so
# spacing them by slightly more than a second keeps the server-side count under the limit.
CLIENT_WINDOW_SECONDS = 1.05
LATE_TOLERANCE_SECONDS = 0.02
"""A caller that wakes later than this after its booked slot books again (see ``confirm``)."""


class SlidingWindowLimiter:
    """At most ``limit`` events in any ``window`` seconds.

    :param limit: events allowed per window.
    :param window: window length in seconds.
    :param clock: monotonic clock; replaceable in tests.
    """

    def __init__(
        self,
        limit: int,
        window: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        late_tolerance: float = LATE_TOLERANCE_SECONDS,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be >= 1")
        self.limit = limit
        self.window = window
        self.clock = clock
        self.late_tolerance = late_tolerance
        self._grants: deque[float] = deque()
        self._lock = threading.Lock()

    def _expire(self, now: float) -> None:
        while self._grants and self._grants[0] <= now - self.window:
            self._grants.popleft()

    def try_acquire(self) -> bool:
        """Take a slot now if one is free (the emulator's check)."""
        with self._lock:
            now = self.clock()
            self._expire(now)
            if len(self._grants) >= self.limit:
                return False
            self._grants.append(now)
            return True

    def book(self) -> float:
        """Book the earliest free slot; return its time on :attr:`clock`."""
        with self._lock:
            now = self.clock()
            self._expire(now)
            # Free now, or when the grant `limit` places back leaves the window.
            at = now if len(self._grants) < self.limit else max(now, self._grants[-self.limit] + self.window)
            self._grants.append(at)
            return at

    def reserve(self) -> float:
        """Book the earliest free slot and return how long to wait before using it."""
        return self.book() - self.clock()

    def confirm(self, at: float) -> float | None:
        """Called on waking for the slot booked at ``at``: ``None`` to go ahead, or the time of a
        new booking to wait for.

        A caller that wakes late (its thread or event loop stalled) would send at the same moment
        as the callers booked for later slots, a burst over the limit. Its old slot is given up
        and it books the earliest free slot from now on instead."""
        if self.clock() - at <= self.late_tolerance:
            return None
        with self._lock, contextlib.suppress(ValueError):  # already out of the window
            self._grants.remove(at)
        return self.book()

    def acquire(self) -> None:
        at = self.book()
        while True:
            delay = at - self.clock()
            if delay > 0:
                time.sleep(delay)
            rebooked = self.confirm(at)
            if rebooked is None:
                return
            at = rebooked

    async def acquire_async(self) -> None:
        at = self.book()
        while True:
            delay = at - self.clock()
            if delay > 0:
                await asyncio.sleep(delay)
            rebooked = self.confirm(at)
            if rebooked is None:
                return
            at = rebooked


class RateLimiterRegistry:
    """One limiter per (credential, region, action), created on first use."""

    def __init__(self, window: float = CLIENT_WINDOW_SECONDS) -> None:
        self.window = window
        self._limiters: dict[tuple[str, str, str], SlidingWindowLimiter] = {}
        self._lock = threading.Lock()

    def get(self, secret_id: str, region: str, action: str, limit: int) -> SlidingWindowLimiter:
        key = (secret_id, region, action)
        limiter = self._limiters.get(key)
        if limiter is None:
            with self._lock:
                limiter = self._limiters.setdefault(key, SlidingWindowLimiter(limit, self.window))
        return limiter


shared_limiters = RateLimiterRegistry()
"""The process-wide registry that every client uses unless given another."""
