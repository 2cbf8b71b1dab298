"""Fault injection *into the API itself*: random errors, latency, lost answers, failing instances.

Configured at run time through ``POST /_emulator/chaos``; ``{}`` switches everything off.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from airflow_provider_cfg.emulator.definitions import object_key

ERROR_MESSAGES = {
    "InternalError": "An internal error occurred (injected by the cfg-emulator chaos settings).",
    "ServiceUnavailable": "The service is temporarily unavailable (injected by the cfg-emulator chaos settings).",
    "RequestLimitExceeded": "The request rate limit was exceeded (injected by the cfg-emulator chaos settings).",
    "RequestLimitExceeded.UinLimitExceeded": "The account rate limit was exceeded (injected by cfg-emulator chaos).",
    "RequestLimitExceeded.GlobalRegionUinLimitExceeded":
        "The global region rate limit was exceeded (injected by cfg-emulator chaos).",
    "ResourceUnavailable": "The resource is unavailable (injected by the cfg-emulator chaos settings).",
    "ResourceInUse": "The resource is in use (injected by the cfg-emulator chaos settings).",
    "FailedOperation": "The operation failed (injected by the cfg-emulator chaos settings).",
    "LimitExceeded": "A quota was exceeded (injected by the cfg-emulator chaos settings).",
    "AuthFailure.UnauthorizedOperation": "The request is not authorised (injected by cfg-emulator chaos).",
    "UnauthorizedOperation": "You are not authorised to perform this operation (injected by cfg-emulator chaos).",
}


FAILING_ACTIONS = ("all", "fault", "recovery")


@dataclass
class ChaosConfig:
    error_rate: float = 0.0
    """Probability that a CFG API call is answered with one of ``error_codes`` before anything changes."""
    error_codes: list[str] = field(default_factory=lambda: ["InternalError"])
    latency_ms: float = 0.0
    """Delay added before every CFG API call is processed."""
    drop_after_commit_rate: float = 0.0
    """Probability that a *successful mutating* call is applied and then its answer is cut off."""
    failing_instances: list[str] = field(default_factory=list)
    """Instance object ids (``ins-…``) on which actions fail."""
    failing_actions: str = "all"
    """Which actions fail on ``failing_instances``: ``all``, ``fault`` (injections) or ``recovery``."""
    seed: int | None = None

    @classmethod
    def parse(cls, raw: Any) -> ChaosConfig:
        """Build from the JSON body of ``POST /_emulator/chaos``; ``ValueError`` explains a bad body."""
        if not isinstance(raw, dict):
            raise ValueError("the chaos configuration must be a JSON object")
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValueError(f"unknown chaos key(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        config = cls()
        for key in ("error_rate", "drop_after_commit_rate"):
            if key in raw:
                value = raw[key]
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                    raise ValueError(f"{key} must be a number between 0 and 1; got {value!r}")
                setattr(config, key, float(value))
        if "latency_ms" in raw:
            value = raw["latency_ms"]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 60000:
                raise ValueError(f"latency_ms must be a number between 0 and 60000; got {value!r}")
            config.latency_ms = float(value)
        if "error_codes" in raw:
            codes = raw["error_codes"]
            if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
                raise ValueError("error_codes must be a non-empty list of error code strings")
            bad = [c for c in codes if c not in ERROR_MESSAGES]
            if bad:
                raise ValueError(f"unsupported error code(s): {', '.join(bad)}; supported: "
                                 f"{', '.join(ERROR_MESSAGES)}")
            config.error_codes = list(codes)
        if "failing_instances" in raw:
            items = raw["failing_instances"]
            if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
                raise ValueError("failing_instances must be a list of instance object id strings")
            config.failing_instances = list(items)
        if "failing_actions" in raw:
            if raw["failing_actions"] not in FAILING_ACTIONS:
                raise ValueError(
                    f"failing_actions must be one of {', '.join(FAILING_ACTIONS)}; got {raw['failing_actions']!r}"
                )
            config.failing_actions = raw["failing_actions"]
        if "seed" in raw:
            seed = raw["seed"]
            if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
                raise ValueError(f"seed must be an integer or null; got {seed!r}")
            config.seed = seed
        return config

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def failing_keys(self) -> set[str]:
        return {object_key(i) for i in self.failing_instances}


class Chaos:
    """The current configuration and its random source."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.configure(ChaosConfig())

    def configure(self, config: ChaosConfig) -> None:
        with self._lock:
            self.config = config
            self._rng = random.Random(config.seed)

    def pick_error(self) -> tuple[str, str] | None:
        """``(code, message)`` when this call is to fail, else ``None``."""
        with self._lock:
            config = self.config
            if config.error_rate <= 0 or self._rng.random() >= config.error_rate:
                return None
            code = self._rng.choice(config.error_codes)
            return code, ERROR_MESSAGES[code]

    def should_drop(self) -> bool:
        with self._lock:
            rate = self.config.drop_after_commit_rate
            return rate > 0 and self._rng.random() < rate

    @property
    def latency(self) -> float:
        return self.config.latency_ms / 1000.0
