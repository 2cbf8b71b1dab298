"""Validated client settings: endpoint, proxy, region, language, timeouts and retries."""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

from airflow_provider_cfg.api.errors import CfgValidationError
from airflow_provider_cfg.api.signing import DEFAULT_SIGNED_HEADERS, Credentials

DEFAULT_ENDPOINT = "https://cfg.tencentcloudapi.com"
DEFAULT_REGION = "ap-guangzhou"
LANGUAGES = ("en-US", "zh-CN")
# ``ap-guangzhou``, ``ap-shanghai-fsi``, ``na-siliconvalley``: lower-case ASCII words joined by ``-``.
REGION_GRAMMAR = re.compile(r"[a-z]{2,16}(?:-[a-z0-9]{1,24}){1,3}")
# A host name (ASCII labels), an IPv4 address or a bracketed IPv6 address, and an optional port.
_HOST_GRAMMAR = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?)+|\[[0-9A-Fa-f:.]+\]")
MAX_TIMEOUT = 3600.0  # seconds: a call waits at most an hour
MAX_BACKOFF = 600.0
MAX_ATTEMPTS = 100
_LOOPBACK_RULE = "127.0.0.0/8 or ::1, written as an address"


def is_loopback(host: str) -> bool:
    """True for a loopback *address* (127.0.0.0/8, ::1), written as one.

    A name never counts, not even ``localhost``: what a name resolves to is decided elsewhere
    (``/etc/hosts``, DNS), so a signed request in plain http could leave the machine.
    """
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_region(region: object, field_name: str = "region") -> str:
    """``region`` if it follows CFG's region grammar (``ap-guangzhou``); a clear error otherwise."""
    if not isinstance(region, str) or not REGION_GRAMMAR.fullmatch(region):
        raise CfgValidationError(
            f"{field_name} must be a CFG region such as 'ap-guangzhou' (lower-case ASCII letters and digits "
            f"joined by '-'), got {region!r}",
            field_name,
        )
    return region


def check_language(language: object) -> str:
    if language not in LANGUAGES:
        raise CfgValidationError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}", "language")
    return str(language)


def check_action(action: object) -> str:
    """An API action name (``DescribeTask``): ASCII letters and digits, so it can be a header value."""
    if not (isinstance(action, str) and action.isascii() and action.isalnum()):
        raise CfgValidationError(f"action must be an API action name such as 'DescribeTask', got {action!r}", "action")
    return action


def _parse_url(value: str, field_name: str, shown: str) -> SplitResult:
    """``value`` split, with no userinfo, control character or malformed host or port."""
    if any(ord(char) < 33 or ord(char) > 126 for char in value):
        raise CfgValidationError(
            f"{field_name} {shown} must be printable ASCII without spaces or control characters", field_name
        )
    parts = urlsplit(value)
    if "@" in parts.netloc:
        # never echo it: the part before '@' is a user name and perhaps a password
        raise CfgValidationError(
            f"{field_name} must not contain a user name or password ('user:password@host'); put the SecretId "
            "and SecretKey in the connection's login and password",
            field_name,
        )
    try:
        parts.port  # ruff: ignore[useless-expression] - raises on a malformed port
    except ValueError:
        raise CfgValidationError(f"{field_name} {shown} has an invalid port", field_name) from None
    host = parts.netloc.rsplit(":", 1)[0] if not parts.netloc.endswith("]") else parts.netloc
    if parts.scheme not in ("http", "https") or not parts.hostname or not _HOST_GRAMMAR.fullmatch(host):
        raise CfgValidationError(f"{field_name} {shown} is not valid: expected host[:port] or an http(s) URL",
                                 field_name)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise CfgValidationError(f"{field_name} {shown} must not contain a path or query", field_name)
    return parts


def _shown(value: str) -> str:
    """``value`` for an error message: its repr, or a placeholder when it holds userinfo."""
    return "(redacted: it holds '@')" if "@" in value else repr(value)


