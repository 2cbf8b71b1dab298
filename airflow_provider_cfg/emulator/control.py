"""The out-of-band ``/_emulator`` routes: health, the fault ledger, chaos, reset, rate limits, stats,
the variants played.

Unsigned: they are the test harness's controls, not part of the CFG API. The ones that change
something (``POST`` of reset, chaos, rate-limits, stats and variants) are refused without the admin token when
the emulator has one, and always when it listens on a non-loopback address without one
(:meth:`EmulatorContext.admin_refusal`).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from airflow_provider_cfg.api.actions import API_VERSION
from airflow_provider_cfg.emulator.chaos import ChaosConfig
from airflow_provider_cfg.emulator.context import ADMIN_TOKEN_HEADER, EmulatorContext
from airflow_provider_cfg.emulator.variants import VariantError


def admin_only(request: Request) -> Response | None:
    """The refusal of a control call not allowed to change anything (``None``: go on)."""
    if request.method == "GET":
        return None
    ctx: EmulatorContext = request.app.state.emulator
    refusal = ctx.admin_refusal(request.headers.get(ADMIN_TOKEN_HEADER))
    return None if refusal is None else JSONResponse({"error": refusal[1]}, status_code=refusal[0])


# ruff: ignore[unused-async] - Starlette would run a sync endpoint in a thread
async def health(request: Request) -> Response:
    ctx: EmulatorContext = request.app.state.emulator
    state = ctx.state
    with state.lock:
        state.advance()
        tasks = len(state.tasks)
        faults = len(state.ledger)
    return JSONResponse({
        "status": "ok",
        "service": "cfg",
        "version": API_VERSION,
        "tasks": tasks,
        "faults": faults,
        "action_seconds": state.action_seconds,
        "rate_limits": ctx.rate_limits,
        "chaos": ctx.chaos.config.to_json(),
    })


# ruff: ignore[unused-async] - Starlette would run a sync endpoint in a thread
async def faults(request: Request) -> Response:
    return JSONResponse(request.app.state.emulator.state.faults())


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except RecursionError:
        raise ValueError("the JSON body is nested too deeply") from None


async def chaos_route(request: Request) -> Response:
    ctx: EmulatorContext = request.app.state.emulator
    if (refused := admin_only(request)) is not None:
        return refused
    if request.method == "POST":
        try:
            config = ChaosConfig.parse(await _json_body(request))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            return JSONResponse({"error": str(exc)}, status_code=400)
        ctx.configure_chaos(config)
    return JSONResponse(ctx.chaos.config.to_json())


# ruff: ignore[unused-async] - Starlette would run a sync endpoint in a thread
async def reset(request: Request) -> Response:
    if (refused := admin_only(request)) is not None:
        return refused
    request.app.state.emulator.reset()
    return JSONResponse({"status": "reset"})


async def rate_limits_route(request: Request) -> Response:
    ctx: EmulatorContext = request.app.state.emulator
    if (refused := admin_only(request)) is not None:
        return refused
    if request.method == "POST":
        try:
            raw = await _json_body(request)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        if not isinstance(raw, dict) or set(raw) != {"enabled"} or not isinstance(raw["enabled"], bool):
            return JSONResponse({"error": 'expected {"enabled": true|false}'}, status_code=400)
        ctx.rate_limits = raw["enabled"]
    return JSONResponse({"enabled": ctx.rate_limits})


# ruff: ignore[unused-async] - Starlette would run a sync endpoint in a thread
async def stats_route(request: Request) -> Response:
    """``GET``: the request counters (:meth:`EmulatorContext.stats`); ``POST``: zero them (state untouched)."""
    ctx: EmulatorContext = request.app.state.emulator
    if (refused := admin_only(request)) is not None:
        return refused
    if request.method == "POST":
        ctx.reset_stats()
    return JSONResponse(ctx.stats())


async def variants_route(request: Request) -> Response:
    """``GET /_emulator/variants``: each variant, its values, the current one; ``POST`` with
    ``{"name": "value", ...}`` changes them (HTTP 400 naming what is wrong, nothing changed)."""
    if (refused := admin_only(request)) is not None:
        return refused
    state = request.app.state.emulator.state
    if request.method == "POST":
        try:
            raw = await _json_body(request)
            if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
                raise VariantError('expected {"variant": "value", ...}')
            with state.lock:
                state.variants.update(raw)
        except ValueError as exc:  # json.JSONDecodeError and VariantError are ValueErrors
            return JSONResponse({"error": str(exc)}, status_code=400)
    with state.lock:
        return JSONResponse(state.variants.listing())
