"""One shared reader of CFG for all the triggers of a process: :class:`SharedPoller`.

A triggerer runs hundreds of CFG triggers on one event loop. Polling each experiment with its
own ``DescribeTask`` costs one call per trigger and interval, and CFG allows 20 ``DescribeTask``
per second per credential and region: 1,000 triggers at a 30 s interval would need 33/s. So the
triggers read through one poller per (connection, region, event loop):

* :meth:`SharedPoller.read_status` — the task-level status (``TaskStatus``, ``TaskStatusType``,
  ``TaskExpect``), which is all an experiment watcher needs. Requests are collected for a short
  window (``wait``, at most :data:`BATCH_WINDOW`) and sent as ``DescribeTaskList`` calls of up to
  :data:`BATCH_SIZE` ids each (limit 100/s). An id missing from the list is read with
  ``DescribeTask``, which returns it or raises the error that says why (``ResourceNotFound``…).
* :meth:`SharedPoller.read_task` — the whole experiment (``DescribeTask``), for step watchers.
  Callers for the same id share one request in flight.
* :meth:`SharedPoller.read_list` — every experiment of the region (all pages of an unfiltered
  ``DescribeTaskList``), for the experiment-event watchers: one listing serves them all.

Both reuse a reading younger than ``max_age`` (seconds) instead of calling again, and return a
:class:`Reading`: the value and ``at``, the ``loop.time()`` its call started. The triggers
schedule their next read ``poll_interval`` after ``at`` rather than after their own request, so
watchers of the same experiment converge on the same reads (about one call per interval however
many watch it), and a change is still seen within about one interval whatever ``max_age`` is:
the next reading a trigger gets was started after the previous one's ``at`` plus ~one interval.

Every call goes through the client's process-wide per-action rate limiter
(:mod:`airflow_provider_cfg.api.ratelimit`), so the limits hold however many triggers poll;
beyond them, reads wait and latency grows instead of calls failing. Before that, the poller paces
its own calls of each action: one at a time, at least ``1 / (PACE * limit)`` s apart, measured
when each call really starts. The limiter alone books slots a window apart, but a busy event
loop wakes its sleepers late and in bunches, and the server counts arrivals: 21 paced calls span
1.25 s (``DescribeTask``, :data:`PACE` 0.8), so they would have to bunch by 250 ms to exceed the
limit of a 1 s window.

An error is raised to every waiter of the failed call as the client's typed :class:`CfgError`;
each trigger applies its own ``error_patience``, and nothing is cached from a failed call. A
waiter that gives up (its deadline, its cancellation) never cancels the shared call.

Pollers are created lazily by :func:`acquire` (never at import) and reference-counted: the
last :meth:`SharedPoller.release` cancels what is in flight and closes the async client. The
registry is keyed by the running event loop, so a poller (its client, futures and timers) is
never used from another loop; entries of closed loops are dropped. The connection is read when
the poller is created, and again when a trigger joins a poller whose client is older than
:data:`REFRESH_AFTER`: the new client takes the next calls and the old one is closed once its
calls in flight are done, so an edited connection reaches the triggers, as when each trigger
read it for itself.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar

from airflow_provider_cfg.api.actions import ACTIONS
from airflow_provider_cfg.hooks.cfg import CfgHook

if TYPE_CHECKING:
    from airflow_provider_cfg.api.client import AsyncCfgClient
    from airflow_provider_cfg.api.models import Task, TaskListItem

BATCH_SIZE = 100
"""Ids per ``DescribeTaskList`` call (its ``TaskId`` filter and ``Limit`` both stop at 100)."""
BATCH_WINDOW = 0.5
"""Longest time (s) a status request waits for others to share its ``DescribeTaskList`` call."""

REFRESH_AFTER = 300.0
"""Age (s) of the client after which a trigger joining the poller has the connection read again."""
PACE = 0.8
"""The poller starts at most ``PACE`` * the action's documented limit calls per second, evenly spaced."""

T = TypeVar("T")
log = logging.getLogger(__name__)


class Reading(NamedTuple):
    """A value read from CFG and ``at``, the ``loop.time()`` its call started (after any pacing)."""

    value: Any
    at: float


class Poller(Protocol):
    """What a polling trigger reads through (:class:`SharedPoller`; the benchmark's baseline too)."""

    async def read_task(self, experiment_id: int, max_age: float = ...) -> Reading: ...

    async def read_status(self, experiment_id: int, max_age: float = ..., wait: float = ...) -> Reading: ...

    async def read_list(self, max_age: float = ...) -> Reading: ...

    async def release(self) -> None: ...


