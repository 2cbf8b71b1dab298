"""Steady-state probes: is the system still healthy? No Airflow import here.

A probe never raises for an unhealthy system: it returns a :class:`ProbeResult` saying so, which
the conclusion records. It raises only for a probe that is itself misconfigured.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import asdict, dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class ProbeResult:
    passed: bool
    detail: str
    latency_ms: float | None = None

    def as_check(self) -> dict[str, Any]:
        """The ``{"passed", "detail"}`` form the conclusion operator takes (JSON-safe, for XCom)."""
        return asdict(self)


def json_path_value(document: Any, path: str) -> Any:
    """Follow a dotted path (``"status.db"``, ``"items.0.state"``) into decoded JSON."""
    value = document
    for part in path.split("."):
        if isinstance(value, list) and part.isdigit():
            value = value[int(part)]
        elif isinstance(value, dict):
            value = value[part]
        else:
            raise KeyError(part)
    return value


def judge(
    status_code: int | None,
    latency_ms: float | None,
    body: Any,
    *,
    expected_status: Collection[int],
    max_latency_ms: float | None,
    json_path: str | None,
    expected_value: Any,
) -> ProbeResult:
    """Apply the tolerance to one observation (shared by the sync and async probes)."""
    if status_code not in expected_status:
        return ProbeResult(False, f"HTTP {status_code}, expected {sorted(expected_status)}", latency_ms)
    if max_latency_ms is not None and latency_ms is not None and latency_ms > max_latency_ms:
        return ProbeResult(False, f"latency {latency_ms:.0f} ms > {max_latency_ms:.0f} ms", latency_ms)
    if json_path:
        try:
            actual = json_path_value(body, json_path)
        except (KeyError, IndexError, TypeError):
            return ProbeResult(False, f"{json_path} missing from the response", latency_ms)
        if actual != expected_value:
            return ProbeResult(False, f"{json_path} = {actual!r}, expected {expected_value!r}", latency_ms)
    return ProbeResult(True, f"HTTP {status_code} in {latency_ms:.0f} ms", latency_ms)


def http_probe(
    url: str,
    *,
    expected_status: Collection[int] = (200,),
    max_latency_ms: float | None = 2000.0,
    json_path: str | None = None,
    expected_value: Any = None,
    timeout: float = 10.0,
) -> ProbeResult:
    """GET ``url`` once and judge it against the tolerance.

    :param expected_status: acceptable HTTP status codes.
    :param max_latency_ms: slowest acceptable answer.
    :param json_path: dotted path into the JSON body to compare with ``expected_value``.
    """
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"probe url must be http(s)://…, got {url!r}")
    started = time.perf_counter()
    try:
        response = httpx.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        return ProbeResult(False, f"{type(exc).__name__}: {exc}", None)
    latency_ms = (time.perf_counter() - started) * 1000
    try:
        body = response.json() if json_path else None
    except ValueError:
        return ProbeResult(False, "response is not JSON", latency_ms)
    return judge(
        response.status_code, latency_ms, body,
        expected_status=expected_status, max_latency_ms=max_latency_ms, json_path=json_path, expected_value=expected_value,
    )
