"""Client components: the per-call steps of a round trip, public-API way vs fast path, no network.

Each optimisation of the clients' fast path is timed against the way the same step is done on the
public-API path, which the clients still take when httpx does not let them use the fast path (both
live in the code, so both are measured in the same run):

* **build + sign** — ``httpx.Client.build_request`` (URL and header merging, cookies) then
  ``Tc3Auth.sign`` on the ``httpx.Request`` vs ``_signed_request``: the headers as a prepared list,
  the canonical-headers block cached per action, the scope and signing key cached per UTC day;
* **parse** — ``json.loads`` + ``Response.Error`` check + ``model_validate`` of the inner dict vs one
  ``model_validate_json`` of a ``{"Response": model}`` envelope (``Error`` still checked by us, the
  content type never trusted), on the real ``DescribeTask`` answer;
* **retry wrapper** — a tenacity ``Retrying`` built and iterated around every call vs the first
  attempt called directly (tenacity only after a retryable failure);
* **rate limiter** — one ``SlidingWindowLimiter.acquire()`` (no sleep), for scale.

CPU time of this thread, ``ops`` operations per turn, the two ways of each step alternating in
``rounds`` rounds; the median of the per-round ratios is reported.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

from bench.emulator import EmulatorProcess
from bench.stats import summary


def _describe_task_answer() -> bytes:
    from bench.client_cost import FloorSync, _create_experiment

    with EmulatorProcess() as emu:
        task_id = _create_experiment(emu)
        floor = FloorSync(emu, task_id)
        try:
            floor.prepare_round()
            return floor.check().content
        finally:
            floor.http.close()


def _pairs(answer: bytes) -> list[tuple[str, Callable[[], Any], Callable[[], Any]]]:
    import httpx
    from tenacity import Retrying

    from airflow_provider_cfg.api import CfgClient
    from airflow_provider_cfg.api import models as m
    from airflow_provider_cfg.api.ratelimit import SlidingWindowLimiter

    def answer_handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=answer)

    client = CfgClient("AKIDcomponents000", "key", endpoint="127.0.0.1:8999",
                       transport=httpx.MockTransport(answer_handler))
    http = client._client()
    wire = client._wire
    assert wire is not None, "the fast path is not available with this httpx"
    body = b'{"TaskId":1}'
    auth = client._auth

    def build_and_sign_public() -> Any:
        request = http.build_request("POST", "/", content=body, headers={"X-TC-Action": "DescribeTask"})
        auth.sign(request)
        return request

    def build_and_sign_fast() -> Any:
        return client._signed_request(wire, "DescribeTask", body)

    response = httpx.Response(200, content=answer)
    response.read()
    model = m.DescribeTaskResponse

    def parse_public() -> Any:
        return model.model_validate(client._decode("DescribeTask", False, response))

    def parse_fast() -> Any:
        return client._parse("DescribeTask", False, response, model)

    assert parse_public() == parse_fast()
    options = client._retry_options("DescribeTask", False)

    def work() -> int:
        return 1

    def retry_public() -> Any:
        for attempt in Retrying(**options):
            with attempt:
                return work()
        return None

    def retry_fast() -> Any:
        try:
            return work()
        except Exception:  # pragma: no cover - never raised here
            raise

    limiter = SlidingWindowLimiter(20, window=1e-6)
    return [
        ("build + sign the request", build_and_sign_public, build_and_sign_fast),
        ("parse the DescribeTask answer", parse_public, parse_fast),
        ("retry wrapper around one successful attempt", retry_public, retry_fast),
        ("rate limiter acquire (no wait)", limiter.acquire, limiter.acquire),
    ]


def _turn(fn: Callable[[], Any], ops: int) -> float:
    gc.collect()
    start = time.thread_time()
    for _ in range(ops):
        fn()
    return (time.thread_time() - start) / ops * 1e6


def run_components(
    rounds: int = 15,
    ops: int = 2000,
    answer: bytes | None = None,
    log: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Run the benchmark (see the module doc); ``answer`` defaults to a fresh ``DescribeTask`` body."""
    answer = answer or _describe_task_answer()
    rows = []
    for name, public, fast in _pairs(answer):
        public_us: list[float] = []
        fast_us: list[float] = []
        for _ in range(3):
            public(), fast()
        for number in range(rounds):
            order = ((public, public_us), (fast, fast_us))
            for fn, samples in (order if number % 2 == 0 else order[::-1]):
                samples.append(_turn(fn, ops))
        ratios = [f / p for f, p in zip(fast_us, public_us, strict=True)]
        rows.append({
            "step": name,
            "public_us": summary(public_us),
            "fast_us": summary(fast_us),
            "ratio": summary(ratios),
            "same_code": public == fast,
        })
        # ruff: ignore[ambiguous-unicode-character-string] - the micro sign, as in the report
        log(f"components: {name}: {summary(public_us)['median']:.1f} → {summary(fast_us)['median']:.1f} µs")
    return {"rounds": rounds, "ops": ops, "answer_bytes": len(answer), "rows": rows}
