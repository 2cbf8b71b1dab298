"""Sync and async CFG clients over httpx.

One request, end to end: validate the parameters into the action's request model, encode
the JSON body once, wait for the shared per-action rate limiter, sign (``Tc3Auth``), send
over a keep-alive pool, check ``Response.Error`` (never trusting the content type), parse the
response model once. Failures become typed errors; retries follow one rule:

* read-only calls retry transport errors, HTTP 5xx and transient API codes;
* mutating calls retry only what certainly did nothing (rate limiting, connection refused),
  and raise :class:`CfgOutcomeUnknownError` for anything ambiguous.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import pydantic
from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_random_exponential

from airflow_provider_cfg import __version__
from airflow_provider_cfg.api.actions import ACTIONS, API_VERSION, SERVICE, ActionSpec
from airflow_provider_cfg.api.config import DEFAULT_REGION as DEFAULT_REGION
from airflow_provider_cfg.api.config import ClientConfig, check_action, normalize_endpoint, normalize_proxy
from airflow_provider_cfg.api.errors import (
    CfgApiError,
    CfgError,
    CfgOutcomeUnknownError,
    CfgTransportError,
    CfgValidationError,
)
from airflow_provider_cfg.api.methods import CfgActions
from airflow_provider_cfg.api.models.base import CfgModel
from airflow_provider_cfg.api.ratelimit import RateLimiterRegistry, SlidingWindowLimiter, shared_limiters
from airflow_provider_cfg.api.signing import DEFAULT_SIGNED_HEADERS, Credentials, Tc3Auth
from airflow_provider_cfg.api.wire import Wire, open_http

if TYPE_CHECKING:
    # The async client runs the CfgActions methods, which return its ``_invoke``'s coroutine;
    # typed, it has them as the coroutines they are (see AsyncCfgActions).
    from airflow_provider_cfg.api.methods import AsyncCfgActions as _AsyncActions
else:
    _AsyncActions = CfgActions

log = logging.getLogger(__name__)

_M = TypeVar("_M", bound=CfgModel)

# Codes after which a mutating call may or may not have been applied.
_AMBIGUOUS_CODES = frozenset({"InternalError", "ServiceUnavailable"})
# httpx errors raised before the request left the machine.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
_ENVELOPES: dict[type[CfgModel], type[pydantic.BaseModel]] = {}


def _envelope(model: type[CfgModel]) -> type[pydantic.BaseModel]:
    """``{"Response": model}``: lets pydantic parse the answer straight from its JSON bytes."""
    envelope = _ENVELOPES.get(model)
    if envelope is None:
        envelope = pydantic.create_model(
            f"{model.__name__}Envelope", __config__=pydantic.ConfigDict(extra="ignore"), Response=(model, ...)
        )
        _ENVELOPES[model] = envelope
    return envelope


def _field_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc if not isinstance(part, int)) or "(body)"


MAX_BODY_BYTES = 10 * 1024 * 1024  # TC3-signed POST bodies are limited to 10 MB (cfg-api.md §4.3)


def checked_size(action: str, body: bytes) -> bytes:
    """Refuse an oversized body before sending it (the server would answer RequestSizeLimitExceeded)."""
    if len(body) > MAX_BODY_BYTES:
        raise CfgValidationError(
            f"{action}: the request body is {len(body):,} bytes; CFG accepts at most {MAX_BODY_BYTES:,}", field="(body)"
        )
    return body


def validation_error(action: str, exc: pydantic.ValidationError) -> CfgValidationError:
    """A readable, secret-free message naming each bad field (input values are left out)."""
    problems = [f"{_field_path(err['loc'])}: {err['msg']}" for err in exc.errors(include_input=False)]
    first = exc.errors()[0]["loc"] if exc.errors() else ()
    return CfgValidationError(f"{action}: invalid parameters — " + "; ".join(problems), field=_field_path(first))


class _BaseClient:
    """Shared construction, encoding, decoding and retry rules of both clients."""

    def __init__(
        self,
        secret_id: str,
        secret_key: str,
        region: str = DEFAULT_REGION,
        endpoint: str | None = None,
        token: str | None = None,
        *,
        language: str = "en-US",
        timeout: float = 30.0,
        connect_timeout: float = 5.0,
        max_attempts: int = 4,
        backoff: float = 0.5,
        backoff_max: float = 8.0,
        rate_limit: bool = True,
        allow_insecure_http: bool = False,
        signed_headers: tuple[str, ...] = DEFAULT_SIGNED_HEADERS,
        proxy: str | None = None,
        limiters: RateLimiterRegistry | None = None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
    ) -> None:
        try:
            credentials = Credentials(secret_id, secret_key, token or None)
        except ValueError as exc:
            raise CfgValidationError(str(exc), field="credentials") from None
        self.config = ClientConfig(
            credentials=credentials,
            region=region,
            endpoint=normalize_endpoint(endpoint, allow_insecure_http=allow_insecure_http),
            language=language,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_attempts=max_attempts,
            backoff=backoff,
            backoff_max=backoff_max,
            rate_limit=rate_limit,
            signed_headers=tuple(signed_headers),
            proxy=normalize_proxy(proxy, allow_insecure_http=allow_insecure_http),
        )
        self._auth = Tc3Auth(credentials, SERVICE, signed_headers)
        self._limiters = limiters or shared_limiters
        self._limiter_by_action: dict[str, SlidingWindowLimiter | None] = {}
        self._transport = transport
        self._http: Any = None
        self._wire: Wire | None = None
        self._base_headers = {
            "Content-Type": "application/json",
            "X-TC-Version": API_VERSION,
            "X-TC-Region": self.config.region,
            "X-TC-Language": self.config.language,
            "X-TC-RequestClient": f"airflow-provider-cfg/{__version__}",
        }

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(endpoint={self.config.endpoint!r}, region={self.config.region!r}, "
            f"secret_id={self.config.credentials.masked_id!r})"
        )

    # -- building blocks shared by sync and async ------------------------------------------

    def _http_options(self) -> dict[str, Any]:
        return {
            "base_url": self.config.endpoint,
            "auth": self._auth,
            "timeout": httpx.Timeout(self.config.timeout, connect=self.config.connect_timeout),
            "headers": self._base_headers,
            "follow_redirects": False,
            # never a proxy (or .netrc, or CA bundle) from the environment; the transport (wire.py)
            # carries the configured proxy, the keep-alive limits and TLS verification
            "trust_env": False,
        }

    def _limiter(self, spec: ActionSpec | None, action: str) -> SlidingWindowLimiter | None:
        try:
            return self._limiter_by_action[action]
        except KeyError:
            pass
        limiter = None
        if self.config.rate_limit:
            limit = spec.rate_limit if spec else 10  # unknown action: assume the strictest documented limit
            limiter = self._limiters.get(self.config.credentials.secret_id, self.config.region, action, limit)
        self._limiter_by_action[action] = limiter
        return limiter

    @staticmethod
    def _encode(spec: ActionSpec, params: Mapping[str, Any]) -> bytes:
        clean = {key: value for key, value in params.items() if value is not None}
        try:
            model = spec.request.model_validate(clean)
        except pydantic.ValidationError as exc:
            raise validation_error(spec.name, exc) from None
        return checked_size(spec.name, spec.request.__pydantic_serializer__.to_json(model, exclude_none=True))

    def _request(self, action: str, body: bytes) -> httpx.Request:
        """The request for ``client.send`` (signed there by ``Tc3Auth``): the public-API path."""
        return self._http.build_request("POST", "/", content=body, headers={"X-TC-Action": action})

    def _signed_request(self, wire: Wire, action: str, body: bytes) -> httpx.Request:
        """The fast path's request, signed, with the headers ``client.send`` would have sent."""
        timestamp = int(self._auth.clock())
        length = str(len(body))
        prefix = wire.prefixes.get(action) if wire.static_prefix else None
        if prefix is None:
            values = {**wire.lower, "x-tc-action": action, "content-length": length, "x-tc-timestamp": str(timestamp)}
            prefix = self._auth.canonical_prefix("POST", "/", "", values)
            if wire.static_prefix:
                wire.prefixes[action] = prefix
        headers = [
            *wire.headers,
            (b"X-TC-Action", action.encode()),
            (b"Content-Length", length.encode()),
            (b"X-TC-Timestamp", str(timestamp).encode()),
            *wire.token,
            (b"Authorization", self._auth.authorization(prefix, body, timestamp).encode()),
        ]
        request = httpx.Request("POST", wire.url, headers=headers, stream=httpx.ByteStream(body),
                                extensions=wire.extensions)
        request.read()  # ``request.content`` readable, as with ``content=``
        return request

    @staticmethod
    def _transport_error(action: str, mutating: bool, exc: httpx.HTTPError) -> CfgError:
        sent = not isinstance(exc, _NOT_SENT)
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if mutating and sent:
            return CfgOutcomeUnknownError(action, detail)
        return CfgTransportError(action, detail, sent=sent)

    @staticmethod
    def _decode(action: str, mutating: bool, response: httpx.Response) -> dict[str, Any]:
        if response.status_code != 200:
            if mutating and response.status_code >= 500:
                return_error: CfgError = CfgOutcomeUnknownError(action, f"HTTP {response.status_code}")
            else:
                return_error = CfgTransportError(
                    action, f"HTTP {response.status_code}", sent=True, status_code=response.status_code
                )
            raise return_error
        try:
            envelope = json.loads(response.content)
            inner = envelope["Response"]
            if not isinstance(inner, dict):
                raise TypeError("Response is not an object")
        except (ValueError, KeyError, TypeError) as exc:
            if mutating:
                raise CfgOutcomeUnknownError(action, f"unreadable response ({exc})") from None
            raise CfgTransportError(action, f"unreadable response ({exc})", sent=True) from None
        error = inner.get("Error")
        if error:
            code = str(error.get("Code", "UnknownError"))
            if mutating and code in _AMBIGUOUS_CODES:
                raise CfgOutcomeUnknownError(action, f"{code}: {error.get('Message', '')}")
            raise CfgApiError(code, str(error.get("Message", "")), inner.get("RequestId"), action)
        return inner

    @classmethod
    def _parse(cls, action: str, mutating: bool, response: httpx.Response, model: type[_M]) -> _M:
        """The typed answer, parsed once, straight from the JSON bytes when the answer is a plain
        success; anything else (an ``Error``, not JSON, not an object, a model mismatch) goes
        through :meth:`_decode` and ``model_validate``, which raise exactly as before."""
        if response.status_code == 200:
            try:
                # pydantic types create_model()'s result as a bare BaseModel, without the fields it was given
                parsed = _envelope(model).model_validate_json(response.content).Response  # type: ignore[attr-defined]
            except pydantic.ValidationError:
                parsed = None
            if parsed is not None:
                extra = parsed.__pydantic_extra__
                if not extra or "Error" not in extra:
                    return parsed
        return model.model_validate(cls._decode(action, mutating, response))

    @staticmethod
    def _retryable(exc: BaseException, mutating: bool) -> bool:
        if isinstance(exc, CfgApiError):
            return exc.rejected_before_processing or (not mutating and exc.is_transient)
        if isinstance(exc, CfgTransportError):
            # Never sent: safe to repeat. Sent: only reads, and not for a 4xx answer.
            return not exc.sent or (not mutating and (exc.status_code is None or exc.status_code >= 500))
        return False

    def _retry_options(self, action: str, mutating: bool) -> dict[str, Any]:
        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.warning(
                "CFG %s attempt %s failed (%s); retrying in %.1f s",
                action, state.attempt_number, exc, state.next_action.sleep if state.next_action else 0.0,
            )

        return {
            "stop": stop_after_attempt(self.config.max_attempts),
            "wait": wait_random_exponential(multiplier=self.config.backoff, max=self.config.backoff_max),
            "retry": retry_if_exception(lambda exc: self._retryable(exc, mutating)),
            "before_sleep": before_sleep,
            "reraise": True,
        }

    @staticmethod
    def _spec(action: str) -> ActionSpec | None:
        """The action's spec (``None`` if unknown); a name that cannot be a header value is refused here."""
        return ACTIONS.get(check_action(action))

    @staticmethod
    def _log_done(action: str, result: Any, started: float) -> None:
        if log.isEnabledFor(logging.DEBUG):
            request_id = result.get("RequestId") if isinstance(result, Mapping) else getattr(result, "RequestId", None)
            log.debug("CFG %s ok in %.0f ms (RequestId %s)", action, (time.monotonic() - started) * 1000, request_id)

    def _first_attempt_failed(self, exc: CfgError, mutating: bool) -> bool:
        """Whether a failed first attempt is worth the retry loop."""
        return self.config.max_attempts > 1 and self._retryable(exc, mutating)


