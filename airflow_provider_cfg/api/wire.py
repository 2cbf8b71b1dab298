"""The clients' connection: the httpx transport they own, and their fast path over it — a request
built and signed by the client itself, handed straight to that transport (see ``bench/`` and
BENCHMARKS.md).

Only public httpx API: the clients build their transport (``httpx.HTTPTransport`` /
``httpx.AsyncHTTPTransport``: verification on, nothing from the environment, the one proxy the
connection names) and give it to ``httpx.Client(transport=...)``, which then has no other
transport (no proxy mounts: ``trust_env=False`` and no ``proxy=``), so the fast path knows which
transport ``client.send`` would use without asking httpx.
"""

from __future__ import annotations

from typing import Any

import httpx

from airflow_provider_cfg.api.config import ClientConfig
from airflow_provider_cfg.api.signing import Tc3Auth

# Signed headers whose value changes with every request (the others are fixed per action).
_PER_REQUEST_HEADERS = frozenset({"x-tc-timestamp", "content-length", "authorization"})

# One keep-alive pool per client: 100 connections, 20 kept alive for 30 s.
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=30.0)


class Wire:
    """What the fast path needs, worked out once per httpx client.

    The fast path builds the ``httpx.Request`` itself (no URL and header merging, no cookie jar,
    no auth-flow generator, no redirect machinery: none of which a CFG call uses) and hands it to
    the client's transport. The wire stays as ``client.send`` made it: the same headers in the same
    order, signed by the same :class:`Tc3Auth`, the same timeouts, the same transport.
    """

    __slots__ = ("extensions", "headers", "lower", "prefixes", "static_prefix", "token", "transport", "url")

    def __init__(self, http: httpx.Client | httpx.AsyncClient, transport: Any, url: httpx.URL, auth: Tc3Auth) -> None:
        self.transport = transport
        self.url = url
        host = httpx.Request("POST", url).headers["Host"]
        self.headers: list[tuple[bytes, bytes]] = [(b"Host", host.encode("ascii")), *http.headers.raw]
        self.lower = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in self.headers}
        token = auth.credentials.token
        self.token: list[tuple[bytes, bytes]] = [(b"X-TC-Token", token.encode())] if token else []
        if token:
            self.lower["x-tc-token"] = token
        self.extensions = {"timeout": http.timeout.as_dict()}
        # The canonical headers block is fixed per action unless a per-request header is signed.
        self.static_prefix = not (_PER_REQUEST_HEADERS & set(auth.signed_headers))
        self.prefixes: dict[str, str] = {}


def own_transport(config: ClientConfig, *, is_async: bool) -> httpx.HTTPTransport | httpx.AsyncHTTPTransport:
    """The transport ``httpx.Client(proxy=config.proxy, trust_env=False)`` would have built for the
    endpoint: TLS verified against the bundled CAs (no ``SSL_CERT_FILE`` from the environment),
    HTTP/1.1, the keep-alive :data:`LIMITS`, no retries, and the configured proxy only."""
    cls = httpx.AsyncHTTPTransport if is_async else httpx.HTTPTransport
    return cls(verify=True, trust_env=False, limits=LIMITS, retries=0, proxy=config.proxy)


def open_http(cls: type[Any], options: dict[str, Any], config: ClientConfig, auth: Tc3Auth,
              transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None) -> tuple[Any, Wire | None]:
    """``cls(**options)`` (``httpx.Client`` or ``httpx.AsyncClient``) on ``transport`` — the
    caller's, used as it is — or else on :func:`own_transport`; and its fast path's :class:`Wire`
    (``None``: use ``client.send``)."""
    if transport is None:
        transport = own_transport(config, is_async=cls is httpx.AsyncClient)
    http = cls(**options, transport=transport)
    return http, fast_wire(http, transport, config.endpoint, auth)


def fast_wire(http: httpx.Client | httpx.AsyncClient, transport: Any, base_url: str, auth: Tc3Auth) -> Wire | None:
    """The fast path's :class:`Wire` on ``transport`` (the client's only one), or ``None`` — use
    ``client.send`` — if the client carries something the fast path does not reproduce (cookies,
    event hooks)."""
    if http.cookies or http.event_hooks["request"] or http.event_hooks["response"]:
        return None
    return Wire(http, transport, httpx.URL(base_url + "/"), auth)
