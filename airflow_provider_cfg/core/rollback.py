"""Put an experiment back the way it was: recover every fault it injected, then end it honestly.

This is the one clean-up path of the provider. The rollback operator (an Airflow teardown), every
waiting operator's ``on_kill``, every trigger's ``on_kill`` and the deferrable timeout path all
come here. It is idempotent — it re-reads the experiment before every change and acts only on
what is still broken — so running it twice, or after CFG's own guardrail rollback, changes nothing
more. No Airflow import here; it drives a synchronous :class:`CfgClient`.

Order of work (``cfg-api.md`` §7.4, §7.6):

1. read the experiment; find every fault action that ran, fully or partly, whose paired recovery
   (``RecoverId`` → ``RandomId``) has not succeeded;
2. in automatic mode, trigger the guardrail first so that CFG injects nothing further;
3. wait for a fault that is still being injected, resume a paused experiment, then execute the
   recoveries in reverse order, each after re-reading its state, and wait for them;
4. when a recovery cannot be executed or fails, fall back to ``TriggerPolicy`` (sequential
   rollback) and wait for CFG to run what it can;
5. end the experiment (1004) with a summary of all this and ``IsExpect=false``, unless it had
   already been concluded.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from airflow_provider_cfg.api.enums import (
    ActionStatus,
    ActionStatusType,
    ExecuteActionType,
    TaskMode,
    TaskStatus,
    TriggerType,
)
from airflow_provider_cfg.api.errors import CfgApiError, CfgError, CfgOutcomeUnknownError, CfgTransportError

if TYPE_CHECKING:
    from typing import TypedDict

    from typing_extensions import Unpack

    from airflow_provider_cfg.api.client import CfgClient
    from airflow_provider_cfg.api.models import Task, TaskGroupAction

    class RollbackOptions(TypedDict, total=False):
        """The keyword options of :class:`Rollback`, for :func:`rollback_experiment`."""

        poll_interval: float
        step_timeout: float
        read_patience: float
        end: bool
        sleep: Callable[[float], None]

log = logging.getLogger(__name__)

GUARDRAIL_NAME = "airflow-provider-cfg rollback"


def fault_ran(action: TaskGroupAction) -> bool:
    """True when a fault action injected something, fully or partly (skipped ones did not)."""
    if action.TaskGroupActionStatus not in (ActionStatus.RUNNING, ActionStatus.FINISHED):
        return False
    return action.TaskGroupActionStatusType != ActionStatusType.SKIPPED


def recovered(action: TaskGroupAction | None) -> bool:
    return (
        action is not None
        and action.TaskGroupActionStatus == ActionStatus.FINISHED
        and action.TaskGroupActionStatusType == ActionStatusType.SUCCESS
    )


def concluded(task: Task) -> bool:
    """Ended with a conclusion (``TaskExpect`` set); an automatic run can end without one."""
    return task.TaskStatus == TaskStatus.ENDED and task.TaskExpect is not None


def unrecovered_faults(
    task: Task, self_healing: Collection[int] = ()
) -> list[tuple[TaskGroupAction, TaskGroupAction | None]]:
    """``(fault, its recovery or None)`` for every fault that ran and is not recovered, in run order.

    :param self_healing: ``TaskGroupActionId`` of faults that heal by themselves (their library action
        has no recovery: reboot, switch, restart, pod kill); they count only while they run.
    """
    return [
        (action, task.recovery_for(action))
        for _, action in task.iter_actions()
        if action.is_fault and fault_ran(action) and not recovered(task.recovery_for(action))
        and not (action.TaskGroupActionId in self_healing and action.TaskGroupActionStatus != ActionStatus.RUNNING)
    ]


@dataclass
class RollbackReport:
    """What a rollback did, in words fit for CFG's ``Summary`` and the task log."""

    task_id: int
    reason: str
    recovered: list[str] = field(default_factory=list)
    already_recovered: bool = False
    guardrail_triggered: bool = False
    ended: bool = False
    already_concluded: bool = False
    problems: list[str] = field(default_factory=list)
    left_injected: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Nothing is known to be left injected."""
        return not self.left_injected

    def summary(self) -> str:
        lines = [f"Rolled back by Airflow: {self.reason}."]
        if self.recovered:
            lines.append("Recovered: " + "; ".join(self.recovered) + ".")
        elif self.already_recovered:
            lines.append("No fault was left injected.")
        if self.guardrail_triggered:
            lines.append("Guardrail triggered (TriggerPolicy) to stop further injection and roll back.")
        if self.left_injected:
            lines.append("STILL INJECTED, recover by hand: " + "; ".join(self.left_injected) + ".")
        for problem in self.problems:
            lines.append(f"Problem: {problem}.")
        lines.append("Verdict: not as expected — the experiment was interrupted and rolled back.")
        return " ".join(lines)


class Rollback:
    """One rollback run against one experiment.

    :param client: a synchronous CFG client.
    :param task_id: the experiment (``TaskId``).
    :param reason: why, in a few words (goes into the summary and the guardrail log).
    :param poll_interval: seconds between reads while waiting for a step.
    :param step_timeout: longest wait for one step to finish, in seconds.
    :param read_patience: how long to keep retrying reads through an API outage, in seconds.
    :param end: end the experiment when done (the teardown does; a caller that concludes itself may not).
    :param sleep: replaceable in tests.
    """

    def __init__(
        self,
        client: CfgClient,
        task_id: int,
        reason: str,
        *,
        poll_interval: float = 2.0,
        step_timeout: float = 900.0,
        read_patience: float = 300.0,
        end: bool = True,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.task_id = int(task_id)
        self.poll_interval = poll_interval
        self.step_timeout = step_timeout
        self.read_patience = read_patience
        self.end = end
        self.sleep = sleep
        self.report = RollbackReport(task_id=self.task_id, reason=reason)
        self.self_healing: set[int] = set()

    # -- reads survive outages ---------------------------------------------------------------

    def read(self) -> Task:
        """``DescribeTask``, retried through transient errors for up to ``read_patience`` seconds."""
        deadline = time.monotonic() + self.read_patience
        while True:
            try:
                return self.client.describe_task(self.task_id).require_task()
            except (CfgTransportError, CfgApiError) as exc:
                permanent = isinstance(exc, CfgApiError) and not exc.is_transient
                if permanent or time.monotonic() >= deadline:
                    raise
                log.warning("Rollback of experiment %s: read failed (%s); retrying", self.task_id, exc)
                self.sleep(self.poll_interval)

    def mutate(self, what: str, call: Callable[[], object]) -> bool:
        """Make one change; an ambiguous or transient failure is left for the next re-read."""
        try:
            call()
            return True
        except CfgOutcomeUnknownError as exc:
            log.warning("Rollback of experiment %s: %s outcome unknown (%s); re-reading", self.task_id, what, exc.cause)
        except (CfgApiError, CfgTransportError) as exc:
            log.warning("Rollback of experiment %s: %s failed: %s", self.task_id, what, exc)
        return False

    # -- the procedure ------------------------------------------------------------------------

    def find_self_healing(self, task: Task) -> set[int]:
        """Faults with no recovery in the task *and* none in the action library (reboot, switch,
        restart, pod kill): they heal by themselves once finished. A fault whose recovery is merely
        missing from the task, or whose library entry cannot be read, still counts as injected."""
        unpaired: dict[int, list[TaskGroupAction]] = {}
        for group, action in task.iter_actions():
            if action.is_fault and task.recovery_for(action) is None and group.ObjectTypeId and action.ActionId:
                unpaired.setdefault(int(group.ObjectTypeId), []).append(action)
        healing: set[int] = set()
        for object_type, actions in unpaired.items():
            try:
                library = self.client.describe_action_library_list(
                    object_type, action_ids=sorted({int(a.ActionId or 0) for a in actions})
                ).Results or []
            except CfgError as exc:
                log.warning("Rollback of experiment %s: cannot read the action library (%s)", self.task_id, exc)
                continue
            one_shot = {item.ActionId for item in library if item.ActionId is not None and not item.RelationActionId}
            healing |= {int(a.TaskGroupActionId or 0) for a in actions if a.ActionId in one_shot}
        return healing

    def run(self) -> RollbackReport:
        task = self.read()
        self.self_healing = self.find_self_healing(task)
        if task.TaskStatus == TaskStatus.ENDED:
            self.report.already_concluded = concluded(task)
            self.report.left_injected = [_describe(fault) for fault, _ in unrecovered_faults(task, self.self_healing)]
            if self.report.left_injected:
                self.report.problems.append("the experiment had already ended, so CFG no longer accepts recoveries")
            if self.end and not self.report.already_concluded:
                self.conclude()  # ended by itself (automatic mode) without a conclusion: record one
            return self.report
        pending = unrecovered_faults(task, self.self_healing)
        self.report.already_recovered = not pending
        initial = [(fault.TaskGroupActionId, recovery) for fault, recovery in pending]
        if pending:
            if task.TaskMode == TaskMode.AUTOMATIC:
                self.trigger_guardrail()
            task = self.recover_all(task)
            pending = unrecovered_faults(task, self.self_healing)
            if pending:
                self.trigger_guardrail()
                task = self.wait_for_guardrail_rollback()
                pending = unrecovered_faults(task, self.self_healing)
            self.report.left_injected = [_describe(fault) for fault, _ in pending]
            self.report.recovered = [
                _describe(recovery)
                for _, recovery in initial
                if recovery is not None
                and recovery.TaskGroupActionId is not None
                and recovered(task.find_action(recovery.TaskGroupActionId))
            ]
        if self.end:
            self.conclude()
        return self.report

    def recover_all(self, task: Task) -> Task:
        for fault, recovery in reversed(unrecovered_faults(task, self.self_healing)):
            task = self.recover_one(fault.TaskGroupActionId, recovery.TaskGroupActionId if recovery else None)
        return task

    def recover_one(self, fault_id: int | None, recovery_id: int | None) -> Task:
        task = self.wait_until_finished(fault_id)  # never recover under a fault still being injected
        fault = task.find_action(fault_id) if fault_id else None
        if recovery_id is None and fault_id in self.self_healing:
            return task  # finished now, and it heals by itself
        if recovery_id is None or fault is None:
            self.report.problems.append(f"{_describe(fault) if fault else fault_id} has no paired recovery action")
            return task
        for _ in range(3):
            recovery = task.find_action(recovery_id)
            if recovery is None:
                break  # no longer in the experiment: reported below as not recovered
            if recovered(recovery):
                return task
            if recovery.TaskGroupActionStatus == ActionStatus.RUNNING:
                task = self.wait_until_finished(recovery_id)
                continue
            if task.TaskStatus == TaskStatus.PAUSED:
                self.mutate("resume", lambda: self.client.resume_task(self.task_id))
            group = task.group_of(recovery)
            if group is None or group.TaskGroupId is None:
                self.report.problems.append(f"{_describe(recovery)} has no action group to execute it in")
                return task
            if recovery.TaskGroupActionStatus == ActionStatus.FINISHED:
                kind = ExecuteActionType.RETRY
            else:
                kind = ExecuteActionType.EXECUTE
            log.info("Rollback of experiment %s: %s %s", self.task_id, kind.name.lower(), _describe(recovery))
            self.mutate(
                f"recovery {_describe(recovery)}",
                functools.partial(
                    self.client.execute_task_instance, self.task_id, group.TaskGroupId, recovery_id, kind
                ),
            )
            task = self.wait_until_finished(recovery_id)
        recovery = task.find_action(recovery_id)
        if not recovered(recovery):
            self.report.problems.append(f"{_describe(recovery)} did not succeed")
        return task

    def wait_until_finished(self, action_id: int | None) -> Task:
        deadline = time.monotonic() + self.step_timeout
        while True:
            task = self.read()
            action = task.find_action(action_id) if action_id else None
            running = action is not None and action.TaskGroupActionStatus == ActionStatus.RUNNING
            if not running or task.TaskStatus == TaskStatus.ENDED:
                return task
            if time.monotonic() >= deadline:
                self.report.problems.append(f"{_describe(action)} still running after {self.step_timeout:.0f} s")
                return task
            self.sleep(self.poll_interval)

    def trigger_guardrail(self) -> None:
        if self.report.guardrail_triggered:
            return
        task = self.read()
        if task.TaskPolicy is not None and task.TaskPolicy.is_triggered:
            self.report.guardrail_triggered = True
            return
        self.report.guardrail_triggered = self.mutate(
            "TriggerPolicy",
            lambda: self.client.trigger_policy(
                self.task_id, GUARDRAIL_NAME, self.report.reason[:500], TriggerType.TRIGGER
            ),
        )
        if not self.report.guardrail_triggered:  # the call may still have landed
            task = self.read()
            self.report.guardrail_triggered = bool(task.TaskPolicy and task.TaskPolicy.is_triggered)

    def wait_for_guardrail_rollback(self) -> Task:
        """After TriggerPolicy, give CFG's sequential rollback time to run the recoveries."""
        started = time.monotonic()
        grace = 3 * self.poll_interval  # CFG needs a moment to start its recoveries
        while True:
            task = self.read()
            if not unrecovered_faults(task, self.self_healing):
                return task
            busy = any(a.TaskGroupActionStatus == ActionStatus.RUNNING for _, a in task.iter_actions())
            elapsed = time.monotonic() - started
            if (not busy and elapsed >= grace) or elapsed >= self.step_timeout:
                return task
            self.sleep(self.poll_interval)

    def conclude(self) -> None:
        for _ in range(3):
            task = self.read()
            if concluded(task):
                self.report.ended = True
                return
            if self.mutate(
                "end",
                lambda: self.client.end_task(self.task_id, summary=self.report.summary()[:4000], is_expect=False),
            ):
                self.report.ended = True
                return
        self.report.problems.append("could not end the experiment")


