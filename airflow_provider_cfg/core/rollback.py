"""Put an experiment back the way it was: recover every fault it injected, then end it honestly.

This is the one clean-up path of the provider, with two entries: :func:`rollback_experiment` (the
rollback operator, an Airflow teardown; the steady-state guard's abort) and
:func:`rollback_best_effort`, which never raises (every ``on_kill``, every timed-out wait).
:func:`left_injected` is the one answer to "is anything left injected?" — for the rollback's
report, the rollback operator's result and halt-all's check alike.

It is idempotent — it re-reads the experiment before every change, acts only on what is still
broken, and makes each change through :func:`~airflow_provider_cfg.core.settle.settle_mutation` —
so running it twice, or after CFG's own guardrail rollback, changes nothing more. No Airflow
import here; it drives a synchronous :class:`CfgClient`.

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
from airflow_provider_cfg.api.errors import CfgError
from airflow_provider_cfg.core.log import Log
from airflow_provider_cfg.core.settle import ErrorPatience, poll_until, settle_mutation
from airflow_provider_cfg.core.steps import open_instance_ids

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


def left_injected(task: Task, self_healing: Collection[int] = ()) -> list[str]:
    """What is still injected in ``task``, in words, one entry per fault: the one answer to
    "is anything left?" for the rollback's report, the rollback operator's result and halt-all's summary.

    :param self_healing: faults that heal by themselves (:func:`self_healing_faults`).
    """
    return [_describe(fault) for fault, _ in unrecovered_faults(task, self_healing)]


def self_healing_faults(
    client: CfgClient, task: Task, logger: Log = log
) -> set[int]:
    """``TaskGroupActionId`` of the faults with no recovery in the task *and* none in the action
    library (reboot, switch, restart, pod kill): they heal by themselves once finished. A fault whose
    recovery is merely missing from the task, or whose library entry cannot be read, still counts
    as injected.

    :param client: a synchronous CFG client (reads the action library).
    :param task: the experiment, as ``DescribeTask`` returned it.
    :param logger: where to log a library that cannot be read.
    """
    unpaired: dict[int, list[TaskGroupAction]] = {}
    for group, action in task.iter_actions():
        if action.is_fault and task.recovery_for(action) is None and group.ObjectTypeId and action.ActionId:
            unpaired.setdefault(int(group.ObjectTypeId), []).append(action)
    healing: set[int] = set()
    for object_type, actions in unpaired.items():
        try:
            library = client.describe_action_library_list(
                object_type, action_ids=sorted({int(a.ActionId or 0) for a in actions})
            ).Results or []
        except CfgError as exc:
            logger.warning("Experiment %s: cannot read the action library (%s)", task.TaskId, exc)
            continue
        one_shot = {item.ActionId for item in library if item.ActionId is not None and not item.RelationActionId}
        healing |= {int(a.TaskGroupActionId or 0) for a in actions if a.ActionId in one_shot}
    return healing


@dataclass
class RollbackReport:
    """What a rollback did, in words fit for CFG's ``Summary`` and the task log."""

    experiment_id: int
    reason: str
    recovered: list[str] = field(default_factory=list)
    already_recovered: bool = False
    guardrail_triggered: bool = False
    ended: bool = False
    already_concluded: bool = False
    conclusion_not_stored: bool = False
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
        if self.conclusion_not_stored:
            lines.append("CFG ended the experiment itself and did not store this conclusion.")
        lines.append("Verdict: not as expected — the experiment was interrupted and rolled back.")
        return " ".join(lines)


