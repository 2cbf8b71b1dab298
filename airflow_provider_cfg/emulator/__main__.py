"""``cfg-emulator`` / ``python -m airflow_provider_cfg.emulator``: serve the CFG emulator.

Every flag defaults from an environment variable (``CFG_EMULATOR_HOST``, ``CFG_EMULATOR_PORT``,
``CFG_EMULATOR_SECRET_ID``, ``CFG_EMULATOR_SECRET_KEY``, ``CFG_EMULATOR_TOKEN``,
``CFG_EMULATOR_ACTION_SECONDS``, ``CFG_EMULATOR_RATE_LIMITS`` = on/off, ``CFG_EMULATOR_VARIANTS`` =
``NAME=VALUE,...``; ``--variant NAME=VALUE`` is repeatable and applies on top). On start one line is
printed: ``cfg-emulator listening on http://HOST:PORT (pid N)``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence

from airflow_provider_cfg.api.config import is_loopback
from airflow_provider_cfg.emulator.app import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, create_app
from airflow_provider_cfg.emulator.defaults import DEFAULT_PORT
from airflow_provider_cfg.emulator.server import bind_socket, quiet_intentional_drops, uvicorn_server
from airflow_provider_cfg.emulator.variants import CHOICES, ENV_VAR, VariantError, Variants

_TRUE = {"1", "on", "true", "yes"}
_FALSE = {"0", "off", "false", "no"}


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise SystemExit(f"cfg-emulator: {name} must be on or off; got {value!r}")


def _env_number(name: str, default: float, kind: type = float) -> float:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return kind(value)
    except ValueError:
        raise SystemExit(f"cfg-emulator: {name} must be a number; got {value!r}") from None


def build_parser() -> argparse.ArgumentParser:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="cfg-emulator", description="Local emulator of the Tencent Cloud CFG API "
                                                                      "(cfg 2021-08-20).")
    parser.add_argument("--host", default=env("CFG_EMULATOR_HOST") or "127.0.0.1",
                        help="interface to bind (env CFG_EMULATOR_HOST; default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=int(_env_number("CFG_EMULATOR_PORT", DEFAULT_PORT, int)),
                        help=f"port, 0 for a free one (env CFG_EMULATOR_PORT; default {DEFAULT_PORT})")
    parser.add_argument("--secret-id", default=env("CFG_EMULATOR_SECRET_ID") or DEFAULT_SECRET_ID,
                        help="accepted SecretId (env CFG_EMULATOR_SECRET_ID)")
    parser.add_argument("--secret-key", default=env("CFG_EMULATOR_SECRET_KEY") or DEFAULT_SECRET_KEY,
                        help="its SecretKey (env CFG_EMULATOR_SECRET_KEY)")
    parser.add_argument("--token", default=env("CFG_EMULATOR_TOKEN") or None,
                        help="when set, requests must carry this X-TC-Token (env CFG_EMULATOR_TOKEN)")
    parser.add_argument("--action-seconds", type=float,
                        default=_env_number("CFG_EMULATOR_ACTION_SECONDS", 2.0),
                        help="how long one action takes on one instance (env CFG_EMULATOR_ACTION_SECONDS; "
                             "default 2.0)")
    limits = parser.add_mutually_exclusive_group()
    limits.add_argument("--rate-limits", dest="rate_limits", action="store_true",
                        default=_env_bool("CFG_EMULATOR_RATE_LIMITS", True),
                        help="enforce the documented per-action rate limits (default; env CFG_EMULATOR_RATE_LIMITS)")
    limits.add_argument("--no-rate-limits", dest="rate_limits", action="store_false",
                        help="do not enforce rate limits")
    parser.add_argument("--admin-token", default=env("CFG_EMULATOR_ADMIN_TOKEN") or None,
                        help="token the /_emulator controls (reset, chaos, rate-limits, stats) require in the "
                             "X-Emulator-Admin-Token header (env CFG_EMULATOR_ADMIN_TOKEN); without one they are "
                             "open on a loopback --host and refused on any other")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=VALUE",
                        help=f"play one reading of an undocumented behaviour (repeatable; env {ENV_VAR}); "
                             + "; ".join(f"{name}: {'|'.join(values)}" for name, values in CHOICES.items()))
    parser.add_argument("--seed", type=int, default=None, help="seed of the emulator's random numbers")
    parser.add_argument("--log-level", default=env("CFG_EMULATOR_LOG_LEVEL") or "info",
                        choices=["critical", "error", "warning", "info", "debug"],
                        help="log level (one line per API call at info)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.action_seconds < 0:
        raise SystemExit("cfg-emulator: --action-seconds must be >= 0")
    try:
        variants = Variants.from_env(args.variant)
    except VariantError as exc:
        raise SystemExit(f"cfg-emulator: {exc}") from None
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    admin_open = is_loopback(args.host)
    app = create_app(secret_id=args.secret_id, secret_key=args.secret_key, token=args.token,
                     action_seconds=args.action_seconds, rate_limits=args.rate_limits, seed=args.seed,
                     admin_token=args.admin_token, admin_open=admin_open,
                     variants=variants)
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        raise SystemExit(f"cfg-emulator: cannot listen on {args.host}:{args.port}: {exc}") from None
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"cfg-emulator listening on http://{host}:{port} (pid {os.getpid()})", flush=True)
    if not admin_open and not args.admin_token:
        print("cfg-emulator: not a loopback address and no --admin-token: the /_emulator controls (reset, chaos, "
              "rate-limits, stats) are refused", flush=True)
    quiet_intentional_drops()
    server = uvicorn_server(app, args.log_level)
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal to the handler
    # that was installed before it: make that a clean exit rather than death by signal.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
    return 0


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


if __name__ == "__main__":
    sys.exit(main())
