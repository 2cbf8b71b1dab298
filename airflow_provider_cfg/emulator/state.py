"""In-memory experiment state over simulated time.

State is kept *as the API models* (``Task`` → ``TaskGroup`` → ``TaskGroupAction`` →
``TaskGroupInstance``), wrapped in small records holding what the API does not show (which
instances ran a fault, pending timers…). Responses are dumps of those models.

Time is advanced lazily: every request first calls :meth:`EmulatorState.advance`, which runs
the due timers *at their due time* (a discrete-event simulation on the monotonic clock), so
timestamps, log lines and the fault ledger carry the exact moment a transition happened, no
matter when the next request arrives. Everything runs under one re-entrant lock.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_cfg.api import models as m
from airflow_provider_cfg.api.enums import (
    ActionStatus,
    ActionStatusType,
    InstanceStatus,
    InstanceStatusType,
    PolicyDealType,
    TaskExpect,
    TaskMode,
    TaskStatus,
    TaskStatusType,
    TriggerType,
)
from airflow_provider_cfg.emulator import catalogue_data as data
from airflow_provider_cfg.emulator.catalogue import ActionDef, Catalogue, ObjectTypeDef, dumps, object_key
from airflow_provider_cfg.emulator.errors import ApiError, bad_value, failed, not_found

CST = timezone(timedelta(hours=8))
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
PREPARE_FRACTION = 0.25
"""Share of ``action_seconds`` an instance spends preparing (3004) before running (3002)."""

# Seed values: a fresh emulator numbers its first task like the seed walkthrough.
FIRST_TASK_ID = 3256
FIRST_GROUP_ID = 4684
FIRST_ACTION_ID = 11395
FIRST_INSTANCE_ID = 24375

OPEN = (ActionStatus.NOT_STARTED, ActionStatus.PENDING)
DEFAULT_POLICY_DEAL_TYPE = PolicyDealType.SEQUENTIAL_ROLLBACK


class SimClock:
    """Monotonic time for the simulation, mapped to wall-clock strings (UTC+8)."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time):
        self._monotonic = monotonic
        self._m0 = monotonic()
        self._w0 = wall()

    def now(self) -> float:
        return self._monotonic()

    def wall(self, t: float) -> float:
        return self._w0 + (t - self._m0)

    def fmt(self, t: float) -> str:
        return datetime.fromtimestamp(self.wall(t), CST).strftime(TIME_FORMAT)


def parse_time(value: str, param: str) -> float:
    """A ``%Y-%m-%d %H:%M:%S`` (UTC+8) string as a Unix timestamp."""
    try:
        return datetime.strptime(value, TIME_FORMAT).replace(tzinfo=CST).timestamp()
    except ValueError:
        raise bad_value(f"{param} must have the format YYYY-MM-DD HH:MM:SS; got {value!r}") from None


# -- records --------------------------------------------------------------------------------


def _assigned(value: int | None, what: str) -> int:
    """An id the emulator set when it created the record (the model's field is optional)."""
    if value is None:
        raise RuntimeError(f"cfg-emulator bug: a {what} record has no id")
    return value


@dataclass(eq=False)
class InstanceRec:
    model: m.TaskGroupInstance
    object_id: str
    log: list[str] = field(default_factory=list)
    fail_reason: str | None = None
    started_at: float | None = None
    injected: bool = False
    """Reached the running state (3002) at least once: a fault may have been injected."""

    @property
    def status(self) -> int | None:
        return self.model.TaskGroupInstanceStatus

    @property
    def id(self) -> int:
        return _assigned(self.model.TaskGroupInstanceId, "instance")


@dataclass(eq=False)
class ActionRec:
    model: m.TaskGroupAction
    group: GroupRec
    definition: ActionDef
    general: dict[str, Any]
    custom: dict[str, Any]
    instances: list[InstanceRec]
    pair: ActionRec | None = None
    token: int = 0
    running: list[InstanceRec] = field(default_factory=list)
    first_start: float | None = None

    @property
    def id(self) -> int:
        return _assigned(self.model.TaskGroupActionId, "action")

    @property
    def status(self) -> int | None:
        return self.model.TaskGroupActionStatus

    @property
    def is_fault(self) -> bool:
        return self.definition.is_fault

    @property
    def title(self) -> str:
        return self.model.ActionTitle or self.definition.name

    def label(self) -> str:
        return f"action {self.id} '{self.title}'"

    def wait(self, key: str) -> float:
        try:
            return max(0.0, float(self.general.get(key) or 0))
        except (TypeError, ValueError):
            return 0.0

    def open_instances(self) -> list[InstanceRec]:
        return [i for i in self.instances if i.status == InstanceStatus.NOT_STARTED]


@dataclass(eq=False)
class GroupRec:
    model: m.TaskGroup
    object_type: ObjectTypeDef
    actions: list[ActionRec] = field(default_factory=list)


@dataclass(eq=False)
class TaskRec:
    model: m.Task
    region: str
    groups: list[GroupRec] = field(default_factory=list)
    actions: list[ActionRec] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    trigger_logs: list[m.PolicyTriggerLog] = field(default_factory=list)
    triggered: bool = False
    rollback: list[ActionRec] | None = None
    auto_token: int = 0
    auto_failed: bool = False
    created_at: float = 0.0
    updated_at: float = 0.0
    started_at: float | None = None
    ended_at: float | None = None

    @property
    def id(self) -> int:
        return _assigned(self.model.TaskId, "task")

    @property
    def status(self) -> int | None:
        return self.model.TaskStatus

    @property
    def automatic(self) -> bool:
        return self.model.TaskMode == TaskMode.AUTOMATIC

    @property
    def deal_type(self) -> int:
        return int(self.model.PolicyDealType or DEFAULT_POLICY_DEAL_TYPE)

    def running_action(self) -> ActionRec | None:
        return next((a for a in self.actions if a.running), None)


