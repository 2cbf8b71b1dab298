"""TC3-HMAC-SHA256: published vectors, the SDK-exact vector, and a cross-check against the
official SDK's own request builder on many random requests."""

from __future__ import annotations

import json
import random
import string

import httpx
import pytest
from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.http.request import RequestInternal
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from airflow_provider_cfg.api.signing import (
    Credentials,
    Tc3Auth,
    canonical_request,
    derive_signing_key,
    parse_authorization,
    sha256_hex,
    string_to_sign,
)

# cfg-api.md §5.3, vector B (Tencent's published example; the masked keys are the literal keys).
VECTOR_B_BODY = json.dumps({"Limit": 1, "Filters": [{"Values": ["未命名"], "Name": "instance-name"}]})


def _signed(url: str, body: bytes, content_type: str, auth: Tc3Auth) -> httpx.Request:
    request = httpx.Request("POST", url, content=body, headers={"Content-Type": content_type})
    auth.sign(request)
    return request


def test_vector_b_intermediate_values():
    assert sha256_hex(VECTOR_B_BODY) == "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    canonical = canonical_request(
        "POST", "/", "",
        {"content-type": "application/json; charset=utf-8", "host": "cvm.tencentcloudapi.com"},
        ("content-type", "host"), sha256_hex(VECTOR_B_BODY),
    )
    assert sha256_hex(canonical) == "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    key = derive_signing_key("Gu5t9xGARNpq86cd98joQYCN3*******", "2019-02-25", "cvm")
    assert key.hex() == "8aa8ab5755582f576e94bcfe383b8e29325b0ca90c3590d569221c6a63a091ed"


def test_vector_b_authorization():
    auth = Tc3Auth(
        Credentials("AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******", "Gu5t9xGARNpq86cd98joQYCN3*******"),
        service="cvm", clock=lambda: 1551113065,
    )
    request = _signed("https://cvm.tencentcloudapi.com/", VECTOR_B_BODY.encode(), "application/json; charset=utf-8",
                      auth)
    assert request.headers["Authorization"] == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, "
        "SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
    )
    assert request.headers["X-TC-Timestamp"] == "1551113065"


def test_vector_d_sdk_exact_for_cfg():
    auth = Tc3Auth(Credentials("AKID" + "*" * 32, "*" * 32), clock=lambda: 1551113065)
    request = _signed("https://cfg.tencentcloudapi.com/", json.dumps({"TaskId": 1234}).encode(), "application/json",
                      auth)
    canonical = canonical_request(
        "POST", "/", "", {"content-type": "application/json", "host": "cfg.tencentcloudapi.com"},
        ("content-type", "host"), sha256_hex(request.content),
    )
    assert canonical == (
        "POST\n/\n\ncontent-type:application/json\nhost:cfg.tencentcloudapi.com\n\ncontent-type;host\n"
        "98d226a4d2f23a98d24baf88754e9ce6f6320207580bda42108ad443c42dfe73"
    )
    assert string_to_sign(1551113065, "2019-02-25/cfg/tc3_request", canonical) == (
        "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cfg/tc3_request\n"
        "7d72254a4b82391d503b421c849ef17a63bf5bf734978a0b99db2f0ea9f91e9a"
    )
    assert request.headers["Authorization"].endswith(
        "Signature=362b6eec29cb083c3b2b1cb5d55c4721ab9eec9b363f7a8834e60ad1c6dc4aa7"
    )


def test_token_is_sent_but_never_in_repr():
    creds = Credentials("AKIDsometoken000000", "topsecretkey", token="session-token-canary")
    auth = Tc3Auth(creds, clock=lambda: 1700000000)
    request = _signed("https://cfg.tencentcloudapi.com/", b"{}", "application/json", auth)
    assert request.headers["X-TC-Token"] == "session-token-canary"
    for text in (repr(creds), repr(auth), str(creds)):
        assert "topsecretkey" not in text and "session-token-canary" not in text


