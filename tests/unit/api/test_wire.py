"""The clients' own httpx transport (issue 16): built with public httpx API only, carrying the
connection's proxy (and no other), TLS verified, a caller's transport used as it is; the fast path
and ``client.send`` go through the same transport, and no private httpx method is called."""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import airflow_provider_cfg
from airflow_provider_cfg.api import AsyncCfgClient, CfgApiError, CfgClient, CfgTransportError, wire
from airflow_provider_cfg.api.ratelimit import RateLimiterRegistry

PACKAGE = Path(airflow_provider_cfg.__file__).parent
PROXY_ANSWER = {"Response": {"Error": {"Code": "ProxyAnswered", "Message": "via the proxy"}, "RequestId": "p"}}
UNREACHABLE = "127.0.0.2:9"  # a loopback address where nothing listens: only a proxy can answer for it


class _Server:
    """A loopback HTTP server on a free port (stdlib ``http.server``) that records each request
    line and answers ``PROXY_ANSWER``; optionally over TLS."""

    def __init__(self, context: ssl.SSLContext | None = None) -> None:
        lines: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                lines.append(self.requestline)
                self.rfile.read(int(self.headers["Content-Length"]))
                body = json.dumps(PROXY_ANSWER).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.lines = lines
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if context is not None:
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def proxy() -> Iterator[_Server]:
    server = _Server()
    yield server
    server.stop()


