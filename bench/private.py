"""The benchmark's baseline: CFG triggers that poll the way they did before the shared poller.

Each trigger gets its own client and sends one ``DescribeTask`` per read, at once and then one
``poll_interval`` after each answer (no jitter, nothing shared or batched), as most providers'
triggers do. The product always reads through the shared poller; this lives here, beside the
benchmark that compares the two (``bench/watching.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from airflow_provider_cfg.api.client import AsyncCfgClient
from airflow_provider_cfg.hooks.cfg import CfgHook
from airflow_provider_cfg.triggers.experiment import CfgExperimentTrigger
from airflow_provider_cfg.triggers.poller import Reading
from airflow_provider_cfg.triggers.step import CfgStepTrigger


class PrivatePoller:
    """The poller interface without sharing: one client per trigger and one ``DescribeTask`` per read."""

    def __init__(self, client: AsyncCfgClient) -> None:
        self.client = client

    @classmethod
    async def open(cls, hook: CfgHook) -> PrivatePoller:
        return cls(await hook.get_async_client())

    async def read_task(self, experiment_id: int, max_age: float = 0.0) -> Reading:
        at = asyncio.get_running_loop().time()
        return Reading((await self.client.describe_task(experiment_id)).Task, at)

    async def read_status(self, experiment_id: int, max_age: float = 0.0, wait: float = 0.0) -> Reading:
        return await self.read_task(experiment_id)

    async def release(self) -> None:
        with contextlib.suppress(Exception):
            await self.client.aclose()


class PrivatePolling:
    """Mixed into a polling trigger (before it): its own :class:`PrivatePoller`, the first read at
    once, the next one ``poll_interval`` after the answer."""

    poll_interval: float

    async def open_poller(self) -> PrivatePoller:
        return await PrivatePoller.open(self.hook())  # type: ignore[attr-defined]

    def first_read_delay(self) -> float:
        return 0.0

    def next_read_at(self, reading: Any) -> float:
        return asyncio.get_running_loop().time() + self.poll_interval


class PrivateExperimentTrigger(PrivatePolling, CfgExperimentTrigger):
    """:class:`CfgExperimentTrigger` polling privately."""


class PrivateStepTrigger(PrivatePolling, CfgStepTrigger):
    """:class:`CfgStepTrigger` polling privately."""


TRIGGERS = {"shared": CfgExperimentTrigger, "private": PrivateExperimentTrigger}
"""The experiment trigger of each contender of the watching benchmark."""
