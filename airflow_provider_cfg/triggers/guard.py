"""The steady-state guard: probe the system *while* a fault is injected and stop at the first breach.

:class:`GuardWatch` holds the rule (no I/O, no clock of its own): it counts probes, trips after
``failures_to_trip`` consecutive failed probes, and builds every event. The deferrable trigger
(:class:`CfgSteadyStateGuardTrigger`, in the triggerer) and the operator's synchronous loop both
feed it, so a breach is the same breach whichever mode watched it. Each poll reads the experiment
once (``DescribeTask``) and probes once; the watch ends with exactly one event:

``passed``
    the whole ``duration`` was watched without tripping;
``breached``
    ``failures_to_trip`` probes in a row failed (the event carries their details);
``ended``
    the experiment ended (1004) meanwhile, so there is nothing left to guard;
``error``
    the guard itself cannot work: a misconfigured probe, or CFG unreadable for ``error_patience`` s.

Payloads hold only JSON types: they cross the triggerer/worker boundary through the database.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import TriggerEvent

from airflow_provider_cfg.api.enums import TaskStatus
from airflow_provider_cfg.core.events import ERROR
from airflow_provider_cfg.triggers.base import SHARE_AGE, CfgPollingTrigger, waitable

if TYPE_CHECKING:
    import httpx

    from airflow_provider_cfg.api.models import Task, TaskListItem
    from airflow_provider_cfg.core.probes import ProbeResult

PASSED = "passed"
BREACHED = "breached"
ENDED = "ended"
GUARD_STATUSES = (PASSED, BREACHED, ENDED, ERROR)


def validate_guard_event(event: Any) -> dict[str, Any]:
    """Reject a malformed guard event (it crossed a process boundary) with a clear error."""
    if not isinstance(event, dict) or event.get("status") not in GUARD_STATUSES:
        raise ValueError(f"unexpected steady-state guard event: {event!r}")
    return event


@dataclass
class GuardWatch:
    """The tripping rule and the events of one watch (shared by the trigger and the operator).

    :param experiment_id: the experiment (``TaskId``); ``task_id`` in the events, as in the other CFG events.
    :param target: what is probed (URL or ``module:function``), for the messages.
    :param failures_to_trip: consecutive failed probes that make a breach.
    :param started_at: Unix time the watch started (survives a triggerer restart).
    """

    experiment_id: int
    target: str
    failures_to_trip: int
    started_at: float
    probes: int = 0
    failed_probes: int = 0
    streak: list[dict[str, Any]] = field(default_factory=list)  # the current run of failed probes
    last: dict[str, Any] | None = None

    def record(self, result: ProbeResult) -> dict[str, Any] | None:
        """Count one probe; the ``breached`` event when it completes a run of failures, else ``None``."""
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
            f"Steady state held for {self.elapsed():.1f} s during experiment {self.experiment_id}: "
            f"{self._tally()} of {self.target}",
        )

    def ended(self, task: Task | TaskListItem | None) -> dict[str, Any]:
        status = task.TaskStatusType if task is not None else None
        if self.probes:
            message = (
                f"Experiment {self.experiment_id} ended after {self.elapsed():.1f} s of watching; "
                f"steady state held until then: {self._tally()} of {self.target}"
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
            failed = f", {self.failed_probes} failed (never {self.failures_to_trip} in a row)"
        else:
            failed = ", all passed"
        return f"{self.probes} probe(s){failed}"

    def _event(self, status: str, message: str, **extra: Any) -> dict[str, Any]:
        return {
            "status": status,
            "task_id": self.experiment_id,
            "message": message,
            "target": self.target,
            "probes": self.probes,
            "failed_probes": self.failed_probes,
            "consecutive_failures": len(self.streak),
            "failures_to_trip": self.failures_to_trip,
            "watched_seconds": round(self.elapsed(), 3),
            "last_probe": self.last,
            **extra,
        }


def _probe_payload(result: ProbeResult, number: int) -> dict[str, Any]:
    return {
        "number": number,
        "passed": result.passed,
        "detail": result.detail,
        "latency_ms": round(result.latency_ms, 1) if result.latency_ms is not None else None,
        "at": round(time.time(), 3),
    }


class CfgSteadyStateGuardTrigger(CfgPollingTrigger["Task"]):
    """Watch the steady state during a fault, in the triggerer, until ``deadline`` (end of the watch).

    Every ``poll_interval`` seconds: one ``DescribeTask`` (an ended experiment stops the watch) and
    one probe — an HTTP GET judged by :func:`airflow_provider_cfg.core.probes.judge`, or a function named
    by an import path. Yields exactly one event (see the module docstring). The trigger does not
    abort anything itself: the operator's handler triggers the guardrail and rolls back, so a breach
    seen by the synchronous loop and one seen here are handled by the same code.

    :param deadline: Unix time at which the watch ends with ``passed``.
    :param started_at: Unix time the watch started (for ``watched_seconds``).
    :param probe_url: URL to GET (exclusive with ``probe_callable``).
    :param probe_callable: ``"package.module:function"`` returning a bool or ``{"passed", "detail"}``.
    :param expected_status: acceptable HTTP status codes.
    :param max_latency_ms: slowest acceptable answer (HTTP probes).
    :param json_path: dotted path into the JSON body to compare with ``expected_value``.
    :param expected_value: the value expected at ``json_path``.
    :param probe_timeout: seconds one probe may take (slower is a failed probe).
    :param failures_to_trip: consecutive failed probes that make a breach.
    Other parameters as :class:`~airflow_provider_cfg.triggers.base.CfgPollingTrigger`.
    """

    deadline: float  # required here (the end of the watch), where the base allows None

    def __init__(
        self,
        *,
        deadline: float,
        started_at: float | None = None,
        probe_url: str | None = None,
        probe_callable: str | None = None,
        expected_status: Collection[int] = (200,),
        max_latency_ms: float | None = 2000.0,
        json_path: str | None = None,
        expected_value: Any = None,
        probe_timeout: float = 10.0,
        failures_to_trip: int = 2,
        **kwargs: Any,
    ) -> None:
        super().__init__(deadline=deadline, **kwargs)
        self.started_at = float(started_at) if started_at is not None else time.time()
        self.probe_url = probe_url
        self.probe_callable = probe_callable
        self.expected_status = [int(code) for code in expected_status]
        self.max_latency_ms = float(max_latency_ms) if max_latency_ms is not None else None
        self.json_path = json_path
        self.expected_value = expected_value
        self.probe_timeout = float(probe_timeout)
        self.failures_to_trip = int(failures_to_trip)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "airflow_provider_cfg.triggers.guard.CfgSteadyStateGuardTrigger",
            {
                **self._base_kwargs(),
                "started_at": self.started_at,
                "probe_url": self.probe_url,
                "probe_callable": self.probe_callable,
                "expected_status": self.expected_status,
                "max_latency_ms": self.max_latency_ms,
                "json_path": self.json_path,
                "expected_value": self.expected_value,
                "probe_timeout": self.probe_timeout,
                "failures_to_trip": self.failures_to_trip,
            },
        )

    @property
    def target(self) -> str:
        return self.probe_url or self.probe_callable or "?"

    def watch(self) -> GuardWatch:
        return GuardWatch(self.experiment_id, self.target, self.failures_to_trip, self.started_at)

    def check(self, task: Task) -> dict[str, Any] | None:  # the polling loop of the base is not used
        return None

    async def probe(self, http: httpx.AsyncClient) -> ProbeResult:
        """One probe; raises (``ValueError``/``TypeError``) only for a misconfigured probe."""
        from airflow_provider_cfg.core.probes import callable_probe_async, http_probe_async

        if self.probe_callable:
            return await callable_probe_async(self.probe_callable, timeout=self.probe_timeout)
        return await http_probe_async(
            self.probe_url or "", expected_status=self.expected_status, max_latency_ms=self.max_latency_ms,
            json_path=self.json_path, expected_value=self.expected_value, timeout=self.probe_timeout, client=http,
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        import httpx

        from airflow_provider_cfg.api.errors import CfgError
        from airflow_provider_cfg.core.probes import check_probe_url, load_probe_callable
        from airflow_provider_cfg.triggers.poller import BATCH_WINDOW, acquire

        watch = self.watch()
        try:
            if self.probe_callable:
                load_probe_callable(self.probe_callable)
            else:
                check_probe_url(self.probe_url)
            # CFG is only asked "has it ended?": the shared poller's batched DescribeTaskList
            # answers that for every guard and watcher of this triggerer at once.
            poller = await acquire(self.cfg_conn_id, self.region)
        except Exception as exc:  # reported as one event, never swallowed
            yield TriggerEvent(watch.error(f"{type(exc).__name__}: {exc}"))
            return
        batch_wait = min(BATCH_WINDOW, self.poll_interval / 10)
        failing_since: float | None = None
        try:
            async with httpx.AsyncClient() as http:
                while True:
                    try:
                        task = (await poller.read_status(
                            self.experiment_id, max_age=SHARE_AGE * self.poll_interval, wait=batch_wait
                        )).value
                        failing_since = None
                        if task is not None and task.TaskStatus == TaskStatus.ENDED:
                            yield TriggerEvent(watch.ended(task))
                            return
                    except CfgError as exc:
                        now = time.monotonic()
                        failing_since = failing_since or now
                        if not waitable(exc) or now - failing_since >= self.error_patience:
                            yield TriggerEvent(watch.error(f"cannot read the experiment: {exc}"))
                            return
                        self.log.warning("Reading experiment %s failed (%s); still guarding", self.experiment_id, exc)
                    try:
                        result = await self.probe(http)
                    except (TypeError, ValueError) as exc:
                        yield TriggerEvent(watch.error(f"misconfigured probe: {exc}"))
                        return
                    event = watch.record(result)
                    if event is not None:
                        yield TriggerEvent(event)
                        return
                    if not result.passed:
                        self.log.warning(
                            "Probe %s of %s failed (%s in a row, trips at %s): %s",
                            watch.probes, self.target, len(watch.streak), self.failures_to_trip, result.detail,
                        )
                    remaining = (self.deadline or 0.0) - time.time()
                    if remaining <= 0:
                        yield TriggerEvent(watch.passed())
                        return
                    await asyncio.sleep(min(self.poll_interval, remaining))
        finally:
            await poller.release()
