"""The steady-state guard's trigger: the watch of :mod:`airflow_provider_cfg.core.guard`, in the triggerer.

The rule, the loop and the events live in core; this trigger only carries the settings as JSON and
answers the loop's steps without blocking the event loop: the experiment's status through the
shared poller's batched ``DescribeTaskList`` (every guard and watcher of this triggerer at once),
and the probe with an ``httpx.AsyncClient`` kept for the whole watch. The watch's tally is
checkpointed for a copy restarted on another triggerer (:mod:`airflow_provider_cfg.triggers.guard_state`).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import TriggerEvent

from airflow_provider_cfg.triggers.base import CfgTrigger

if TYPE_CHECKING:
    from airflow_provider_cfg.api.models import Task, TaskListItem
    from airflow_provider_cfg.core.guard import GuardWatch, ProbeSpec


class CfgSteadyStateGuardTrigger(CfgTrigger):
    """Watch the steady state during a fault, in the triggerer, until ``deadline`` (end of the watch).

    Yields exactly one event (:data:`~airflow_provider_cfg.core.events.GUARD_STATUSES`). The trigger
    does not abort anything itself: the operator's handler triggers the guardrail and rolls back,
    so a breach seen by the synchronous watch and one seen here are handled by the same code.

    :param deadline: Unix time at which the watch ends with ``passed``.
    :param started_at: Unix time the watch started (for ``elapsed_seconds`` and the unwatched gaps: a copy
        restarted after a failover names the time before it started as not watched).
    :param failures_to_trip: consecutive failed probes that make a breach.
    :param kwargs: the probe (``probe_url`` or ``probe_callable``, ``expected_status``,
        ``max_latency_ms``, ``json_path``, ``expected_value``, ``probe_timeout``: see
        :class:`~airflow_provider_cfg.core.guard.ProbeSpec`), then those of
        :class:`~airflow_provider_cfg.triggers.base.CfgTrigger`.
    """

    deadline: float  # required here (the end of the watch), where the base allows None

    def __init__(
        self, *, deadline: float, started_at: float | None = None, failures_to_trip: int = 2, **kwargs: Any
    ) -> None:
        from airflow_provider_cfg.core.guard import ProbeSpec

        self.probe = ProbeSpec.from_kwargs(kwargs)
        for name in self.probe.as_kwargs():
            kwargs.pop(name, None)
        super().__init__(deadline=deadline, **kwargs)
        self.started_at = float(started_at) if started_at is not None else time.time()
        self.failures_to_trip = int(failures_to_trip)

    @classmethod
    def for_watch(cls, watch: GuardWatch, probe: ProbeSpec, **kwargs: Any) -> CfgSteadyStateGuardTrigger:
        """The trigger that continues ``watch`` in the triggerer (``kwargs``: connection, region, on_kill)."""
        return cls(
            experiment_id=watch.experiment_id, deadline=watch.deadline, started_at=watch.started_at,
            poll_interval=watch.poll_interval, error_patience=watch.error_patience,
            failures_to_trip=watch.failures_to_trip, **probe.as_kwargs(), **kwargs,
        )

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "airflow_provider_cfg.triggers.guard.CfgSteadyStateGuardTrigger",
            {
                **self._base_kwargs(),
                "started_at": self.started_at,
                **self.probe.as_kwargs(),
                "failures_to_trip": self.failures_to_trip,
            },
        )

    def watch(self) -> GuardWatch:
        from airflow_provider_cfg.core.guard import GuardWatch

        return GuardWatch(
            self.experiment_id, self.probe.target, self.failures_to_trip, self.started_at,
            deadline=self.deadline, poll_interval=self.poll_interval, error_patience=self.error_patience,
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        import asyncio

        import httpx

        from airflow_provider_cfg.triggers.base import progress_log
        from airflow_provider_cfg.triggers.guard_state import load_state, save_state
        from airflow_provider_cfg.triggers.poller import acquire

        watch = self.watch()
        try:
            self.probe.check()
            poller = await acquire(self.cfg_conn_id, self.region)
        except Exception as exc:  # reported as one event, never swallowed
            yield TriggerEvent(watch.error(f"{type(exc).__name__}: {exc}"))
            return

        async def read() -> Task | TaskListItem | None:
            return (await self.read_status(poller)).value  # "has it ended?" is all the guard asks

        async def checkpoint(state: dict[str, Any]) -> None:
            await save_state(self, state)

        try:
            earlier = await load_state(self)
            if earlier is not None and watch.resume(earlier):
                self.log.info("Experiment %s: resuming the watch of an earlier copy of this trigger (%s probe(s))",
                              self.experiment_id, watch.probes)
            async with httpx.AsyncClient() as http:
                yield TriggerEvent(await watch.run(
                    read, lambda: self.probe.probe_async(http), asyncio.sleep, self.log, checkpoint=checkpoint,
                    progress=progress_log(self.log, self.deadline)))
        finally:
            await poller.release()
