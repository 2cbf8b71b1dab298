"""The polling loop shared by the CFG triggers.

A trigger reads the experiment every ``poll_interval`` seconds and yields exactly one event:
the verdict computed by :mod:`airflow_provider_cfg.events`, a ``timeout`` event at its absolute
``deadline`` (Unix time, so it survives a triggerer restart), or an ``error`` event once the API
has failed for longer than ``error_patience`` seconds. Its ``on_kill`` (Airflow 3.3: the task was
marked failed/success or cleared while deferred) starts the provider's rollback, best effort.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_cfg.events import ERROR, TIMEOUT
from airflow_provider_cfg.hooks.cfg import DEFAULT_CONN_ID, CfgHook

if TYPE_CHECKING:
    from airflow_provider_cfg.api.models import Task


def waitable(exc: Exception) -> bool:
    """Errors worth waiting out: transport failures and transient API codes (not auth or bad input)."""
    from airflow_provider_cfg.api.errors import CfgApiError, CfgTransportError

    return isinstance(exc, CfgTransportError) or (isinstance(exc, CfgApiError) and exc.is_transient)


class CfgPollingTrigger(BaseTrigger):
    """Base of the CFG triggers; subclasses implement :meth:`check` and list their own kwargs.

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

    def check(self, task: Task) -> dict[str, Any] | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def hook(self) -> CfgHook:
        return CfgHook(self.cfg_conn_id, region=self.region)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow_provider_cfg.api.errors import CfgError

        try:
            client = await self.hook().get_async_client()
        except Exception as exc:  # noqa: BLE001 - reported as one event, never swallowed
            yield TriggerEvent({"status": ERROR, "task_id": self.experiment_id, "message": f"cannot build CFG client: {exc}"})
            return
        failing_since: float | None = None
        async with client:
            while True:
                try:
                    task = (await client.describe_task(self.experiment_id)).Task
                    failing_since = None
                    event = self.check(task) if task is not None else None
                    if event is not None:
                        yield TriggerEvent(event)
                        return
                except CfgError as exc:
                    now = time.monotonic()
                    failing_since = failing_since or now
                    if not waitable(exc) or now - failing_since >= self.error_patience:
                        yield TriggerEvent({"status": ERROR, "task_id": self.experiment_id, "message": str(exc)})
                        return
                    self.log.warning("Reading experiment %s failed (%s); still waiting", self.experiment_id, exc)
                if self.deadline is not None and time.time() >= self.deadline:
                    yield TriggerEvent(
                        {"status": TIMEOUT, "task_id": self.experiment_id, "message": f"deadline passed waiting for experiment {self.experiment_id}"}
                    )
                    return
                delay = self.poll_interval
                if self.deadline is not None:
                    delay = max(0.0, min(delay, self.deadline - time.time()))
                await asyncio.sleep(delay)

    async def on_kill(self) -> None:
        """Best-effort rollback when the deferred task is killed; never raises."""
        if not self.rollback_on_kill:
            return
        try:
            await rollback_async(self.cfg_conn_id, self.region, self.experiment_id, "the Airflow task was killed while waiting")
        except Exception:  # noqa: BLE001 - best effort; the teardown rolls back too
            self.log.warning("Rollback of experiment %s from on_kill failed", self.experiment_id, exc_info=True)


async def rollback_async(cfg_conn_id: str, region: str | None, task_id: int, reason: str) -> Any:
    """Run the synchronous rollback in a thread, with the connection looked up asynchronously."""
    from airflow.providers.common.compat.connection import get_async_connection
    from asgiref.sync import sync_to_async

    from airflow_provider_cfg.api.client import CfgClient
    from airflow_provider_cfg.hooks.cfg import client_kwargs
    from airflow_provider_cfg.rollback import rollback_experiment

    conn = await get_async_connection(cfg_conn_id)

    def run() -> Any:
        with CfgClient(**client_kwargs(conn, region)) as client:
            return rollback_experiment(client, task_id, reason)

    return await sync_to_async(run, thread_sensitive=False)()