def _consume(future: asyncio.Future[Any]) -> None:
    """Mark a shared future's exception as retrieved (its waiters may all have given up)."""
    if not future.cancelled():
        future.exception()


class _Pacer:
    """Lets calls start one at a time, at least ``spacing`` s apart in real time (FIFO)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, per_second: float) -> None:
        self.loop = loop
        self.spacing = 1.0 / per_second
        self._last = -math.inf
        self._lock = asyncio.Lock()

    async def turn(self) -> float:
        """Wait for this call's turn; returns the time it starts."""
        async with self._lock:
            delay = self._last + self.spacing - self.loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self._last = self.loop.time()  # after any lag of the loop, so spacing never shrinks
            return self._last


class SharedPoller:
    """Reads CFG for every trigger on one event loop that uses one connection and region.

    Get one with :func:`acquire`, give it back with :meth:`release`.
    """

    def __init__(self, cfg_conn_id: str, region: str | None, loop: asyncio.AbstractEventLoop) -> None:
        self.cfg_conn_id = cfg_conn_id
        self.region = region
        self.loop = loop
        self.refs = 0
        self.client: AsyncCfgClient | None = None
        self._built_at = loop.time()
        self._opening: asyncio.Task[AsyncCfgClient] | None = None
        self._refreshing: asyncio.Task[None] | None = None
        self._busy: dict[AsyncCfgClient, int] = {}  # calls in flight per client
        self._tasks: dict[int, Reading] = {}
        self._statuses: dict[int, Reading] = {}
        self._task_reads: dict[int, asyncio.Task[Reading]] = {}
        self._status_reads: dict[int, asyncio.Future[Reading]] = {}  # sent (or read by DescribeTask)
        self._queued: dict[int, asyncio.Future[Reading]] = {}  # waiting for the next batch
        self._listing: Reading | None = None
        self._list_read: asyncio.Task[Reading] | None = None
        self._flush: asyncio.TimerHandle | None = None
        self._flush_at = math.inf
        self._jobs: set[asyncio.Task[Any]] = set()
        self._pacers = {
            action: _Pacer(loop, PACE * ACTIONS[action].rate_limit) for action in ("DescribeTask", "DescribeTaskList")
        }
        self._longest_max_age = 0.0
        self._swept_at = loop.time()

    def __repr__(self) -> str:
        return f"SharedPoller({self.cfg_conn_id!r}, region={self.region!r}, refs={self.refs})"

    # -- full experiments (DescribeTask) --------------------------------------------------------

    async def task(self, experiment_id: int, max_age: float = 0.0) -> Task | None:
        """The experiment (``DescribeTask``), or a reading of it younger than ``max_age`` seconds."""
        return (await self.read_task(experiment_id, max_age)).value

    async def read_task(self, experiment_id: int, max_age: float = 0.0) -> Reading:
        """:meth:`task` with the time its call started. Concurrent callers share one call."""
        now = self._note(max_age)
        cached = self._tasks.get(experiment_id)
        if cached is not None and now - cached.at <= max_age:
            return cached
        job = self._task_reads.get(experiment_id)
        if job is None:
            job = self._task_reads[experiment_id] = self._start(self._describe_task(experiment_id))
        return await asyncio.shield(job)

    async def _describe_task(self, experiment_id: int) -> Reading:
        try:
            at, answer = await self._call("DescribeTask", lambda client: client.describe_task(experiment_id))
            task = answer.Task
        finally:
            self._task_reads.pop(experiment_id, None)
        reading = Reading(task, at)
        cached = self._tasks.get(experiment_id)
        if cached is None or cached.at <= at:
            self._tasks[experiment_id] = reading
        return reading

    # -- task-level status (batched DescribeTaskList) ---------------------------------------------

    async def status(self, experiment_id: int, max_age: float = 0.0, wait: float = BATCH_WINDOW) -> TaskListItem | Task:
        """The experiment's list entry (``TaskId``, ``TaskStatus``, ``TaskStatusType``, ``TaskExpect``…)
        from a batched ``DescribeTaskList``, or a reading younger than ``max_age`` seconds — which may
        be a full :class:`Task` read for another trigger (it has the same fields)."""
        return (await self.read_status(experiment_id, max_age, wait)).value

    async def read_status(
        self, experiment_id: int, max_age: float = 0.0, wait: float = BATCH_WINDOW
    ) -> Reading:
        """:meth:`status` with the time its call started; ``wait`` caps how long it waits to be batched."""
        now = self._note(max_age)
        for cache in (self._statuses, self._tasks):
            cached = cache.get(experiment_id)
            if cached is not None and cached.value is not None and now - cached.at <= max_age:
                return cached
        future = self._status_reads.get(experiment_id) or self._queued.get(experiment_id)
        if future is None:
            future = self._queued[experiment_id] = self.loop.create_future()
            future.add_done_callback(_consume)
        self._flush_by(now + max(0.0, min(wait, BATCH_WINDOW)))
        return await asyncio.shield(future)

    def _flush_by(self, when: float) -> None:
        if self._queued and when < self._flush_at:
            if self._flush is not None:
                self._flush.cancel()
            self._flush_at = when
            self._flush = self.loop.call_at(when, self._send_batches)

    def _send_batches(self) -> None:
        self._flush, self._flush_at = None, math.inf
        queued, self._queued = self._queued, {}
        ids = list(queued)
        for start in range(0, len(ids), BATCH_SIZE):
            chunk = {experiment_id: queued[experiment_id] for experiment_id in ids[start:start + BATCH_SIZE]}
            self._status_reads.update(chunk)
            self._start(self._describe_task_list(chunk))

    async def _describe_task_list(self, chunk: dict[int, asyncio.Future[Reading]]) -> None:
        try:
            at, answer = await self._call(
                "DescribeTaskList", lambda client: client.describe_task_list(task_ids=list(chunk), limit=BATCH_SIZE))
        except BaseException as exc:
            for experiment_id, future in chunk.items():
                self._settle(experiment_id, future, exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        listed = {item.TaskId: item for item in answer.TaskList or []}
        for experiment_id, future in chunk.items():
            item = listed.get(experiment_id)
            if item is None:  # deleted, another region, or not listed yet: DescribeTask answers or says why
                self._start(self._status_from_task(experiment_id, future))
                continue
            reading = self._statuses[experiment_id] = Reading(item, at)
            self._settle(experiment_id, future, reading)

    async def _status_from_task(self, experiment_id: int, future: asyncio.Future[Reading]) -> None:
        try:
            reading: Any = await self.read_task(experiment_id)
        except BaseException as exc:
            self._settle(experiment_id, future, exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        self._settle(experiment_id, future, reading)

    def _settle(self, experiment_id: int, future: asyncio.Future[Reading], outcome: Any) -> None:
        if self._status_reads.get(experiment_id) is future:
            del self._status_reads[experiment_id]
        if future.done():
            return
        if isinstance(outcome, asyncio.CancelledError):
            future.cancel()
        elif isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)

    # -- the whole list (paged DescribeTaskList), for the experiment-event watchers ---------------

    async def read_list(self, max_age: float = 0.0) -> Reading:
        """Every experiment of the region (all pages of ``DescribeTaskList``, unfiltered, so one
        listing serves every watcher whatever its filter), or a listing younger than ``max_age``
        seconds. Concurrent callers share one listing."""
        now = self._note(max_age)
        if self._listing is not None and now - self._listing.at <= max_age:
            return self._listing
        if self._list_read is None:
            self._list_read = self._start(self._list_all())
        return await asyncio.shield(self._list_read)

    async def _list_all(self) -> Reading:
        items: list[TaskListItem] = []
        try:
            at: float | None = None
            while True:
                started, answer = await self._call("DescribeTaskList", lambda client: client.describe_task_list(
                    limit=BATCH_SIZE, offset=len(items)))
                at = started if at is None else at
                page = answer.TaskList or []
                items.extend(page)
                if not page or len(items) >= (answer.Total or 0):
                    break
        finally:
            self._list_read = None
        self._listing = Reading(items, at)
        return self._listing

    # -- plumbing -------------------------------------------------------------------------------

    async def _call(self, action: str, send: Callable[[AsyncCfgClient], Awaitable[T]]) -> tuple[float, T]:
        """One call of ``action``, paced, on the current client: (the time it started, the answer)."""
        at = await self._pacers[action].turn()
        client = self.client
        if client is None:
            raise RuntimeError(f"{self!r} is closed")
        self._busy[client] = self._busy.get(client, 0) + 1
        try:
            return at, await send(client)
        finally:
            self._busy[client] -= 1
            if not self._busy[client]:
                del self._busy[client]
                if client is not self.client:  # replaced by a refresh meanwhile, and now idle
                    await client.aclose()

    def _refresh_if_old(self) -> None:
        if self.client is not None and self._refreshing is None and self.loop.time() - self._built_at > REFRESH_AFTER:
            self._refreshing = self._start(self._refresh())

    async def _refresh(self) -> None:
        """Read the connection again and swap the client; the old one closes when idle."""
        try:
            fresh = await self._hook().get_async_client()
        except Exception:  # keep the current client; try again after REFRESH_AFTER
            log.warning(
                "Re-reading CFG connection %r failed; keeping the current client", self.cfg_conn_id, exc_info=True
            )
        else:
            old, self.client = self.client, fresh
            if old is not None and old not in self._busy:
                await old.aclose()
        finally:
            self._built_at = self.loop.time()
            self._refreshing = None

    def _start(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        job = self.loop.create_task(coro)
        self._jobs.add(job)
        job.add_done_callback(self._jobs.discard)
        job.add_done_callback(_consume)
        return job

    def _note(self, max_age: float) -> float:
        """The time now; remembers the longest ``max_age`` asked, and drops readings older than
        that (no caller could use them) about once a minute."""
        now = self.loop.time()
        self._longest_max_age = max(self._longest_max_age, max_age)
        if now - self._swept_at > 60.0:
            self._swept_at = now
            oldest = now - self._longest_max_age
            for cache in (self._tasks, self._statuses):
                for key in [key for key, reading in cache.items() if reading.at < oldest]:
                    del cache[key]
        return now

    def _hook(self) -> CfgHook:
        """The hook of the triggers' reads (they use no console link, so its template is not checked)."""
        return CfgHook(self.cfg_conn_id, region=self.region, strict_console_url=False)

    async def _open(self) -> None:
        """Build the async client once (the connection is looked up once for all the triggers)."""
        if self.client is not None:
            return
        if self._opening is None:
            self._opening = self.loop.create_task(self._hook().get_async_client())
            self._opening.add_done_callback(_consume)
        opening = self._opening
        try:
            self.client = await asyncio.shield(opening)
            self._built_at = self.loop.time()
        except Exception:
            if self._opening is opening:
                self._opening = None  # a later trigger tries again
            raise

    async def release(self) -> None:
        """Give the poller back; the last user cancels what is in flight and closes the client."""
        self.refs -= 1
        if self.refs > 0:
            return
        if _pollers.get(self._key) is self:
            del _pollers[self._key]
        # In a task of its own, so that a caller cancelled meanwhile does not leave the client open.
        await asyncio.shield(self.loop.create_task(self._close()))

    async def _close(self) -> None:
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        for future in self._queued.values():
            future.cancel()
        self._queued.clear()
        jobs = [*self._jobs, *([self._opening] if self._opening is not None else [])]
        for job in jobs:
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)
        client, self.client = self.client, None
        if client is None and self._opening is not None and self._opening.done() and not self._opening.cancelled() \
                and self._opening.exception() is None:
            client = self._opening.result()
        self._opening = None
        if client is not None:
            await client.aclose()

    @property
    def _key(self) -> tuple[str, str | None, asyncio.AbstractEventLoop]:
        return (self.cfg_conn_id, self.region, self.loop)


_pollers: dict[tuple[str, str | None, asyncio.AbstractEventLoop], SharedPoller] = {}
"""The live pollers, one per (connection id, region override, event loop)."""


async def acquire(cfg_conn_id: str, region: str | None = None) -> SharedPoller:
    """The poller of this connection and region on the running loop, created (and its client
    built) on first use; pair every call with :meth:`SharedPoller.release`. Raises whatever
    building the client raised (a missing or malformed connection), for every caller waiting."""
    loop = asyncio.get_running_loop()
    for key in [key for key, poller in _pollers.items() if poller.loop.is_closed()]:
        del _pollers[key]  # left behind by a loop that was closed with triggers still running
    key = (cfg_conn_id, region, loop)
    poller = _pollers.get(key)
    if poller is None:
        poller = _pollers[key] = SharedPoller(cfg_conn_id, region, loop)
    poller._refresh_if_old()
    poller.refs += 1
    try:
        await poller._open()
    except BaseException:
        await poller.release()
        raise
    return poller


def live_pollers() -> list[SharedPoller]:
    """The pollers in use (for tests and diagnostics)."""
    return list(_pollers.values())


__all__ = [
    "BATCH_SIZE",
    "BATCH_WINDOW",
    "PACE",
    "REFRESH_AFTER",
    "Poller",
    "Reading",
    "SharedPoller",
    "acquire",
    "live_pollers",
]
