"""Client cost: CPU time of the calling thread per ``DescribeTask`` round trip.

One round trip = build and sign the request, send it over a kept-alive connection, receive the
answer and parse it into typed models. The contenders, all against the same experiment on the
same emulator:

* ``ours_sync`` / ``ours_async`` — :class:`~airflow_provider_cfg.api.CfgClient` and
  :class:`~airflow_provider_cfg.api.AsyncCfgClient` with their defaults (retries on, the
  rate limiter on — with a 1 µs window so that its bookkeeping is counted but it never sleeps;
  on the httpx transport each client builds itself, ``api/wire.py``);
* ``sdk_sync`` / ``sdk_async`` — the official ``tencentcloud.cfg.v20210820`` clients
  (``cfg_client`` on ``requests``, ``cfg_client_async`` on ``httpx``), ``HttpProfile(protocol="http",
  endpoint=…, keepAlive=True)`` so that they too reuse their connection (the async client's default,
  ``keepAlive=False``, opens a new connection per call), ``language="en-US"`` like ours;
* ``floor_sync`` / ``floor_async`` — a bare ``httpx.Client().post`` / ``httpx.AsyncClient().post`` of
  the same body, on httpx's own transport: no signing and no parsing. Its headers are signed once per round *outside the
  timing* so that the emulator answers with the same ``DescribeTask`` body instead of an
  ``AuthFailure`` (the emulator accepts a signature for 300 s);
* ``transport_sync`` / ``transport_async`` — for reference only (no target): the same pre-signed
  request handed straight to an httpx transport (``HTTPTransport.handle_request``, the keep-alive
  pool of httpcore and h11) and its body read — the least that any httpx-based client pays, since
  it skips even the ``httpx.Client`` layer.

The emulator runs in another process (:class:`bench.emulator.EmulatorProcess`), so its CPU is not
counted: the clock is ``time.thread_time()`` of the calling thread, which runs the sync calls and
the asyncio loop of the async ones. The contenders take turns in rounds (``rounds`` × ``calls``
calls each, the order shuffled every round, a ``gc.collect()`` before each turn); each round gives
every contender a µs/call sample and every pair a ratio. The report gives the median over rounds
of each contender's µs/call and of each round's ratio (pairs from the same round saw the same
machine load).

**Paced calls.** Pollers (triggers, sensors, operators waiting on a run) do not call back to back:
they make one call every few seconds. A call after an idle gap costs more than one in a hot loop
(the caches and branch predictors have been taken by other work), and by how much depends on how
much code and data the call touches. So the same contenders also make *paced* calls: in each of
``cycles`` cycles, every contender, in a shuffled order, makes one call after an idle 60 ms on the
event loop (``asyncio.sleep``; so at least 60 ms, and about 0.5 s, after its own previous call),
and ``thread_time`` is read around that one call. The report gives each contender's median µs/call
and the median of the per-cycle ratios.
"""  # ruff: ignore[ambiguous-unicode-character-docstring] - micro and times signs: rendered into BENCHMARKS.md

from __future__ import annotations

import asyncio
import gc
import json
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from bench.emulator import EmulatorProcess
from bench.stats import median, summary

REGION = "ap-guangzhou"
TEMPLATE_ID = 626
INSTANCES = ["ins-bench001", "ins-bench002"]

RATIOS: list[tuple[str, str, float | None, str]] = [
    # (numerator, denominator, target: ratio <= target (None: for information), what it says)
    ("ours_sync", "sdk_sync", 0.5, "ours (sync) / official SDK (sync)"),
    ("ours_async", "sdk_async", 0.5, "ours (async) / official SDK (async)"),
    ("ours_sync", "floor_sync", 1.3, "ours (sync) / bare httpx.Client post"),
    ("ours_async", "floor_async", 1.3, "ours (async) / bare httpx.AsyncClient post"),
    ("transport_sync", "sdk_sync", None, "reference: httpx transport alone (sync) / official SDK (sync)"),
    ("transport_async", "sdk_async", None, "reference: httpx transport alone (async) / official SDK (async)"),
    ("ours_sync", "transport_sync", None, "ours (sync) / httpx transport alone (sync)"),
    ("ours_async", "transport_async", None, "ours (async) / httpx transport alone (async)"),
]

