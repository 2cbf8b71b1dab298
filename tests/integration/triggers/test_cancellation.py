"""A trigger cancelled while a read completes stays cancelled.

On Python 3.11 ``asyncio.wait_for`` returns the inner result and drops a cancellation that arrives as
the inner call completes; the trigger then polled on until its deadline although the triggerer had
cancelled it (seen once in ``test_on_kill``: a 'timeout' event 30 s after the cancel, and no rollback).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from airflow_provider_cfg.triggers.poller import Reading
from airflow_provider_cfg.triggers.step import CfgStepTrigger


@pytest.mark.parametrize("ticks", [0, 1, 2, 3])
async def test_a_cancel_as_a_read_completes_is_never_lost(mocker, ticks):
    trigger = CfgStepTrigger(task_action_id=1, experiment_id=2, poll_interval=1, deadline=time.time() + 30)

    async def read(poller):  # ruff: ignore[unused-async] - the trigger awaits its read
        return Reading(None, 0.0)

    mocker.patch.object(trigger, "read", read)
    reading = asyncio.ensure_future(trigger._read_by_deadline(None))
    for _ in range(ticks):  # let the read get to every point of its completion
        await asyncio.sleep(0)
    if reading.cancel():  # still running when cancelled: it must end cancelled, not with the read
        with pytest.raises(asyncio.CancelledError):
            await reading
    else:  # it had finished before the cancel: its result stands
        assert (await reading).value is None