class Rollback:
    """One rollback run against one experiment.

    :param client: a synchronous CFG client.
    :param experiment_id: the experiment (``TaskId``).
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
        experiment_id: int,
        reason: str,
        *,
        poll_interval: float = 2.0,
        step_timeout: float = 900.0,
        read_patience: float = 300.0,
        end: bool = True,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.experiment_id = int(experiment_id)
        self.poll_interval = poll_interval
        self.step_timeout = step_timeout
        self.read_patience = read_patience
        self.end = end
        self.sleep = sleep
        self.report = RollbackReport(experiment_id=self.experiment_id, reason=reason)
        self.self_healing: set[int] = set()

    # -- reads survive outages, changes are settled ---------------------------------------------

    def read(self) -> Task:
        """``DescribeTask``, waited out through transient errors for up to ``read_patience`` seconds."""

        def describe() -> Task:
            try:
                return self.client.describe_task(self.experiment_id).require_task()
            except CfgError as exc:
                log.warning("Rollback of experiment %s: read failed (%s)", self.experiment_id, exc)
                raise

        task = poll_until(
            describe, lambda task: task, interval=self.poll_interval, sleep=self.sleep,
            patience=ErrorPatience(self.read_patience),
        )
        assert task is not None  # no deadline: only a read or an error ends the loop
        return task

    def settle(
        self, what: str, send: Callable[[], object], landed: Callable[[], object | None], *, check_first: bool = False
    ) -> bool:
        """Make one change through :func:`settle_mutation`; True once it has taken effect.

        A change that still fails is logged and left: the rollback goes on, and its next read decides.
        """
        try:
            settle_mutation(
                send, landed, what=f"Rollback of experiment {self.experiment_id}: {what}", check_first=check_first,
                logger=log,
            )
        except CfgError as exc:
            log.warning("Rollback of experiment %s: %s failed: %s", self.experiment_id, what, exc)
            return False
        return True

    # -- the procedure ------------------------------------------------------------------------

    def run(self) -> RollbackReport:
        task = self.read()
        self.self_healing = self_healing_faults(self.client, task, log)
        if task.TaskStatus == TaskStatus.ENDED:
            self.report.already_concluded = concluded(task)
            self.report.left_injected = left_injected(task, self.self_healing)
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
            if unrecovered_faults(task, self.self_healing):
                self.trigger_guardrail()
                task = self.wait_for_guardrail_rollback()
            self.report.left_injected = left_injected(task, self.self_healing)
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
        for _ in range(3):  # executed, then retried at most twice: a recovery that keeps failing is not looped on
            recovery = task.find_action(recovery_id)
            if recovery is None:
                break  # no longer in the experiment: reported below as not recovered
            if recovered(recovery):
                return task
            if recovery.TaskGroupActionStatus == ActionStatus.RUNNING:
                task = self.wait_until_finished(recovery_id)
                continue
            if task.TaskStatus == TaskStatus.PAUSED:
                self.resume()
            group = task.group_of(recovery)
            if group is None or group.TaskGroupId is None:
                self.report.problems.append(f"{_describe(recovery)} has no action group to execute it in")
                return task
            self.execute_recovery(recovery, group.TaskGroupId)
            task = self.wait_until_finished(recovery_id)
        recovery = task.find_action(recovery_id)
        if not recovered(recovery):
            self.report.problems.append(f"{_describe(recovery)} did not succeed")
        return task

    def resume(self) -> None:
        self.settle(
            "ResumeTask",
            lambda: self.client.resume_task(self.experiment_id),
            lambda: True if self.read().TaskStatus != TaskStatus.PAUSED else None,
        )

    def execute_recovery(self, recovery: TaskGroupAction, group_id: int) -> None:
        """Execute (or retry, when it ran and failed) one recovery; it has landed once a new run of it started."""
        recovery_id = int(recovery.TaskGroupActionId or 0)
        retry = recovery.TaskGroupActionStatus == ActionStatus.FINISHED
        kind = ExecuteActionType.RETRY if retry else ExecuteActionType.EXECUTE
        log.info("Rollback of experiment %s: %s %s", self.experiment_id, kind.name.lower(), _describe(recovery))

        def started() -> Task | None:
            task = self.read()
            now = task.find_action(recovery_id)
            if now is None:
                return task  # gone from the experiment: nothing to send; reported as not recovered
            moved = (now.TaskGroupActionStatus == ActionStatus.RUNNING or recovered(now)
                     # a failed recovery is finished before a retry too: only a new run shows a retry landed
                     or (not retry and now.TaskGroupActionStatus == ActionStatus.FINISHED))
            return task if moved else None

        self.settle(
            f"recovery {_describe(recovery)}",
            functools.partial(self.client.execute_task_instance, self.experiment_id, group_id, recovery_id, kind,
                              open_instance_ids(recovery, "retry" if retry else "execute")),
            started,
        )

    def wait_until_finished(self, action_id: int | None) -> Task:
        """Read until ``action_id`` is not running (or the experiment ended), at most ``step_timeout`` seconds."""
        deadline = time.monotonic() + self.step_timeout

        def done(task: Task) -> Task | None:
            action = task.find_action(action_id) if action_id else None
            running = action is not None and action.TaskGroupActionStatus == ActionStatus.RUNNING
            if not running or task.TaskStatus == TaskStatus.ENDED:
                return task
            if time.monotonic() >= deadline:
                self.report.problems.append(f"{_describe(action)} still running after {self.step_timeout:.0f} s")
                return task
            return None

        return self.poll(done)

    def trigger_guardrail(self) -> None:
        """``TriggerPolicy`` once (CFG logs every call): skipped when the guardrail is already triggered."""
        if self.report.guardrail_triggered:
            return

        def triggered() -> bool | None:
            policy = self.read().TaskPolicy
            return True if policy is not None and policy.is_triggered else None

        self.report.guardrail_triggered = self.settle(
            "TriggerPolicy",
            lambda: self.client.trigger_policy(
                self.experiment_id, GUARDRAIL_NAME, self.report.reason[:500], TriggerType.TRIGGER
            ),
            triggered,
            check_first=True,
        )

    def wait_for_guardrail_rollback(self) -> Task:
        """After TriggerPolicy, give CFG's sequential rollback time to run the recoveries."""
        started = time.monotonic()
        grace = 3 * self.poll_interval  # CFG needs a moment to start its recoveries

        def done(task: Task) -> Task | None:
            if not unrecovered_faults(task, self.self_healing):
                return task
            busy = any(a.TaskGroupActionStatus == ActionStatus.RUNNING for _, a in task.iter_actions())
            elapsed = time.monotonic() - started
            return task if (not busy and elapsed >= grace) or elapsed >= self.step_timeout else None

        return self.poll(done)

    def poll(self, done: Callable[[Task], Task | None]) -> Task:
        """Read until ``done`` returns the task (each reader carries its own time limit)."""
        from airflow_provider_cfg.core.progress import ProgressLog, experiment_progress

        progress = ProgressLog(log)

        def waiting(task: Task) -> None:
            try:
                progress(f"rollback: {experiment_progress(task)}")
            except Exception:  # a progress line never stands in the way of a rollback
                log.debug("No progress line for experiment %s", self.experiment_id, exc_info=True)

        task = poll_until(self.read, done, interval=self.poll_interval, sleep=self.sleep, on_wait=waiting)
        assert task is not None  # no deadline given: only ``done`` ends the loop
        return task

    def conclude(self) -> None:
        """End the experiment with the summary, ``IsExpect=false``; a conclusion already there is kept."""
        ended = self.settle(
            "end",
            lambda: self.client.end_task(self.experiment_id, summary=self.report.summary()[:4000], is_expect=False),
            lambda: True if concluded(self.read()) else None,
            check_first=True,
        )
        if ended:
            self.report.ended = True
        elif self.read().TaskStatus == TaskStatus.ENDED:
            # CFG ended it itself and refused the conclusion: nothing is left to end; the verdict
            # stays in this report (and Airflow), not in CFG.
            self.report.ended = True
            self.report.conclusion_not_stored = True
            log.warning("Rollback of experiment %s: CFG refused to store the conclusion of an experiment it "
                        "ended itself; the verdict is only in Airflow and the report", self.experiment_id)
        else:
            self.report.problems.append("could not end the experiment")


def _describe(action: TaskGroupAction | None) -> str:
    if action is None:
        return "unknown action"
    return f"'{action.ActionTitle}' (TaskActionId {action.TaskGroupActionId})"


def rollback_experiment(
    client: CfgClient, experiment_id: int, reason: str, **options: Unpack[RollbackOptions]
) -> RollbackReport:
    """Run :class:`Rollback` once; never raises for a step it could not undo — the report says so.

    :param client: a synchronous CFG client.
    :param experiment_id: the experiment (``TaskId``).
    :param reason: why, for the summary.
    :param options: the keyword options of :class:`Rollback`.
    """
    try:
        return Rollback(client, experiment_id, reason, **options).run()
    except CfgError as exc:
        report = RollbackReport(experiment_id=int(experiment_id), reason=reason)
        report.problems.append(f"rollback stopped: {exc}")
        report.left_injected.append("unknown (the experiment could not be read)")
        return report


def rollback_best_effort(
    open_client: Callable[[], AbstractContextManager[CfgClient]],
    experiment_id: int,
    reason: str,
    logger: Log = log,
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
