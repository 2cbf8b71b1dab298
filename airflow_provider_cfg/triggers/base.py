"""The polling loop shared by the CFG triggers.

A trigger reads the experiment every ``poll_interval`` seconds and yields exactly one event:
the verdict computed by :mod:`airflow_provider_cfg.core.events`, a ``timeout`` event at its absolute
``deadline`` (Unix time, so it survives a triggerer restart), or an ``error`` event once the API
has failed for longer than ``error_patience`` seconds. Its ``on_kill`` (Airflow 3.3: the task was
marked failed/success or cleared while deferred) starts the provider's rollback, best effort.

The reads go through the process's :class:`~airflow_provider_cfg.triggers.poller.SharedPoller`
for the trigger's connection and region, which batches and shares them between triggers. The
first read comes at a random point of the first interval and every wait is ±5 % of
``poll_interval``, so that triggers started together (a triggerer restart) do not poll in
lockstep. The next read is due ``poll_interval`` after the *request* of the reading the trigger
got (see the poller), so a change is seen within about one interval. Everything that decides the
event — the verdict, the deadline, ``error_patience`` — stays the trigger's own: a read that
does not come back by the deadline is given up (at most :data:`READ_GRACE` s late), and another
trigger's errors or cancellation never end this one.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_cfg.core.events import ERROR, TIMEOUT
from airflow_provider_cfg.hooks.cfg import DEFAULT_CONN_ID, CfgHook

if TYPE_CHECKING:
    from airflow_provider_cfg.api.models import Task, TaskListItem
    from airflow_provider_cfg.triggers.poller import PrivatePoller, Reading, SharedPoller

JITTER = 0.05
"""Each wait is ``poll_interval`` * a random factor in [1 - JITTER, 1 + JITTER]."""
SHARE_AGE = 0.75
"""A reading younger than ``SHARE_AGE * poll_interval`` (taken for another trigger) is reused;
above one half, watchers of the same experiment settle on one read per interval."""
READ_GRACE = 1.0
"""A read is given at least this long (s) even when the deadline is closer or has passed."""

ValueT = TypeVar("ValueT", bound="Task | TaskListItem")
"""What a trigger's :meth:`~CfgPollingTrigger.read` yields and its ``check`` receives."""


def waitable(exc: Exception) -> bool:
    """Errors worth waiting out: transport failures and transient API codes (not auth or bad input)."""
    from airflow_provider_cfg.api.errors import CfgApiError, CfgTransportError

    return isinstance(exc, CfgTransportError) or (isinstance(exc, CfgApiError) and exc.is_transient)


