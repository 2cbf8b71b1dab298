"""The clients' fast path: a request built and signed by the client itself, handed straight to
the transport httpx would have picked for the endpoint (see ``bench/`` and BENCHMARKS.md).

Kept apart from :mod:`airflow_provider_cfg.api.client` because it is the one place that leans
on an httpx detail (``Client._transport_for_url``); :func:`fast_wire` falls back to ``None`` —
the public ``client.send`` path — whenever that detail is missing.
"""

from __future__ import annotations

from typing import Any

import httpx

from airflow_provider_cfg.api.signing import Tc3Auth

# Signed headers whose value changes with every request (the others are fixed per action).
_PER_REQUEST_HEADERS = frozenset({"x-tc-timestamp", "content-length", "authorization"})


class Wire:
    """What the fast path needs, worked out once per httpx client.

    The fast path builds the ``httpx.Request`` itself (no URL and header merging, no cookie jar,
    no auth-flow generator, no redirect machinery: none of which a CFG call uses) and hands it to
    the transport that the httpx client would have picked for the endpoint (its keep-alive pool,
    or the proxy mounted from the environment). The wire stays as ``client.send`` made it: the
    same headers in the same order, signed by the same :class:`Tc3Auth`, the same timeouts.
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


def fast_wire(http: httpx.Client | httpx.AsyncClient, base_url: str, auth: Tc3Auth) -> Wire | None:
    """The fast path's :class:`Wire`, or ``None`` (use ``client.send``) if httpx does not let us
    find the transport or the client carries something the fast path does not reproduce."""
    transport_for_url = getattr(http, "_transport_for_url", None)
    if transport_for_url is None or http.cookies or http.event_hooks["request"] or http.event_hooks["response"]:
        return None
    url = httpx.URL(base_url + "/")
    try:
        return Wire(http, transport_for_url(url), url, auth)
    except Exception:  # pragma: no cover - an httpx we do not know: stay on the public path
        return None
