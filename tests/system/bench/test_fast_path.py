"""The clients' fast path (see ``bench/`` and BENCHMARKS.md) against their public-API path.

The fast path hands a request it builds and signs itself straight to the transport, parses the
answer straight from its JSON bytes, and runs the first attempt without tenacity. Here each
client is run once on the fast path and once forced onto the public path (``client.send`` with
``Tc3Auth`` as an ``httpx.Auth``, ``json.loads`` + ``model_validate``, every attempt in
tenacity): the requests on the wire must be byte-identical and the outcomes the same.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from functools import partial

import httpx
import pytest

from airflow_provider_cfg.api import AsyncCfgClient, CfgClient
from airflow_provider_cfg.api.ratelimit import RateLimiterRegistry

NOW = 1795817823

TASK = {"TaskId": 7, "TaskTitle": "t", "TaskStatus": 1002, "TaskMode": 1,
        "TaskGroups": [{"TaskGroupId": 1, "TaskGroupActions": [
            {"TaskGroupActionId": 11, "TaskGroupActionStatus": 2004, "TaskGroupActionStatusType": 1,
             "TaskGroupActionGeneralConfiguration": "{}", "Unknown": [1, 2]}]}],
        "TaskExpect": 9, "NewField": {"a": 1}}

ANSWERS = [
    (200, {"Response": {"RequestId": "r", "Task": TASK, "ReportInfo": None}}),
    (200, {"Response": {"Error": {"Code": "ResourceNotFound.Task", "Message": "no"}, "RequestId": "r"}}),
    (200, {"Response": {"Error": {"Code": "InternalError", "Message": "boom"}, "RequestId": "r"}}),
    (200, {"Response": {"Error": {}, "RequestId": "r", "Task": {"TaskId": 5}}}),
    (200, {"Response": {"Error": None, "RequestId": "r", "Task": {"TaskId": 5}}}),
    (200, {"Response": "not an object"}),
    (200, {"NoResponse": {}}),
    (200, b"<html>not json</html>"),
    (200, {"Response": {"RequestId": "r", "Task": {"TaskId": "not a number"}}}),
    (500, {}),
    (403, {}),
]


def _client(cls, handler, *, fast: bool, **kwargs):
    kwargs.setdefault("endpoint", "127.0.0.1:8999")
    client = cls("AKIDfastpath0000", "key", transport=httpx.MockTransport(handler),
                 limiters=RateLimiterRegistry(), backoff=0.001, **kwargs)
    client._auth.clock = lambda: NOW
    client._client()
    assert (client._wire is not None) is True
    if not fast:
        client._wire = None  # the public-API path
    return client


def _outcome(run):
    try:
        result = run()
        if asyncio.iscoroutine(result):
            result = asyncio.run(result)
    except Exception as exc:  # compared, not handled
        return ("raised", type(exc).__name__, str(exc))
    dumped = result.model_dump() if hasattr(result, "model_dump") else result
    return ("returned", type(result).__name__, repr(dumped))


@pytest.mark.parametrize("kwargs", [
    {},
    {"token": "session-token"},
    {"signed_headers": ("content-type", "host", "x-tc-action", "x-tc-timestamp", "content-length")},
    {"endpoint": "https://cfg.tencentcloudapi.com:443", "language": "zh-CN", "region": "ap-shanghai"},
    {"endpoint": "[::1]:9000"},
])
@pytest.mark.parametrize("cls", [CfgClient, AsyncCfgClient])
def test_same_bytes_on_the_wire(cls, kwargs):
    seen: dict[bool, list] = {True: [], False: []}
    for fast in (True, False):
        def handler(request, fast=fast):
            seen[fast].append((request.method, str(request.url), request.headers.raw, request.content,
                               request.extensions))
            return httpx.Response(200, json={"Response": {"RequestId": "r", "TaskId": 3}})

        client = _client(cls, handler, fast=fast, **kwargs)
        for run in (partial(client.describe_task, 3), partial(client.execute_task, 3),
                    partial(client.call, "DescribeTask", {"TaskId": 3})):
            assert _outcome(run)[0] == "returned"
    assert len(seen[True]) == 3
    assert seen[True] == seen[False]


@pytest.mark.parametrize("status,answer", ANSWERS)
@pytest.mark.parametrize("cls", [CfgClient, AsyncCfgClient])
def test_same_outcome(cls, status, answer):
    content = answer if isinstance(answer, bytes) else json.dumps(answer).encode()

    def handler(request):
        return httpx.Response(status, content=content, headers={"Content-Type": "text/html"})

    outcomes = {}
    for fast in (True, False):
        client = _client(cls, handler, fast=fast, max_attempts=1)
        outcomes[fast] = [_outcome(run) for run in (
            partial(client.describe_task, 7), partial(client.execute_task, 7),
            partial(client.call, "DescribeTask", {"TaskId": 7}))]
    assert outcomes[True] == outcomes[False]


@pytest.mark.parametrize("scenario", ["http500", "rate_limited_twice", "refused"])
@pytest.mark.parametrize("cls", [CfgClient, AsyncCfgClient])
def test_same_retries(cls, scenario, caplog):
    runs = {}
    for fast in (True, False):
        sent = []

        def handler(request, sent=sent):
            sent.append(request.headers["X-TC-Action"])
            if scenario == "http500":
                return httpx.Response(500)
            if scenario == "refused":
                raise httpx.ConnectError("refused")
            if len(sent) % 3:
                return httpx.Response(200, json={"Response": {
                    "Error": {"Code": "RequestLimitExceeded", "Message": "slow down"}, "RequestId": "q"}})
            return httpx.Response(200, json={"Response": {"RequestId": "x", "TaskId": 9}})

        client = _client(cls, handler, fast=fast, max_attempts=4)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="airflow_provider_cfg.api.client"):
            outcomes = []
            for run in (partial(client.describe_task, 1), partial(client.execute_task, 1)):
                sent.clear()
                outcomes.append((_outcome(run), list(sent)))
        logs = [re.sub(r"[\d.]+ s$", "N s", record.getMessage()) for record in caplog.records]
        runs[fast] = (outcomes, logs)
    assert runs[True] == runs[False]
    assert runs[True][1], "a retry was logged"