def normalize_endpoint(endpoint: str | None, *, allow_insecure_http: bool = False) -> str:
    """Turn ``host``, ``host:port`` or a URL into ``scheme://host[:port]``.

    A scheme-less loopback address gets ``http`` (the emulator has no TLS); anything else gets
    ``https``. Plain ``http`` to anything but a loopback address is refused unless explicitly
    allowed, because the signed request would travel in the clear. A user name or password in the
    URL is refused (it would show in logs and links).
    """
    if not endpoint:
        return DEFAULT_ENDPOINT
    if not isinstance(endpoint, str):
        raise CfgValidationError(f"endpoint must be a string, got {type(endpoint).__name__}", "endpoint")
    shown = _shown(endpoint)
    raw = endpoint.strip().rstrip("/")
    if "://" not in raw:
        host = raw.rsplit("@", 1)[-1]
        host = host.split("]")[0] + "]" if host.startswith("[") else host.split(":")[0]
        raw = f"{'http' if is_loopback(host) else 'https'}://{raw}"
    parts = _parse_url(raw, "endpoint", shown)
    if parts.scheme == "http" and not is_loopback(parts.hostname or "") and not allow_insecure_http:
        raise CfgValidationError(
            f"endpoint {shown} uses plain http to a non-loopback host; signed requests must use https "
            f"(http is allowed only to a loopback address, {_LOOPBACK_RULE}, or with allow_insecure_http=True)",
            field="endpoint",
        )
    return f"{parts.scheme}://{parts.netloc}"


def normalize_proxy(proxy: str | None, *, allow_insecure_http: bool = False) -> str | None:
    """The proxy URL to use (``None``: no proxy), checked like an endpoint.

    The proxy sees every request that is not tunnelled, so it follows the endpoint's rule: https,
    or plain http only to a loopback address (or with ``allow_insecure_http``); no user name or
    password in the URL.
    """
    if proxy in (None, ""):
        return None
    if not isinstance(proxy, str) or "://" not in proxy:
        raise CfgValidationError(
            f"proxy {_shown(str(proxy))} must be an http(s) URL such as 'https://proxy.example.com:3128'", "proxy"
        )
    shown = _shown(proxy)
    parts = _parse_url(proxy.strip().rstrip("/"), "proxy", shown)
    if parts.scheme == "http" and not is_loopback(parts.hostname or "") and not allow_insecure_http:
        raise CfgValidationError(
            f"proxy {shown} uses plain http to a non-loopback host; use an https proxy (plain http is allowed "
            f"only to a loopback address, {_LOOPBACK_RULE}, or with allow_insecure_http=True)",
            "proxy",
        )
    return f"{parts.scheme}://{parts.netloc}"


def check_number(value: object, field_name: str, *, minimum: float, maximum: float, inclusive: bool = True,
                 unit: str = "seconds", integer: bool = False) -> float:
    """``value`` if it is a finite number in ``[minimum, maximum]`` (``(minimum, maximum]`` unless
    ``inclusive``; an integer if ``integer``); a :class:`CfgValidationError` naming the field and the
    range otherwise. ``bool`` and strings are not numbers here, NaN and infinity are refused."""
    number = math.nan if isinstance(value, bool) or not isinstance(value, (int, float)) else float(value)
    ok = math.isfinite(number) and (number >= minimum if inclusive else number > minimum) and number <= maximum
    if not ok or (integer and not float(number).is_integer()):
        kind = "an integer" if integer else f"a finite number of {unit}"
        low = "[" if inclusive else "("
        raise CfgValidationError(f"{field_name} must be {kind} in {low}{minimum:g}, {maximum:g}], got {value!r}",
                                 field_name)
    return number


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
    :param proxy: the proxy to send through (see :func:`normalize_proxy`); ``None``: none. The
        environment (``HTTP_PROXY``, ``HTTPS_PROXY``…) is never read.
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
    proxy: str | None = None

    def __post_init__(self) -> None:
        check_language(self.language)
        check_region(self.region)
        check_number(self.max_attempts, "max_attempts", minimum=1, maximum=MAX_ATTEMPTS, integer=True)
        for name in ("timeout", "connect_timeout"):
            check_number(getattr(self, name), name, minimum=0, maximum=MAX_TIMEOUT, inclusive=False)
        for name in ("backoff", "backoff_max"):
            check_number(getattr(self, name), name, minimum=0, maximum=MAX_BACKOFF)

    @property
    def host(self) -> str:
        return urlsplit(self.endpoint).netloc
