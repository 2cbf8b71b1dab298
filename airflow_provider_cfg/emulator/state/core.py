"""What every part of the state shares: the tasks, id counters, timers and log lines.

Time is advanced lazily: every request first calls :meth:`StateCore.advance`, which runs the due
timers *at their due time* (a discrete-event simulation on the monotonic clock), so timestamps,
log lines and the fault ledger carry the exact moment a transition happened, no matter when the
next request arrives. Everything runs under one re-entrant lock.
"""

from __future__ import annotations

import heapq
import itertools
import random
import threading
from collections import Counter
from collections.abc import Callable

from airflow_provider_cfg.api.enums import TaskStatus, TaskStatusType
from airflow_provider_cfg.emulator.catalogue import Catalogue
from airflow_provider_cfg.emulator.errors import not_found
from airflow_provider_cfg.emulator.state.clock import SimClock
from airflow_provider_cfg.emulator.state.ledger import FaultLedger
from airflow_provider_cfg.emulator.state.records import InstanceRec, TaskRec
from airflow_provider_cfg.emulator.variants import Variants

# Seed values: a fresh emulator numbers its first task like the seed walkthrough.
FIRST_TASK_ID = 3256
FIRST_GROUP_ID = 4684
FIRST_ACTION_ID = 11395
FIRST_INSTANCE_ID = 24375

Timer = Callable[[float], None]
"""A timer callback; it gets its own due time."""


class StateCore:
    """Tasks, id counters, timers, the fault ledger and the log helpers of one emulator.

    :param catalogue: the read-only catalogue (built from :mod:`..catalogue_data` by default).
    :param action_seconds: how long one action takes on one instance (instances run in parallel).
    :param clock: the simulation clock; replaceable in tests.
    :param seed: seed of the random numbers (RandomIds, instance selection); ``None`` = random.
    :param variants: the readings of undocumented behaviour to play (default: the defaults); a
        reset goes back to them.
    """

    def __init__(
        self,
        catalogue: Catalogue | None = None,
        action_seconds: float = 2.0,
        clock: SimClock | None = None,
        seed: int | None = None,
        variants: Variants | None = None,
    ) -> None:
        if action_seconds < 0:
            raise ValueError("action_seconds must be >= 0")
        self.lock = threading.RLock()
        self.catalogue = catalogue or Catalogue()
        self.action_seconds = float(action_seconds)
        self.clock = clock or SimClock()
        self.seed = seed
        self.failing_instances: set[str] = set()
        self.failing_actions = "all"  # or "fault" / "recovery": which actions fail on failing_instances
        self.startup_variants = variants.copy() if variants is not None else Variants()
        self.variants = self.startup_variants.copy()
        self.reset()

    def reset(self) -> None:
        """Fresh state: no tasks, no faults, id counters back to the seed values."""
        with self.lock:
            self.tasks: dict[int, TaskRec] = {}
            self._task_ids = itertools.count(FIRST_TASK_ID)
            self._group_ids = itertools.count(FIRST_GROUP_ID)
            self._action_ids = itertools.count(FIRST_ACTION_ID)
            self._instance_ids = itertools.count(FIRST_INSTANCE_ID)
            self.rng = random.Random(self.seed)
            self._random_ids: set[int] = set()
            self._events: list[tuple[float, int, Timer]] = []
            self._seq = itertools.count()
            self.ledger = FaultLedger(self.clock)
            self.template_used: Counter[int] = Counter()
            self.variants = self.startup_variants.copy()
            self.t = self.clock.now()

    # -- timers -----------------------------------------------------------------------------

    def advance(self, now: float | None = None) -> float:
        """Run every timer due by ``now`` (default: the clock), each at its own due time.

        :param now: the simulation time to advance to.
        :return: the simulation time reached.
        """
        with self.lock:
            now = self.clock.now() if now is None else now
            while self._events and self._events[0][0] <= now:
                due, _, callback = heapq.heappop(self._events)
                self.t = max(self.t, due)
                callback(due)
            self.t = max(self.t, now)
            return self.t

    def next_event_in(self) -> float | None:
        """Seconds until the next timer (``None`` when idle); handy for tests and scripts."""
        with self.lock:
            return max(0.0, self._events[0][0] - self.clock.now()) if self._events else None

    def _schedule(self, at: float, callback: Timer) -> None:
        # The sequence number keeps timers due at the same moment in scheduling order.
        heapq.heappush(self._events, (at, next(self._seq), callback))

    # -- lookup -----------------------------------------------------------------------------

    def task(self, region: str, task_id: int) -> TaskRec:
        """The task ``task_id`` of ``region``, or ``ResourceNotFound``."""
        task = self.tasks.get(task_id)
        if task is None or task.region != region:
            raise not_found(f"TaskId: task {task_id} does not exist in region {region}")
        return task

    def tasks_in(self, region: str) -> list[TaskRec]:
        """The tasks of ``region`` (tasks are regional)."""
        return [t for t in self.tasks.values() if t.region == region]

    # -- records and log lines --------------------------------------------------------------

    def fmt(self, t: float) -> str:
        """Simulation time ``t`` as CFG shows times."""
        return self.clock.fmt(t)

    def _random_id(self) -> int:
        while True:
            value = self.rng.randint(100000, 999999)
            if value not in self._random_ids:
                self._random_ids.add(value)
                return value

    def _log(self, task: TaskRec, t: float, message: str, level: str = "INFO") -> None:
        task.logs.append(f"{self.fmt(t)} [{level}] {message}")

    def _inst_log(self, inst: InstanceRec, t: float, message: str) -> None:
        inst.log.append(f"{self.fmt(t)} {message}")
        inst.model.TaskGroupInstanceExecuteLog = "\n".join(inst.log)

    def _touch(self, task: TaskRec, t: float) -> None:
        task.updated_at = t
        task.model.TaskUpdateTime = self.fmt(t)

    def _end(self, task: TaskRec, t: float, outcome: TaskStatusType, why: str) -> None:
        """End ``task`` (automatic mode when its last action finished, or ``ModifyTaskRunStatus 1004``)."""
        task.model.TaskStatus = TaskStatus.ENDED
        task.model.TaskStatusType = outcome
        task.model.TaskEndTime = self.fmt(t)
        task.ended_at = t
        task.rollback = None
        task.queue = []
        task.auto_token += 1
        self._touch(task, t)
        self._log(task, t, f"Task ended: {TaskStatusType.describe(outcome)} ({why})")
