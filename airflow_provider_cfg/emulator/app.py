"""The Starlette app: the CFG wire protocol on ``POST /``, assembled with the out-of-band
``/_emulator`` routes (:mod:`.control`) and the task page (:mod:`.views`).

One API call: read the body (≤ 10 MB) → ``X-TC-Action`` / ``X-TC-Version`` → TC3 signature (and
token) → region → per-action rate limit → chaos (latency, injected error) → parameters → handler
under the state lock → ``{"Response": {..., "RequestId"}}`` (HTTP 200, ``application/json``);
errors use the same envelope with ``Error: {Code, Message}``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from airflow_provider_cfg.api.actions import ACTIONS, API_VERSION, ActionSpec
from airflow_provider_cfg.api.client import MAX_BODY_BYTES
from airflow_provider_cfg.api.signing import Credentials
from airflow_provider_cfg.emulator import auth
from airflow_provider_cfg.emulator.answers import answer_code, language_of, localise
from airflow_provider_cfg.emulator.catalogue_data import DEFAULT_REGION, REGIONS
from airflow_provider_cfg.emulator.context import EmulatorContext
from airflow_provider_cfg.emulator.control import (
    chaos_route,
    faults,
    health,
    rate_limits_route,
    reset,
    stats_route,
    variants_route,
)
from airflow_provider_cfg.emulator.errors import ApiError
from airflow_provider_cfg.emulator.handlers import HANDLERS
from airflow_provider_cfg.emulator.params import parse_body, parse_request
from airflow_provider_cfg.emulator.state import EmulatorState
from airflow_provider_cfg.emulator.variants import Variants
from airflow_provider_cfg.emulator.views import task_page

log = logging.getLogger("airflow_provider_cfg.emulator")

DEFAULT_SECRET_ID = "AKIDcfgEmulatorDefaultSecretId"
DEFAULT_SECRET_KEY = "cfgEmulatorDefaultSecretKey"


def _envelope(content: dict[str, Any], request_id: str) -> bytes:
    return json.dumps({"Response": {**content, "RequestId": request_id}}, ensure_ascii=False).encode()


def _error_body(code: str, message: str, request_id: str) -> bytes:
    return _envelope({"Error": {"Code": code, "Message": message}}, request_id)


def _json(body: bytes) -> Response:
    return Response(body, status_code=200, media_type="application/json")


class DroppedResponse(Response):
    """Send the status line, headers and half the body, then give up: the client sees a cut-off answer.

    uvicorn closes the connection when the app returns without completing the response.
    """

    def __init__(self, body: bytes) -> None:
        self.full_body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(self.full_body)).encode())],
        })
        await send({"type": "http.response.body", "body": self.full_body[: len(self.full_body) // 2],
                    "more_body": True})


async def _read_body(request: Request) -> bytes:
    """The body, or ``RequestSizeLimitExceeded`` (the rest is drained so the client sees the answer)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= MAX_BODY_BYTES:
            chunks.append(chunk)
    if size > MAX_BODY_BYTES:
        raise ApiError("RequestSizeLimitExceeded",
                       f"The request body is {size} bytes; at most {MAX_BODY_BYTES} bytes (10 MB) are accepted.")
    return b"".join(chunks)


MAX_JSON_DEPTH = 32
"""Deepest nesting of objects and arrays accepted in a request body (CFG's requests need 6)."""


def _parse_json(body: bytes) -> dict[str, Any]:
    """The body's JSON object; ``InvalidParameter`` for one nested deeper than :data:`MAX_JSON_DEPTH`
    (the parser's recursion limit would otherwise answer ``InternalError``, which a client reads as
    "outcome unknown")."""
    too_deep = ApiError("InvalidParameter", f"The request body nests objects or arrays more than {MAX_JSON_DEPTH} "
                                            "levels deep.")
    try:
        value = parse_body(body)
    except RecursionError:
        raise too_deep from None
    level: list[tuple[Any, int]] = [(value, 1)]
    while level:
        item, depth = level.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth >= MAX_JSON_DEPTH:
                    raise too_deep
                level.append((child, depth + 1))
    return value


def _check_headers(headers: Mapping[str, str]) -> ActionSpec:
    action = headers.get("x-tc-action", "")
    if not action:
        raise ApiError("MissingParameter", "The required header X-TC-Action is missing.")
    version = headers.get("x-tc-version", "")
    if not version:
        raise ApiError("MissingParameter", f"The required header X-TC-Version is missing (use {API_VERSION}).")
    if version != API_VERSION:
        raise ApiError("NoSuchVersion", f"The API version {version!r} does not exist for cfg; use {API_VERSION}.")
    spec = ACTIONS.get(action)
    if spec is None:
        raise ApiError("InvalidAction", f"The action {action!r} does not exist in cfg {API_VERSION}.")
    return spec


def _region(headers: Mapping[str, str]) -> str:
    region = headers.get("x-tc-region", "") or DEFAULT_REGION
    if region not in REGIONS:
        raise ApiError("UnsupportedRegion", f"The region {region!r} is not supported by cfg; supported: "
                                            f"{', '.join(REGIONS)}.")
    return region


