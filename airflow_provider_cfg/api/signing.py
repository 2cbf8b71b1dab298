"""TC3-HMAC-SHA256 request signing (Tencent Cloud API 3.0), as an ``httpx.Auth``.

The algorithm is the one in Tencent's "Signature v3" document and the official SDK
(``cfg-api.md`` §5). The same building blocks are used by the emulator to verify requests,
so signer and verifier cannot drift apart.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

import httpx

ALGORITHM = "TC3-HMAC-SHA256"
DEFAULT_SIGNED_HEADERS = ("content-type", "host")


@dataclass(frozen=True)
class Credentials:
    """A SecretId/SecretKey pair and, for temporary credentials, a session token.

    The repr never shows the key or the token.

    :param secret_id: the SecretId (``AKID…``).
    :param secret_key: the SecretKey.
    :param token: the STS session token of temporary credentials, sent as ``X-TC-Token``.
    """

    secret_id: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for name in ("secret_id", "secret_key"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value or value != value.strip():
                raise ValueError(f"Credentials.{name} must be a non-empty string without surrounding spaces")
        # sent in headers (Authorization, X-TC-Token): printable ASCII only; the values are never shown
        for name in ("secret_id", "token"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, str) and value.isascii() and value.isprintable()
                                          and " " not in value):
                raise ValueError(f"Credentials.{name} must be printable ASCII without spaces")

    @property
    def masked_id(self) -> str:
        """``AKID…wxyz``: enough to tell credentials apart in logs."""
        return f"{self.secret_id[:4]}…{self.secret_id[-4:]}" if len(self.secret_id) > 8 else "****"


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def derive_signing_key(secret_key: str, date: str, service: str) -> bytes:
    """``kSigning`` for one day and service (§5.1 step 7)."""
    k_date = _hmac(("TC3" + secret_key).encode(), date)
    return _hmac(_hmac(k_date, service), "tc3_request")


def utc_date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d")


def canonical_request(
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    signed_headers: Sequence[str],
    payload_hash: str,
) -> str:
    """The CanonicalRequest string. ``headers`` must be keyed by lower-case name."""
    # The v3 document: lower-case name, trimmed lower-case value (Tencent lowercases x-tc-action too).
    canonical_headers = "".join(f"{name}:{headers[name].strip().lower()}\n" for name in signed_headers)
    return "\n".join(
        [method.upper(), path or "/", query, canonical_headers, ";".join(signed_headers), payload_hash]
    )


def string_to_sign(timestamp: int, scope: str, canonical: str) -> str:
    return f"{ALGORITHM}\n{timestamp}\n{scope}\n{sha256_hex(canonical)}"


def signature(signing_key: bytes, to_sign: str) -> str:
    return hmac.new(signing_key, to_sign.encode(), hashlib.sha256).hexdigest()


def authorization_header(secret_id: str, scope: str, signed_headers: Sequence[str], sig: str) -> str:
    return f"{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders={';'.join(signed_headers)}, Signature={sig}"


_AUTH_RE = re.compile(
    r"^TC3-HMAC-SHA256 Credential=(?P<secret_id>[^/\s]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[^/\s]+)/tc3_request,"
    r"\s*SignedHeaders=(?P<signed>[a-z0-9;\-]+),\s*Signature=(?P<signature>[0-9a-f]{64})$"
)


@dataclass(frozen=True)
class ParsedAuthorization:
    secret_id: str
    date: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str) -> ParsedAuthorization | None:
    """Split an ``Authorization`` header; ``None`` when it is not a well-formed TC3 header."""
    match = _AUTH_RE.match(value.strip())
    if not match:
        return None
    return ParsedAuthorization(
        secret_id=match["secret_id"],
        date=match["date"],
        service=match["service"],
        signed_headers=tuple(match["signed"].split(";")),
        signature=match["signature"],
    )


def request_signature(
    request: httpx.Request, secret_key: str, timestamp: int, service: str, signed_headers: Sequence[str],
    signing_key: bytes | None = None,
) -> tuple[str, str]:
    """Compute ``(scope, signature)`` for an httpx request (used by the signer and the emulator)."""
    date = utc_date(timestamp)
    scope = f"{date}/{service}/tc3_request"
    headers = {name: request.headers.get(name, "") for name in signed_headers}
    canonical = canonical_request(
        request.method, request.url.raw_path.split(b"?", 1)[0].decode() or "/", request.url.query.decode(),
        headers, signed_headers, sha256_hex(request.content),
    )
    key = signing_key or derive_signing_key(secret_key, date, service)
    return scope, signature(key, string_to_sign(timestamp, scope, canonical))


class Tc3Auth(httpx.Auth):
    """Signs each request with TC3-HMAC-SHA256 and sets ``X-TC-Timestamp`` (and ``X-TC-Token``).

    The day's signing key is derived once and cached: deriving it costs three HMACs that
    would otherwise be paid on every call.

    :param credentials: the credentials to sign with.
    :param service: the service name in the credential scope (``cfg``).
    :param signed_headers: lower-case header names to sign; must include ``content-type`` and ``host``.
    :param clock: returns the current Unix time; replaceable in tests.
    """

    requires_request_body = True

    def __init__(
        self,
        credentials: Credentials,
        service: str = "cfg",
        signed_headers: Sequence[str] = DEFAULT_SIGNED_HEADERS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        names = tuple(sorted({h.lower() for h in signed_headers}))
        if not {"content-type", "host"} <= set(names):
            raise ValueError("signed_headers must include content-type and host")
        self.credentials = credentials
        self.service = service
        self.signed_headers = names
        self._signed_list = ";".join(names)
        self.clock = clock
        self._key_lock = threading.Lock()
        self._cached_key: tuple[str, bytes] | None = None
        self._cached_day: tuple[int, str, bytes] | None = None

    def __repr__(self) -> str:
        return f"Tc3Auth(secret_id={self.credentials.masked_id!r}, service={self.service!r})"

    def _signing_key(self, date: str) -> bytes:
        cached = self._cached_key
        if cached is not None and cached[0] == date:
            return cached[1]
        with self._key_lock:
            key = derive_signing_key(self.credentials.secret_key, date, self.service)
            self._cached_key = (date, key)
        return key

    def _scope_and_key(self, timestamp: int) -> tuple[str, bytes]:
        """The credential scope and signing key of ``timestamp``'s UTC day, worked out once a day."""
        day = timestamp // 86400  # Unix time has no leap seconds: UTC days start at multiples of 86400
        cached = self._cached_day
        if cached is not None and cached[0] == day:
            return cached[1], cached[2]
        date = utc_date(timestamp)
        key = self._signing_key(date)
        scope = f"{date}/{self.service}/tc3_request"
        self._cached_day = (day, scope, key)
        return scope, key

    def sign(self, request: httpx.Request) -> None:
        timestamp = int(self.clock())
        request.headers["X-TC-Timestamp"] = str(timestamp)
        if self.credentials.token:
            request.headers["X-TC-Token"] = self.credentials.token
        key = self._signing_key(utc_date(timestamp))
        scope, sig = request_signature(
            request, self.credentials.secret_key, timestamp, self.service, self.signed_headers, key
        )
        request.headers["Authorization"] = authorization_header(
            self.credentials.secret_id, scope, self.signed_headers, sig
        )

    def canonical_prefix(self, method: str, path: str, query: str, headers: Mapping[str, str]) -> str:
        """Everything of the CanonicalRequest but the payload hash, for :meth:`authorization`.

        ``headers`` maps lower-case names to values and must hold every signed header that the
        request carries (a missing one is signed as empty, like :meth:`sign` does).
        """
        values = {name: headers.get(name, "") for name in self.signed_headers}
        return canonical_request(method, path, query, values, self.signed_headers, "")

    def authorization(self, canonical_prefix: str, body: bytes, timestamp: int) -> str:
        """The ``Authorization`` value for a request whose CanonicalRequest is ``canonical_prefix``
        followed by the hash of ``body`` — the same signature :meth:`sign` computes, without
        building or reading an ``httpx.Request`` (the clients' fast path)."""
        scope, key = self._scope_and_key(timestamp)
        canonical = canonical_prefix + hashlib.sha256(body).hexdigest()
        to_sign = f"{ALGORITHM}\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        return (
            f"{ALGORITHM} Credential={self.credentials.secret_id}/{scope}, "
            f"SignedHeaders={self._signed_list}, Signature={sig}"
        )

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        yield request
