"""Steady-state probes: is the system still healthy? No Airflow import here.

A probe never raises for an unhealthy system: it returns a :class:`ProbeResult` saying so, which
the conclusion records. It raises only for a probe that is itself misconfigured.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import time
from collections.abc import Callable, Collection, Mapping
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
    timing = f" in {latency_ms:.0f} ms" if latency_ms is not None else ""  # latency is optional (see the check above)
    return ProbeResult(True, f"HTTP {status_code}{timing}", latency_ms)


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
    check_probe_url(url)
    started = time.perf_counter()
    try:
        response = httpx.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        return ProbeResult(False, f"{type(exc).__name__}: {exc}", None)
    latency_ms = (time.perf_counter() - started) * 1000
    return _judge_response(
        response, latency_ms, expected_status=expected_status, max_latency_ms=max_latency_ms,
        json_path=json_path, expected_value=expected_value,
    )


async def http_probe_async(
    url: str,
    *,
    expected_status: Collection[int] = (200,),
    max_latency_ms: float | None = 2000.0,
    json_path: str | None = None,
    expected_value: Any = None,
    timeout: float = 10.0,
    client: httpx.AsyncClient | None = None,
) -> ProbeResult:
    """:func:`http_probe` without blocking the event loop (for triggers); the same tolerance rule.

    :param client: reuse this ``httpx.AsyncClient`` (a watch probing every few seconds keeps one);
        default a client for this one request.
    """
    check_probe_url(url)
    started = time.perf_counter()
    try:
        if client is None:
            async with httpx.AsyncClient() as own:
                response = await own.get(url, timeout=timeout)
        else:
            response = await client.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        return ProbeResult(False, f"{type(exc).__name__}: {exc}", None)
    latency_ms = (time.perf_counter() - started) * 1000
    return _judge_response(
        response, latency_ms, expected_status=expected_status, max_latency_ms=max_latency_ms,
        json_path=json_path, expected_value=expected_value,
    )


def check_probe_url(url: Any) -> str:
    """``url`` if it is an ``http(s)://`` URL; a ``ValueError`` (a misconfigured probe) otherwise."""
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValueError(f"probe url must be http(s)://…, got {url!r}")
    return url


def _judge_response(response: httpx.Response, latency_ms: float, **tolerance: Any) -> ProbeResult:
    try:
        body = response.json() if tolerance.get("json_path") else None
    except ValueError:
        return ProbeResult(False, "response is not JSON", latency_ms)
    return judge(response.status_code, latency_ms, body, **tolerance)


# -- probes written as Python functions ---------------------------------------------------------


def load_probe_callable(path: str) -> Callable[[], Any]:
    """The function named by ``"package.module:function"`` (a string, so that it can travel to a trigger).

    The function takes no arguments and returns ``bool``, ``{"passed": bool, "detail": str}`` or a
    :class:`ProbeResult`; it may be a coroutine function. Raises ``ValueError`` when the path is
    malformed or names nothing callable (a misconfigured probe).
    """
    if not isinstance(path, str) or path.count(":") != 1:
        raise ValueError(f"probe callable must be 'package.module:function', got {path!r}")
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"probe callable must be 'package.module:function', got {path!r}")
    try:
        target: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"probe callable {path!r} cannot be imported: {exc}") from exc
    if not callable(target):
        raise ValueError(f"probe callable {path!r} is not callable")
    return target


def as_probe_result(value: Any, latency_ms: float | None = None, *, name: str = "probe") -> ProbeResult:
    """A probe function's answer as a :class:`ProbeResult`; ``TypeError`` for any other answer."""
    if isinstance(value, ProbeResult):
        return value
    if isinstance(value, bool):
        return ProbeResult(value, f"{name} returned {value}", latency_ms)
    if isinstance(value, Mapping) and isinstance(value.get("passed"), bool):
        detail = str(value.get("detail") or f"{name} returned passed={value['passed']}")
        return ProbeResult(value["passed"], detail, latency_ms)
    raise TypeError(f"{name} returned {value!r}; expected a bool or {{'passed': bool, 'detail': str}}")


def callable_probe(path: str) -> ProbeResult:
    """Call the probe function named by ``path`` once.

    An exception raised by the function is the system failing the probe (a failed
    :class:`ProbeResult`); a malformed path or answer is a misconfigured probe and raises.
    """
    function = load_probe_callable(path)
    started = time.perf_counter()
    try:
        value = function()
        if inspect.isawaitable(value):
            value = asyncio.run(_awaited(value))
    except Exception as exc:  # the probed system failed; recorded, not raised
        return ProbeResult(False, f"{path} raised {type(exc).__name__}: {exc}", (time.perf_counter() - started) * 1000)
    return as_probe_result(value, (time.perf_counter() - started) * 1000, name=path)


async def callable_probe_async(path: str, *, timeout: float | None = None) -> ProbeResult:
    """:func:`callable_probe` for an event loop: a coroutine function is awaited, a plain one runs in
    a worker thread; ``timeout`` seconds without an answer is a failed probe."""
    function = load_probe_callable(path)
    started = time.perf_counter()
    try:
        call = function() if inspect.iscoroutinefunction(function) else asyncio.to_thread(function)
        value = await asyncio.wait_for(call, timeout)
        if inspect.isawaitable(value):
            value = await asyncio.wait_for(value, timeout)
    except Exception as exc:  # the probed system failed; recorded, not raised
        latency_ms = (time.perf_counter() - started) * 1000
        if isinstance(exc, TimeoutError) and timeout is not None and latency_ms >= timeout * 1000:
            return ProbeResult(False, f"{path} did not answer within {timeout:g} s", latency_ms)
        return ProbeResult(False, f"{path} raised {type(exc).__name__}: {exc}", latency_ms)
    return as_probe_result(value, (time.perf_counter() - started) * 1000, name=path)


async def _awaited(value: Any) -> Any:
    return await value