@pytest.fixture
def tls_server(tmp_path) -> Iterator[_Server]:
    """An https server on loopback with a self-signed certificate (trusted by nobody)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server = _Server(context)
    yield server
    server.stop()


def _kwargs(**kwargs) -> dict:
    return {"limiters": RateLimiterRegistry(), "max_attempts": 1, **kwargs}


def test_no_private_httpx_method_is_named_anywhere_in_the_package():
    offenders = [str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
                 if "_transport_for_url" in path.read_text()]
    assert offenders == []


def test_sync_calls_never_ask_httpx_for_its_transport(cfg_emulator, mocker):
    spy = mocker.spy(httpx.Client, "_transport_for_url")
    send = mocker.spy(httpx.Client, "send")
    with CfgClient(cfg_emulator.secret_id, cfg_emulator.secret_key, endpoint=cfg_emulator.endpoint, **_kwargs()) as cfg:
        assert cfg.describe_template(626).Template.TemplateId == 626
        assert cfg.call("DescribeTemplate", {"TemplateId": 626})["Template"]["TemplateId"] == 626
        transport = cfg._wire.transport
        assert isinstance(transport, httpx.HTTPTransport) and transport is cfg._http._transport
    assert spy.call_count == 0 and send.call_count == 0  # the fast path, on the clients' own transport


async def test_async_calls_never_ask_httpx_for_its_transport(cfg_emulator, mocker):
    spy = mocker.spy(httpx.AsyncClient, "_transport_for_url")
    send = mocker.spy(httpx.AsyncClient, "send")
    async with AsyncCfgClient(cfg_emulator.secret_id, cfg_emulator.secret_key, endpoint=cfg_emulator.endpoint,
                              **_kwargs()) as cfg:
        assert (await cfg.describe_template(626)).Template.TemplateId == 626
        transport = cfg._wire.transport
        assert isinstance(transport, httpx.AsyncHTTPTransport) and transport is cfg._http._transport
    assert spy.call_count == 0 and send.call_count == 0


def test_the_transport_is_built_like_httpx_would_with_trust_env_off(mocker):
    built = mocker.spy(httpx.HTTPTransport, "__init__")
    CfgClient("AKIDwire000000", "key", endpoint="https://cfg.example.com", proxy="https://proxy.example.com:3128",
              **_kwargs())._client()
    _, kwargs = built.call_args
    assert kwargs == {"verify": True, "trust_env": False, "limits": wire.LIMITS, "retries": 0,
                      "proxy": "https://proxy.example.com:3128"}


@pytest.mark.parametrize("fast", [True, False])
def test_the_named_proxy_carries_every_request_sync(proxy, fast):
    with CfgClient("AKIDwire000000", "key", endpoint=UNREACHABLE, proxy=f"http://127.0.0.1:{proxy.port}",
                   **_kwargs()) as cfg:
        cfg._client()
        if not fast:
            cfg._wire = None  # the public path: client.send
        with pytest.raises(CfgApiError, match="ProxyAnswered"):
            cfg.describe_template(626)
    assert proxy.lines == [f"POST http://{UNREACHABLE}/ HTTP/1.1"]  # absolute form: a proxy request


@pytest.mark.parametrize("fast", [True, False])
async def test_the_named_proxy_carries_every_request_async(proxy, fast):
    async with AsyncCfgClient("AKIDwire000000", "key", endpoint=UNREACHABLE,
                              proxy=f"http://127.0.0.1:{proxy.port}", **_kwargs()) as cfg:
        cfg._client()
        if not fast:
            cfg._wire = None
        with pytest.raises(CfgApiError, match="ProxyAnswered"):
            await cfg.describe_template(626)
    assert proxy.lines == [f"POST http://{UNREACHABLE}/ HTTP/1.1"]


def test_without_a_proxy_the_endpoint_is_reached_directly(proxy):
    """The same server as endpoint: an origin-form request line, no proxy in between."""
    with CfgClient("AKIDwire000000", "key", endpoint=f"127.0.0.1:{proxy.port}", **_kwargs()) as cfg, \
            pytest.raises(CfgApiError, match="ProxyAnswered"):
        cfg.describe_template(626)
    assert proxy.lines == ["POST / HTTP/1.1"]


@pytest.mark.parametrize("cls", [CfgClient, AsyncCfgClient])
def test_a_callers_transport_is_used_as_it_is(cls, mocker):
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json=PROXY_ANSWER)

    own = mocker.spy(wire, "own_transport")
    transport = httpx.MockTransport(handler)
    client = cls("AKIDwire000000", "key", endpoint="https://cfg.example.com", proxy="https://proxy.example.com:3128",
                 transport=transport, **_kwargs())
    client._client()
    assert client._wire.transport is transport and client._http._transport is transport
    assert own.call_count == 0
    assert not client._http._mounts  # the named proxy is not mounted beside it: the caller's transport decides
    if cls is CfgClient:
        with pytest.raises(CfgApiError, match="ProxyAnswered"):
            client.describe_template(626)
        assert seen == ["https://cfg.example.com/"]


def test_https_is_spoken_to_an_https_endpoint_and_the_certificate_verified(tls_server):
    """An untrusted (self-signed) certificate on loopback is refused: TLS with verification."""
    with CfgClient("AKIDwire000000", "key", endpoint=f"https://127.0.0.1:{tls_server.port}", **_kwargs()) as cfg, \
            pytest.raises(CfgTransportError, match="ConnectError"):
        cfg.describe_template(626)
    assert tls_server.lines == []


def test_a_ca_bundle_from_the_environment_is_ignored(tls_server, tmp_path, monkeypatch):
    """``SSL_CERT_FILE`` naming the server's own certificate would make httpx (trust_env) trust it."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "cert.pem"))
    with CfgClient("AKIDwire000000", "key", endpoint=f"https://127.0.0.1:{tls_server.port}", **_kwargs()) as cfg, \
            pytest.raises(CfgTransportError, match="ConnectError"):
        cfg.describe_template(626)
    with httpx.Client(trust_env=True) as trusting:  # httpx's default would have trusted it
        assert trusting.post(f"https://127.0.0.1:{tls_server.port}/", content=b"{}").status_code == 200


def test_plain_http_is_spoken_to_a_loopback_endpoint(cfg_emulator):
    with CfgClient(cfg_emulator.secret_id, cfg_emulator.secret_key, endpoint=cfg_emulator.endpoint,
                   **_kwargs()) as cfg:
        assert cfg.config.endpoint.startswith("http://127.0.0.1:")
        assert cfg.describe_template(626).Template.TemplateId == 626