# Paced calls (issue 16): the same contenders, one call at a time with an idle gap before it.
PACED_GAP_SECONDS = 0.06
PACED_RATIOS: list[tuple[str, str, float | None, str]] = [
    ("ours_sync", "sdk_sync", 0.5, "paced: ours (sync) / official SDK (sync)"),
    ("ours_async", "sdk_async", 0.5, "paced: ours (async) / official SDK (async)"),
    ("floor_sync", "sdk_sync", None, "paced: floor, bare httpx.Client post / official SDK (sync)"),
    ("floor_async", "sdk_async", None, "paced: floor, bare httpx.AsyncClient post / official SDK (async)"),
    ("transport_sync", "sdk_sync", None, "paced: httpx transport alone (sync) / official SDK (sync)"),
    ("transport_async", "sdk_async", None, "paced: httpx transport alone (async) / official SDK (async)"),
]


class Contender:
    """One way of doing a ``DescribeTask`` round trip."""

    key = ""
    label = ""
    is_async = False

    def prepare_round(self) -> None:
        """Work done before each timed turn, outside the timing."""

    def run(self, n: int) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    async def run_async(self, n: int) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def check(self) -> Any:
        """One call whose result is verified; returns it."""
        raise NotImplementedError

    async def check_async(self) -> Any:
        raise NotImplementedError

    def execute(self, loop: asyncio.AbstractEventLoop, n: int) -> None:
        if self.is_async:
            loop.run_until_complete(self.run_async(n))
        else:
            self.run(n)

    def verify(self, loop: asyncio.AbstractEventLoop) -> None:
        self.prepare_round()
        if self.is_async:
            loop.run_until_complete(self.check_async())
        else:
            self.check()

    def close(self, loop: asyncio.AbstractEventLoop) -> None:
        pass


def _expect_task(task_id: int, got: Any, who: str) -> None:
    if got != task_id:
        raise AssertionError(f"{who}: DescribeTask returned TaskId {got!r}, expected {task_id}")


class OursSync(Contender):
    key = "ours_sync"
    label = "ours: `CfgClient` (sync)"

    def __init__(self, emu: EmulatorProcess, task_id: int) -> None:
        from airflow_provider_cfg.api import CfgClient
        from airflow_provider_cfg.api.ratelimit import RateLimiterRegistry

        self.task_id = task_id
        self.client = CfgClient(emu.secret_id, emu.secret_key, REGION, endpoint=emu.endpoint,
                                limiters=RateLimiterRegistry(window=1e-6))

    def run(self, n: int) -> None:
        describe, task_id = self.client.describe_task, self.task_id
        for _ in range(n):
            describe(task_id)

    def check(self) -> Any:
        result = self.client.describe_task(self.task_id)
        _expect_task(self.task_id, result.Task.TaskId, self.key)
        assert result.Task.TaskGroups, "no groups parsed"
        return result

    def close(self, loop: asyncio.AbstractEventLoop) -> None:
        self.client.close()


class OursAsync(Contender):
    key = "ours_async"
    label = "ours: `AsyncCfgClient` (async)"
    is_async = True

    def __init__(self, emu: EmulatorProcess, task_id: int) -> None:
        from airflow_provider_cfg.api import AsyncCfgClient
        from airflow_provider_cfg.api.ratelimit import RateLimiterRegistry

        self.task_id = task_id
        self.client = AsyncCfgClient(emu.secret_id, emu.secret_key, REGION, endpoint=emu.endpoint,
                                     limiters=RateLimiterRegistry(window=1e-6))

    async def run_async(self, n: int) -> None:
        describe, task_id = self.client.describe_task, self.task_id
        for _ in range(n):
            await describe(task_id)

    async def check_async(self) -> Any:
        result = await self.client.describe_task(self.task_id)
        _expect_task(self.task_id, result.Task.TaskId, self.key)
        assert result.Task.TaskGroups, "no groups parsed"
        return result

    def close(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.run_until_complete(self.client.aclose())


def _sdk_parts(emu: EmulatorProcess, task_id: int) -> tuple[Any, Any, Any]:
    from tencentcloud.cfg.v20210820 import models
    from tencentcloud.common.credential import Credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile

    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint, keepAlive=True),
                            language="en-US")
    request = models.DescribeTaskRequest()
    request.TaskId = task_id
    return Credential(emu.secret_id, emu.secret_key), profile, request