def test_extra_signed_headers_are_signed_sorted():
    auth = Tc3Auth(Credentials("AKIDx", "key"), signed_headers=("x-tc-action", "host", "content-type"), clock=lambda: 1)
    request = httpx.Request(
        "POST", "https://cfg.tencentcloudapi.com/", content=b"{}",
        headers={"Content-Type": "application/json", "X-TC-Action": "DescribeTask"},
    )
    auth.sign(request)
    parsed = parse_authorization(request.headers["Authorization"])
    assert parsed.signed_headers == ("content-type", "host", "x-tc-action")
    # Changing the signed action header changes the signature.
    other = httpx.Request("POST", request.url, content=b"{}",
                          headers={"Content-Type": "application/json", "X-TC-Action": "DeleteTask"})
    auth.sign(other)
    assert parse_authorization(other.headers["Authorization"]).signature != parsed.signature


def test_signed_headers_must_include_content_type_and_host():
    with pytest.raises(ValueError, match="content-type and host"):
        Tc3Auth(Credentials("AKIDx", "key"), signed_headers=("host",))


@pytest.mark.parametrize("bad", ["", " padded", "padded "])
def test_credentials_reject_blank_or_padded(bad):
    with pytest.raises(ValueError, match="secret_id"):
        Credentials(bad, "key")


def test_signing_key_is_cached_per_day(mocker):
    now = [1551113065.0]
    auth = Tc3Auth(Credentials("AKIDx", "key"), clock=lambda: now[0])
    derive = mocker.patch("airflow_provider_cfg.api.signing.derive_signing_key", wraps=derive_signing_key)
    for _ in range(5):
        _signed("https://cfg.tencentcloudapi.com/", b"{}", "application/json", auth)
    assert derive.call_count == 1
    now[0] += 86400  # next UTC day → a new key
    _signed("https://cfg.tencentcloudapi.com/", b"{}", "application/json", auth)
    assert derive.call_count == 2


def _random_text(rng: random.Random, n: int) -> str:
    alphabet = string.ascii_letters + string.digits + " -_./:\"\\" + "混沌演练故障注入" + "é€😀"
    return "".join(rng.choice(alphabet) for _ in range(n))


def _sdk_authorization(mocker, secret_id, secret_key, region, host, action, params, timestamp) -> tuple[str, str]:
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=host))
    client = CommonClient("cfg", "2021-08-20", credential.Credential(secret_id, secret_key), region, profile)
    request = RequestInternal(host, "POST", "/")
    patched = mocker.patch("time.time", return_value=timestamp)
    client._build_req_inter(action, params, request)
    mocker.stop(patched)
    return request.header["Authorization"], request.data


@pytest.mark.parametrize("seed", range(60))
def test_matches_official_sdk_on_random_requests(seed, mocker):
    rng = random.Random(seed)
    secret_id = "AKID" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(32))
    secret_key = "".join(rng.choice(string.ascii_letters + string.digits + "+/") for _ in range(rng.randint(16, 40)))
    host = rng.choice(["cfg.tencentcloudapi.com", "cfg.ap-shanghai.tencentcloudapi.com", "127.0.0.1:18999",
                       "cfg.intl.tencentcloudapi.com"])
    action = rng.choice(["DescribeTask", "CreateTaskFromTemplate", "ExecuteTaskInstance", "ModifyTaskRunStatus"])
    params = {
        "TaskId": rng.randint(1, 10**9),
        "Summary": _random_text(rng, rng.randint(0, 60)),
        "Nested": {"List": [rng.randint(-5, 5) for _ in range(rng.randint(0, 4))], "Flag": rng.random() < 0.5},
    }
    timestamp = rng.randint(1_500_000_000, 1_900_000_000)
    region = rng.choice(["ap-guangzhou", "ap-beijing"])
    expected, body = _sdk_authorization(mocker, secret_id, secret_key, region, host, action, params, timestamp)

    auth = Tc3Auth(Credentials(secret_id, secret_key), clock=lambda: timestamp)
    request = _signed(f"https://{host}/", body.encode(), "application/json", auth)
    assert request.headers["Authorization"] == expected


def test_parse_authorization_rejects_garbage():
    assert parse_authorization("Bearer abc") is None
    assert parse_authorization(
        "TC3-HMAC-SHA256 Credential=AKID/2020-01-01/cfg/tc3_request, SignedHeaders=host, Signature=zz") is None
