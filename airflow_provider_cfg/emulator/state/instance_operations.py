"""``ExecuteTaskInstance``: start (1), execute (2), skip (3) or retry (5) an action's instances.

The checks come first and in CFG's order (task status, group, action, instances, what is running,
the rollback, the guardrail); only then does anything change.
"""

from __future__ import annotations

from airflow_provider_cfg.api.enums import ActionStatus, InstanceStatus, InstanceStatusType, TaskStatus
from airflow_provider_cfg.emulator.errors import bad_value, failed, not_found
from airflow_provider_cfg.emulator.state.automatic import AutomaticMixin
from airflow_provider_cfg.emulator.state.records import OPEN, ActionRec, InstanceRec, TaskRec

START, EXECUTE, SKIP, RETRY = 1, 2, 3, 5
"""The ``ActionType`` values of ``ExecuteTaskInstance``."""


class InstanceOperationsMixin(AutomaticMixin):
    """Operate one action of a running task in manual mode."""

    def execute_instance(
        self, region: str, task_id: int, group_id: int, action_id: int, action_type: int,
        operate_all: bool, instance_ids: list[int],
    ) -> None:
        """``ExecuteTaskInstance`` on action ``action_id`` of group ``group_id``.

        :param region: the region of the task.
        :param task_id: CFG's TaskId.
        :param group_id: the ``TaskGroupId`` of the action's group.
        :param action_id: the ``TaskGroupActionId`` of the action.
        :param action_type: 1 (start), 2 (execute), 3 (skip) or 5 (retry).
        :param operate_all: all instances the operation applies to, instead of ``instance_ids``.
        :param instance_ids: the ``TaskGroupInstanceId`` values to operate when not ``operate_all``.
        """
        if action_type not in (START, EXECUTE, SKIP, RETRY):
            raise bad_value(f"ActionType must be one of 1 (start), 2 (execute), 3 (skip), 5 (retry); got {action_type}")
        task = self.task(region, task_id)
        t = self.t
        _check_task_operable(task)
        action = _find_action(task, group_id, action_id)
        chosen = None if operate_all else _chosen_instances(action, instance_ids)
        if action.running:
            raise failed(f"{action.label()} is running (TaskGroupActionStatus 2003); wait until it finishes")
        other = task.running_action()
        if other is not None:
            raise failed(f"{other.label()} of task {task_id} is still running; actions of a task run one at a time")
        if task.rollback is not None:
            raise failed(f"task {task_id} is rolling back after its guardrail was triggered; wait until it pauses")
        fault_refused = action.is_fault and task.triggered and action_type in (START, EXECUTE, RETRY)
        if action_type in (START, EXECUTE):
            if action.status == ActionStatus.FINISHED:
                raise failed(f"{action.label()} has already been executed (TaskGroupActionStatus 2004); "
                             "use ActionType 5 (retry) to run its failed instances again")
            if fault_refused:
                raise failed(f"the guardrail of task {task_id} is triggered (TaskPolicyStatus 已触发): fault "
                             f"{action.label()} is refused; recover the guardrail (TriggerPolicy TriggerType 1) first")
            targets = _not_yet_run(action, chosen, "; use ActionType 5 (retry) to run it again if it failed")
            if not targets:
                raise failed(f"{action.label()} has no instance left to execute")
            if action_type == START and self.variants.start_type == "pending":
                self._make_pending(action, t)
                self._log(task, t, f"ExecuteTaskInstance start: {action.label()} waits to be executed (2002)")
                return
            why = "start" if action_type == START else "execute"
            self._start_run(task, action, targets, t, f"ExecuteTaskInstance {why}")
            if operate_all and self.variants.operate_all == "task":
                # IsOperateAll read as "the whole task": every other action not run yet follows, in order.
                task.queue = [a for a in task.actions if a is not action and a.status in OPEN]
        elif action_type == SKIP:
            if action.status == ActionStatus.FINISHED:
                raise failed(f"{action.label()} has already finished (TaskGroupActionStatus 2004) and cannot be "
                             "skipped")
            targets = _not_yet_run(action, chosen, " and cannot be skipped")
            self._skip(task, action, targets, t, "skipped by ExecuteTaskInstance (ActionType 3)")
            self._proceed(task, t)
        else:
            targets = _failed_instances(action, chosen)
            if fault_refused:
                raise failed(f"the guardrail of task {task_id} is triggered (TaskPolicyStatus 已触发): retrying "
                             f"fault {action.label()} is refused")
            self._start_run(task, action, targets, t, "ExecuteTaskInstance retry")

    def _run_queued(self, task: TaskRec, t: float) -> bool:
        """Start the next queued action (variant ``operate_all=task``); ``False`` when none is left.

        The queue stops when the task is no longer running; faults are not started once the
        guardrail is triggered.
        """
        while task.queue and task.status == TaskStatus.RUNNING:
            action = task.queue.pop(0)
            targets = action.open_instances()
            if action.status in OPEN and targets and not (action.is_fault and task.triggered):
                self._start_run(task, action, targets, t, "ExecuteTaskInstance IsOperateAll (whole task)")
                return True
        task.queue = []
        return False