class SdkSync(Contender):
    key = "sdk_sync"
    label = "official SDK: `cfg_client.CfgClient` (sync, requests)"

    def __init__(self, emu: EmulatorProcess, task_id: int) -> None:
        from tencentcloud.cfg.v20210820 import cfg_client

        credential, profile, self.request = _sdk_parts(emu, task_id)
        self.task_id = task_id
        self.client = cfg_client.CfgClient(credential, REGION, profile)

    def run(self, n: int) -> None:
        describe, request = self.client.DescribeTask, self.request
        for _ in range(n):
            describe(request)

    def check(self) -> Any:
        result = self.client.DescribeTask(self.request)
        _expect_task(self.task_id, result.Task.TaskId, self.key)
        return result


class SdkAsync(Contender):
    key = "sdk_async"
    label = "official SDK: `cfg_client_async.CfgClient` (async, httpx)"
    is_async = True

    def __init__(self, emu: EmulatorProcess, task_id: int) -> None:
        from tencentcloud.cfg.v20210820 import cfg_client_async

        credential, profile, self.request = _sdk_parts(emu, task_id)
        self.task_id = task_id
        self.client = cfg_client_async.CfgClient(credential, REGION, profile)

    async def run_async(self, n: int) -> None:
        describe, request = self.client.DescribeTask, self.request
        for _ in range(n):
            await describe(request)

    async def check_async(self) -> Any:
        result = await self.client.DescribeTask(self.request)
        _expect_task(self.task_id, result.Task.TaskId, self.key)
        return result

    def close(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.run_until_complete(self.client.close())


class _Floor(Contender):
    def __init__(self, emu: EmulatorProcess, task_id: int) -> None:
        self.emu = emu
        self.task_id = task_id
        self.url = emu.url + "/"
        self.body = json.dumps({"TaskId": task_id}, separators=(",", ":")).encode()
        self.headers: dict[str, str] = {}
        self.response_bytes = 0

    def prepare_round(self) -> None:
        from airflow_provider_cfg.api.actions import API_VERSION
        from airflow_provider_cfg.api.signing import Credentials, Tc3Auth

        request = httpx.Request("POST", self.url, content=self.body, headers={
            "Content-Type": "application/json", "X-TC-Action": "DescribeTask", "X-TC-Version": API_VERSION,
            "X-TC-Region": REGION, "X-TC-Language": "en-US",
        })
        Tc3Auth(Credentials(self.emu.secret_id, self.emu.secret_key)).sign(request)
        self.headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}

    def _verify(self, response: httpx.Response) -> None:
        inner = json.loads(response.content)["Response"]
        if "Error" in inner:
            raise AssertionError(f"{self.key}: the emulator answered {inner['Error']}")
        _expect_task(self.task_id, inner["Task"]["TaskId"], self.key)
        self.response_bytes = len(response.content)


class FloorSync(_Floor):
    key = "floor_sync"
    label = "floor: bare `httpx.Client().post` (no signing, no parsing)"

    def __init__(self, emu: EmulatorProcess, task_id: int) -> None:
        super().__init__(emu, task_id)
        self.http = httpx.Client(timeout=30.0)

    def run(self, n: int) -> None:
        post, url, body, headers = self.http.post, self.url, self.body, self.headers
        for _ in range(n):
            post(url, content=body, headers=headers)

    def check(self) -> Any:
        response = self.http.post(self.url, content=self.body, headers=self.headers)
        self._verify(response)
        return response

    def close(self, loop: asyncio.AbstractEventLoop) -> None:
        self.http.close()


