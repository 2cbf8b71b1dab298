"""CFG experiments starting and ending, as asset events: :class:`CfgExperimentEventTrigger`.

An event trigger (``BaseEventTrigger``) for an ``AssetWatcher`` (Airflow 3): every
``poll_interval`` seconds it reads the whole experiment list of its connection and region through
the process's :class:`~airflow_provider_cfg.triggers.poller.SharedPoller` (one paged
``DescribeTaskList`` serves every watcher of that connection and region on the triggerer), diffs
it against its cursor (:mod:`airflow_provider_cfg.core.experiment_events`) and yields one event
per experiment that entered a wanted status — from Airflow or from the console alike.

The cursor is kept in the watched asset's state store (Airflow >= 3.3, ``asset_state_store``)
under a key derived from the trigger's configuration, and saved one interval after the events it
covers were yielded — by then the triggerer has stored them — or at once after a listing that
yielded none, so a restart resumes where the watcher stopped. Without a state store (Airflow
3.0-3.2) the cursor lives in memory: a restart starts again from ``since`` (duplicates) or,
without ``since``, from a new baseline (events of the downtime are lost). The exact guarantees
are in docs/events.md.

Airflow 3.3's shared streams (``shared_stream_key``) are not used: the watchers' cursors differ
(one listing, many positions), and a watcher that re-subscribes after a restart joins the
shared stream late and may miss what it broadcast meanwhile; the shared poller gives the one call
per interval without that gap.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from airflow.providers.common.compat.triggers import BaseEventTrigger
from airflow.triggers.base import TriggerEvent

from airflow_provider_cfg.core.experiment_events import (
    DEFAULT_OVERLAP,
    DEFAULT_REMEMBER_FOR,
    DEFAULT_STATUSES,
    Cursor,
    EventFilter,
    diff,
    initial_cursor,
)
from airflow_provider_cfg.hooks.cfg import DEFAULT_CONN_ID
from airflow_provider_cfg.triggers import poller as shared

log = logging.getLogger(__name__)
SHARE_AGE = 0.75
"""A listing younger than ``SHARE_AGE * poll_interval`` (taken for another watcher) is reused."""
RETRY_AFTER = 30.0
"""Longest wait (s) before trying again to open the connection."""


class CfgExperimentEventTrigger(BaseEventTrigger):
    """Fires once per experiment of a connection and region that enters one of ``statuses``.

    Use it in an ``AssetWatcher`` (Airflow 3), e.g. through :func:`cfg_experiment_events_asset`.
    Each event's payload (the asset event's ``extra["payload"]``) is
    ``{"experiment_id", "status", "kind", "title", "update_time", "region", "dedup_key"}``.

    :param cfg_conn_id: the ``tencentcloud_cfg`` connection.
    :param region: region override.
    :param statuses: task status codes that fire: 1001 created, 1002 started, 1003 paused, 1004 ended.
    :param tags: tag key → value (``None``: any value) every reported experiment carries.
    :param title_pattern: regular expression searched in the experiment title.
    :param poll_interval: seconds between listings.
    :param since: CFG time (``%Y-%m-%d %H:%M:%S``) to report from when no cursor is stored; ``None``:
        report only what happens after the watcher's first listing.
    :param overlap: seconds before the cursor's watermark still looked at (late update stamps).
    :param remember_for: seconds an (experiment, status) stays remembered after it was reported.
    """

    def __init__(
        self,
        cfg_conn_id: str = DEFAULT_CONN_ID,
        region: str | None = None,
        statuses: Sequence[int] = DEFAULT_STATUSES,
        tags: Mapping[str, str | None] | None = None,
        title_pattern: str | None = None,
        poll_interval: float = 30.0,
        since: str | None = None,
        overlap: float = DEFAULT_OVERLAP,
        remember_for: float = DEFAULT_REMEMBER_FOR,
    ) -> None:
        super().__init__()
        self.filter = EventFilter(tuple(int(s) for s in statuses), dict(tags or {}), title_pattern)
        if not poll_interval > 0:
            raise ValueError(f"poll_interval must be > 0 seconds; got {poll_interval!r}")
        if not 0 <= overlap <= remember_for:
            raise ValueError(f"overlap must be >= 0 and <= remember_for ({remember_for}); got {overlap!r}")
        initial_cursor(since)  # a malformed since fails here, in the DAG file, not in the triggerer
        self.cfg_conn_id = cfg_conn_id
        self.region = region
        self.poll_interval = float(poll_interval)
        self.since = since
        self._store_unusable = False  # several assets share this trigger: no single place for the cursor
        self.overlap = float(overlap)
        self.remember_for = float(remember_for)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "airflow_provider_cfg.triggers.experiment_events.CfgExperimentEventTrigger",
            {
                "cfg_conn_id": self.cfg_conn_id,
                "region": self.region,
                "statuses": list(self.filter.statuses),
                "tags": dict(self.filter.tags),
                "title_pattern": self.filter.title_pattern,
                "poll_interval": self.poll_interval,
                "since": self.since,
                "overlap": self.overlap,
                "remember_for": self.remember_for,
            },
        )

    @property
    def cursor_key(self) -> str:
        """The state-store key of this watcher's cursor: the same for the same configuration."""
        _, kwargs = self.serialize()
        wanted = {k: kwargs[k] for k in ("cfg_conn_id", "region", "statuses", "tags", "title_pattern")}
        return "cfg_experiment_events:" + hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()[:16]

    async def load_cursor(self) -> Cursor:
        """The stored cursor, else the one ``since`` gives."""
        store = self._store()
        if store is not None:
            try:
                stored = Cursor.from_json(await store.aget(self.cursor_key))
            except ValueError as exc:  # several assets share this trigger: no single place for the cursor
                log.warning("The CFG event cursor %s is kept in memory: %s", self.cursor_key, exc)
                self._store_unusable = True
            except Exception:
                log.warning("Reading the CFG event cursor %s failed; starting from since=%s",
                            self.cursor_key, self.since, exc_info=True)
            else:
                if stored is not None:
                    return stored
        return initial_cursor(self.since)

    async def save_cursor(self, cursor: Cursor) -> bool:
        """Store the cursor (best effort); whether it was stored."""
        store = self._store()
        if store is None:
            return False
        try:
            await store.aset(self.cursor_key, cursor.to_json())
        except Exception:
            log.warning("Storing the CFG event cursor %s failed; it stays in memory", self.cursor_key, exc_info=True)
            return False
        return True

    def _store(self) -> Any:
        """The watched asset's state store (Airflow >= 3.3, one watched asset), else ``None``."""
        return None if self._store_unusable else getattr(self, "asset_state_store", None)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        cursor = await self.load_cursor()
        if self._store() is None:
            log.warning("No usable asset state store (Airflow < 3.3, or several assets): the CFG event cursor %s "
                        "is in memory only; after a triggerer restart events are reported again from since=%s "
                        "(None: from a new baseline, losing what happened meanwhile)", self.cursor_key, self.since)
        saved = cursor
        poller = await self._acquire()
        try:
            await asyncio.sleep(random.uniform(0, min(1.0, 0.1 * self.poll_interval)))  # spread a restart's watchers
            while True:
                if cursor != saved and await self.save_cursor(cursor):
                    saved = cursor  # the events it covers were yielded an interval ago: stored by now
                try:
                    reading = await poller.read_list(max_age=SHARE_AGE * self.poll_interval)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("Listing CFG experiments (%s, region %s) failed, trying again in %ss: %s",
                                self.cfg_conn_id, self.region, self.poll_interval, exc)
                else:
                    events, cursor = diff(cursor, reading.value, self.filter, region=self._region_of(poller),
                                          overlap=self.overlap, remember_for=self.remember_for)
                    for event in events:
                        log.info("CFG experiment %s %s (%s)", event.experiment_id, event.kind, event.key)
                        yield TriggerEvent(event.payload())
                    if not events and cursor != saved and await self.save_cursor(cursor):
                        saved = cursor  # nothing yielded, nothing to lose: stored at once (a baseline above all)
                await asyncio.sleep(self.poll_interval)
        finally:
            await poller.release()

    def _region_of(self, poller: shared.SharedPoller) -> str | None:
        """The region the listing came from (the override, else the connection's)."""
        config = getattr(poller.client, "config", None)
        return self.region or getattr(config, "region", None)

    async def _acquire(self) -> shared.SharedPoller:
        """The shared poller; a missing or broken connection is retried, not fatal (the watcher stays)."""
        delay = 1.0
        while True:
            try:
                return await shared.acquire(self.cfg_conn_id, self.region)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("Opening CFG connection %r failed, trying again in %ss: %s", self.cfg_conn_id, delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_AFTER)


