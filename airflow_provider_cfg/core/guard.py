"""The steady-state guard: probe the system *while* a fault is injected and stop at the first breach.

No Airflow import here. The guard trigger (in the triggerer) and the guard operator (its
synchronous watch, in the worker, through :func:`watch`) both run :meth:`GuardWatch.run`, the one
watch loop, so a breach is the same breach whichever mode watched it. Each round reads the
experiment once and probes once; the watch ends with exactly one event
(:data:`~airflow_provider_cfg.core.events.GUARD_STATUSES`):

``passed``
    the watch ran until ``deadline`` without tripping (what it really probed, and every unwatched
    gap, is in the event: :mod:`airflow_provider_cfg.core.watched`);
``breached``
    ``failures_to_trip`` probes in a row failed (the event carries their details);
``ended``
    the experiment ended (1004) meanwhile, so there is nothing left to guard (the operator fails
    unless it ended as expected);
``error``
    the guard itself cannot work: a misconfigured probe, or CFG unreadable for ``error_patience`` s.

After a breach, :func:`abort_after_breach` stops the experiment (guardrail, then rollback).

:class:`ProbeSpec` says what is probed and what counts as healthy; it travels to the triggerer as
JSON (:meth:`ProbeSpec.as_kwargs` / :meth:`ProbeSpec.from_kwargs`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any, TypeVar, cast

from airflow_provider_cfg.api.enums import TaskStatus, TriggerType
from airflow_provider_cfg.api.errors import CfgApiError, CfgError
from airflow_provider_cfg.core.events import BREACHED, ENDED, ERROR, PASSED, event
from airflow_provider_cfg.core.probes import (
    ProbeResult,
    callable_probe,
    callable_probe_async,
    check_probe_url,
    http_probe,
    http_probe_async,
    load_probe_callable,
)
from airflow_provider_cfg.core.progress import ProgressLog, guard_progress
from airflow_provider_cfg.core.rollback import rollback_experiment
from airflow_provider_cfg.core.settle import ErrorPatience, settle_mutation
from airflow_provider_cfg.core.watched import Coverage

if TYPE_CHECKING:
    import httpx

    from airflow_provider_cfg.api.client import CfgClient
    from airflow_provider_cfg.api.models import Task, TaskListItem
    from airflow_provider_cfg.core.log import Log

log = logging.getLogger(__name__)
T = TypeVar("T")

CHECKPOINT_EVERY = 10.0
"""Seconds between the watch's checkpoints (:meth:`GuardWatch.state`), when it is given somewhere to keep them."""

GUARDRAIL_NAME = "Airflow steady-state guard"
"""The name of the guard's guardrail trigger in CFG (``DescribeTaskPolicyTriggerLog``)."""


def latency_limit(value: Any) -> float | None:
    """``max_latency_ms`` as milliseconds (``None``, ``""`` or ``"None"``: no limit); ``ValueError``
    for anything else (it is templated in the operator, so it may be any text)."""
    if value is None or value in ("", "None"):
        return None
    from airflow_provider_cfg.core.inputs import check_number

    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"max_latency_ms must be a number of milliseconds, got {value!r}") from None
    return check_number(number, "max_latency_ms", minimum=0, maximum=3_600_000, inclusive=False, unit="milliseconds")