class FloorAsync(_Floor):
    key = "floor_async"
    label = "floor: bare `httpx.AsyncClient().post` (no signing, no parsing)"
    is_async = True

    def __init__(self, emu: EmulatorProcess, task_id: int) -> None:
        super().__init__(emu, task_id)
        self.http = httpx.AsyncClient(timeout=30.0)

    async def run_async(self, n: int) -> None:
        post, url, body, headers = self.http.post, self.url, self.body, self.headers
        for _ in range(n):
            await post(url, content=body, headers=headers)

    async def check_async(self) -> Any:
        response = await self.http.post(self.url, content=self.body, headers=self.headers)
        self._verify(response)
        return response

    def close(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.run_until_complete(self.http.aclose())


class TransportSync(_Floor):
    key = "transport_sync"
    label = "reference: pre-signed request to `httpx.HTTPTransport` (no client layer, no parsing)"

    def __init__(self, emu: EmulatorProcess, task_id: int) -> None:
        super().__init__(emu, task_id)
        self.transport = httpx.HTTPTransport()
        self.extensions = {"timeout": httpx.Timeout(30.0).as_dict()}
        self.raw: list[tuple[bytes, bytes]] = []

    def prepare_round(self) -> None:
        super().prepare_round()
        host = httpx.URL(self.url).netloc
        self.raw = [(b"Host", host), *((k.encode(), v.encode()) for k, v in self.headers.items()),
                    (b"Content-Length", str(len(self.body)).encode())]

    def _once(self) -> httpx.Response:
        request = httpx.Request("POST", self.url, headers=self.raw, stream=httpx.ByteStream(self.body),
                                extensions=self.extensions)
        response = self.transport.handle_request(request)
        try:
            response.read()
        finally:
            response.close()
        return response

    def run(self, n: int) -> None:
        once = self._once
        for _ in range(n):
            once()

    def check(self) -> Any:
        response = self._once()
        self._verify(response)
        return response

    def close(self, loop: asyncio.AbstractEventLoop) -> None:
        self.transport.close()


class TransportAsync(TransportSync):
    key = "transport_async"
    label = "reference: pre-signed request to `httpx.AsyncHTTPTransport` (no client layer, no parsing)"
    is_async = True

    def __init__(self, emu: EmulatorProcess, task_id: int) -> None:
        _Floor.__init__(self, emu, task_id)
        self.atransport = httpx.AsyncHTTPTransport()
        self.extensions = {"timeout": httpx.Timeout(30.0).as_dict()}
        self.raw = []

    async def _aonce(self) -> httpx.Response:
        request = httpx.Request("POST", self.url, headers=self.raw, stream=httpx.ByteStream(self.body),
                                extensions=self.extensions)
        response = await self.atransport.handle_async_request(request)
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response

    async def run_async(self, n: int) -> None:
        once = self._aonce
        for _ in range(n):
            await once()

    async def check_async(self) -> Any:
        response = await self._aonce()
        self._verify(response)
        return response

    def close(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.run_until_complete(self.atransport.aclose())


CONTENDERS: list[type[Contender]] = [OursSync, OursAsync, SdkSync, SdkAsync, FloorSync, FloorAsync,
                                     TransportSync, TransportAsync]


def _create_experiment(emu: EmulatorProcess) -> int:
    """A started experiment from template 626 with two instances (a typical watched one)."""
    from airflow_provider_cfg.api import CfgClient

    with CfgClient(emu.secret_id, emu.secret_key, REGION, endpoint=emu.endpoint, rate_limit=False) as client:
        task_id = client.create_task_from_template(TEMPLATE_ID, {
            "TaskTitle": "bench: client cost",
            "TaskGroupsConfig": [{"TaskGroupInstances": INSTANCES}],
        }).TaskId
        client.execute_task(task_id)
        return task_id


async def _paced(contenders: list[Contender], cycles: int, gap: float, seed: int,
                 log: Callable[[str], None]) -> dict[str, list[float]]:
    """Paced calls: ``cycles`` cycles; in each, every contender (shuffled order) makes one call after
    an idle ``gap`` on the event loop, timed alone (``thread_time`` around that call)."""
    cpu: dict[str, list[float]] = {c.key: [] for c in contenders}
    rng = random.Random(seed)
    for number in range(cycles):
        if number % 20 == 0:
            for contender in contenders:
                contender.prepare_round()  # the floors' signatures stay fresh (outside the timing)
        order = contenders[:]
        rng.shuffle(order)
        for contender in order:
            await asyncio.sleep(gap)
            start = time.thread_time_ns()
            if contender.is_async:
                await contender.run_async(1)
            else:
                contender.run(1)
            cpu[contender.key].append((time.thread_time_ns() - start) / 1e3)
        if (number + 1) % 10 == 0 or number + 1 == cycles:
            # ruff: ignore[ambiguous-unicode-character-string] - the micro sign, as in the report
            log(f"client cost, paced: cycle {number + 1}/{cycles}: "
                + ", ".join(f"{c.key} {cpu[c.key][-1]:.0f}" for c in contenders) + " µs CPU")
    return cpu


def _ratios(cpu: dict[str, list[float]], ratios: list[tuple[str, str, float | None, str]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for num, den, target, what in ratios:
        per_round = [a / b for a, b in zip(cpu[num], cpu[den], strict=True)]
        stats = summary(per_round)
        result[f"{num}/{den}"] = {
            "what": what,
            "target": target,
            "per_round": per_round,
            **stats,
            "met": None if target is None else stats["median"] <= target,
        }
    return result


def run_client_cost(
    rounds: int = 15,
    calls: int = 200,
    warmup: int = 20,
    seed: int = 0,
    log: Callable[[str], None] = lambda message: None,
    paced_cycles: int = 0,
    paced_gap: float = PACED_GAP_SECONDS,
) -> dict[str, Any]:
    """Run the benchmark; returns per-contender samples and per-round ratios (see the module doc)."""
    loop = asyncio.new_event_loop()
    contenders: list[Contender] = []
    try:
        with EmulatorProcess() as emu:
            log(f"client cost: emulator pid {emu.pid} at {emu.url}")
            task_id = _create_experiment(emu)
            contenders = [cls(emu, task_id) for cls in CONTENDERS]
            for contender in contenders:
                contender.verify(loop)
                contender.prepare_round()
                contender.execute(loop, warmup)
            cpu: dict[str, list[float]] = {c.key: [] for c in contenders}
            wall: dict[str, list[float]] = {c.key: [] for c in contenders}
            rng = random.Random(seed)
            for number in range(rounds):
                order = contenders[:]
                rng.shuffle(order)
                for contender in order:
                    contender.prepare_round()
                    gc.collect()
                    wall_start, cpu_start = time.perf_counter(), time.thread_time()
                    contender.execute(loop, calls)
                    cpu_spent, wall_spent = time.thread_time() - cpu_start, time.perf_counter() - wall_start
                    cpu[contender.key].append(cpu_spent / calls * 1e6)
                    wall[contender.key].append(wall_spent / calls * 1e6)
                # ruff: ignore[ambiguous-unicode-character-string] - the micro sign, as in the report
                log(f"client cost: round {number + 1}/{rounds}: "
                    + ", ".join(f"{c.key} {cpu[c.key][-1]:.0f}" for c in contenders) + " µs CPU/call")
            paced: dict[str, list[float]] = {}
            if paced_cycles:
                paced = loop.run_until_complete(_paced(contenders, paced_cycles, paced_gap, seed, log))
            response_bytes = next(c.response_bytes for c in contenders if isinstance(c, FloorSync))
            threads = threading.active_count()
    finally:
        for contender in contenders:
            contender.close(loop)
        loop.close()

    result: dict[str, Any] = {
        "rounds": rounds,
        "calls": calls,
        "warmup": warmup,
        "seed": seed,
        "response_bytes": response_bytes,
        "threads_in_client_process": threads,
        "contenders": {
            c.key: {
                "label": c.label,
                "cpu_us": cpu[c.key],
                "wall_us": wall[c.key],
                "cpu_us_per_call": summary(cpu[c.key]),
                "wall_us_per_call": median(wall[c.key]),
            }
            for c in contenders
        },
        "ratios": _ratios(cpu, RATIOS),
    }
    if paced:
        result["paced"] = {
            "cycles": paced_cycles,
            "gap_s": paced_gap,
            "contenders": {c.key: {"label": c.label, "cpu_us": paced[c.key],
                                   "cpu_us_per_call": summary(paced[c.key])} for c in contenders},
            "ratios": _ratios(paced, PACED_RATIOS),
        }
    return result