class CfgClient(_BaseClient, CfgActions):
    """Synchronous CFG client (``httpx.Client``) with one typed method per API action.

    :param secret_id: SecretId.
    :param secret_key: SecretKey (never logged or shown in reprs).
    :param region: region sent as ``X-TC-Region``.
    :param endpoint: ``host[:port]`` or URL; default ``https://cfg.tencentcloudapi.com``.
    :param token: session token of temporary credentials.
    :param language: ``en-US`` or ``zh-CN`` for server messages.
    :param timeout: response timeout in seconds.
    :param connect_timeout: connection timeout in seconds.
    :param max_attempts: attempts per call, retries included.
    :param backoff: retry back-off scale (seconds, exponential with jitter).
    :param backoff_max: longest back-off.
    :param rate_limit: wait for the process-wide per-action limiter before each request.
    :param allow_insecure_http: permit plain http to a non-loopback host (not recommended).
    :param proxy: send through this proxy (https, or http to a loopback address); never from the environment.
    :param signed_headers: headers to sign besides the mandatory ``content-type;host``.
    :param limiters: limiter registry (default: the process-wide one).
    :param transport: custom httpx transport (tests), used as it is (the ``proxy`` is then its business).
    """

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http, self._wire = open_http(httpx.Client, self._http_options(), self.config, self._auth,
                                               self._transport)
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
            self._wire = None

    def __enter__(self) -> CfgClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def call(self, action: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Send any action with raw parameters and return the inner ``Response`` dict.

        Unknown actions are treated as mutating (no blind retry) and rate limited at 10/s.
        """
        spec = self._spec(action)
        body = checked_size(action, json.dumps(dict(params or {}), separators=(",", ":"), ensure_ascii=False).encode())
        mutating = spec.mutating if spec else True
        return self._send(action, body, mutating, spec, lambda response: self._decode(action, mutating, response))

    def _invoke(self, action: str, params: Mapping[str, Any], response_model: type[_M]) -> _M:
        spec = ACTIONS[action]
        mutating = spec.mutating
        return self._send(
            action, self._encode(spec, params), mutating, spec,
            lambda response: self._parse(action, mutating, response, response_model),
        )

    def _attempt(self, action: str, body: bytes, mutating: bool, limiter: SlidingWindowLimiter | None,
                 parse: Callable[[httpx.Response], Any]) -> Any:
        """One attempt: wait for the limiter, sign, send, read, parse; failures as typed errors."""
        client = self._client()
        if limiter is not None:
            limiter.acquire()
        started = time.monotonic()
        wire = self._wire
        try:
            if wire is None:
                response = client.send(self._request(action, body))
            else:
                response = wire.transport.handle_request(self._signed_request(wire, action, body))
                try:
                    response.read()
                finally:
                    response.close()
        except httpx.HTTPError as exc:
            raise self._transport_error(action, mutating, exc) from None
        result = parse(response)
        self._log_done(action, result, started)
        return result

    def _send(self, action: str, body: bytes, mutating: bool, spec: ActionSpec | None,
              parse: Callable[[httpx.Response], Any]) -> Any:
        limiter = self._limiter(spec, action)
        # The first attempt runs without tenacity (building its Retrying costs more than a call's
        # own work); a failure worth retrying enters the loop as its attempt 1, so that attempt
        # counting, waits, the warning log and the final re-raise are tenacity's, as before.
        try:
            return self._attempt(action, body, mutating, limiter, parse)
        except CfgError as exc:
            if not self._first_attempt_failed(exc, mutating):
                raise
            first: CfgError | None = exc
        for attempt in Retrying(**self._retry_options(action, mutating)):
            with attempt:
                if first is not None:
                    failed, first = first, None
                    raise failed
                return self._attempt(action, body, mutating, limiter, parse)
        raise AssertionError("unreachable")  # pragma: no cover - tenacity re-raises


class AsyncCfgClient(_BaseClient, _AsyncActions):
    """Asynchronous CFG client (``httpx.AsyncClient``); same constructor and methods as
    :class:`CfgClient`, each returning an awaitable.

    :param secret_id: SecretId.
    :param secret_key: SecretKey (never logged or shown in reprs).
    :param region: region sent as ``X-TC-Region``.
    :param endpoint: ``host[:port]`` or URL; default ``https://cfg.tencentcloudapi.com``.
    :param token: session token of temporary credentials.
    """

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http, self._wire = open_http(httpx.AsyncClient, self._http_options(), self.config, self._auth,
                                               self._transport)
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
            self._wire = None

    async def __aenter__(self) -> AsyncCfgClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def call(self, action: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Send any action with raw parameters and return the inner ``Response`` dict."""
        spec = self._spec(action)
        body = checked_size(action, json.dumps(dict(params or {}), separators=(",", ":"), ensure_ascii=False).encode())
        mutating = spec.mutating if spec else True
        return await self._send(action, body, mutating, spec, lambda response: self._decode(action, mutating, response))

    async def _invoke(self, action: str, params: Mapping[str, Any], response_model: type[_M]) -> _M:
        spec = ACTIONS[action]
        mutating = spec.mutating
        return await self._send(
            action, self._encode(spec, params), mutating, spec,
            lambda response: self._parse(action, mutating, response, response_model),
        )

    async def _attempt(self, action: str, body: bytes, mutating: bool, limiter: SlidingWindowLimiter | None,
                       parse: Callable[[httpx.Response], Any]) -> Any:
        """One attempt: wait for the limiter, sign, send, read, parse; failures as typed errors."""
        client = self._client()
        if limiter is not None:
            await limiter.acquire_async()
        started = time.monotonic()
        wire = self._wire
        try:
            if wire is None:
                response = await client.send(self._request(action, body))
            else:
                response = await wire.transport.handle_async_request(self._signed_request(wire, action, body))
                try:
                    await response.aread()
                finally:
                    await response.aclose()
        except httpx.HTTPError as exc:
            raise self._transport_error(action, mutating, exc) from None
        result = parse(response)
        self._log_done(action, result, started)
        return result

    async def _send(self, action: str, body: bytes, mutating: bool, spec: ActionSpec | None,
                    parse: Callable[[httpx.Response], Any]) -> Any:
        limiter = self._limiter(spec, action)
        # First attempt without tenacity; see CfgClient._send.
        try:
            return await self._attempt(action, body, mutating, limiter, parse)
        except CfgError as exc:
            if not self._first_attempt_failed(exc, mutating):
                raise
            first: CfgError | None = exc
        async for attempt in AsyncRetrying(**self._retry_options(action, mutating)):
            with attempt:
                if first is not None:
                    failed, first = first, None
                    raise failed
                return await self._attempt(action, body, mutating, limiter, parse)
        raise AssertionError("unreachable")  # pragma: no cover