# -- creation specs (built by the handlers, consumed by create_task) --------------------------


@dataclass
class ActionSpec:
    definition: ActionDef
    general: dict[str, Any]
    custom: dict[str, Any]
    general_json: str | None = None
    custom_json: str | None = None
    pair: int | None = None  # index of the paired action in the same group


@dataclass
class GroupSpec:
    title: str
    description: str | None
    mode: int
    object_type: ObjectTypeDef
    instances: list[str]
    execute_rule: dict[str, int]
    actions: list[ActionSpec]


@dataclass
class TaskSpec:
    title: str
    description: str
    mode: int
    pause_duration: int
    tags: list[dict[str, str]]
    policy_deal_type: int | None
    groups: list[GroupSpec]
    tag: str = ""
    template_id: int | None = None
    alarm_policy: list[str] = field(default_factory=list)
    policy_ids: list[str] | None = None
    policy_rule: str = "or"
    monitors: list[dict[str, Any]] = field(default_factory=list)
    origin: str = ""


def pair_actions(actions: list[ActionSpec]) -> list[ActionSpec]:
    """Pair each fault with the first later unpaired recovery of its library partner."""
    for i, fault in enumerate(actions):
        if not fault.definition.is_fault or not fault.definition.relation or fault.pair is not None:
            continue
        for j in range(i + 1, len(actions)):
            other = actions[j]
            if other.pair is None and other.definition.id == fault.definition.relation:
                fault.pair, other.pair = j, i
                break
    return actions


# -- the state --------------------------------------------------------------------------------


