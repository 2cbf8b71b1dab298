"""A task's lifecycle: start it (``ExecuteTask``), pause, resume or end it (``ModifyTaskRunStatus``),
delete it (``DeleteTask``)."""

from __future__ import annotations

from airflow_provider_cfg.api.enums import TaskExpect, TaskMode, TaskStatus
from airflow_provider_cfg.emulator.errors import ApiError, bad_value, failed
from airflow_provider_cfg.emulator.state.automatic import AutomaticMixin
from airflow_provider_cfg.emulator.state.creation import CreationMixin
from airflow_provider_cfg.emulator.state.records import TaskRec


class LifecycleMixin(AutomaticMixin, CreationMixin):
    """Start, pause, resume, end and delete tasks."""

    def execute_task(self, region: str, task_id: int) -> None:
        """``ExecuteTask``: start a task that has not started; automatic mode takes its first step."""
        task = self.task(region, task_id)
        t = self.t
        status = task.status
        if status in (TaskStatus.RUNNING, TaskStatus.PAUSED):
            raise failed(f"task {task_id} has already been started (TaskStatus {TaskStatus.describe(status)}); "
                         "ExecuteTask only starts a task that has not started (1001)")
        if status == TaskStatus.ENDED:
            raise failed(f"task {task_id} has ended (TaskStatus 1004) and cannot be executed again")
        self._materialise_instances(task, self.fmt(t))
        task.model.TaskStatus = TaskStatus.RUNNING
        task.model.TaskStartTime = self.fmt(t)
        task.started_at = t
        self._touch(task, t)
        self._log(task, t, f"Task {task_id} started (ExecuteTask), mode {TaskMode.describe(task.model.TaskMode)}")
        self._proceed(task, t)

    def modify_status(
        self, region: str, task_id: int, status: int, is_expect: bool | None, summary: str | None,
        issue: str | None, record: str | None,
    ) -> None:
        """``ModifyTaskRunStatus``: resume (1002), pause (1003) or end (1004) a task.

        Ending needs the conclusion (``is_expect``, ``summary``); a task that ended by itself
        (automatic mode) takes its conclusion once.

        :param region: the region of the task.
        :param task_id: CFG's TaskId.
        :param status: the status wanted.
        :param is_expect: whether the experiment went as expected (ending only).
        :param summary: the conclusion's summary (ending only).
        :param issue: the issue found, if any.
        :param record: a free-text experiment record, logged.
        """
        _check_status_request(status, is_expect, summary)
        task = self.task(region, task_id)
        t = self.t
        current = task.status
        now_text = TaskStatus.describe(current)
        if current == TaskStatus.ENDED and status == TaskStatus.ENDED and task.model.TaskExpect is None:
            # Ended by itself (automatic mode) without a conclusion: record it, once (variant
            # conclusion_after_end: or refuse it).
            if self.variants.conclusion_after_end == "refused":
                raise failed(f"task {task_id} has ended (TaskStatus 1004); its status can no longer change")
            _set_conclusion(task, is_expect, summary, issue)
            self._touch(task, t)
            self._log(task, t, "Conclusion recorded on the ended task (ModifyTaskRunStatus 1004)")
            self._log_record(task, t, record)
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
            self._proceed(task, t)
        else:
            self._end_by_request(task, t, is_expect, summary, issue, record)

    def _end_by_request(
        self, task: TaskRec, t: float, is_expect: bool | None, summary: str | None, issue: str | None,
        record: str | None,
    ) -> None:
        """End a task on request: the running action is terminated, the faults stay in place."""
        outcome = task.outcome()  # before the termination: an action still running means "terminated"
        running = task.running_action()
        if running is not None:
            self._terminate(task, running, t, "the task was ended (ModifyTaskRunStatus 1004)")
        _set_conclusion(task, is_expect, summary, issue)
        self._log_record(task, t, record)
        self._end(task, t, outcome, "ModifyTaskRunStatus 1004")
        left = self.ledger.of_task(task.id)
        if left and self.variants.end_recovers == "yes":
            self.ledger.clear_task(task.id)
            self._log(task, t, f"{len(left)} injected fault(s) of this task recovered by ending it")
        elif left:
            self._log(task, t, f"{len(left)} injected fault(s) of this task are still in place: ending a task "
                               "does not recover faults", "WARN")

    def _log_record(self, task: TaskRec, t: float, record: str | None) -> None:
        if record:
            self._log(task, t, f"Experiment record: {record}")

    def delete_task(self, region: str, task_id: int) -> None:
        """``DeleteTask``: forget a task that is not running or paused (its faults stay in the ledger)."""
        task = self.task(region, task_id)
        if task.status in (TaskStatus.RUNNING, TaskStatus.PAUSED):
            raise failed(f"task {task_id} is {TaskStatus.describe(task.status)}; end it (ModifyTaskRunStatus 1004) "
                         "before deleting it")
        del self.tasks[task_id]


def _check_status_request(status: int, is_expect: bool | None, summary: str | None) -> None:
    """The checks of a ``ModifyTaskRunStatus`` request that need no task."""
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


def _set_conclusion(task: TaskRec, is_expect: bool | None, summary: str | None, issue: str | None) -> None:
    task.model.TaskExpect = TaskExpect.MET if is_expect else TaskExpect.NOT_MET
    task.model.TaskSummary = summary
    task.model.TaskIssue = issue
