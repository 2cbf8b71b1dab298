"""Validated client settings: endpoint, region, language, timeouts and retries."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from airflow_provider_cfg.api.errors import CfgValidationError
from airflow_provider_cfg.api.signing import DEFAULT_SIGNED_HEADERS, Credentials

DEFAULT_ENDPOINT = "https://cfg.tencentcloudapi.com"
DEFAULT_REGION = "ap-guangzhou"
LANGUAGES = ("en-US", "zh-CN")


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalize_endpoint(endpoint: str | None, *, allow_insecure_http: bool = False) -> str:
    """Turn ``host``, ``host:port`` or a URL into ``scheme://host[:port]``.

    A scheme-less loopback host gets ``http`` (the emulator has no TLS); anything else gets
    ``https``. Plain ``http`` to a non-loopback host is refused unless explicitly allowed,
    because the signed request would travel in the clear.
    """
    if not endpoint:
        return DEFAULT_ENDPOINT
    raw = endpoint.strip().rstrip("/")
    if "://" not in raw:
        host = urlsplit(f"//{raw}").hostname or ""
        raw = f"{'http' if is_loopback(host) else 'https'}://{raw}"
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CfgValidationError(
            f"endpoint {endpoint!r} is not valid: expected host[:port] or an http(s) URL", field="endpoint"
        )
    if parts.path not in ("", "/") or parts.query:
        raise CfgValidationError(f"endpoint {endpoint!r} must not contain a path or query", field="endpoint")
    if parts.scheme == "http" and not is_loopback(parts.hostname) and not allow_insecure_http:
        raise CfgValidationError(
            f"endpoint {endpoint!r} uses plain http to a non-loopback host; signed requests must use https "
            "(http is allowed only to 127.0.0.0/8, ::1 or localhost, or with allow_insecure_http=True)",
            field="endpoint",
        )
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class ClientConfig:
    """Everything a client needs, checked once.

    :param credentials: SecretId/SecretKey (and token).
    :param region: CFG region sent as ``X-TC-Region``, e.g. ``ap-guangzhou``.
    :param endpoint: ``scheme://host[:port]`` (see :func:`normalize_endpoint`).
    :param language: ``en-US`` (default, so errors read in English) or ``zh-CN``.
    :param timeout: seconds to wait for a response.
    :param connect_timeout: seconds to wait for a connection.
    :param max_attempts: attempts per call, retries included (1 disables retries).
    :param backoff: first retry delay scale in seconds (exponential, with full jitter).
    :param backoff_max: longest delay between attempts.
    :param rate_limit: honour CFG's per-action request limits on the client side.
    :param signed_headers: header names to sign (``content-type`` and ``host`` at least).
    """

    credentials: Credentials
    region: str = DEFAULT_REGION
    endpoint: str = DEFAULT_ENDPOINT
    language: str = "en-US"
    timeout: float = 30.0
    connect_timeout: float = 5.0
    max_attempts: int = 4
    backoff: float = 0.5
    backoff_max: float = 8.0
    rate_limit: bool = True
    signed_headers: tuple[str, ...] = field(default=DEFAULT_SIGNED_HEADERS)

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise CfgValidationError(
                f"language must be one of {', '.join(LANGUAGES)}, got {self.language!r}", "language"
            )
        if not self.region or not isinstance(self.region, str):
            raise CfgValidationError("region must be a non-empty string such as 'ap-guangzhou'", "region")
        if self.max_attempts < 1:
            raise CfgValidationError("max_attempts must be >= 1", "max_attempts")
        for name in ("timeout", "connect_timeout"):
            if getattr(self, name) <= 0:
                raise CfgValidationError(f"{name} must be > 0 seconds", name)

    @property
    def host(self) -> str:
        return urlsplit(self.endpoint).netloc