class EmulatorState:
    """Tasks, timers and the fault ledger of one emulator.

    :param catalogue: the read-only catalogue (built from :mod:`.catalogue_data` by default).
    :param action_seconds: how long one action takes on one instance (instances run in parallel).
    :param clock: the simulation clock; replaceable in tests.
    :param seed: seed of the random numbers (RandomIds, instance selection); ``None`` = random.
    """

    def __init__(
        self,
        catalogue: Catalogue | None = None,
        action_seconds: float = 2.0,
        clock: SimClock | None = None,
        seed: int | None = None,
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
        self.reset()

    # -- bookkeeping ------------------------------------------------------------------------

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
            self._events: list[tuple[float, int, Callable[[float], None]]] = []
            self._seq = itertools.count()
            self.ledger: dict[tuple[int, int, str], dict[str, Any]] = {}
            self.template_used: Counter[int] = Counter()
            self.t = self.clock.now()

    def advance(self, now: float | None = None) -> float:
        """Run every timer due by ``now`` (default: the clock), each at its own due time."""
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

    def _schedule(self, at: float, callback: Callable[[float], None]) -> None:
        heapq.heappush(self._events, (at, next(self._seq), callback))

    def fmt(self, t: float) -> str:
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

    def task(self, region: str, task_id: int) -> TaskRec:
        task = self.tasks.get(task_id)
        if task is None or task.region != region:
            raise not_found(f"TaskId: task {task_id} does not exist in region {region}")
        return task

    def tasks_in(self, region: str) -> list[TaskRec]:
        return [t for t in self.tasks.values() if t.region == region]

    # -- creation ---------------------------------------------------------------------------

    def create_task(self, region: str, spec: TaskSpec) -> TaskRec:
        t = self.t
        ts = self.fmt(t)
        region_id, region_name = data.REGIONS[region]
        task_id = next(self._task_ids)
        explicit_policy = spec.policy_deal_type is not None
        model = m.Task(
            TaskId=task_id,
            TaskTitle=spec.title,
            TaskDescription=spec.description,
            TaskTag=spec.tag,
            TaskStatus=TaskStatus.NOT_STARTED,
            TaskStatusType=TaskStatusType.NOT_ENDED,
            TaskProtectStrategy=None,
            TaskCreateTime=ts,
            TaskUpdateTime=ts,
            TaskGroups=[],
            TaskStartTime=None,
            TaskEndTime=None,
            TaskExpect=None,
            TaskSummary=None,
            TaskMode=spec.mode,
            TaskPauseDuration=spec.pause_duration,
            TaskOwnerUin=data.OWNER_UIN,
            TaskRegionId=region_id,
            TaskMonitors=[],
            TaskPolicy=m.DescribePolicy(
                TaskPolicyIdList=list(spec.policy_ids or []),
                TaskPolicyStatus=m.POLICY_NOT_TRIGGERED,
                TaskPolicyRule=spec.policy_rule,
                TaskPolicyDealType=spec.policy_deal_type,
            ) if explicit_policy else None,
            Tags=[m.TagWithDescribe(TagKey=tag["TagKey"], TagValue=tag["TagValue"]) for tag in spec.tags],
            TaskPlanId=None,
            TaskPlanTitle=None,
            ApplicationId=None,
            ApplicationName=None,
            AlarmPolicy=list(spec.alarm_policy),
            ApmServiceList=[],
            VerifyId=None,
            PolicyDealType=spec.policy_deal_type if explicit_policy else DEFAULT_POLICY_DEAL_TYPE,
            TaskPlanStartTime=None,
            TaskPlanEndTime=None,
            TaskOrg=[],
            TaskIssue=None,
            TaskRegionName=region_name,
            TaskArchId="",
            TaskScenario=[],
            TaskPurpose=[],
        )
        task = TaskRec(model=model, region=region, created_at=t, updated_at=t)
        for order, gspec in enumerate(spec.groups, start=1):
            group = self._create_group(task, gspec, order, ts)
            task.groups.append(group)
            task.actions.extend(group.actions)
        monitors: list[m.TaskMonitor] = []
        for monitor_id, mon in enumerate(spec.monitors, start=1):
            instances = [i for g in task.groups if g.object_type.id == mon.get("ObjectTypeId", g.object_type.id)
                         for i in g.model.TaskGroupSelectedInstanceList or []]
            monitors.append(m.TaskMonitor(
                TaskMonitorId=monitor_id, MetricId=mon.get("MetricId"),
                TaskMonitorObjectTypeId=task.groups[0].object_type.id, MetricName=mon.get("MetricName"),
                InstancesIds=instances, MetricChineseName=mon.get("MetricChineseName"), Unit="%"))
        # The records' own models (assignment is not validated, so nothing is copied).
        model.TaskGroups = [group.model for group in task.groups]
        model.TaskMonitors = monitors
        self.tasks[task_id] = task
        if spec.template_id is not None:
            self.template_used[spec.template_id] += 1
        self._log(task, t, f"Task {task_id} created ({spec.origin}): {len(task.groups)} action group(s), "
                           f"{len(task.actions)} action(s), mode {TaskMode.describe(spec.mode)}")
        return task

    def _create_group(self, task: TaskRec, spec: GroupSpec, order: int, ts: str) -> GroupRec:
        selected, discarded = self._select(spec.instances, spec.execute_rule)
        group_model = m.TaskGroup(
            TaskGroupId=next(self._group_ids),
            TaskGroupTitle=spec.title,
            TaskGroupDescription=spec.description,
            TaskGroupOrder=order,
            ObjectTypeId=spec.object_type.id,
            TaskGroupCreateTime=ts,
            TaskGroupUpdateTime=ts,
            TaskGroupActions=[],
            TaskGroupInstanceList=list(spec.instances),
            TaskGroupMode=spec.mode,
            TaskGroupDiscardInstanceList=discarded,
            TaskGroupSelectedInstanceList=selected,
            TaskGroupInstancesExecuteRule=[m.TaskGroupInstancesExecuteRules(**spec.execute_rule)],
        )
        group = GroupRec(model=group_model, object_type=spec.object_type)
        random_ids = [self._random_id() for _ in spec.actions]
        for a_order, aspec in enumerate(spec.actions, start=1):
            definition = aspec.definition
            instances = []
            action_id = next(self._action_ids)
            for object_id in selected:
                instances.append(InstanceRec(
                    model=m.TaskGroupInstance(
                        TaskGroupInstanceId=next(self._instance_ids),
                        TaskGroupInstanceObjectId=object_id,
                        TaskGroupInstanceStatus=InstanceStatus.NOT_STARTED,
                        TaskGroupInstanceStatusType=InstanceStatusType.NONE,
                        TaskGroupInstanceExecuteLog=None,
                        TaskGroupInstanceStartTime=None,
                        TaskGroupInstanceEndTime=None,
                        TaskGroupInstanceCreateTime=ts,
                        TaskGroupInstanceUpdateTime=ts,
                        TaskGroupInstanceIsRedo=False,
                        TaskGroupInstanceExecuteTime=None,
                    ),
                    object_id=object_id,
                ))
            partner = random_ids[aspec.pair] if aspec.pair is not None else None
            alias = aspec.general.get("AliasTitle")
            action_model = m.TaskGroupAction(
                TaskGroupActionId=action_id,
                TaskGroupInstances=[i.model for i in instances],
                ActionId=definition.id,
                TaskGroupActionOrder=a_order,
                TaskGroupActionGeneralConfiguration=aspec.general_json or dumps(aspec.general),
                TaskGroupActionCustomConfiguration=aspec.custom_json or dumps(aspec.custom),
                TaskGroupActionStatus=ActionStatus.NOT_STARTED,
                TaskGroupActionCreateTime=ts,
                TaskGroupActionUpdateTime=ts,
                ActionTitle=alias if isinstance(alias, str) and alias else definition.name,
                TaskGroupActionStatusType=ActionStatusType.NONE,
                TaskGroupActionRandomId=random_ids[a_order - 1],
                TaskGroupActionRecoverId=partner if definition.is_fault else None,
                TaskGroupActionExecuteId=partner if not definition.is_fault else None,
                ActionApiType=definition.api_type,
                ActionAttribute=definition.attribute,
                ActionType="Platform",
                IsExecuteRedo=False,
                ActionRisk=definition.risk_text,
                TaskGroupActionExecuteTime=None,
                TaskGroupActionStartTime=None,
            )
            group.actions.append(ActionRec(action_model, group, definition, dict(aspec.general),
                                           dict(aspec.custom), instances))
        group_model.TaskGroupActions = [action.model for action in group.actions]  # the same models, not copies
        for aspec, action in zip(spec.actions, group.actions, strict=True):  # one action per spec, built above
            if aspec.pair is not None:
                action.pair = group.actions[aspec.pair]
        return group

    def _select(self, instances: list[str], rule: dict[str, int]) -> tuple[list[str], list[str]]:
        mode = rule.get("TaskGroupInstancesExecuteMode", 1)
        count = len(instances)
        if mode == 2:
            count = max(1, -(-len(instances) * int(rule.get("TaskGroupInstancesExecutePercent") or 100) // 100))
        elif mode == 3:
            count = max(1, min(len(instances), int(rule.get("TaskGroupInstancesExecuteNum") or len(instances))))
        chosen = set(self.rng.sample(range(len(instances)), min(count, len(instances))))
        selected = [obj for i, obj in enumerate(instances) if i in chosen]
        discarded = [obj for i, obj in enumerate(instances) if i not in chosen]
        return selected, discarded

    # -- running actions --------------------------------------------------------------------

    def _start_run(self, task: TaskRec, action: ActionRec, targets: list[InstanceRec], t: float, why: str) -> None:
        action.token += 1
        token = action.token
        action.running = list(targets)
        model = action.model
        model.TaskGroupActionStatus = ActionStatus.RUNNING
        model.TaskGroupActionStatusType = ActionStatusType.NONE
        model.IsExecuteRedo = False
        if action.first_start is None:
            action.first_start = t
            model.TaskGroupActionStartTime = self.fmt(t)
        model.TaskGroupActionUpdateTime = self.fmt(t)
        duration = self.action_seconds
        timeout = action.wait("ActionTimeout")
        timed_out = 0 < timeout < duration
        if timed_out:
            duration = timeout
        for inst in targets:
            kind = "fault" if action.is_fault else "recovery"
            if object_key(inst.object_id) in self.failing_instances and self.failing_actions in ("all", kind):
                inst.fail_reason = "the instance is listed in the emulator's chaos failing_instances"
            elif timed_out:
                inst.fail_reason = f"action timed out after {timeout:g} s (ActionTimeout)"
            else:
                inst.fail_reason = None
            im = inst.model
            im.TaskGroupInstanceStatus = InstanceStatus.PREPARING
            im.TaskGroupInstanceStatusType = InstanceStatusType.NONE
            im.TaskGroupInstanceStartTime = self.fmt(t)
            im.TaskGroupInstanceEndTime = None
            im.TaskGroupInstanceExecuteTime = None
            im.TaskGroupInstanceIsRedo = False
            im.TaskGroupInstanceUpdateTime = self.fmt(t)
            inst.started_at = t
            self._inst_log(inst, t, f"[{why}] preparing {action.title} on {inst.object_id}")
        objects = ", ".join(i.object_id for i in targets)
        self._log(task, t, f"{why}: {action.label()} (group {action.group.model.TaskGroupId}) started on "
                           f"{len(targets)} instance(s): {objects}")
        self._touch(task, t)
        self._schedule(t + duration * PREPARE_FRACTION, lambda due: self._on_running(task, action, token, due))
        self._schedule(t + duration, lambda due: self._on_finished(task, action, token, due))

    def _on_running(self, task: TaskRec, action: ActionRec, token: int, t: float) -> None:
        if token != action.token:
            return
        for inst in action.running:
            if inst.status != InstanceStatus.PREPARING:
                continue
            inst.model.TaskGroupInstanceStatus = InstanceStatus.RUNNING
            inst.model.TaskGroupInstanceUpdateTime = self.fmt(t)
            inst.injected = True
            self._inst_log(inst, t, f"running {action.title} on {inst.object_id}")
            if action.is_fault:
                self._ledger_add(task, action, inst, t)
        self._log(task, t, f"{action.label()}: instances running")

    def _on_finished(self, task: TaskRec, action: ActionRec, token: int, t: float) -> None:
        if token != action.token:
            return
        for inst in action.running:
            im = inst.model
            ok = inst.fail_reason is None
            im.TaskGroupInstanceStatus = InstanceStatus.FINISHED
            im.TaskGroupInstanceStatusType = InstanceStatusType.SUCCESS if ok else InstanceStatusType.FAILED
            im.TaskGroupInstanceEndTime = self.fmt(t)
            im.TaskGroupInstanceExecuteTime = round(t - (inst.started_at or t))
            im.TaskGroupInstanceIsRedo = not ok
            im.TaskGroupInstanceUpdateTime = self.fmt(t)
            if ok:
                self._inst_log(inst, t, f"finished {action.title} on {inst.object_id}: success")
                self._log(task, t, f"{action.label()}: instance {inst.id} ({inst.object_id}) succeeded")
            else:
                self._inst_log(inst, t, f"finished {action.title} on {inst.object_id}: FAILED: {inst.fail_reason}")
                self._log(task, t, f"{action.label()}: instance {inst.id} ({inst.object_id}) failed: "
                                   f"{inst.fail_reason}", "ERROR")
            if not action.is_fault and ok:
                self._ledger_recover(action, inst, t)
            elif action.is_fault and self.catalogue.recovery_of(action.definition) is None:
                # No recovery action exists (reboot, switch, pod kill): the fault ends by itself.
                self._ledger_remove(task, action, inst)
        action.running = []
        self._settle(task, action, t)

    def _skip(self, task: TaskRec, action: ActionRec, targets: list[InstanceRec], t: float, reason: str) -> None:
        for inst in targets:
            im = inst.model
            im.TaskGroupInstanceStatus = InstanceStatus.FINISHED
            im.TaskGroupInstanceStatusType = InstanceStatusType.SKIPPED
            im.TaskGroupInstanceEndTime = self.fmt(t)
            im.TaskGroupInstanceUpdateTime = self.fmt(t)
            im.TaskGroupInstanceIsRedo = False
            self._inst_log(inst, t, f"skipped {action.title} on {inst.object_id}: {reason}")
        self._log(task, t, f"{action.label()}: skipped {len(targets)} instance(s): {reason}")
        self._update_action(task, action, t)

    def _terminate(self, task: TaskRec, action: ActionRec, t: float, reason: str) -> None:
        """Stop a running action now; what it already injected stays injected."""
        action.token += 1
        for inst in action.running:
            im = inst.model
            was_running = inst.status == InstanceStatus.RUNNING
            im.TaskGroupInstanceStatus = InstanceStatus.FINISHED
            im.TaskGroupInstanceStatusType = InstanceStatusType.TERMINATED
            im.TaskGroupInstanceEndTime = self.fmt(t)
            im.TaskGroupInstanceExecuteTime = round(t - (inst.started_at or t))
            im.TaskGroupInstanceIsRedo = False
            im.TaskGroupInstanceUpdateTime = self.fmt(t)
            self_healing = action.is_fault and self.catalogue.recovery_of(action.definition) is None
            note = " (the fault it injected is NOT recovered)" if was_running and action.is_fault else ""
            if self_healing:
                self._ledger_remove(task, action, inst)
                note = ""
            self._inst_log(inst, t, f"terminated {action.title} on {inst.object_id}: {reason}{note}")
        self._log(task, t, f"{action.label()}: terminated ({reason})", "WARN")
        action.running = []
        model = action.model
        model.TaskGroupActionStatus = ActionStatus.FINISHED
        model.TaskGroupActionStatusType = ActionStatusType.TERMINATED
        model.IsExecuteRedo = False
        model.TaskGroupActionUpdateTime = self.fmt(t)
        model.TaskGroupActionExecuteTime = round(t - (action.first_start or t))

    def _update_action(self, task: TaskRec, action: ActionRec, t: float) -> None:
        """Derive the action's status from its instances (2002 while some have not run)."""
        model = action.model
        model.TaskGroupActionUpdateTime = self.fmt(t)
        self._touch(task, t)
        if action.running:
            return
        if action.open_instances():
            model.TaskGroupActionStatus = ActionStatus.PENDING
            model.TaskGroupActionStatusType = ActionStatusType.NONE
            return
        types = [i.model.TaskGroupInstanceStatusType for i in action.instances]
        if InstanceStatusType.FAILED in types:
            outcome = ActionStatusType.FAILED
        elif InstanceStatusType.TERMINATED in types:
            outcome = ActionStatusType.TERMINATED
        elif InstanceStatusType.SUCCESS in types:
            outcome = ActionStatusType.SUCCESS
        else:
            outcome = ActionStatusType.SKIPPED
        model.TaskGroupActionStatus = ActionStatus.FINISHED
        model.TaskGroupActionStatusType = outcome
        model.IsExecuteRedo = outcome == ActionStatusType.FAILED
        if action.first_start is not None:
            model.TaskGroupActionExecuteTime = round(t - action.first_start)
        level = "ERROR" if outcome == ActionStatusType.FAILED else "INFO"
        self._log(task, t, f"{action.label()} finished: {ActionStatusType.describe(outcome)}", level)
        if outcome == ActionStatusType.FAILED:
            task.auto_failed = True

    def _settle(self, task: TaskRec, action: ActionRec, t: float) -> None:
        self._update_action(task, action, t)
        if task.status == TaskStatus.ENDED:
            return
        if task.rollback is not None:
            self._rollback_next(task, t)
        elif task.automatic:
            task.auto_token += 1
            token = task.auto_token

            def next_step(due: float) -> None:
                if token == task.auto_token:  # nothing rescheduled the task since
                    self._auto_step(task, due)

            self._schedule(t + action.wait("AfterTimeWait"), next_step)
        else:
            self._mark_pending(task, t)

    def _mark_pending(self, task: TaskRec, t: float) -> None:
        """Manual mode: the first action not yet run waits at 2002 ("to be executed")."""
        if task.automatic or task.status not in (TaskStatus.RUNNING, TaskStatus.PAUSED):
            return
        for action in task.actions:
            if action.status in OPEN:
                if action.status != ActionStatus.PENDING:
                    action.model.TaskGroupActionStatus = ActionStatus.PENDING
                    action.model.TaskGroupActionUpdateTime = self.fmt(t)
                return

    # -- automatic mode ---------------------------------------------------------------------

    def _auto_step(self, task: TaskRec, t: float) -> None:
        if task.status != TaskStatus.RUNNING or not task.automatic or task.rollback is not None:
            return
        if task.running_action() is not None:
            return
        for action in task.actions:
            if action.status not in OPEN:
                continue
            if action.is_fault and (task.triggered or task.auto_failed):
                why = "the guardrail is triggered" if task.triggered else "an earlier action failed"
                self._skip(task, action, action.open_instances(), t, f"fault not injected: {why}")
                continue
            if action.status != ActionStatus.PENDING:
                action.model.TaskGroupActionStatus = ActionStatus.PENDING
                action.model.TaskGroupActionUpdateTime = self.fmt(t)
            task.auto_token += 1
            token = task.auto_token
            self._schedule(t + action.wait("PreTimeWait"), functools.partial(self._auto_start, task, action, token))
            return
        self._end(task, t, self._outcome(task), "all actions finished (automatic mode)")

    def _auto_start(self, task: TaskRec, action: ActionRec, token: int, t: float) -> None:
        if token != task.auto_token or task.status != TaskStatus.RUNNING or task.rollback is not None:
            return
        if task.running_action() is not None:
            return
        if action.status not in OPEN or (action.is_fault and task.triggered):
            self._auto_step(task, t)
            return
        self._start_run(task, action, action.open_instances(), t, "automatic")

    @staticmethod
    def _outcome(task: TaskRec) -> TaskStatusType:
        if any(a.status != ActionStatus.FINISHED for a in task.actions):
            return TaskStatusType.TERMINATED
        bad = (ActionStatusType.FAILED, ActionStatusType.TERMINATED)
        if any(a.model.TaskGroupActionStatusType in bad for a in task.actions):
            return TaskStatusType.FAILED
        return TaskStatusType.SUCCESS

    def _end(self, task: TaskRec, t: float, outcome: TaskStatusType, why: str) -> None:
        task.model.TaskStatus = TaskStatus.ENDED
        task.model.TaskStatusType = outcome
        task.model.TaskEndTime = self.fmt(t)
        task.ended_at = t
        task.rollback = None
        task.auto_token += 1
        self._touch(task, t)
        self._log(task, t, f"Task ended: {TaskStatusType.describe(outcome)} ({why})")

    # -- the fault ledger -------------------------------------------------------------------

    def _ledger_add(self, task: TaskRec, action: ActionRec, inst: InstanceRec, t: float) -> None:
        key = (task.id, action.id, object_key(inst.object_id))
        if key not in self.ledger:
            self.ledger[key] = {
                "TaskId": task.id,
                "Region": task.region,
                "TaskGroupActionId": action.id,
                "ActionId": action.definition.id,
                "ActionTitle": action.title,
                "ObjectId": inst.object_id,
                "TaskGroupInstanceId": inst.id,
                "Since": self.fmt(t),
                "SinceEpoch": round(self.clock.wall(t), 3),
            }

    def _ledger_remove(self, task: TaskRec, action: ActionRec, inst: InstanceRec) -> None:
        self.ledger.pop((task.id, action.id, object_key(inst.object_id)), None)

    def _ledger_recover(self, recovery: ActionRec, inst: InstanceRec, t: float) -> None:
        """A successful recovery clears the faults it undoes on that object (in any task)."""
        obj = object_key(inst.object_id)
        fault_ids = {recovery.definition.relation} if recovery.definition.relation else set()
        for key, entry in list(self.ledger.items()):
            paired = recovery.pair is not None and entry["TaskGroupActionId"] == recovery.pair.id
            if key[2] == obj and (paired or entry["ActionId"] in fault_ids):
                del self.ledger[key]

    def faults(self) -> list[dict[str, Any]]:
        with self.lock:
            self.advance()
            return sorted((dict(e) for e in self.ledger.values()), key=lambda e: (e["SinceEpoch"], e["TaskId"]))

    # -- API operations (callers hold the lock and have called advance) ---------------------

    def execute_task(self, region: str, task_id: int) -> None:
        task = self.task(region, task_id)
        t = self.t
        status = task.status
        if status in (TaskStatus.RUNNING, TaskStatus.PAUSED):
            raise failed(f"task {task_id} has already been started (TaskStatus {TaskStatus.describe(status)}); "
                         "ExecuteTask only starts a task that has not started (1001)")
        if status == TaskStatus.ENDED:
            raise failed(f"task {task_id} has ended (TaskStatus 1004) and cannot be executed again")
        task.model.TaskStatus = TaskStatus.RUNNING
        task.model.TaskStartTime = self.fmt(t)
        task.started_at = t
        self._touch(task, t)
        self._log(task, t, f"Task {task_id} started (ExecuteTask), mode {TaskMode.describe(task.model.TaskMode)}")
        if task.automatic:
            self._auto_step(task, t)
        else:
            self._mark_pending(task, t)

    def execute_instance(
        self, region: str, task_id: int, group_id: int, action_id: int, action_type: int,
        operate_all: bool, instance_ids: list[int],
    ) -> None:
        if action_type not in (1, 2, 3, 5):
            raise bad_value(f"ActionType must be one of 1 (start), 2 (execute), 3 (skip), 5 (retry); got {action_type}")
        task = self.task(region, task_id)
        t = self.t
        status = task.status
        if status == TaskStatus.NOT_STARTED:
            raise failed(f"task {task_id} has not been started (TaskStatus 1001); call ExecuteTask first")
        if status == TaskStatus.PAUSED:
            raise failed(f"task {task_id} is paused (TaskStatus 1003); resume it (ModifyTaskRunStatus Status 1002) "
                         "before operating actions")
        if status == TaskStatus.ENDED:
            raise failed(f"task {task_id} has ended (TaskStatus 1004); its actions can no longer be operated")
        group = next((g for g in task.groups if g.model.TaskGroupId == group_id), None)
        if group is None:
            raise not_found(f"TaskGroupId: {group_id} is not an action group of task {task_id} (groups: "
                            f"{', '.join(str(g.model.TaskGroupId) for g in task.groups)})")
        action = next((a for a in group.actions if a.id == action_id), None)
        if action is None:
            raise not_found(f"TaskActionId: {action_id} is not an action of group {group_id} in task {task_id} "
                            f"(TaskActionId is a TaskGroupActionId: {', '.join(str(a.id) for a in group.actions)})")
        if operate_all:
            chosen = None
        else:
            if not instance_ids:
                raise bad_value("TaskInstanceIds must list TaskGroupInstanceId values when IsOperateAll is false")
            known = {i.id: i for i in action.instances}
            unknown = [i for i in instance_ids if i not in known]
            if unknown:
                raise bad_value(f"TaskInstanceIds: {unknown[0]} is not an instance of action {action_id} "
                                f"(its TaskGroupInstanceIds: {', '.join(str(k) for k in known)})")
            chosen = [known[i] for i in dict.fromkeys(instance_ids)]
        if action.running:
            raise failed(f"{action.label()} is running (TaskGroupActionStatus 2003); wait until it finishes")
        other = task.running_action()
        if other is not None:
            raise failed(f"{other.label()} of task {task_id} is still running; actions of a task run one at a time")
        if task.rollback is not None:
            raise failed(f"task {task_id} is rolling back after its guardrail was triggered; wait until it pauses")
        fault_refused = action.is_fault and task.triggered and action_type in (1, 2, 5)
        if action_type in (1, 2):
            if action.status == ActionStatus.FINISHED:
                raise failed(f"{action.label()} has already been executed (TaskGroupActionStatus 2004); "
                             "use ActionType 5 (retry) to run its failed instances again")
            if fault_refused:
                raise failed(f"the guardrail of task {task_id} is triggered (TaskPolicyStatus 已触发): fault "
                             f"{action.label()} is refused; recover the guardrail (TriggerPolicy TriggerType 1) first")
            targets = action.open_instances() if chosen is None else chosen
            done = [i for i in targets if i.status != InstanceStatus.NOT_STARTED]
            if done:
                raise failed(f"instance {done[0].id} of {action.label()} has already been executed; "
                             "use ActionType 5 (retry) to run it again if it failed")
            if not targets:
                raise failed(f"{action.label()} has no instance left to execute")
            why = "start" if action_type == 1 else "execute"
            self._start_run(task, action, targets, t, f"ExecuteTaskInstance {why}")
        elif action_type == 3:
            if action.status == ActionStatus.FINISHED:
                raise failed(f"{action.label()} has already finished (TaskGroupActionStatus 2004) and cannot be "
                             "skipped")
            targets = action.open_instances() if chosen is None else chosen
            done = [i for i in targets if i.status != InstanceStatus.NOT_STARTED]
            if done:
                raise failed(f"instance {done[0].id} of {action.label()} has already been executed and cannot be "
                             "skipped")
            self._skip(task, action, targets, t, "skipped by ExecuteTaskInstance (ActionType 3)")
            self._settle_after_skip(task, action, t)
        else:  # retry
            if action.status != ActionStatus.FINISHED:
                raise failed(f"retry (ActionType 5) needs a finished action with failed instances; {action.label()} "
                             f"is {ActionStatus.describe(action.status)}")
            failed_instances = [i for i in action.instances
                                if i.model.TaskGroupInstanceStatusType == InstanceStatusType.FAILED]
            if chosen is not None:
                not_failed = [i for i in chosen if i not in failed_instances]
                if not_failed:
                    raise failed(f"instance {not_failed[0].id} of {action.label()} did not fail; only failed "
                                 "instances can be retried")
                failed_instances = chosen
            if not failed_instances:
                raise failed(f"{action.label()} has no failed instance to retry (IsExecuteRedo false)")
            if fault_refused:
                raise failed(f"the guardrail of task {task_id} is triggered (TaskPolicyStatus 已触发): retrying "
                             f"fault {action.label()} is refused")
            self._start_run(task, action, failed_instances, t, "ExecuteTaskInstance retry")

    def _settle_after_skip(self, task: TaskRec, action: ActionRec, t: float) -> None:
        if task.automatic:
            self._auto_step(task, t)
        else:
            self._mark_pending(task, t)

    def modify_status(
        self, region: str, task_id: int, status: int, is_expect: bool | None, summary: str | None,
        issue: str | None, record: str | None,
    ) -> None:
        if status == TaskStatus.NOT_STARTED:
            raise ApiError("UnsupportedOperation",
                           "Status 1001 (not started) cannot be set: a started task cannot be reset")
        if status not in (TaskStatus.RUNNING, TaskStatus.PAUSED, TaskStatus.ENDED):
            raise bad_value(f"Status must be one of 1002 (resume), 1003 (pause), 1004 (end); got {status}")
        if status == TaskStatus.ENDED:
            if is_expect is None:
                raise ApiError("MissingParameter", "IsExpect is required when Status is 1004 (end)")
            if summary is None or summary == "":
                raise ApiError("MissingParameter", "Summary is required when Status is 1004 (end)")
        task = self.task(region, task_id)
        t = self.t
        current = task.status
        now_text = TaskStatus.describe(current)
        if current == TaskStatus.ENDED and status == TaskStatus.ENDED and task.model.TaskExpect is None:
            # Ended by itself (automatic mode) without a conclusion: record it, once.
            task.model.TaskExpect = TaskExpect.MET if is_expect else TaskExpect.NOT_MET
            task.model.TaskSummary = summary
            task.model.TaskIssue = issue
            self._touch(task, t)
            self._log(task, t, "Conclusion recorded on the ended task (ModifyTaskRunStatus 1004)")
            if record:
                self._log(task, t, f"Experiment record: {record}")
            return
        if current == status:
            raise failed(f"task {task_id} is already {now_text}")
        if current == TaskStatus.ENDED:
            raise failed(f"task {task_id} has ended (TaskStatus 1004); its status can no longer change")
        if status == TaskStatus.PAUSED:
            if current != TaskStatus.RUNNING:
                raise failed(f"only a running task (1002) can be paused; task {task_id} is {now_text}")
            task.model.TaskStatus = TaskStatus.PAUSED
            self._touch(task, t)
            self._log(task, t, "Task paused (ModifyTaskRunStatus 1003)")
            task.auto_token += 1
        elif status == TaskStatus.RUNNING:
            if current != TaskStatus.PAUSED:
                raise failed(f"only a paused task (1003) can be resumed; task {task_id} is {now_text}"
                             + ("; call ExecuteTask to start it" if current == TaskStatus.NOT_STARTED else ""))
            task.model.TaskStatus = TaskStatus.RUNNING
            self._touch(task, t)
            self._log(task, t, "Task resumed (ModifyTaskRunStatus 1002)")
            if task.automatic:
                self._auto_step(task, t)
            else:
                self._mark_pending(task, t)
        else:
            outcome = self._outcome(task)
            running = task.running_action()
            if running is not None:
                self._terminate(task, running, t, "the task was ended (ModifyTaskRunStatus 1004)")
            task.model.TaskExpect = TaskExpect.MET if is_expect else TaskExpect.NOT_MET
            task.model.TaskSummary = summary
            task.model.TaskIssue = issue
            if record:
                self._log(task, t, f"Experiment record: {record}")
            self._end(task, t, outcome, "ModifyTaskRunStatus 1004")
            left = [e for e in self.ledger.values() if e["TaskId"] == task_id]
            if left:
                self._log(task, t, f"{len(left)} injected fault(s) of this task are still in place: ending a task "
                                   "does not recover faults", "WARN")

    def trigger_policy(self, region: str, task_id: int, name: str, content: str, trigger_type: int) -> None:
        if trigger_type not in (TriggerType.TRIGGER, TriggerType.RECOVER):
            raise bad_value(f"TriggerType must be one of 0 (trigger), 1 (recover); got {trigger_type}")
        task = self.task(region, task_id)
        t = self.t
        if task.status == TaskStatus.ENDED:
            raise failed(f"task {task_id} has ended (TaskStatus 1004); its guardrail can no longer be triggered")
        task.trigger_logs.append(m.PolicyTriggerLog(TaskId=task_id, Name=name, TriggerType=trigger_type,
                                                    Content=content, CreatTime=self.fmt(t)))
        if task.model.TaskPolicy is None:
            task.model.TaskPolicy = m.DescribePolicy(TaskPolicyIdList=[], TaskPolicyStatus=m.POLICY_NOT_TRIGGERED,
                                                     TaskPolicyRule="or", TaskPolicyDealType=task.deal_type)
        self._touch(task, t)
        if trigger_type == TriggerType.RECOVER:
            task.triggered = False
            task.model.TaskPolicy.TaskPolicyStatus = m.POLICY_RECOVERED
            self._log(task, t, f"Guardrail recovered by TriggerPolicy ({name}: {content})")
            return
        task.triggered = True
        task.model.TaskPolicy.TaskPolicyStatus = m.POLICY_TRIGGERED
        deal = task.deal_type
        self._log(task, t, f"Guardrail triggered by TriggerPolicy ({name}: {content}); policy "
                           f"{PolicyDealTypeText.get(deal, deal)}", "WARN")
        if task.status == TaskStatus.NOT_STARTED:
            return
        if deal == PolicyDealType.PAUSE:
            self._guardrail_pause(task, t)
            return
        running = task.running_action()
        if running is not None and running.is_fault:
            self._terminate(task, running, t, "the guardrail was triggered")
        pending = [a for a in reversed(task.actions)
                   if not a.is_fault and a.status in OPEN and a.pair is not None and self._fault_ran(a.pair)]
        self._log(task, t, f"Sequential rollback: {len(pending)} pending recovery action(s) to run"
                           + (f": {', '.join(str(a.id) for a in pending)}" if pending else ""))
        task.rollback = pending
        if task.running_action() is None:
            self._rollback_next(task, t)

    @staticmethod
    def _fault_ran(fault: ActionRec) -> bool:
        return any(i.injected for i in fault.instances)

    def _rollback_next(self, task: TaskRec, t: float) -> None:
        queue = task.rollback or []
        while queue:
            action = queue.pop(0)
            targets = action.open_instances()
            if action.status in OPEN and targets:
                self._start_run(task, action, targets, t, "guardrail rollback")
                return
        task.rollback = None
        self._guardrail_pause(task, t)

    def _guardrail_pause(self, task: TaskRec, t: float) -> None:
        if task.status == TaskStatus.RUNNING:
            task.model.TaskStatus = TaskStatus.PAUSED
            task.auto_token += 1
            self._touch(task, t)
            self._log(task, t, "Task paused by the guardrail")
        self._mark_pending(task, t)

    def delete_task(self, region: str, task_id: int) -> None:
        task = self.task(region, task_id)
        if task.status in (TaskStatus.RUNNING, TaskStatus.PAUSED):
            raise failed(f"task {task_id} is {TaskStatus.describe(task.status)}; end it (ModifyTaskRunStatus 1004) "
                         "before deleting it")
        del self.tasks[task_id]

    # -- reads ------------------------------------------------------------------------------

    def list_item(self, task: TaskRec) -> m.TaskListItem:
        model = task.model
        return m.TaskListItem(
            TaskId=model.TaskId,
            TaskTitle=model.TaskTitle,
            TaskDescription=model.TaskDescription,
            TaskTag=model.TaskTag,
            TaskStatus=model.TaskStatus,
            TaskCreateTime=model.TaskCreateTime,
            TaskUpdateTime=model.TaskUpdateTime,
            TaskPreCheckStatus=2,
            TaskPreCheckSuccess=True,
            TaskExpect=model.TaskExpect,
            ApplicationId=None,
            ApplicationName=None,
            VerifyId=None,
            TaskStatusType=model.TaskStatusType,
            ArchId="",
            ArchName="",
            TaskSource=1,
            Tags=[m.TagWithDescribe(TagKey=tag.TagKey, TagValue=tag.TagValue) for tag in model.Tags or []],
        )


PolicyDealTypeText = {1: "1 (sequential rollback)", 2: "2 (pause experiment)"}