def _describe(action: TaskGroupAction | None) -> str:
    if action is None:
        return "unknown action"
    return f"'{action.ActionTitle}' (TaskActionId {action.TaskGroupActionId})"


def rollback_experiment(
    client: CfgClient, task_id: int, reason: str, **options: Unpack[RollbackOptions]
) -> RollbackReport:
    """Run :class:`Rollback` once; never raises for a step it could not undo — the report says so."""
    try:
        return Rollback(client, task_id, reason, **options).run()
    except CfgError as exc:
        report = RollbackReport(task_id=int(task_id), reason=reason)
        report.problems.append(f"rollback stopped: {exc}")
        report.left_injected.append("unknown (the experiment could not be read)")
        return report


def rollback_best_effort(
    open_client: Callable[[], AbstractContextManager[CfgClient]],
    experiment_id: int,
    reason: str,
    logger: logging.Logger | logging.LoggerAdapter = log,
) -> RollbackReport | None:
    """The one entry of every best-effort rollback (an ``on_kill``, a timed-out wait): never raises.

    :param open_client: builds the client (``hook.get_client``); a failure there is logged like any other.
    :returns: the report, or ``None`` when the rollback could not run at all (the teardown rolls back too).
    """
    try:
        with open_client() as client:
            report = rollback_experiment(client, experiment_id, reason)
    except Exception:  # best effort: the rollback teardown of the DAG run rolls back as well
        logger.warning("Rollback of experiment %s failed", experiment_id, exc_info=True)
        return None
    logger.warning("Rollback of experiment %s: %s", experiment_id, report.summary())
    return report
