"""Running one action on its instances: preparing → running → finished, skipped or terminated.

A run schedules two timers (running after :data:`PREPARE_FRACTION` of the duration, finished at
the end); both carry the action's run token, so a terminated or restarted run ignores its stale
timers. What the task does once an action finished is not decided here (:meth:`_settle`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from airflow_provider_cfg.api.enums import ActionStatus, ActionStatusType, InstanceStatus, InstanceStatusType
from airflow_provider_cfg.emulator.definitions import object_key
from airflow_provider_cfg.emulator.state.core import StateCore
from airflow_provider_cfg.emulator.state.records import ActionRec, InstanceRec, TaskRec

PREPARE_FRACTION = 0.25
"""Share of ``action_seconds`` an instance spends preparing (3004) before running (3002)."""


class ExecutionMixin(StateCore, ABC):
    """Start, finish, skip and terminate the runs of actions; derive an action's status."""

    @abstractmethod
    def _settle(self, task: TaskRec, action: ActionRec, t: float) -> None:
        """Move the task on after ``action`` finished (rollback, automatic or manual mode)."""

    def _self_healing(self, action: ActionRec) -> bool:
        """A fault without a recovery action (reboot, switch, pod kill) ends by itself."""
        return action.is_fault and self.catalogue.recovery_of(action.definition) is None

    def _fail_reason(self, action: ActionRec, inst: InstanceRec, timeout: float | None) -> str | None:
        """Why this run of ``action`` on ``inst`` will fail: chaos first, then the action's timeout."""
        kind = "fault" if action.is_fault else "recovery"
        if object_key(inst.object_id) in self.failing_instances and self.failing_actions in ("all", kind):
            return "the instance is listed in the emulator's chaos failing_instances"
        if timeout is not None:
            return f"action timed out after {timeout:g} s (ActionTimeout)"
        return None

    def _start_run(self, task: TaskRec, action: ActionRec, targets: list[InstanceRec], t: float, why: str) -> None:
        """Start ``action`` on ``targets`` now; its timers finish the run.

        :param task: the task of the action.
        :param action: the action to run.
        :param targets: the instances to run it on (in parallel).
        :param t: the simulation time of the start.
        :param why: who started it, for the log lines.
        """
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
            inst.fail_reason = self._fail_reason(action, inst, timeout if timed_out else None)
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
                self.ledger.add(task, action, inst, t)
        self._log(task, t, f"{action.label()}: instances running")

    def _on_finished(self, task: TaskRec, action: ActionRec, token: int, t: float) -> None:
        if token != action.token:
            return
        for inst in action.running:
            ok = inst.fail_reason is None
            outcome = InstanceStatusType.SUCCESS if ok else InstanceStatusType.FAILED
            self._finish_instance(inst, t, outcome, redo=not ok)
            if ok:
                self._inst_log(inst, t, f"finished {action.title} on {inst.object_id}: success")
                self._log(task, t, f"{action.label()}: instance {inst.id} ({inst.object_id}) succeeded")
            else:
                self._inst_log(inst, t, f"finished {action.title} on {inst.object_id}: FAILED: {inst.fail_reason}")
                self._log(task, t, f"{action.label()}: instance {inst.id} ({inst.object_id}) failed: "
                                   f"{inst.fail_reason}", "ERROR")
            if not action.is_fault and ok:
                self.ledger.recover(action, inst)
            elif self._self_healing(action):
                self.ledger.remove(task, action, inst)
        action.running = []
        self._settle(task, action, t)

    def _finish_instance(
        self, inst: InstanceRec, t: float, outcome: InstanceStatusType, *, redo: bool = False, timed: bool = True,
    ) -> None:
        """Mark ``inst`` finished (3001) with ``outcome``.

        :param redo: whether the instance may be retried (``TaskGroupInstanceIsRedo``).
        :param timed: set the execution time (an instance that never started has none).
        """
        im = inst.model
        im.TaskGroupInstanceStatus = InstanceStatus.FINISHED
        im.TaskGroupInstanceStatusType = outcome
        im.TaskGroupInstanceEndTime = self.fmt(t)
        if timed:
            im.TaskGroupInstanceExecuteTime = round(t - (inst.started_at or t))
        im.TaskGroupInstanceIsRedo = redo
        im.TaskGroupInstanceUpdateTime = self.fmt(t)

    def _skip(self, task: TaskRec, action: ActionRec, targets: list[InstanceRec], t: float, reason: str) -> None:
        for inst in targets:
            self._finish_instance(inst, t, InstanceStatusType.SKIPPED, timed=False)
            self._inst_log(inst, t, f"skipped {action.title} on {inst.object_id}: {reason}")
        self._log(task, t, f"{action.label()}: skipped {len(targets)} instance(s): {reason}")
        self._update_action(task, action, t)

    def _terminate(self, task: TaskRec, action: ActionRec, t: float, reason: str) -> None:
        """Stop a running action now; what it already injected stays injected."""
        action.token += 1
        for inst in action.running:
            was_running = inst.status == InstanceStatus.RUNNING
            self._finish_instance(inst, t, InstanceStatusType.TERMINATED)
            note = " (the fault it injected is NOT recovered)" if was_running and action.is_fault else ""
            if self._self_healing(action):
                self.ledger.remove(task, action, inst)
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
