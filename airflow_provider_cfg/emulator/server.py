"""Run the emulator with uvicorn, in this process: a background thread or the foreground (CLI).

``EmulatorServer`` is what tests, benchmarks and scripts use::

    with EmulatorServer(action_seconds=0.1) as emu:
        emu.call("DescribeTemplate", TemplateId=626)     # signed call, returns the Response dict
        sdk_endpoint = emu.endpoint                      # "127.0.0.1:PORT" for HttpProfile
        emu.state.faults()
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Mapping
from typing import Any

import httpx
import uvicorn

from airflow_provider_cfg.api.actions import API_VERSION
from airflow_provider_cfg.api.config import is_loopback
from airflow_provider_cfg.api.signing import Credentials, Tc3Auth
from airflow_provider_cfg.emulator.app import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, create_app
from airflow_provider_cfg.emulator.catalogue_data import DEFAULT_REGION
from airflow_provider_cfg.emulator.context import ADMIN_TOKEN_HEADER, EmulatorContext
from airflow_provider_cfg.emulator.limits import uvicorn_limits
from airflow_provider_cfg.emulator.state import EmulatorState


class _DropNoise(logging.Filter):
    """Hide uvicorn's complaint about the answers the chaos settings cut off on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


def quiet_intentional_drops() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DropNoise) for f in logger.filters):
        logger.addFilter(_DropNoise())


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket (``port`` 0 picks a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def uvicorn_server(app: Any, log_level: str = "warning") -> uvicorn.Server:
    config = uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="off", timeout_keep_alive=30,
                            **uvicorn_limits())
    return uvicorn.Server(config)


class EmulatorServer:
    """The emulator on a loopback port, served by uvicorn in a daemon thread.

    :param host: interface to bind.
    :param port: port to bind; 0 (default) picks a free one (see :attr:`port`).
    :param credentials: accepted ``{SecretId: SecretKey}`` pairs; default one pair,
        (:attr:`secret_id`, :attr:`secret_key`).
    :param admin_token: the token the ``/_emulator`` controls require (``X-Emulator-Admin-Token``);
        without one they are open on a loopback ``host`` and refused on any other.
    Other keyword arguments go to :func:`~airflow_provider_cfg.emulator.app.create_app`.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        credentials: Mapping[str, str] | None = None,
        secret_id: str | None = None,
        secret_key: str | None = None,
        token: str | None = None,
        action_seconds: float = 2.0,
        rate_limits: bool = True,
        seed: int | None = None,
        log_level: str = "warning",
        admin_token: str | None = None,
    ) -> None:
        if credentials is None and secret_id is None:
            secret_id, secret_key = DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
        self.app = create_app(credentials, secret_id=secret_id, secret_key=secret_key, token=token,
                              action_seconds=action_seconds, rate_limits=rate_limits, seed=seed,
                              admin_token=admin_token, admin_open=is_loopback(host))
        self.admin_token = admin_token
        first_id, first_key = next(iter(self.context.credentials.items()))
        self.secret_id = first_id
        self.secret_key = first_key
        self.token = token
        self.host = host
        self._requested_port = port
        self.port: int | None = None
        self._log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._http: httpx.Client | None = None
        self._signed: httpx.Client | None = None

    # -- access -------------------------------------------------------------------------------

    @property
    def context(self) -> EmulatorContext:
        return self.app.state.emulator

    @property
    def state(self) -> EmulatorState:
        return self.context.state

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the emulator is not running")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def endpoint(self) -> str:
        """``host:port``, the form the official SDK's ``HttpProfile.endpoint`` wants."""
        return self.url.removeprefix("http://")

    @property
    def credentials(self) -> Credentials:
        return Credentials(self.secret_id, self.secret_key, self.token)

    # -- life cycle ---------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> EmulatorServer:
        if self._thread is not None:
            return self
        quiet_intentional_drops()
        sock = bind_socket(self.host, self._requested_port)
        self.port = sock.getsockname()[1]
        self._server = uvicorn_server(self.app, self._log_level)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name=f"cfg-emulator-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the cfg emulator did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        for client in (self._http, self._signed):
            if client is not None:
                client.close()
        self._http = self._signed = None
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout)
        self._server = None
        self._thread = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- conveniences -------------------------------------------------------------------------

    def reset(self) -> None:
        """Fresh state, chaos off, rate limits back to their start-up setting."""
        self.context.reset()

    def http(self) -> httpx.Client:
        """A plain (unsigned) client on :attr:`url`, for the ``/_emulator`` routes."""
        if self._http is None:
            headers = {ADMIN_TOKEN_HEADER: self.admin_token} if self.admin_token else None
            self._http = httpx.Client(base_url=self.url, timeout=30.0, headers=headers, trust_env=False)
        return self._http

    def call(self, action: str, params: Mapping[str, Any] | None = None, *, region: str = DEFAULT_REGION,
             **kwargs: Any) -> dict[str, Any]:
        """Send one signed CFG call and return the content of its ``Response`` envelope (errors included)."""
        if self._signed is None:
            self._signed = httpx.Client(base_url=self.url, auth=Tc3Auth(self.credentials), timeout=30.0,
                                        trust_env=False)
        response = self._signed.post("/", json={**(params or {}), **kwargs}, headers={
            "Content-Type": "application/json",
            "X-TC-Action": action,
            "X-TC-Version": API_VERSION,
            "X-TC-Region": region,
        })
        response.raise_for_status()
        return response.json()["Response"]
