"""The guardrail: ``TriggerPolicy`` triggers or recovers it, and a triggered one rolls back or pauses.

Triggered with policy 1 (sequential rollback), the running fault is terminated, then the pending
recovery actions of the faults that ran are run one by one in reverse order, then the task pauses;
with policy 2 it just pauses. While triggered, faults are refused.
"""

from __future__ import annotations

from airflow_provider_cfg.api import models as m
from airflow_provider_cfg.api.enums import PolicyDealType, TaskStatus, TriggerType
from airflow_provider_cfg.emulator.errors import bad_value, failed
from airflow_provider_cfg.emulator.state.automatic import AutomaticMixin
from airflow_provider_cfg.emulator.state.records import OPEN, ActionRec, TaskRec

DEAL_TYPE_TEXT = {deal.value: f"{deal.value} ({deal.text})" for deal in PolicyDealType}
"""The policies as the log lines name them, e.g. ``1 (sequential rollback)``."""


class GuardrailMixin(AutomaticMixin):
    """Trigger and recover the guardrail; run the sequential rollback."""

    def trigger_policy(self, region: str, task_id: int, name: str, content: str, trigger_type: int) -> None:
        """``TriggerPolicy``: trigger (0) or recover (1) the guardrail of a task that has not ended.

        :param region: the region of the task.
        :param task_id: CFG's TaskId.
        :param name: the name of the alarm that fired, as logged.
        :param content: what the alarm saw, as logged.
        :param trigger_type: 0 (trigger) or 1 (recover).
        """
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
                           f"{DEAL_TYPE_TEXT.get(deal, deal)}", "WARN")
        if task.status == TaskStatus.NOT_STARTED:
            return
        if deal == PolicyDealType.PAUSE:
            self._guardrail_pause(task, t)
        else:
            self._start_rollback(task, t)

    def _start_rollback(self, task: TaskRec, t: float) -> None:
        """Terminate the running fault, queue the pending recoveries of the faults that ran (last
        first) and start the first; the task pauses when the queue is done."""
        task.queue = []
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
        """The fault reached the running state on some instance: there may be something to recover."""
        return any(i.injected for i in fault.instances)

    def _rollback_next(self, task: TaskRec, t: float) -> None:
        """Start the next queued recovery that still has instances to run, or pause when none is left."""
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
        """Pause a running task (its automatic timers lapse) and show the next action as pending."""
        if task.status == TaskStatus.RUNNING:
            task.model.TaskStatus = TaskStatus.PAUSED
            task.auto_token += 1
            self._touch(task, t)
            self._log(task, t, "Task paused by the guardrail")
        self._mark_pending(task, t)
