"""Run one action step of an experiment: execute (inject or recover), start, skip or retry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import conf

from airflow_provider_cfg.operators.base import CfgBaseOperator, deadline_for, experiment_id_of

if TYPE_CHECKING:

    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_cfg.api.client import CfgClient
    from airflow_provider_cfg.api.models import Task
    from airflow_provider_cfg.core.steps import StepRef

# ``ExecuteActionType`` by name; spelled out here so that parsing a DAG imports no API model
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
    :param exclusive_targets: refuse to inject (a fault step) into an instance that belongs to another
        live experiment of the account, naming it (default); ``False`` to inject anyway.
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
        exclusive_targets: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.exclusive_targets = exclusive_targets
        if operation not in OPERATIONS:
            raise ValueError(f"operation must be one of {', '.join(OPERATIONS)}; got {operation!r}")
        from airflow_provider_cfg.core.inputs import interval, wait_limit

        interval(poll_interval)
        wait_limit(timeout)
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
        from airflow_provider_cfg.core.steps import StepSelector, resolve_step, select_instances

        experiment_id = experiment_id_of(self.experiment_id)
        selector = StepSelector.parse(self.step)
        deadline = deadline_for(self.timeout, self.execution_timeout)
        with self.client() as client:
            self.publish_experiment(context, client, experiment_id)
            task = client.describe_task(experiment_id).require_task()
            ref = resolve_step(task, selector)
            self._selected = select_instances(task, ref, self.instances)
            self.log.info("Experiment %s: %s %s", experiment_id, self.operation, ref.label)
            task = self._operate(client, task, ref)
            if not self.wait_for_completion:
                return None
            # with ``instances``, CFG keeps the step open until the others run too: wait for ours only
            event = step_event(task, ref.task_action_id, self._selected)
            if event is None and self.deferrable:
                self._defer(experiment_id, ref, deadline)
            if event is None:
                event = self._wait(client, experiment_id, ref.task_action_id, deadline)
        return self.execute_complete(context, event)

    # -- acting on the step --------------------------------------------------------------------

    def _operate(self, client: CfgClient, task: Task, ref: StepRef) -> Task:
        """Send the operation unless the step's state already reflects it; an unclear answer is
        settled by reading the step (:func:`settle_mutation`), never by a blind resend."""
        from airflow_provider_cfg.api.enums import ExecuteActionType
        from airflow_provider_cfg.core.settle import settle_mutation
        from airflow_provider_cfg.core.steps import call_not_needed, instances_to_operate
        from airflow_provider_cfg.exceptions import CfgStepFailedError

        def already_done(now: Task) -> Task | None:
            reason = call_not_needed(now, ref, self.operation, self._selected)
            if reason is None:
                return None
            self.log.info("%s", reason)
            return now

        if already_done(task) is not None:
            return task
        kind = ExecuteActionType[self.operation.upper()]
        try:
            instance_ids = instances_to_operate(task, ref, self.operation, self._selected)
        except ValueError as exc:
            raise CfgStepFailedError(str(exc)) from None
        if self.exclusive_targets and ref.is_fault and self.operation != "skip":
            from airflow_provider_cfg.core.exclusivity import ensure_exclusive, step_targets

            ensure_exclusive(client, step_targets(task, ref.task_action_id, instance_ids),
                             experiment_id=ref.experiment_id, doing=f"inject {ref.label}")

        def send() -> None:
            client.execute_task_instance(ref.experiment_id, ref.task_group_id, ref.task_action_id, kind, instance_ids)
            self.log.info("Asked CFG to %s %s (ExecuteTaskInstance)", kind.name.lower(), ref.label)

        landed = settle_mutation(
            send,
            lambda: already_done(client.describe_task(ref.experiment_id).require_task()),
            what=f"ExecuteTaskInstance ({self.operation})",
            logger=self.log,
        )
        task = landed or client.describe_task(ref.experiment_id).require_task()
        if self.operation == "start" and self.wait_for_completion and already_done(task) is None:
            # CFG may read ActionType 1 as "make it pending" (2002) rather than "run it": then execute it,
            # once, and only because the state shows nothing ran.
            self.log.info("%s is pending after start (ActionType 1); executing it (ActionType 2)", ref.label)
            kind = ExecuteActionType.EXECUTE
            landed = settle_mutation(
                send,
                lambda: already_done(client.describe_task(ref.experiment_id).require_task()),
                what="ExecuteTaskInstance (execute after start)",
                logger=self.log,
            )
            task = landed or client.describe_task(ref.experiment_id).require_task()
        return task

    # -- waiting -------------------------------------------------------------------------------

    def _defer(self, experiment_id: int, ref: StepRef, deadline: float | None) -> None:
        from airflow_provider_cfg.triggers.step import CfgStepTrigger

        self.defer(
            trigger=CfgStepTrigger(
                task_action_id=ref.task_action_id,
                instance_ids=self._selected,
                experiment_id=experiment_id,
                cfg_conn_id=self.cfg_conn_id,
                region=self.region,
                poll_interval=self.poll_interval,
                deadline=deadline,
                rollback_on_kill=self.rollback_on_kill,
            ),
            method_name="execute_complete",
            timeout=None,  # the trigger carries the deadline, so a timeout still reaches execute_complete
        )

    def _wait(
        self, client: CfgClient, experiment_id: int, task_action_id: int, deadline: float | None
    ) -> dict[str, Any]:
        from airflow_provider_cfg.core.events import TIMEOUT, step_event
        from airflow_provider_cfg.core.progress import step_progress
        from airflow_provider_cfg.core.settle import poll_until
        from airflow_provider_cfg.triggers.base import progress_log

        progress = progress_log(self.log, deadline)
        event = poll_until(
            lambda: client.describe_task(experiment_id).require_task(),
            lambda task: step_event(task, task_action_id, self._selected),
            interval=self.poll_interval,
            deadline=deadline,
            on_wait=lambda task: progress(step_progress(task, task_action_id, self._selected)),
        )
        if event is None:
            return {
                "status": TIMEOUT,
                "experiment_id": experiment_id,
                "message": f"step {task_action_id} still running at the deadline",
            }
        return event

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """The one handler of every outcome: immediate, after a synchronous wait, or from the trigger."""
        from airflow_provider_cfg.core.events import FAILED, SUCCESS, TIMEOUT, validate_event
        from airflow_provider_cfg.exceptions import CfgStepFailedError, CfgTriggerError, CfgWaitTimeoutError

        event = validate_event(event)
        status = event["status"]
        if status == SUCCESS:
            self.log.info("%s", event.get("message"))
            keys = ("experiment_id", "task_action_id", "title", "action_status", "action_status_type")
            return {key: event.get(key) for key in keys}
        if status == FAILED:
            raise CfgStepFailedError(event.get("message") or event.get("detail"))
        if status == TIMEOUT:
            if self.rollback_on_kill:
                self._rollback(f"step timed out: {event.get('message')}")
            raise CfgWaitTimeoutError(event.get("message"))
        raise CfgTriggerError(event.get("message"))

    def _rollback(self, reason: str) -> None:
        """Best effort (never raises): the DAG run's rollback teardown rolls back as well."""
        from airflow_provider_cfg.core.rollback import rollback_best_effort

        try:
            experiment_id = experiment_id_of(self.experiment_id)
        except ValueError:
            self.log.warning("No rollback: %r is not an experiment id", self.experiment_id)
            return
        rollback_best_effort(self.client, experiment_id, reason, self.log)

    def on_kill(self) -> None:
        """Killed while injecting or waiting: recover what was injected and end the experiment."""
        if self.rollback_on_kill:
            self._rollback("the Airflow task was killed")
