"""Where a guard trigger keeps its watch across a restart: an XCom of its task instance.

A trigger's kwargs are written once, when the task defers; a copy of the trigger restarted on
another triggerer (a failover) starts from them alone. So the guard trigger checkpoints its tally
(:meth:`~airflow_provider_cfg.core.guard.GuardWatch.state`: probes, the run of failed probes,
the probed intervals) under :data:`XCOM_KEY`, through the triggerer's Task SDK (``SetXCom``), and
a new copy reads it back (``GetXCom``) and resumes. Both are optional: without a task instance or
a supervisor to ask, after an error, or after :data:`TIMEOUT` s, nothing is kept or read and the
watch goes on (a copy that could not resume names the time before it started as not watched).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

XCOM_KEY = "cfg_guard_watch"
TIMEOUT = 2.0


def _target(trigger: Any) -> tuple[Any, dict[str, Any]] | None:
    """The supervisor and the task instance's XCom address, or ``None`` when there are none."""
    ti = getattr(trigger, "task_instance", None)
    try:
        from airflow.sdk.execution_time import task_runner
    except ImportError:
        return None
    comms = getattr(task_runner, "SUPERVISOR_COMMS", None)
    if ti is None or comms is None or not hasattr(comms, "asend"):
        return None
    map_index = getattr(ti, "map_index", None)
    address = {"key": XCOM_KEY, "dag_id": ti.dag_id, "run_id": ti.run_id, "task_id": ti.task_id,
               "map_index": map_index if map_index is not None and map_index >= 0 else None}
    return comms, address


async def load_state(trigger: Any) -> dict[str, Any] | None:
    """The watch an earlier copy of ``trigger`` checkpointed, or ``None``; never raises."""
    target = _target(trigger)
    if target is None:
        return None
    comms, address = target
    try:
        from airflow.sdk.execution_time.comms import GetXCom

        answer = await asyncio.wait_for(comms.asend(GetXCom(**address)), TIMEOUT)
        value = getattr(answer, "value", None)
        value = json.loads(value) if isinstance(value, str) else value
    except Exception:  # optional: the watch starts afresh
        trigger.log.debug("No checkpoint of the watch read", exc_info=True)
        return None
    return value if isinstance(value, dict) else None


async def save_state(trigger: Any, state: dict[str, Any]) -> None:
    """Checkpoint ``state`` for a later copy of ``trigger``; never raises."""
    target = _target(trigger)
    if target is None:
        return
    comms, address = target
    try:
        from airflow.sdk.execution_time.comms import SetXCom

        await asyncio.wait_for(comms.asend(SetXCom(value=state, **address)), TIMEOUT)
    except Exception:  # optional: the watch goes on without it
        trigger.log.debug("Checkpoint of the watch not kept", exc_info=True)