def cfg_experiment_events_asset(name: str, *, uri: str | None = None, **trigger_kwargs: Any) -> Any:
    """An asset fed by a :class:`CfgExperimentEventTrigger` watcher (Airflow 3).

    :param name: the asset name (also the watcher's name).
    :param uri: the asset URI (default ``cfg://<region or connection>/experiments/<name>``).
    :param trigger_kwargs: the trigger's arguments (``cfg_conn_id``, ``statuses``, ``tags``…).
    :raises RuntimeError: on Airflow 2, which has no event-driven scheduling (use
        :class:`~airflow_provider_cfg.operators.report_experiment.CfgReportExperimentOperator` with
        ``experiment_ids``, as ``cfg_postmortem`` does there; see docs/events.md).
    """
    trigger = CfgExperimentEventTrigger(**trigger_kwargs)
    try:
        from airflow.sdk import Asset, AssetWatcher
    except ImportError:
        raise RuntimeError(
            "CFG experiment events need event-driven scheduling (AssetWatcher), which Airflow 3.0+ has and "
            "Airflow 2 does not. On Airflow 2 report given experiments with "
            "CfgReportExperimentOperator(experiment_ids=...), as cfg_postmortem does; see docs/events.md"
        ) from None
    where = trigger.region or trigger.cfg_conn_id
    return Asset(name=name, uri=uri or f"cfg://{where}/experiments/{name}",
                 watchers=[AssetWatcher(name=name, trigger=trigger)])


__all__ = ["CfgExperimentEventTrigger", "cfg_experiment_events_asset"]
