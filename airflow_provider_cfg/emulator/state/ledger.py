"""The fault ledger: every fault injected and not yet recovered, in any task.

Faults outlive the task that injected them: ending a task does not recover them, and a successful
recovery clears the faults it undoes on that object, whichever task injected them.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_cfg.emulator.definitions import object_key
from airflow_provider_cfg.emulator.state.clock import SimClock
from airflow_provider_cfg.emulator.state.records import ActionRec, InstanceRec, TaskRec

LedgerKey = tuple[int, int, str]
"""(TaskId, TaskGroupActionId, object key): one fault of one action on one object."""


class FaultLedger:
    """The faults in place, keyed by task, action and object.

    :param clock: dates the entries (``Since`` as CFG shows times, ``SinceEpoch`` in Unix seconds).
    """

    def __init__(self, clock: SimClock) -> None:
        self._clock = clock
        self._entries: dict[LedgerKey, dict[str, Any]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @staticmethod
    def _key(task: TaskRec, action: ActionRec, inst: InstanceRec) -> LedgerKey:
        return task.id, action.id, object_key(inst.object_id)

    def add(self, task: TaskRec, action: ActionRec, inst: InstanceRec, t: float) -> None:
        """Record the fault ``action`` injected on ``inst`` at ``t`` (the first time only).

        :param task: the task the fault action belongs to.
        :param action: the fault action.
        :param inst: the instance that reached the running state.
        :param t: the simulation time of the injection.
        """
        key = self._key(task, action, inst)
        if key not in self._entries:
            self._entries[key] = {
                "TaskId": task.id,
                "Region": task.region,
                "TaskGroupActionId": action.id,
                "ActionId": action.definition.id,
                "ActionTitle": action.title,
                "ObjectId": inst.object_id,
                "TaskGroupInstanceId": inst.id,
                "Since": self._clock.fmt(t),
                "SinceEpoch": round(self._clock.wall(t), 3),
            }

    def remove(self, task: TaskRec, action: ActionRec, inst: InstanceRec) -> None:
        """Forget the fault of ``action`` on ``inst`` (a fault that ends by itself)."""
        self._entries.pop(self._key(task, action, inst), None)

    def recover(self, recovery: ActionRec, inst: InstanceRec) -> None:
        """A successful recovery clears the faults it undoes on that object (in any task): its paired
        fault action and every fault of the library action it recovers."""
        obj = object_key(inst.object_id)
        fault_ids = {recovery.definition.relation} if recovery.definition.relation else set()
        for key, entry in list(self._entries.items()):
            paired = recovery.pair is not None and entry["TaskGroupActionId"] == recovery.pair.id
            if key[2] == obj and (paired or entry["ActionId"] in fault_ids):
                del self._entries[key]

    def clear_task(self, task_id: int) -> None:
        """Forget every fault ``task_id`` injected (variant ``end_recovers=yes``: ending recovered them)."""
        for key in [k for k in self._entries if k[0] == task_id]:
            del self._entries[key]

    def of_task(self, task_id: int) -> list[dict[str, Any]]:
        """The entries of the faults ``task_id`` injected (the stored dicts, not copies)."""
        return [entry for entry in self._entries.values() if entry["TaskId"] == task_id]

    def listing(self) -> list[dict[str, Any]]:
        """Copies of all entries, oldest first."""
        return sorted((dict(e) for e in self._entries.values()), key=lambda e: (e["SinceEpoch"], e["TaskId"]))