def _check_task_operable(task: TaskRec) -> None:
    """Only a running task's actions can be operated."""
    status = task.status
    if status == TaskStatus.NOT_STARTED:
        raise failed(f"task {task.id} has not been started (TaskStatus 1001); call ExecuteTask first")
    if status == TaskStatus.PAUSED:
        raise failed(f"task {task.id} is paused (TaskStatus 1003); resume it (ModifyTaskRunStatus Status 1002) "
                     "before operating actions")
    if status == TaskStatus.ENDED:
        raise failed(f"task {task.id} has ended (TaskStatus 1004); its actions can no longer be operated")


def _find_action(task: TaskRec, group_id: int, action_id: int) -> ActionRec:
    group = next((g for g in task.groups if g.model.TaskGroupId == group_id), None)
    if group is None:
        raise not_found(f"TaskGroupId: {group_id} is not an action group of task {task.id} (groups: "
                        f"{', '.join(str(g.model.TaskGroupId) for g in task.groups)})")
    action = next((a for a in group.actions if a.id == action_id), None)
    if action is None:
        raise not_found(f"TaskActionId: {action_id} is not an action of group {group_id} in task {task.id} "
                        f"(TaskActionId is a TaskGroupActionId: {', '.join(str(a.id) for a in group.actions)})")
    return action


def _chosen_instances(action: ActionRec, instance_ids: list[int]) -> list[InstanceRec]:
    """The listed instances of ``action`` (each once, in the order given)."""
    if not instance_ids:
        raise bad_value("TaskInstanceIds must list TaskGroupInstanceId values when IsOperateAll is false")
    known = {i.id: i for i in action.instances}
    unknown = [i for i in instance_ids if i not in known]
    if unknown:
        raise bad_value(f"TaskInstanceIds: {unknown[0]} is not an instance of action {action.id} "
                        f"(its TaskGroupInstanceIds: {', '.join(str(k) for k in known)})")
    return [known[i] for i in dict.fromkeys(instance_ids)]


def _not_yet_run(action: ActionRec, chosen: list[InstanceRec] | None, refusal: str) -> list[InstanceRec]:
    """The instances to start or skip (``chosen``, or all not started), refused if one already ran.

    :param refusal: the end of the error message when one of them already ran.
    """
    targets = action.open_instances() if chosen is None else chosen
    done = [i for i in targets if i.status != InstanceStatus.NOT_STARTED]
    if done:
        raise failed(f"instance {done[0].id} of {action.label()} has already been executed{refusal}")
    return targets


def _failed_instances(action: ActionRec, chosen: list[InstanceRec] | None) -> list[InstanceRec]:
    """The instances to retry: the failed ones of a finished action (``chosen`` must all have failed)."""
    if action.status != ActionStatus.FINISHED:
        raise failed(f"retry (ActionType 5) needs a finished action with failed instances; {action.label()} "
                     f"is {ActionStatus.describe(action.status)}")
    failed_instances = [i for i in action.instances if i.model.TaskGroupInstanceStatusType == InstanceStatusType.FAILED]
    if chosen is not None:
        not_failed = [i for i in chosen if i not in failed_instances]
        if not_failed:
            raise failed(f"instance {not_failed[0].id} of {action.label()} did not fail; only failed "
                         "instances can be retried")
        failed_instances = chosen
    if not failed_instances:
        raise failed(f"{action.label()} has no failed instance to retry (IsExecuteRedo false)")
    return failed_instances
