"""Did the task really leave its deferral? What a trigger's ``on_kill`` asks before rolling back.

Airflow 3.3's triggerer calls ``on_kill`` with the same "user action" cancel for two different
things (``airflow/jobs/triggerer_job_runner.py``, ``_USER_ACTION_CANCEL_MSG``):

* the task left its deferral: marked failed, cleared, removed — nobody watches the fault any more;
* the trigger was merely *redistributed*: a triggerer that was frozen past the health threshold
  lost its triggers to another triggerer, and on resuming cancels its stale copies while the
  healthy copy goes on elsewhere (or has already delivered its event to a worker).

The trigger cannot see its trigger row, but the triggerer's Task SDK reaches the task instance's
state (``GetTaskStates`` through the supervisor's execution API). That state tells the two apart:

* ``deferred`` — a trigger of this task still watches (this one on another triggerer, or the one
  of a new try), so rolling back would break a healthy experiment;
* ``scheduled``, ``queued``, ``running``, ``up_for_retry``, ``up_for_reschedule`` — a worker holds
  the task (an event was delivered, or a try is starting); its handler decides;
* ``success`` — the wait is over (its event was delivered, or someone marked it success to let the
  DAG go on to the recovery); the DAG's rollback teardown still ends the experiment;
* anything else (``failed``, ``upstream_failed``, ``skipped``, ``removed``, ``restarting``, no state
  after a clear, or the task instance gone) — the task left its deferral: roll back.

When the state cannot be read (an Airflow without the Task SDK in the triggerer, no task instance,
the supervisor not answering within :data:`STATE_TIMEOUT`), the rollback goes ahead: a fault is
never left unwatched on a guess.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

STATE_TIMEOUT = 5.0
"""Seconds to wait for the task instance's state (``on_kill`` has 30 s in all by default)."""

STILL_HELD = frozenset(
    {"deferred", "scheduled", "queued", "running", "up_for_retry", "up_for_reschedule", "success"}
)
"""Task instance states in which the task has not left its deferral (see the module docstring)."""


@dataclass(frozen=True)
class Deferral:
    """The answer: whether the task left its deferral, and why we think so (for the log and summary).

    :param left: roll back (the task left its deferral, or its state is unknown).
    :param reason: what was seen, in words.
    :param state: the task instance's state as read (``None``: no state, or not read).
    """

    left: bool
    reason: str
    state: str | None = None


async def read_ti_state(ti: Any) -> tuple[bool, str | None]:
    """The state of the trigger's task instance through the triggerer's Task SDK.

    :returns: ``(found, state)``; ``found`` is false when the task instance is not in the database.
    :raises LookupError: the state cannot be read here (no Task SDK, no supervisor, an error answer).
    """
    try:
        from airflow.sdk.execution_time import task_runner
        from airflow.sdk.execution_time.comms import GetTaskStates
    except ImportError as exc:  # an Airflow without the Task SDK in the triggerer
        raise LookupError(f"no Task SDK in this triggerer ({exc})") from None
    comms = getattr(task_runner, "SUPERVISOR_COMMS", None)
    if comms is None or not hasattr(comms, "asend"):
        raise LookupError("no supervisor to ask (not running in a triggerer)")
    map_index = int(getattr(ti, "map_index", -1) if getattr(ti, "map_index", None) is not None else -1)
    request = GetTaskStates(
        dag_id=ti.dag_id, task_ids=[ti.task_id], run_ids=[ti.run_id], map_index=map_index if map_index >= 0 else None
    )
    response = await asyncio.wait_for(comms.asend(request), STATE_TIMEOUT)
    states = getattr(response, "task_states", None)
    if not isinstance(states, dict):
        raise LookupError(f"unexpected answer to GetTaskStates: {response!r}")
    run = states.get(ti.run_id) or {}
    key = ti.task_id if map_index < 0 else f"{ti.task_id}_{map_index}"
    if key not in run:
        return False, None
    state = run[key]
    return True, str(getattr(state, "value", state)) if state is not None else None


async def deferral_left(trigger: Any) -> Deferral:
    """Whether ``trigger``'s task really left its deferral (read once, at ``on_kill``); never raises.

    :param trigger: a trigger the triggerer has bound to its task instance (``task_instance``).
    """
    ti = getattr(trigger, "task_instance", None)
    if ti is None:
        return Deferral(True, "the task instance is unknown (no state to check)")
    try:
        found, state = await read_ti_state(ti)
    except Exception as exc:  # unreadable: fail safe, roll back
        return Deferral(True, f"the task's state could not be read ({type(exc).__name__}: {exc})")
    if not found:
        return Deferral(True, "the task instance no longer exists")
    if state in STILL_HELD:
        return Deferral(False, f"the task is {state}: it did not leave its deferral (trigger moved or event delivered)",
                        state)
    shown = state or "without a state (cleared)"
    return Deferral(True, f"the task is {shown}: it left its deferral", state)
