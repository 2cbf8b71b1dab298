"""What the routes of one emulator share: its state, the accepted credentials, chaos, the
per-action rate limiters and the request counters."""

from __future__ import annotations

import hmac
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_cfg.api.actions import ActionSpec
from airflow_provider_cfg.api.ratelimit import SlidingWindowLimiter
from airflow_provider_cfg.emulator.chaos import Chaos, ChaosConfig
from airflow_provider_cfg.emulator.errors import ApiError
from airflow_provider_cfg.emulator.state import EmulatorState

RATE_WINDOW_SECONDS = 1.0
ADMIN_TOKEN_HEADER = "X-Emulator-Admin-Token"


@dataclass
class EmulatorContext:
    """Everything the routes share: state, credentials, chaos and rate limiters."""

    state: EmulatorState
    credentials: dict[str, str]
    token: str | None = None
    rate_limits_default: bool = True
    chaos: Chaos = field(default_factory=Chaos)
    clock: Any = time.time
    admin_token: str | None = None
    admin_open: bool = True

    def admin_refusal(self, given: str | None) -> tuple[int, str] | None:
        """Why a call of an ``/_emulator`` control (reset, chaos, rate limits, stats) is refused, as
        ``(HTTP status, message)``; ``None`` if it is allowed.

        With an admin token, the call must carry it (header :data:`ADMIN_TOKEN_HEADER`); without one,
        the controls are open only when the emulator listens on a loopback address (``admin_open``).
        """
        if self.admin_token is not None:
            if given is not None and hmac.compare_digest(given.encode(), self.admin_token.encode()):
                return None
            return 401, f"this control needs the emulator's admin token in the {ADMIN_TOKEN_HEADER} header"
        if self.admin_open:
            return None
        return 403, ("the emulator listens on a non-loopback address, so its controls need an admin token: start it "
                     "with --admin-token (or CFG_EMULATOR_ADMIN_TOKEN) and send it in the "
                     f"{ADMIN_TOKEN_HEADER} header")

    def __post_init__(self) -> None:
        self.rate_limits = self.rate_limits_default
        self._limiters: dict[tuple[str, str, str], SlidingWindowLimiter] = {}
        self._limiter_lock = threading.Lock()
        self.reset_stats()

    def reset_stats(self) -> None:
        """Zero the request counters of ``GET /_emulator/stats``."""
        with self._limiter_lock:
            self._calls: Counter[str] = Counter()
            self._limited: Counter[str] = Counter()
            self._recent: dict[str, deque[float]] = {}
            self._peak: Counter[str] = Counter()
            self._stats_since = time.monotonic()

    def stats(self) -> dict[str, Any]:
        """Authenticated API calls per action since the last reset: how many, how many were refused with
        ``RequestLimitExceeded`` by the rate limiter, and the most calls seen in any 1 s window."""
        with self._limiter_lock:
            return {
                "seconds": time.monotonic() - self._stats_since,
                "calls": dict(self._calls),
                "request_limit_exceeded": dict(self._limited),
                "peak_per_second": dict(self._peak),
            }

    def _count(self, action: str) -> None:  # under _limiter_lock
        now = time.monotonic()
        self._calls[action] += 1
        recent = self._recent.setdefault(action, deque())
        recent.append(now)
        while recent[0] <= now - RATE_WINDOW_SECONDS:
            recent.popleft()
        if len(recent) > self._peak[action]:
            self._peak[action] = len(recent)

    def configure_chaos(self, config: ChaosConfig) -> None:
        """Apply ``config``: the wire-level faults here, the failing instances in the state."""
        self.chaos.configure(config)
        with self.state.lock:
            self.state.failing_instances = config.failing_keys()
            self.state.failing_actions = config.failing_actions

    def reset(self) -> None:
        """Fresh state, chaos off, rate limiters emptied and back to their start-up setting."""
        self.state.reset()
        self.configure_chaos(ChaosConfig())
        with self._limiter_lock:
            self._limiters.clear()
        self.rate_limits = self.rate_limits_default
        self.reset_stats()

    def check_rate(self, secret_id: str, region: str, spec: ActionSpec) -> None:
        """Count the call; refuse it with ``RequestLimitExceeded`` over the action's limit per SecretId and region.

        :param secret_id: the caller's verified SecretId.
        :param region: the request's region.
        :param spec: the action called.
        """
        with self._limiter_lock:
            self._count(spec.name)
            if not self.rate_limits:
                return
            key = (secret_id, region, spec.name)
            limiter = self._limiters.get(key)
            if limiter is None:
                limiter = self._limiters[key] = SlidingWindowLimiter(spec.rate_limit, RATE_WINDOW_SECONDS)
        if not limiter.try_acquire():
            with self._limiter_lock:
                self._limited[spec.name] += 1
            raise ApiError("RequestLimitExceeded",
                           f"The request rate of {spec.name} exceeded {spec.rate_limit} per second for this "
                           f"SecretId in region {region}; retry later.")
