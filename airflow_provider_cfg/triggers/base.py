"""What the CFG triggers share (:class:`CfgTrigger`) and the polling loop of the waiting ones
(:class:`CfgPollingTrigger`).

Every CFG trigger watches one experiment through one connection and region, until an absolute
``deadline`` (Unix time, so it survives a triggerer restart), puts up with API errors for
``error_patience`` seconds (:class:`~airflow_provider_cfg.core.settle.ErrorPatience`), and yields
exactly one event (:mod:`airflow_provider_cfg.core.events`). Its ``on_kill`` starts the provider's
rollback, best effort, when the task really left its deferral (marked failed, cleared, removed) —
not when the trigger merely moved to another triggerer (:mod:`airflow_provider_cfg.triggers.deferral`).

A polling trigger reads the experiment every ``poll_interval`` seconds through the process's
:class:`~airflow_provider_cfg.triggers.poller.SharedPoller` for its connection and region, which
batches and shares the reads between triggers. The first read comes at a random point of the
first interval and every wait is ±5 % of ``poll_interval``, so that triggers started together (a
triggerer restart) do not poll in lockstep. The next read is due ``poll_interval`` after the
*request* of the reading the trigger got (see the poller), so a change is seen within about one
interval. Everything that decides the event — the verdict, the deadline, ``error_patience`` —
stays the trigger's own: a read that does not come back by the deadline is given up (at most
:data:`READ_GRACE` s late), and another trigger's errors or cancellation never end this one.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_cfg.core.events import ERROR, TIMEOUT, event
from airflow_provider_cfg.hooks.cfg import DEFAULT_CONN_ID, CfgHook

if TYPE_CHECKING:
    from airflow_provider_cfg.api.models import Task, TaskListItem
    from airflow_provider_cfg.core.progress import ProgressLog
    from airflow_provider_cfg.core.settle import ErrorPatience
    from airflow_provider_cfg.triggers.poller import Poller, Reading

JITTER = 0.05
"""Each wait is ``poll_interval`` * a random factor in [1 - JITTER, 1 + JITTER]."""
SHARE_AGE = 0.75
"""A reading younger than ``SHARE_AGE * poll_interval`` (taken for another trigger) is reused;
above one half, watchers of the same experiment settle on one read per interval."""
READ_GRACE = 1.0
"""A read is given at least this long (s) even when the deadline is closer or has passed."""

PROGRESS_OPTION = ("cfg", "progress_every")
"""Airflow option (``AIRFLOW__CFG__PROGRESS_EVERY``): seconds between two progress lines of a wait."""


def progress_log(log: Any, deadline: float | None = None) -> ProgressLog:
    """The progress log of a wait (a trigger's, a sensor's or an operator's synchronous one), at the
    rate of ``[cfg] progress_every`` (default :data:`~airflow_provider_cfg.core.progress.EVERY` s).

    :param log: the trigger's or operator's ``self.log`` (a trigger's reaches the task log only so).
    :param deadline: Unix time the wait ends, for the time left.
    """
    from airflow_provider_cfg.core.progress import EVERY, ProgressLog

    try:
        from airflow.providers.common.compat.sdk import conf

        every = conf.getfloat(*PROGRESS_OPTION, fallback=EVERY)
    except Exception:  # a malformed value: the default, said once per wait
        log.warning("[%s] %s is not a number of seconds; progress every %s s", *PROGRESS_OPTION, EVERY)
        every = EVERY
    return ProgressLog(log, every=every, deadline=deadline)


ValueT = TypeVar("ValueT", bound="Task | TaskListItem")
"""What a trigger's :meth:`~CfgPollingTrigger.read` yields and its ``check`` receives."""


_IN_FLIGHT: set[Any] = set()
"""The ``on_kill`` rollbacks under way (see :meth:`CfgTrigger.on_kill`)."""


class CfgTrigger(BaseTrigger):
    """Base of the CFG triggers: the experiment, the connection, the deadline, error patience, ``on_kill``.

    :param experiment_id: the experiment (``TaskId``).
    :param cfg_conn_id: the ``tencentcloud_cfg`` connection.
    :param region: region override.
    :param poll_interval: seconds between reads.
    :param deadline: absolute Unix time at which the trigger ends (``None``: no limit).
    :param error_patience: seconds of consecutive API failures tolerated before an ``error`` event.
    :param rollback_on_kill: roll the experiment back when the deferred task is killed.
    :param task_id: the experiment under its former name, as triggers serialised before the rename
        hold it; give ``experiment_id``.
    """

    def __init__(
        self,
        experiment_id: int | None = None,
        cfg_conn_id: str = DEFAULT_CONN_ID,
        region: str | None = None,
        poll_interval: float = 10.0,
        deadline: float | None = None,
        error_patience: float = 300.0,
        rollback_on_kill: bool = True,
        *,
        task_id: int | None = None,
    ) -> None:
        super().__init__()
        if experiment_id is None:
            experiment_id = task_id
        if experiment_id is None:
            raise TypeError(f"{type(self).__name__} needs experiment_id")
        # Not ``self.task_id``: the triggerer sets that attribute to the Airflow task id.
        self.experiment_id = int(experiment_id)
        self.cfg_conn_id = cfg_conn_id
        self.region = region
        self.poll_interval = float(poll_interval)
        self.deadline = float(deadline) if deadline is not None else None
        self.error_patience = float(error_patience)
        self.rollback_on_kill = bool(rollback_on_kill)

    def _base_kwargs(self) -> dict[str, Any]:
        return {
            "experiment_id": self.experiment_id,
            "cfg_conn_id": self.cfg_conn_id,
            "region": self.region,
            "poll_interval": self.poll_interval,
            "deadline": self.deadline,
            "error_patience": self.error_patience,
            "rollback_on_kill": self.rollback_on_kill,
        }

    def hook(self) -> CfgHook:
        # A trigger only reads CFG and rolls back: the console link's template is not its business
        # (the operator checked it before deferring), so a later typo there cannot stop it.
        return CfgHook(self.cfg_conn_id, region=self.region, strict_console_url=False)

    def patience(self) -> ErrorPatience:
        """A fresh count of consecutive API failures, for one run."""
        from airflow_provider_cfg.core.settle import ErrorPatience

        return ErrorPatience(self.error_patience)

    async def read_status(self, poller: Poller) -> Reading:
        """The experiment's task-level status, batched with the other watchers' (waits at most a
        tenth of an interval, and at most ``BATCH_WINDOW``, for them)."""
        from airflow_provider_cfg.triggers.poller import BATCH_WINDOW

        return await poller.read_status(
            self.experiment_id, max_age=SHARE_AGE * self.poll_interval, wait=min(BATCH_WINDOW, self.poll_interval / 10)
        )

    def past_deadline(self) -> bool:
        return self.deadline is not None and time.time() >= self.deadline

    async def on_kill(self) -> None:
        """Best-effort rollback when the task really left its deferral; never raises.

        The triggerer also calls ``on_kill`` for a stale copy of a trigger that moved to another
        triggerer: the task instance's state tells the two apart
        (:func:`~airflow_provider_cfg.triggers.deferral.deferral_left`).

        Airflow 3.3's triggerer cancels the trigger's task again on each of its loops until the task
        is gone (the trigger stays in ``cancelling_triggers``), which lands inside ``on_kill`` and
        would drop the rollback half-way (Airflow swallows that cancel). So the work runs shielded,
        and ``on_kill`` sees it through before passing the cancellation on.
        """
        if not self.rollback_on_kill:
            return
        work = asyncio.ensure_future(self._roll_back_if_left())
        _IN_FLIGHT.add(work)  # a strong reference: the task may outlive the trigger's own
        work.add_done_callback(_IN_FLIGHT.discard)
        cancelled = False
        while not work.done():
            try:
                await asyncio.shield(work)
            except asyncio.CancelledError:
                if not cancelled and not work.done():
                    self.log.warning("on_kill of experiment %s cancelled again: finishing the rollback first",
                                     self.experiment_id)
                cancelled = True
        if cancelled:
            raise asyncio.CancelledError

    async def _roll_back_if_left(self) -> None:
        from asgiref.sync import sync_to_async

        from airflow_provider_cfg.core.rollback import rollback_best_effort
        from airflow_provider_cfg.triggers.deferral import deferral_left

        deferral = await deferral_left(self)
        if not deferral.left:
            self.log.warning(
                "Trigger of experiment %s cancelled, not rolling back: %s", self.experiment_id, deferral.reason
            )
            return
        self.log.warning("Rolling back experiment %s: %s", self.experiment_id, deferral.reason)
        hook = self.hook()
        try:
            await hook.aconnection()  # read on the loop; the rollback (blocking) runs in a thread
        except Exception:  # reported by the rollback below, which reads it again and fails the same way
            self.log.debug("Reading connection %r failed", self.cfg_conn_id, exc_info=True)
        reason = f"the Airflow task was killed while waiting ({deferral.reason})"
        await sync_to_async(rollback_best_effort, thread_sensitive=False)(
            hook.get_client, self.experiment_id, reason, self.log
        )


class CfgPollingTrigger(CfgTrigger, Generic[ValueT]):
    """Base of the waiting triggers; subclasses implement :meth:`check` and list their own kwargs.

    Parametrised by what the subclass's :meth:`read` yields (``DescribeTask``'s :class:`Task` by
    default; a status read may also give a ``DescribeTaskList`` item), which :meth:`check` gets.
    Its events are :data:`~airflow_provider_cfg.core.events.STATUSES`.
    """

    def check(self, task: ValueT) -> dict[str, Any] | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def progress(self, value: ValueT) -> str:
        """The progress line logged while waiting (at a steady rate: :class:`ProgressLog`)."""
        from airflow_provider_cfg.core.progress import experiment_progress

        return experiment_progress(value)

    async def read(self, poller: Poller) -> Reading:
        """One reading for :meth:`check`: the whole experiment (``DescribeTask``) by default."""
        return await poller.read_task(self.experiment_id, max_age=SHARE_AGE * self.poll_interval)

    # -- how the reads are spread out (the shared poller's, see the module docstring) -------------

    async def open_poller(self) -> Poller:
        from airflow_provider_cfg.triggers.poller import acquire

        return await acquire(self.cfg_conn_id, self.region)

    def first_read_delay(self) -> float:
        """At a random point of the first interval: triggers started together do not read together."""
        return random.uniform(0.0, self.poll_interval)

    def next_read_at(self, reading: Reading) -> float:
        """One interval after the reading's request (``loop.time()``), give or take the jitter."""
        return reading.at + self.poll_interval * random.uniform(1.0 - JITTER, 1.0 + JITTER)

    # -- the loop ---------------------------------------------------------------------------------

    async def _read_by_deadline(self, poller: Poller) -> Reading:
        if self.deadline is None:
            return await self.read(poller)
        limit = max(self.deadline - time.time(), READ_GRACE)
        if sys.version_info >= (3, 11):
            # Not asyncio.wait_for: on 3.11 it returns the read's result and drops a cancellation
            # that arrives as the read completes, and a cancelled trigger (mark, clear, failover)
            # would go on polling until its deadline. asyncio.timeout never drops it.
            async with asyncio.timeout(limit):
                return await self.read(poller)
        return await asyncio.wait_for(self.read(poller), limit)  # pragma: no cover - Python 3.10

    async def _sleep_until(self, when: float) -> None:
        """Sleep until ``when`` (``loop.time()``), or the deadline if that comes first."""
        delay = when - asyncio.get_running_loop().time()
        if self.deadline is not None:
            delay = min(delay, self.deadline - time.time())
        await asyncio.sleep(max(0.0, delay))

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow_provider_cfg.api.errors import CfgError

        try:
            poller = await self.open_poller()
        except Exception as exc:  # reported as one event, never swallowed
            yield TriggerEvent(event(ERROR, self.experiment_id, f"cannot build CFG client: {exc}"))
            return
        loop = asyncio.get_running_loop()
        patience = self.patience()
        progress = progress_log(self.log, self.deadline)
        try:
            await self._sleep_until(loop.time() + self.first_read_delay())
            while True:
                next_read = loop.time() + self.poll_interval
                try:
                    reading = await self._read_by_deadline(poller)
                    patience.ok()
                    next_read = self.next_read_at(reading)
                    verdict = self.check(reading.value) if reading.value is not None else None
                    if verdict is not None:
                        yield TriggerEvent(verdict)
                        return
                    if reading.value is not None:
                        progress(self.progress(reading.value))
                except CfgError as exc:
                    if not patience.tolerate(exc):
                        yield TriggerEvent(event(ERROR, self.experiment_id, str(exc)))
                        return
                    self.log.warning("Reading experiment %s failed (%s); still waiting", self.experiment_id, exc)
                except asyncio.TimeoutError:
                    pass  # no answer by the deadline: the check below ends the wait
                if self.past_deadline():
                    message = f"deadline passed waiting for experiment {self.experiment_id}"
                    yield TriggerEvent(event(TIMEOUT, self.experiment_id, message))
                    return
                await self._sleep_until(next_read)
        finally:
            await poller.release()
