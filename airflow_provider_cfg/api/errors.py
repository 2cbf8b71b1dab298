"""Typed errors of the CFG client.

Every error says what the caller can do next: retry (``transient``), fix the request or the
credentials (``permanent`` / ``auth``), or re-read state because a change may or may not have
happened (:class:`CfgOutcomeUnknownError`). None of them ever carries the secret key or token.
"""

from __future__ import annotations

import enum


class ErrorKind(str, enum.Enum):
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    AUTH = "auth"


# cfg-api.md §4.3. Codes not listed here are treated as permanent: retrying them blindly
# would only repeat the failure.
_TRANSIENT_CODES = frozenset(
    {
        "InternalError",
        "ServiceUnavailable",
        "ResourceUnavailable",
        "RequestLimitExceeded",
        "RequestLimitExceeded.UinLimitExceeded",
        "RequestLimitExceeded.GlobalRegionUinLimitExceeded",
        "RequestLimitExceeded.IPLimitExceeded",
        "ResourceInUse",
    }
)
# Rejected before any processing: safe to retry even for a mutating call.
_REJECTED_BEFORE_PROCESSING = frozenset(code for code in _TRANSIENT_CODES if code.startswith("RequestLimitExceeded"))


def classify(code: str) -> ErrorKind:
    """Map a CFG error code to what a caller should do about it."""
    if code in _TRANSIENT_CODES:
        return ErrorKind.TRANSIENT
    if code.startswith("AuthFailure") or code == "UnauthorizedOperation":
        return ErrorKind.AUTH
    return ErrorKind.PERMANENT


class CfgError(Exception):
    """Base of every error raised by this package's CFG client."""


class CfgValidationError(CfgError, ValueError):
    """The request was rejected locally, before anything was sent.

    :param field: the offending parameter (dotted path), when there is one.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class CfgApiError(CfgError):
    """CFG answered with ``Response.Error``.

    :param code: the error code, e.g. ``ResourceNotFound``.
    :param message: the server's message.
    :param request_id: ``RequestId`` of the failed call, for Tencent support.
    :param action: the API action that failed.
    """

    def __init__(self, code: str, message: str, request_id: str | None, action: str) -> None:
        super().__init__(f"{action} failed: [{code}] {message} (RequestId: {request_id})")
        self.code = code
        self.message = message
        self.request_id = request_id
        self.action = action

    @property
    def kind(self) -> ErrorKind:
        return classify(self.code)

    @property
    def is_transient(self) -> bool:
        return self.kind is ErrorKind.TRANSIENT

    @property
    def rejected_before_processing(self) -> bool:
        """True when the server certainly did nothing (rate limiting)."""
        return self.code in _REJECTED_BEFORE_PROCESSING


class CfgTransportError(CfgError):
    """The call failed below the API: connection, timeout, HTTP status or unreadable body.

    :param action: the API action.
    :param detail: what went wrong.
    :param sent: whether the request may have reached the server.
    :param status_code: the HTTP status, for a non-200 answer.
    """

    def __init__(self, action: str, detail: str, *, sent: bool, status_code: int | None = None) -> None:
        super().__init__(f"{action} failed: {detail}")
        self.action = action
        self.detail = detail
        self.sent = sent
        self.status_code = status_code


class CfgOutcomeUnknownError(CfgError):
    """A mutating call failed in a way that does not say whether it took effect.

    The client does not retry it: CFG has no idempotency token, so a blind retry could create a
    second experiment or inject a fault twice. Re-read state (``DescribeTask``,
    ``DescribeTaskList``) to learn what happened.

    :param action: the API action.
    :param cause: what was observed (timeout, dropped connection, 5xx, ``InternalError``…).
    """

    def __init__(self, action: str, cause: str) -> None:
        super().__init__(
            f"{action}: the outcome is unknown ({cause}); it was not retried — re-read state before acting again"
        )
        self.action = action
        self.cause = cause
