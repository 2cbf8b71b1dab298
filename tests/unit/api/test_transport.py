"""Transport rules (issue 12, finding 5): no proxy from the environment, the https/loopback rule
for the endpoint and the proxy, no userinfo, loopback means a loopback address."""

from __future__ import annotations

import pytest

from airflow_provider_cfg.api import CfgClient, CfgTransportError, CfgValidationError
from airflow_provider_cfg.api.config import is_loopback, normalize_endpoint, normalize_proxy
from airflow_provider_cfg.api.ratelimit import RateLimiterRegistry

SECRET_ID = "AKIDtransporttests000000000000000"
SECRET_KEY = "canary-transport-secret-key"


@pytest.fixture
def emu(cfg_emulator):
    return cfg_emulator


def client(emu, **kwargs) -> CfgClient:
    return CfgClient(emu.secret_id, emu.secret_key, endpoint=emu.endpoint, limiters=RateLimiterRegistry(),
                     max_attempts=1, **kwargs)


@pytest.mark.parametrize("name", ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"])
def test_a_proxy_in_the_environment_is_never_used(emu, monkeypatch, name):
    """On main, httpx sent the signed request in cleartext to ``HTTP_PROXY`` (here: a closed port)."""
    for var in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv(name, "http://127.0.0.1:9")
    with client(emu) as cfg:
        assert cfg.describe_template(626).Template.TemplateId == 626


def test_the_proxy_of_the_connection_is_used(emu):
    with client(emu, proxy="http://127.0.0.1:9") as cfg, pytest.raises(CfgTransportError, match="ConnectError"):
        cfg.describe_template(626)  # the closed proxy port is what it tried


@pytest.mark.parametrize("proxy", ["http://proxy.example.com:3128", "http://localhost:3128",
                                   "http://proxy.localhost:3128", "socks5://127.0.0.1:1080", "proxy.example.com",
                                   "https://proxy.example.com/path", "https://prox y.example.com",
                                   "https://proxy.example.com:99999"])
def test_a_bad_proxy_is_refused(proxy):
    with pytest.raises(CfgValidationError) as err:
        CfgClient(SECRET_ID, SECRET_KEY, proxy=proxy)
    assert err.value.field == "proxy" and "proxy" in str(err.value)


def test_good_proxies():
    assert normalize_proxy("https://proxy.example.com:3128/") == "https://proxy.example.com:3128"
    assert normalize_proxy("http://127.0.0.1:3128") == "http://127.0.0.1:3128"
    assert normalize_proxy("http://10.0.0.1:3128", allow_insecure_http=True) == "http://10.0.0.1:3128"
    assert normalize_proxy(None) is None and normalize_proxy("") is None


@pytest.mark.parametrize("endpoint", ["http://user:pass-canary@127.0.0.1:8999", "user:pass-canary@127.0.0.1:8999",
                                      "https://user:pass-canary@cfg.tencentcloudapi.com", "https://@cfg.example.com"])
def test_userinfo_in_the_endpoint_is_refused_without_echoing_it(endpoint):
    with pytest.raises(CfgValidationError, match="endpoint must not contain a user name or password") as err:
        normalize_endpoint(endpoint)
    assert "pass-canary" not in str(err.value) and err.value.field == "endpoint"


def test_proxy_userinfo_is_refused_without_echoing_it():
    with pytest.raises(CfgValidationError, match="proxy must not contain a user name or password") as err:
        normalize_proxy("https://user:pass-canary@proxy.example.com")
    assert "pass-canary" not in str(err.value)


@pytest.mark.parametrize("host", ["localhost", "evil.localhost", "127.0.0.1.nip.io", "LOCALHOST", "0.0.0.0"])
def test_a_name_is_not_a_loopback_address(host):
    assert not is_loopback(host)
    with pytest.raises(CfgValidationError, match="plain http to a non-loopback host"):
        normalize_endpoint(f"http://{host}:8999")


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "[::1]", "::1"])
def test_loopback_addresses(host):
    assert is_loopback(host)


@pytest.mark.parametrize("endpoint", ["https://cfg.example.com\r\nX: y", "https://cfg\x00.example.com",
                                      " https://cfg .example.com", "https://cfg.exämple.com"])
def test_an_endpoint_with_control_or_non_ascii_characters_is_refused(endpoint):
    with pytest.raises(CfgValidationError) as err:
        normalize_endpoint(endpoint)
    assert err.value.field == "endpoint"