async def api(request: Request) -> Response:
    ctx: EmulatorContext = request.app.state.emulator
    request_id = str(uuid.uuid4())
    started = time.monotonic()
    headers = {k.lower(): v for k, v in request.headers.items()}
    action = headers.get("x-tc-action", "?")
    spec: ActionSpec | None = None
    try:
        body = await _read_body(request)
        spec = _check_headers(headers)
        secret_id = auth.verify(
            method=request.method,
            path=request.scope.get("raw_path", b"/").split(b"?", 1)[0].decode() or "/",
            query=request.scope.get("query_string", b"").decode(),
            headers=headers,
            body=body,
            credentials=ctx.credentials,
            token=ctx.token,
            now=ctx.clock(),
        )
        region = _region(headers)
        ctx.check_rate(secret_id, region, spec)
        if ctx.chaos.latency:
            await asyncio.sleep(ctx.chaos.latency)
        injected = ctx.chaos.pick_error()
        if injected:
            raise ApiError(*injected)
        req = parse_request(spec, _parse_json(body))
        state = ctx.state
        with state.lock:
            state.advance()
            try:
                content = HANDLERS[spec.name](state, region, req).model_dump(mode="json")
            except ApiError as exc:  # the code this action gives under the variants played
                raise ApiError(answer_code(spec.name, exc.code, state.variants), exc.message) from None
            content = localise(content, language_of(headers, state.variants))
    except ApiError as exc:
        log.info("%s -> %s: %s (%.1f ms)", action, exc.code, exc.message, (time.monotonic() - started) * 1000)
        return _json(_error_body(exc.code, exc.message, request_id))
    except Exception as exc:  # a bug in the emulator: answer like the API would, keep serving
        log.exception("%s -> InternalError", action)
        return _json(_error_body("InternalError", f"cfg-emulator internal error: {type(exc).__name__}: {exc}",
                                 request_id))
    content.pop("RequestId", None)
    body_out = _envelope(content, request_id)
    if spec.mutating and ctx.chaos.should_drop():
        log.info("%s -> OK, answer dropped after commit (chaos)", action)
        return DroppedResponse(body_out)
    log.info("%s region=%s -> OK (%.1f ms)", action, region, (time.monotonic() - started) * 1000)
    return _json(body_out)


# ruff: ignore[unused-async] - Starlette would run a sync endpoint in a thread
async def api_get(request: Request) -> Response:
    return _json(_error_body("UnsupportedOperation", "cfg-emulator accepts only POST requests with a JSON body "
                             "(the SDK default); GET-style requests are not emulated.", str(uuid.uuid4())))


def _credential_map(
    credentials: Mapping[str, str | Credentials] | None, secret_id: str | None, secret_key: str | None
) -> dict[str, str]:
    result: dict[str, str] = {}
    for sid, key in (credentials or {}).items():
        result[sid] = key.secret_key if isinstance(key, Credentials) else key
    if secret_id or secret_key:
        if not (secret_id and secret_key):
            raise ValueError("secret_id and secret_key must be given together")
        result[secret_id] = secret_key
    if not result:
        result[DEFAULT_SECRET_ID] = DEFAULT_SECRET_KEY
    for sid, key in result.items():
        Credentials(sid, key)  # same rules as the client: non-empty, no surrounding spaces
    return result


def create_app(
    credentials: Mapping[str, str | Credentials] | None = None,
    *,
    secret_id: str | None = None,
    secret_key: str | None = None,
    token: str | None = None,
    action_seconds: float = 2.0,
    rate_limits: bool = True,
    seed: int | None = None,
    state: EmulatorState | None = None,
    admin_token: str | None = None,
    admin_open: bool = True,
    variants: Variants | None = None,
) -> Starlette:
    """The emulator as an ASGI app; its :class:`EmulatorContext` is ``app.state.emulator``.

    :param credentials: accepted ``{SecretId: SecretKey}`` pairs (plus ``secret_id``/``secret_key``);
        without any, the pair :data:`DEFAULT_SECRET_ID` / :data:`DEFAULT_SECRET_KEY` is accepted.
    :param token: when set, every request must carry ``X-TC-Token`` with this value.
    :param action_seconds: how long one action takes on one instance.
    :param rate_limits: enforce the documented per-action limits (switchable at run time).
    :param seed: seed of the emulator's random numbers (``None`` = random).
    :param admin_token: the token the ``/_emulator`` controls then require (``X-Emulator-Admin-Token``).
    :param admin_open: without an admin token, whether the controls are open (say ``False`` when
        the emulator listens on a non-loopback address).
    :param variants: the readings of undocumented behaviour (default: ``CFG_EMULATOR_VARIANTS``, else
        the defaults of :mod:`.variants`).
    """
    ctx = EmulatorContext(
        state=state or EmulatorState(action_seconds=action_seconds, seed=seed,
                                     variants=variants if variants is not None else Variants.from_env()),
        credentials=_credential_map(credentials, secret_id, secret_key),
        token=token or None,
        rate_limits_default=rate_limits,
        admin_token=admin_token or None,
        admin_open=admin_open,
    )
    app = Starlette(routes=[
        Route("/", api, methods=["POST"]),
        Route("/", api_get, methods=["GET"]),
        Route("/_emulator/health", health, methods=["GET"]),
        Route("/_emulator/faults", faults, methods=["GET"]),
        Route("/_emulator/chaos", chaos_route, methods=["GET", "POST"]),
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/rate-limits", rate_limits_route, methods=["GET", "POST"]),
        Route("/_emulator/stats", stats_route, methods=["GET", "POST"]),
        Route("/_emulator/variants", variants_route, methods=["GET", "POST"]),
        Route("/_emulator/tasks/{task_id:int}", task_page, methods=["GET"]),
    ])
    app.state.emulator = ctx
    return app
