"""Settle what the API leaves unsettled: a change whose outcome is unknown, errors worth waiting out,
and the synchronous wait for a state.

Every operator, the rollback and the triggers use these three pieces, so "did my call land?",
"how long do I put up with errors?" and "poll until" each have one answer in the provider:

:func:`settle_mutation`
    the one way to make a mutating call: CFG has no idempotency token, so after a call whose
    outcome is unknown, or that CFG answered with any error, the state is *read* to learn whether
    it took effect; the call is sent again at most once, only when the state shows it did not and
    the error left the outcome open (unknown or transient). Nothing is inferred from an error code.
:class:`ErrorPatience`
    transport failures and transient API codes are waited out for ``patience`` seconds; anything
    else (auth, bad input) at once.
:func:`poll_until`
    read, decide, sleep — until a decision or the deadline.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from airflow_provider_cfg.api.errors import CfgApiError, CfgError, CfgOutcomeUnknownError, CfgTransportError
from airflow_provider_cfg.core.log import Log

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger(__name__)


def waitable(exc: BaseException) -> bool:
    """Errors worth waiting out: transport failures and transient API codes (not auth or bad input)."""
    return isinstance(exc, CfgTransportError) or (isinstance(exc, CfgApiError) and exc.is_transient)


def settle_mutation(
    send: Callable[[], T],
    landed: Callable[[], R | None],
    *,
    what: str,
    check_first: bool = False,
    logger: Log = log,
) -> T | R:
    """Make one change so that it takes effect exactly once.

    :param send: makes the call; its result is returned when it answers.
    :param landed: reads the state; something not ``None`` (returned to the caller) when the change
        has taken effect, ``None`` when it has not. It may raise to refuse (e.g. an ended experiment).
    :param what: the call, for the log (``"ExecuteTask"``).
    :param check_first: read the state before sending, so that a change already made is never repeated.
    :param logger: where to log (an operator's or trigger's own logger).

    After a call that failed in any way, the state is read. If the change is there, its value is
    returned. If it is not: a refusal (a non-transient API error) is raised as CFG gave it; after an
    unknown outcome or a transient error the call is sent once more, and what that answers stands.
    """
    if check_first:
        done = landed()
        if done is not None:
            return done
    try:
        return send()
    except (CfgOutcomeUnknownError, CfgApiError) as exc:
        logger.warning("%s did not answer clearly (%s); reading the state to see whether it took effect", what, exc)
        done = landed()
        if done is not None:
            logger.info("%s had taken effect", what)
            return done
        if isinstance(exc, CfgApiError) and not exc.is_transient:
            raise
        logger.info("%s did not take effect; sending it once more", what)
    return send()


class ErrorPatience:
    """Tolerate API errors for a while: :meth:`tolerate` says whether to keep waiting.

    :param patience: seconds of consecutive failures put up with.
    :param clock: replaceable in tests.
    """

    def __init__(self, patience: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.patience = float(patience)
        self.clock = clock
        self.failing_since: float | None = None

    def ok(self) -> None:
        """A call succeeded: the next failure starts a new count."""
        self.failing_since = None

    def tolerate(self, exc: BaseException) -> bool:
        """True to keep waiting through ``exc``; False when it is not waitable or patience ran out."""
        now = self.clock()
        if self.failing_since is None:
            self.failing_since = now
        return waitable(exc) and now - self.failing_since < self.patience


def poll_until(
    read: Callable[[], T],
    decide: Callable[[T], R | None],
    *,
    interval: float,
    deadline: float | None = None,
    on_wait: Callable[[T], object] | None = None,
    patience: ErrorPatience | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> R | None:
    """Read and decide until ``decide`` returns something; ``None`` once ``deadline`` (Unix time) passes.

    :param on_wait: called with each undecided reading (progress lines).
    :param patience: when given, read errors it tolerates are waited out; others are raised.
    """
    while True:
        try:
            value = read()
        except CfgError as exc:
            if patience is None or not patience.tolerate(exc):
                raise
            log.warning("Read failed (%s); still waiting", exc)
        else:
            if patience is not None:
                patience.ok()
            decided = decide(value)
            if decided is not None:
                return decided
            if on_wait is not None:
                on_wait(value)
        if deadline is not None and time.time() >= deadline:
            return None
        pause = interval if deadline is None else max(0.0, min(interval, deadline - time.time()))
        sleep(pause)
