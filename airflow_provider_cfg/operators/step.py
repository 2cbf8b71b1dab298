"""Run one action step of an experiment: execute (inject or recover), start, skip or retry."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import conf

from airflow_provider_cfg.operators.base import CfgBaseOperator, deadline_for, experiment_id_of

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_cfg.api.client import CfgClient
    from airflow_provider_cfg.api.models import Task
    from airflow_provider_cfg.core.steps import StepRef

OPERATIONS = ("execute", "start", "skip", "retry")


class CfgExecuteStepOperator(CfgBaseOperator):
    """Operate one action step (``ExecuteTaskInstance``) and, by default, wait for it to finish.

    The step is named the way people name it and resolved from ``DescribeTask`` at run time. The
    step's state is read before acting, so a step that already ran is never executed again (a
    retried Airflow task reattaches to it), and an ambiguous failure of the call is settled by
    reading state, never by a blind retry.

    :param experiment_id: the experiment (``TaskId``), usually ``"{{ ti.xcom_pull('create') }}"`` (templated).
    :param step: which step: ``"1.2"`` (group 1, action 2), an action title such as ``"Empty Operation"``,
        a ``TaskGroupActionId`` (int), or a dict ``{"group": 1, "action": 2}`` (templated).
    :param operation: ``execute`` (default), ``start``, ``skip`` or ``retry`` (only failed instances are retried).
    :param instances: limit to these instances (object ids such as ``ins-…`` or ``TaskGroupInstanceId``s);
        default all (templated).
    :param wait_for_completion: wait until the step finishes; fail with the per-instance logs if it failed.
    :param poll_interval: seconds between status reads while waiting.
    :param timeout: longest wait in seconds (``execution_timeout`` also applies, in deferrable mode too).
    :param deferrable: wait in the triggerer instead of holding a worker slot.
    :param rollback_on_kill: roll the experiment back (recover injected faults, end it) if this task is
        killed or times out while waiting.
    """

    template_fields: Sequence[str] = (*CfgBaseOperator.template_fields, "experiment_id", "step", "instances")

    def __init__(
        self,
        *,
        experiment_id: int | str,
        step: str | int | dict[str, Any],
        operation: str = "execute",
        instances: Sequence[str | int] | None = None,
        wait_for_completion: bool = True,
        poll_interval: float = 10.0,
        timeout: float | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        rollback_on_kill: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if operation not in OPERATIONS:
            raise ValueError(f"operation must be one of {', '.join(OPERATIONS)}; got {operation!r}")
        if poll_interval <= 0:
            raise ValueError(f"poll_interval must be > 0 seconds, got {poll_interval!r}")
        self.experiment_id = experiment_id
        self.step = step
        self.operation = operation
        self.instances = instances
        self.wait_for_completion = wait_for_completion
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.deferrable = deferrable
        self.rollback_on_kill = rollback_on_kill
        self._selected: list[int] | None = None  # ``instances`` as TaskGroupInstanceIds, once resolved

    def execute(self, context: Context) -> dict[str, Any] | None:
        from airflow_provider_cfg.core.events import step_event
        from airflow_provider_cfg.core.steps import StepSelector, resolve_step

        task_id = experiment_id_of(self.experiment_id)
        selector = StepSelector.parse(self.step)
        deadline = deadline_for(self.timeout, self.execution_timeout)
        with self.client() as client:
            self.publish_experiment(context, client, task_id)
            task = self._read(client, task_id)
            ref = resolve_step(task, selector)
            self._selected = self._selected_ids(task, ref)
            self.log.info("Step %s of experiment %s: %s", ref.label, task_id, self.operation)
            task = self._operate(client, task, ref)
            if not self.wait_for_completion:
                return None
            # with ``instances``, CFG keeps the step open until the others run too: wait for ours only
            event = step_event(task, ref.task_action_id, self._selected)
            if event is None and self.deferrable:
                self._defer(task_id, ref, deadline)
            if event is None:
                event = self._wait(client, task_id, ref.task_action_id, deadline)
        return self.execute_complete(context, event)

    # -- acting on the step --------------------------------------------------------------------

    @staticmethod
    def _read(client: CfgClient, task_id: int) -> Task:
        task = client.describe_task(task_id).Task
        if task is None:
            raise ValueError(f"experiment {task_id} was not returned by DescribeTask")
        return task

    def _operate(self, client: CfgClient, task: Task, ref: StepRef) -> Task:
        from airflow_provider_cfg.api.errors import CfgApiError, CfgOutcomeUnknownError

        if not self._needs_call(task, ref):
            return task
        instance_ids = self._instance_ids(task, ref)
        for attempt in range(2):
            try:
                self._call(client, ref, instance_ids)
            except (CfgOutcomeUnknownError, CfgApiError) as exc:
                if isinstance(exc, CfgApiError) and exc.is_transient is False and exc.code != "FailedOperation":
                    raise
                self.log.warning(
                    "ExecuteTaskInstance (%s) did not answer clearly (%s); re-reading the step", self.operation, exc
                )
                task = self._read(client, ref.task_id)
                if not self._needs_call(task, ref):
                    return task  # it did take effect (or something else moved the step on)
                if attempt:
                    raise
                self.log.info("The step is unchanged, so the call did not take effect; sending it once more")
                continue
            return self._read(client, ref.task_id)
        return task  # pragma: no cover

    def _needs_call(self, task: Task, ref: StepRef) -> bool:
        """False when the step's state already reflects the operation (so it is never repeated)."""
        from airflow_provider_cfg.core.steps import step_action, step_outcome

        outcome = step_outcome(step_action(task, ref))
        if self._selected:
            outcome = outcome.restricted_to(self._selected)
        if self.operation in ("execute", "start", "skip"):
            if outcome.started or outcome.finished:
                self.log.info("%s already ran (%s); not operating it again", ref.label, outcome.summary())
                return False
            return True
        # retry
        if not outcome.finished:
            if not outcome.started:
                raise ValueError(f"cannot retry {ref.label}: it has not run yet (use operation='execute')")
            self.log.info("%s is running; waiting instead of retrying", ref.label)
            return False
        if outcome.succeeded:
            self.log.info("%s already succeeded; nothing to retry", ref.label)
            return False
        return True

    def _instance_ids(self, task: Task, ref: StepRef) -> list[int] | None:
        from airflow_provider_cfg.core.steps import step_action, step_outcome

        if self.operation == "retry" and self.instances is None:
            failed = step_outcome(step_action(task, ref)).failed_instances
            return [int(i.instance_id) for i in failed if i.instance_id is not None] or None
        return self._selected

    def _selected_ids(self, task: Task, ref: StepRef) -> list[int] | None:
        """``instances`` (object ids or TaskGroupInstanceIds) as TaskGroupInstanceIds; None: all."""
        from airflow_provider_cfg.core.steps import step_action

        if self.instances is None:
            return None
        by_object = {
            i.TaskGroupInstanceObjectId: i.TaskGroupInstanceId
            for i in step_action(task, ref).TaskGroupInstances or []
            if i.TaskGroupInstanceId is not None
        }
        known = set(by_object.values())
        ids = []
        for item in self.instances:
            if isinstance(item, int) and item in known:
                ids.append(item)
            elif str(item) in by_object:
                ids.append(by_object[str(item)])
            else:
                raise ValueError(
                    f"instance {item!r} is not in {ref.label}; its instances are "
                    + ", ".join(f"{obj} ({iid})" for obj, iid in by_object.items())
                )
        return ids

    def _call(self, client: CfgClient, ref: StepRef, instance_ids: list[int] | None) -> None:
        from airflow_provider_cfg.api.enums import ExecuteActionType

        kind = ExecuteActionType[self.operation.upper()]
        client.execute_task_instance(ref.task_id, ref.task_group_id, ref.task_action_id, kind, instance_ids)
        self.log.info("ExecuteTaskInstance %s sent for %s", kind.label, ref.label)

    # -- waiting -------------------------------------------------------------------------------

    def _defer(self, task_id: int, ref: StepRef, deadline: float | None) -> None:
        from airflow_provider_cfg.triggers.step import CfgStepTrigger

        self.defer(
            trigger=CfgStepTrigger(
                task_action_id=ref.task_action_id,
                instance_ids=self._selected,
                task_id=task_id,
                cfg_conn_id=self.cfg_conn_id,
                region=self.region,
                poll_interval=self.poll_interval,
                deadline=deadline,
                rollback_on_kill=self.rollback_on_kill,
            ),
            method_name="execute_complete",
            timeout=None,  # the trigger carries the deadline, so a timeout still reaches execute_complete
        )

    def _wait(self, client: CfgClient, task_id: int, task_action_id: int, deadline: float | None) -> dict[str, Any]:
        from airflow_provider_cfg.core.events import TIMEOUT, step_event
        from airflow_provider_cfg.core.progress import ProgressLog, step_progress

        progress = ProgressLog(self.log)
        while True:
            task = self._read(client, task_id)
            event = step_event(task, task_action_id, self._selected)
            if event is not None:
                return event
            if deadline is not None and time.time() >= deadline:
                return {
                    "status": TIMEOUT,
                    "task_id": task_id,
                    "message": f"step {task_action_id} still running at the deadline",
                }
            progress(step_progress(task, task_action_id, self._selected))
            if deadline is None:
                pause = self.poll_interval
            else:
                pause = max(0.0, min(self.poll_interval, deadline - time.time()))
            time.sleep(pause)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """The one handler of every outcome: immediate, after a synchronous wait, or from the trigger."""
        from airflow_provider_cfg.core.events import FAILED, SUCCESS, TIMEOUT, validate_event
        from airflow_provider_cfg.exceptions import CfgStepFailedError, CfgTriggerError, CfgWaitTimeoutError

        event = validate_event(event)
        status = event["status"]
        if status == SUCCESS:
            self.log.info("%s", event.get("message"))
            keys = ("task_id", "task_action_id", "title", "action_status", "action_status_type")
            return {key: event.get(key) for key in keys}
        if status == FAILED:
            raise CfgStepFailedError(event.get("message") or event.get("detail"))
        if status == TIMEOUT:
            if self.rollback_on_kill:
                self._rollback(f"step timed out: {event.get('message')}")
            raise CfgWaitTimeoutError(event.get("message"))
        raise CfgTriggerError(event.get("message"))

    def _rollback(self, reason: str) -> None:
        from airflow_provider_cfg.core.rollback import rollback_experiment

        try:
            with self.client() as client:
                report = rollback_experiment(client, experiment_id_of(self.experiment_id), reason)
            self.log.warning("Rollback of experiment %s: %s", report.task_id, report.summary())
        except Exception:  # best effort; the teardown rolls back as well
            self.log.warning("Rollback of experiment %s failed", self.experiment_id, exc_info=True)

    def on_kill(self) -> None:
        """Killed while injecting or waiting: recover what was injected and end the experiment."""
        if self.rollback_on_kill:
            self._rollback("the Airflow task was killed")