@dataclass(frozen=True)
class ProbeSpec:
    """One probe and its tolerance; its fields are the guard trigger's probe kwargs.

    :param probe_url: URL to GET (exclusive with ``probe_callable``).
    :param probe_callable: ``"package.module:function"`` returning a bool or ``{"passed", "detail"}``.
    :param expected_status: acceptable HTTP status codes.
    :param max_latency_ms: slowest acceptable answer (HTTP probes), ``None`` for no limit.
    :param json_path: dotted path into the JSON body to compare with ``expected_value``.
    :param expected_value: the value expected at ``json_path`` (JSON types only).
    :param probe_timeout: seconds one probe may take (slower is a failed probe).
    """

    probe_url: str | None = None
    probe_callable: str | None = None
    expected_status: tuple[int, ...] = (200,)
    max_latency_ms: float | None = 2000.0
    json_path: str | None = None
    expected_value: Any = None
    probe_timeout: float = 10.0

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> ProbeSpec:
        """The probe described by ``kwargs`` (its own keys only; others are ignored), values coerced."""
        given = {f.name: kwargs[f.name] for f in fields(cls) if f.name in kwargs}
        if "expected_status" in given:
            given["expected_status"] = tuple(int(code) for code in given["expected_status"])
        if "max_latency_ms" in given:
            given["max_latency_ms"] = latency_limit(given["max_latency_ms"])
        if "probe_timeout" in given:
            given["probe_timeout"] = float(given["probe_timeout"])
        return cls(**given)

    def as_kwargs(self) -> dict[str, Any]:
        """JSON types only: the trigger's serialised kwargs (:meth:`from_kwargs` reads them back)."""
        return {**asdict(self), "expected_status": list(self.expected_status)}

    @property
    def target(self) -> str:
        """What is probed, for the messages."""
        return self.probe_url or self.probe_callable or "?"

    def check(self) -> None:
        """Raise ``ValueError`` when the probe cannot work (a misconfigured probe), before any watch."""
        if self.probe_callable:
            load_probe_callable(self.probe_callable)
        else:
            check_probe_url(self.probe_url)
        try:
            json.dumps(self.expected_value)
        except (TypeError, ValueError):
            raise ValueError(f"expected_value must be JSON-serialisable, got {self.expected_value!r}") from None

    def probe(self) -> ProbeResult:
        """One probe, blocking; raises (``ValueError``/``TypeError``) only for a misconfigured probe."""
        if self.probe_callable:
            return callable_probe(self.probe_callable)
        return http_probe(check_probe_url(self.probe_url), timeout=self.probe_timeout, **self._tolerance())

    async def probe_async(self, http: httpx.AsyncClient | None = None) -> ProbeResult:
        """:meth:`probe` without blocking the event loop; ``http`` is reused between probes."""
        if self.probe_callable:
            return await callable_probe_async(self.probe_callable, timeout=self.probe_timeout)
        return await http_probe_async(
            self.probe_url or "", timeout=self.probe_timeout, client=http, **self._tolerance()
        )

    def _tolerance(self) -> dict[str, Any]:
        return {
            "expected_status": self.expected_status, "max_latency_ms": self.max_latency_ms,
            "json_path": self.json_path, "expected_value": self.expected_value,
        }