class CfgPollingTrigger(BaseTrigger, Generic[ValueT]):
    """Base of the CFG triggers; subclasses implement :meth:`check` and list their own kwargs.

    Parametrised by what the subclass's :meth:`read` yields (``DescribeTask``'s :class:`Task` by
    default; a status read may also give a ``DescribeTaskList`` item), which :meth:`check` gets.

    :param task_id: the experiment (``TaskId``).
    :param cfg_conn_id: the ``tencentcloud_cfg`` connection.
    :param region: region override.
    :param poll_interval: seconds between reads.
    :param deadline: absolute Unix time after which a ``timeout`` event is sent (``None``: no limit).
    :param error_patience: seconds of consecutive API failures tolerated before an ``error`` event.
    :param rollback_on_kill: roll the experiment back when the deferred task is killed.
    """

    def __init__(
        self,
        task_id: int,
        cfg_conn_id: str = DEFAULT_CONN_ID,
        region: str | None = None,
        poll_interval: float = 10.0,
        deadline: float | None = None,
        error_patience: float = 300.0,
        rollback_on_kill: bool = True,
    ) -> None:
        super().__init__()
        # Not ``self.task_id``: the triggerer sets that attribute to the Airflow task id.
        self.experiment_id = int(task_id)
        self.cfg_conn_id = cfg_conn_id
        self.region = region
        self.poll_interval = float(poll_interval)
        self.deadline = float(deadline) if deadline is not None else None
        self.error_patience = float(error_patience)
        self.rollback_on_kill = bool(rollback_on_kill)

    def _base_kwargs(self) -> dict[str, Any]:
        return {
            "task_id": self.experiment_id,
            "cfg_conn_id": self.cfg_conn_id,
            "region": self.region,
            "poll_interval": self.poll_interval,
            "deadline": self.deadline,
            "error_patience": self.error_patience,
            "rollback_on_kill": self.rollback_on_kill,
        }

    shared_polling = True
    """Read through the process's shared poller (batched, shared reads); ``False`` polls like
    before it, one client and one ``DescribeTask`` per trigger and interval, no jitter."""

    def check(self, task: ValueT) -> dict[str, Any] | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def progress(self, value: ValueT) -> str:
        """The progress line logged while waiting (at a steady rate: :class:`ProgressLog`)."""
        from airflow_provider_cfg.core.progress import experiment_progress

        return experiment_progress(value)

    def hook(self) -> CfgHook:
        return CfgHook(self.cfg_conn_id, region=self.region)

    async def read(self, poller: SharedPoller | PrivatePoller) -> Reading:
        """One reading for :meth:`check`: the whole experiment (``DescribeTask``) by default."""
        return await poller.read_task(self.experiment_id, max_age=SHARE_AGE * self.poll_interval)

    async def _read_by_deadline(self, poller: SharedPoller | PrivatePoller) -> Reading:
        if self.deadline is None:
            return await self.read(poller)
        return await asyncio.wait_for(self.read(poller), max(self.deadline - time.time(), READ_GRACE))

    async def _sleep_until(self, when: float) -> None:
        """Sleep until ``when`` (``loop.time()``), or the deadline if that comes first."""
        delay = when - asyncio.get_running_loop().time()
        if self.deadline is not None:
            delay = min(delay, self.deadline - time.time())
        await asyncio.sleep(max(0.0, delay))

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow_provider_cfg.api.errors import CfgError
        from airflow_provider_cfg.core.progress import ProgressLog
        from airflow_provider_cfg.triggers.poller import PrivatePoller, acquire

        shared = self.shared_polling
        try:
            poller = await acquire(self.cfg_conn_id, self.region) if shared else await PrivatePoller.open(self.hook())
        except Exception as exc:  # reported as one event, never swallowed
            yield TriggerEvent(
                {"status": ERROR, "task_id": self.experiment_id, "message": f"cannot build CFG client: {exc}"}
            )
            return
        loop = asyncio.get_running_loop()
        failing_since: float | None = None
        progress = ProgressLog(self.log)
        try:
            if shared:  # the first read at a random point of the first interval
                await self._sleep_until(loop.time() + random.uniform(0.0, self.poll_interval))
            while True:
                next_read = loop.time() + self.poll_interval
                try:
                    reading = await self._read_by_deadline(poller)
                    failing_since = None
                    if shared:  # one interval after the reading's request, give or take the jitter
                        next_read = reading.at + self.poll_interval * random.uniform(1.0 - JITTER, 1.0 + JITTER)
                    else:
                        next_read = loop.time() + self.poll_interval
                    event = self.check(reading.value) if reading.value is not None else None
                    if event is not None:
                        yield TriggerEvent(event)
                        return
                    if reading.value is not None:
                        progress(self.progress(reading.value))
                except CfgError as exc:
                    now = time.monotonic()
                    failing_since = failing_since or now
                    if not waitable(exc) or now - failing_since >= self.error_patience:
                        yield TriggerEvent({"status": ERROR, "task_id": self.experiment_id, "message": str(exc)})
                        return
                    self.log.warning("Reading experiment %s failed (%s); still waiting", self.experiment_id, exc)
                except asyncio.TimeoutError:
                    pass  # no answer by the deadline: the check below ends the wait
                if self.deadline is not None and time.time() >= self.deadline:
                    yield TriggerEvent({
                        "status": TIMEOUT,
                        "task_id": self.experiment_id,
                        "message": f"deadline passed waiting for experiment {self.experiment_id}",
                    })
                    return
                await self._sleep_until(next_read)
        finally:
            await poller.release()

    async def on_kill(self) -> None:
        """Best-effort rollback when the deferred task is killed; never raises."""
        if not self.rollback_on_kill:
            return
        try:
            await rollback_async(
                self.cfg_conn_id, self.region, self.experiment_id, "the Airflow task was killed while waiting"
            )
        except Exception:  # best effort; the teardown rolls back too
            self.log.warning("Rollback of experiment %s from on_kill failed", self.experiment_id, exc_info=True)


async def rollback_async(cfg_conn_id: str, region: str | None, task_id: int, reason: str) -> Any:
    """Run the synchronous rollback in a thread, with the connection looked up asynchronously."""
    from airflow.providers.common.compat.connection import get_async_connection
    from asgiref.sync import sync_to_async

    from airflow_provider_cfg.api.client import CfgClient
    from airflow_provider_cfg.core.rollback import rollback_experiment
    from airflow_provider_cfg.hooks.cfg import client_kwargs

    conn = await get_async_connection(cfg_conn_id)

    def run() -> Any:
        with CfgClient(**client_kwargs(conn, region)) as client:
            return rollback_experiment(client, task_id, reason)

    return await sync_to_async(run, thread_sensitive=False)()