@dataclass
class GuardWatch:
    """One watch: its settings, its tally, the tripping rule and every event it can end with.

    :param experiment_id: the experiment (``TaskId``).
    :param target: what is probed (URL or ``module:function``), for the messages.
    :param failures_to_trip: consecutive failed probes that make a breach.
    :param started_at: Unix time the watch started (survives a triggerer restart).
    :param deadline: Unix time the watch ends with ``passed``.
    :param poll_interval: seconds between rounds.
    :param error_patience: seconds of consecutive read failures put up with.

    What the watch really probed — its probed intervals and every unwatched gap (a late start, a
    restart after a failover, a stall) — is kept in :attr:`coverage`
    (:class:`~airflow_provider_cfg.core.watched.Coverage`) and named in every event it ends with.
    """

    experiment_id: int
    target: str
    failures_to_trip: int
    started_at: float
    deadline: float = math.inf
    poll_interval: float = 10.0
    error_patience: float = 300.0
    probes: int = 0
    failed_probes: int = 0
    streak: list[dict[str, Any]] = field(default_factory=list)  # the current run of failed probes
    last: dict[str, Any] | None = None
    patience: ErrorPatience = field(init=False)
    coverage: Coverage = field(init=False)

    def __post_init__(self) -> None:
        self.patience = ErrorPatience(self.error_patience)
        self.coverage = Coverage(self.started_at, self.poll_interval)

    # -- the one watch loop ----------------------------------------------------------------------

    async def run(
        self,
        read: Callable[[], Awaitable[Task | TaskListItem | None]],
        probe: Callable[[], Awaitable[ProbeResult]],
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        logger: Log = log,
        checkpoint: Callable[[dict[str, Any]], Awaitable[object]] | None = None,
        progress: ProgressLog | None = None,
    ) -> dict[str, Any]:
        """Read the experiment and probe once a round until an event; returns it.

        The trigger awaits it on the triggerer's loop; the operator's blocking watch runs the very
        same loop through :func:`watch`.

        :param read: the experiment (``None`` if CFG did not list it); a :class:`CfgError` it
            raises is waited out for ``error_patience`` s when transient.
        :param probe: one probe; a ``TypeError``/``ValueError`` it raises is a misconfigured probe.
        :param sleep: waits between rounds.
        :param checkpoint: keeps :meth:`state` every :data:`CHECKPOINT_EVERY` s, for a copy of the
            watch that restarts (a triggerer failover) to :meth:`resume`; optional — its failures
            are logged and the watch goes on.
        :param progress: logs where the watch stands at a steady rate (default: one on ``logger``
            every :data:`~airflow_provider_cfg.core.progress.EVERY` s); a failed probe is logged at once.
        """
        if progress is None:
            progress = ProgressLog(logger, deadline=self.deadline if math.isfinite(self.deadline) else None)
        saved_at = time.time()
        while True:
            try:
                task = await read()
            except CfgError as exc:
                if not self.patience.tolerate(exc):
                    return self.error(f"cannot read the experiment: {exc}")
                logger.warning("Reading experiment %s failed (%s); still guarding", self.experiment_id, exc)
            else:
                self.patience.ok()
                if task is not None and task.TaskStatus == TaskStatus.ENDED:
                    return self.ended(task)
            probe_started = time.time()
            try:
                result = await probe()
            except (TypeError, ValueError) as exc:
                return self.error(f"misconfigured probe: {exc}")
            breach = self.record(result, probe_started)
            if breach is not None:
                return breach
            if not result.passed:
                logger.warning(
                    "Probe %s failed (%s in a row, trips at %s): %s; %s",
                    self.probes, len(self.streak), self.failures_to_trip, result.detail, self.target,
                )
            progress(self.progress_line(), state=bool(self.streak))
            if checkpoint is not None and time.time() - saved_at >= CHECKPOINT_EVERY:
                saved_at = time.time()
                try:
                    await checkpoint(self.state())
                except Exception:  # optional: the watch never depends on it
                    logger.warning("Could not checkpoint the watch of experiment %s; watching on", self.experiment_id)
            remaining = self.deadline - time.time()
            if remaining <= 0:
                return self.passed()
            await sleep(min(self.poll_interval, remaining))

    def progress_line(self) -> str:
        """Where the watch stands, for :class:`~airflow_provider_cfg.core.progress.ProgressLog`."""
        return guard_progress(self.probes, self.failed_probes, len(self.streak), self.failures_to_trip, self.target)

    # -- carried across a restart -----------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """The tally so far, JSON-safe: what a restarted copy of this watch :meth:`resume` s from."""
        return {
            "started_at": self.started_at, "probes": self.probes, "failed_probes": self.failed_probes,
            "streak": list(self.streak), "last": self.last,
            "intervals": [list(interval) for interval in self.coverage.intervals],
        }

    def resume(self, state: Mapping[str, Any]) -> bool:
        """Take over the tally of an earlier copy of this watch (the same ``started_at``): its probes,
        its run of failed probes (the tripping rule goes on from there) and its probed intervals.
        Returns whether it did; a state of another watch is ignored."""
        try:
            if abs(float(state["started_at"]) - self.started_at) > 0.001:
                return False
            probes, failed, streak = int(state["probes"]), int(state["failed_probes"]), list(state["streak"])
            intervals = [[float(start), float(end)] for start, end in state["intervals"]]
        except (KeyError, TypeError, ValueError):
            return False
        self.probes, self.failed_probes, self.streak, self.last = probes, failed, streak, state.get("last")
        self.coverage.intervals = intervals + self.coverage.intervals
        self.coverage.resumed = True
        return True

    # -- the rule and the events ------------------------------------------------------------------

    def record(self, result: ProbeResult, started: float | None = None) -> dict[str, Any] | None:
        """Count one probe; the ``breached`` event when it completes a run of failures, else ``None``.

        :param started: Unix time the probe started (default: its latency before now).
        """
        now = time.time()
        if started is None:
            started = now - (result.latency_ms or 0.0) / 1000.0
        self.coverage.probed(started, now)
        self.probes += 1
        self.last = _probe_payload(result, self.probes)
        if result.passed:
            self.streak.clear()
            return None
        self.failed_probes += 1
        self.streak.append(self.last)
        if len(self.streak) < self.failures_to_trip:
            return None
        return self._event(
            BREACHED,
            f"Steady state breached during experiment {self.experiment_id}: "
            f"{len(self.streak)} consecutive failed probe(s) of {self.target}; last: {result.detail}",
            failures=list(self.streak),
        )

    def passed(self) -> dict[str, Any]:
        return self._event(
            PASSED,
            f"Steady state held during experiment {self.experiment_id} ({self.target}): {self._tally()}; "
            f"{self.coverage.summary(time.time())}",
        )

    def ended(self, task: Task | TaskListItem | None) -> dict[str, Any]:
        status = task.TaskStatusType if task is not None else None
        if self.probes:
            message = (
                f"Experiment {self.experiment_id} ended after {self.elapsed():.1f} s of watching; "
                f"steady state held until then ({self.target}): {self._tally()}; "
                f"{self.coverage.summary(time.time())}"
            )
        else:
            message = (
                f"Experiment {self.experiment_id} had ended before the guard probed {self.target}; nothing was watched"
            )
        return self._event(
            ENDED, message,
            task_status_type=int(status) if status is not None else None,
            task_expect=int(task.TaskExpect) if task is not None and task.TaskExpect is not None else None,
        )

    def error(self, message: str) -> dict[str, Any]:
        return self._event(ERROR, f"Steady-state guard of experiment {self.experiment_id} stopped: {message}")

    def elapsed(self) -> float:
        return max(0.0, time.time() - self.started_at)

    def _tally(self) -> str:
        if self.failed_probes:
            return f"{self.probes} probe(s), {self.failed_probes} failed (never {self.failures_to_trip} in a row)"
        return f"all {self.probes} probe(s) passed"

    def _event(self, status: str, message: str, **extra: Any) -> dict[str, Any]:
        return event(
            status, self.experiment_id, message,
            target=self.target,
            probes=self.probes,
            failed_probes=self.failed_probes,
            consecutive_failures=len(self.streak),
            failures_to_trip=self.failures_to_trip,
            **self.coverage.as_fields(time.time()),
            last_probe=self.last,
            **extra,
        )


def conclusion_check(finished: dict[str, Any]) -> dict[str, Any]:
    """The check a ``passed`` or ``ended`` watch gives the conclusion (``{"passed", "detail", ...}``,
    JSON-safe): passed when the whole watch passed, or when the experiment ended after at least one
    probe without tripping."""
    ended = finished["status"] == ENDED
    check = {
        "passed": bool(finished.get("probes")) if ended else finished["status"] == PASSED,
        "detail": finished.get("message") or "",
        "probes": finished.get("probes", 0),
        "failed_probes": finished.get("failed_probes", 0),
        "watched_seconds": finished.get("watched_seconds"),
        "elapsed_seconds": finished.get("elapsed_seconds"),
        "gaps": finished.get("gaps") or [],
        "last_probe": finished.get("last_probe"),
    }
    return {**check, "ended": True} if ended else check


def _probe_payload(result: ProbeResult, number: int) -> dict[str, Any]:
    return {
        "number": number,
        "passed": result.passed,
        "detail": result.detail,
        "latency_ms": round(result.latency_ms, 1) if result.latency_ms is not None else None,
        "at": round(time.time(), 3),
    }


def watch(
    guard: GuardWatch,
    read: Callable[[], Task | TaskListItem | None],
    probe: Callable[[], ProbeResult],
    logger: Log = log,
    sleep: Callable[[float], object] = time.sleep,
    progress: ProgressLog | None = None,
) -> dict[str, Any]:
    """Run :meth:`GuardWatch.run` in this thread with blocking calls (the operator's synchronous watch).

    Each await gets its answer from a blocking call at once and never suspends, so the coroutine
    runs to its end on one ``send`` without an event loop: one loop for both modes, not two copies.
    """

    def now(call: Callable[..., T]) -> Callable[..., Awaitable[T]]:
        async def answered(*args: Any) -> T:  # ruff: ignore[unused-async] - awaited by the loop, never suspends
            return call(*args)

        return answered

    loop = guard.run(now(read), now(probe), now(sleep), logger, progress=progress)
    try:
        loop.send(None)
    except StopIteration as done:
        return cast("dict[str, Any]", done.value)
    loop.close()
    raise RuntimeError("the blocking guard watch was asked to wait for something asynchronous")


# -- after a breach ------------------------------------------------------------------------------------


def abort_after_breach(
    client: CfgClient,
    experiment_id: int,
    content: str,
    rollback_reason: str | None,
    done: list[str],
    logger: Log = log,
) -> None:
    """Stop the experiment after a breach: trigger its guardrail, then (given ``rollback_reason``)
    run the provider's rollback. Raises what the client raises beyond a refusal (the caller reports it).

    :param content: the guardrail trigger's text (at most 500 characters).
    :param rollback_reason: why, for the rollback's summary; ``None`` leaves the recovery to CFG's
        guardrail (it pauses the experiment or rolls it back sequentially, per its policy).
    :param done: what was done, in words, is appended as it happens, so that a failure midway
        still reports the first part.
    """
    done.append(_trigger_guardrail(client, experiment_id, content, logger))
    if rollback_reason is None:
        return
    report = rollback_experiment(client, experiment_id, rollback_reason)
    logger.warning("Rollback of experiment %s: %s", experiment_id, report.summary())
    if report.clean:
        done.append("rolled back (faults recovered, experiment ended with IsExpect=false)")
    else:
        done.append("rollback INCOMPLETE, still injected: " + "; ".join(report.left_injected))


def _trigger_guardrail(
    client: CfgClient, experiment_id: int, content: str, logger: Log
) -> str:
    """``TriggerPolicy`` once: after an unclear answer the guardrail's state says whether it landed."""

    def triggered() -> bool | None:
        policy = client.describe_task(experiment_id).require_task().TaskPolicy
        return True if policy is not None and policy.is_triggered else None

    try:
        settle_mutation(
            lambda: client.trigger_policy(experiment_id, GUARDRAIL_NAME, content, TriggerType.TRIGGER),
            triggered, what="TriggerPolicy", logger=logger,
        )
    except CfgApiError as exc:
        logger.warning("TriggerPolicy on experiment %s refused: %s", experiment_id, exc)
        return f"guardrail not triggered ({exc.code}: {exc.message})"
    logger.warning("Guardrail of experiment %s triggered: %s", experiment_id, content)
    return "guardrail triggered"
