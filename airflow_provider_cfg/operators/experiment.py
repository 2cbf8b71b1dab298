"""Operators on a whole experiment: start, pause, resume, end/conclude, guardrail, delete."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.operators.base import CfgBaseOperator, experiment_id_of, fail_unless_expected

if TYPE_CHECKING:

    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_cfg.api.client import CfgClient
    from airflow_provider_cfg.api.models import Task


class CfgStartExperimentOperator(CfgBaseOperator):
    """Start an experiment: 1001 (not started) → 1002 (running).

    Idempotent: an experiment that is already running or paused is left as it is; an ended one is
    refused. In manual mode the first step then waits at 2002 for :class:`CfgExecuteStepOperator`.

    :param experiment_id: the experiment (``TaskId``) (templated).
    """

    template_fields: Sequence[str] = (*CfgBaseOperator.template_fields, "experiment_id")

    def __init__(self, *, experiment_id: int | str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.experiment_id = experiment_id

    def execute(self, context: Context) -> int:
        from airflow_provider_cfg.api.enums import TaskStatus
        from airflow_provider_cfg.core.settle import settle_mutation
        from airflow_provider_cfg.exceptions import CfgExperimentStatusError

        experiment_id = experiment_id_of(self.experiment_id)
        with self.client() as client:
            self.publish_experiment(context, client, experiment_id)

            def started() -> TaskStatus | None:
                """The status once started (running or paused); an ended experiment is refused."""
                status = client.describe_task(experiment_id).require_task().TaskStatus
                if status == TaskStatus.ENDED:
                    raise CfgExperimentStatusError(
                        f"experiment {experiment_id} has already ended; it cannot be started"
                    )
                return TaskStatus(status) if status in (TaskStatus.RUNNING, TaskStatus.PAUSED) else None

            status = started()
            if status is not None:
                self.log.info("Experiment %s is already %s", experiment_id, TaskStatus.describe(status))
                return experiment_id
            settle_mutation(lambda: client.execute_task(experiment_id), started, what="ExecuteTask", logger=self.log)
            self.log.info("Experiment %s started", experiment_id)
        return experiment_id


class _CfgRunStatusOperator(CfgBaseOperator):
    """Read the experiment, change its status unless it already has the wanted one."""

    template_fields: Sequence[str] = (*CfgBaseOperator.template_fields, "experiment_id")

    def __init__(self, *, experiment_id: int | str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.experiment_id = experiment_id

    def change(self, client: CfgClient, task: Task) -> int:  # pragma: no cover - abstract
        """Change the status if needed; return the experiment's ``TaskId`` (the task's XCom value)."""
        raise NotImplementedError

    def execute(self, context: Context) -> Any:
        experiment_id = experiment_id_of(self.experiment_id)
        with self.client() as client:
            self.publish_experiment(context, client, experiment_id)
            task = client.describe_task(experiment_id).require_task()
            return self.change(client, task)


class CfgPauseExperimentOperator(_CfgRunStatusOperator):
    """Pause a running experiment (1002 → 1003); a paused one is left paused.

    :param experiment_id: the experiment (``TaskId``) (templated).
    """

    def change(self, client: CfgClient, task: Task) -> int:
        from airflow_provider_cfg.api.enums import TaskStatus

        if task.TaskStatus != TaskStatus.PAUSED:
            client.pause_task(_experiment_id(task))
            self.log.info("Experiment %s paused", task.TaskId)
        return _experiment_id(task)


class CfgResumeExperimentOperator(_CfgRunStatusOperator):
    """Resume a paused experiment (1003 → 1002); a running one is left running.

    :param experiment_id: the experiment (``TaskId``) (templated).
    """

    def change(self, client: CfgClient, task: Task) -> int:
        from airflow_provider_cfg.api.enums import TaskStatus

        if task.TaskStatus != TaskStatus.RUNNING:
            client.resume_task(_experiment_id(task))
            self.log.info("Experiment %s resumed", task.TaskId)
        return _experiment_id(task)


class CfgEndExperimentOperator(_CfgRunStatusOperator):
    """End an experiment with its conclusion (``ModifyTaskRunStatus`` 1004).

    Ending does not recover faults: end after the recovery steps (or use the rollback teardown).
    An experiment that already has a conclusion keeps it; one that ended by itself without a
    conclusion (automatic mode) gets this one recorded.

    Airflow shows CFG's verdict: when the experiment ends "not as expected" by this conclusion, or
    was ended by someone or something else before it (a halt-all, a rollback, someone in the
    console — whatever their verdict), the task fails
    (:class:`~airflow_provider_cfg.operators.base.CfgVerdictError`, not retried) with a message
    saying who or what ended it and CFG's verdict and summary, after the conclusion and the report
    are written. A conclusion this task wrote in an earlier try (the same summary) is its own.

    :param experiment_id: the experiment (``TaskId``) (templated).
    :param summary: the conclusion, CFG's ``Summary`` (templated).
    :param is_expect: whether the system behaved as expected, CFG's ``IsExpect``.
    :param issue: problems found and improvements (templated).
    :param record: the experiment record (templated).
    :param report_path: where to also write the game-day report (Markdown and JSON): any Airflow
        object storage URL, e.g. ``file:///reports`` or ``s3://bucket/game-days`` (templated).
    :param fail_on_unexpected: fail the task when CFG's verdict is not as expected (default); false
        for teams that only record (the verdict is logged as a warning).
    """

    template_fields: Sequence[str] = (
        *_CfgRunStatusOperator.template_fields, "summary", "issue", "record", "is_expect", "report_path",
    )

    def __init__(
        self,
        *,
        summary: str | None = None,
        is_expect: bool | str | None = None,
        issue: str | None = None,
        record: str | None = None,
        report_path: str | None = None,
        fail_on_unexpected: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.report_path = report_path
        self.fail_on_unexpected = fail_on_unexpected
        self._checks: dict[str, Any] | None = None
        self.summary = summary
        self.is_expect = is_expect
        self.issue = issue
        self.record = record

    def conclusion(self, client: CfgClient, task: Task, context: Context) -> tuple[str, bool]:
        if not self.summary:
            raise ValueError("summary is required to end an experiment (CFG's Summary)")
        return self.summary, as_bool(self.is_expect, "is_expect")

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_cfg.core.conclusion import as_expected
        from airflow_provider_cfg.core.rollback import concluded

        experiment_id = experiment_id_of(self.experiment_id)
        with self.client() as client:
            self.publish_experiment(context, client, experiment_id)
            task = client.describe_task(experiment_id).require_task()
            if concluded(task):
                result = {
                    "experiment_id": experiment_id,
                    "is_expect": as_expected(task),
                    "summary": task.TaskSummary,
                    "already_ended": True,
                }
                if self.concluded_by_this_task(client, task, context):  # an earlier try of this task
                    if as_expected(task):
                        self.log.info("Experiment %s was already concluded by this task, as expected", experiment_id)
                        return result
                    message = f"Experiment {experiment_id} concluded NOT as expected by this task: {task.TaskSummary}"
                else:
                    message = self.ended_before(client, task)
                fail_unless_expected(self.log, message, self.fail_on_unexpected)
                return result
            summary, is_expect = self.conclusion(client, task, context)
            verdict = "as expected" if is_expect else "NOT as expected"
            stored = self._end(client, experiment_id, summary, is_expect)
            checks = self._checks
            if stored:
                self.log.info("Experiment %s ended: %s — %s", experiment_id, verdict, summary)
            else:
                self.log.warning(
                    "CFG ended experiment %s itself and refused to store the conclusion: CFG does NOT hold it. "
                    "The verdict stands here, in XCom and in the report: %s — %s", experiment_id, verdict, summary,
                )
                note = {"passed": is_expect, "detail": f"verdict {verdict}, not stored by CFG (it refused the "
                                                       f"conclusion of an experiment it ended itself): {summary}"}
                checks = {**(checks or {}), "conclusion (not stored in CFG)": note}
            self.publish_report(context, client, experiment_id, checks=checks, report_path=self.report_path)
        result = {"experiment_id": experiment_id, "is_expect": is_expect, "summary": summary, "already_ended": False,
                  "stored_in_cfg": stored}
        if not is_expect:
            message = f"Experiment {experiment_id} concluded NOT as expected by this task: {summary}"
            fail_unless_expected(self.log, message, self.fail_on_unexpected)
        return result

    def concluded_by_this_task(self, client: CfgClient, task: Task, context: Context) -> bool:
        """The conclusion in CFG is the one this task writes (a retry after its own end landed):
        the same summary, composed again from the same record; anything else was written by
        someone or something other than this DAG run's conclusion."""
        try:
            summary, _ = self.conclusion(client, task, context)
        except Exception:  # cannot compose it again (no summary given…): not this task's
            self.log.debug("Could not compose the conclusion again", exc_info=True)
            return False
        return (task.TaskSummary or "").strip() == summary.strip()

    def ended_before(self, client: CfgClient, task: Task) -> str:
        """Who or what ended the experiment before this task, and CFG's verdict (the guardrail log
        is read best effort: the message is given without it when it cannot be read)."""
        from airflow_provider_cfg.core.conclusion import ended_message

        try:
            logs = client.describe_task_policy_trigger_log(_experiment_id(task), page=1, page_size=100).TriggerLogs
        except Exception:  # the verdict is known without the log
            self.log.warning("Could not read the guardrail log of experiment %s", task.TaskId, exc_info=True)
            logs = None
        message = ended_message(task.TaskId, task.TaskExpect, task.TaskSummary, logs or [])
        return f"{message} (it was ended by someone or something other than this task, before it concluded it)"

    def _end(self, client: CfgClient, experiment_id: int, summary: str, is_expect: bool) -> bool:
        """End with the conclusion; ``False`` when CFG refused it for an experiment it ended itself
        (learnt by reading the experiment, not from the error code)."""
        from airflow_provider_cfg.api.enums import TaskStatus
        from airflow_provider_cfg.api.errors import CfgApiError
        from airflow_provider_cfg.core.rollback import concluded

        try:
            client.end_task(experiment_id, summary=summary, is_expect=is_expect, issue=self.issue, record=self.record)
        except CfgApiError:
            now = client.describe_task(experiment_id).require_task()
            if concluded(now):
                return True  # the conclusion is there (an answer lost after it landed)
            if now.TaskStatus == TaskStatus.ENDED:
                return False
            raise
        return True


class CfgConcludeExperimentOperator(CfgEndExperimentOperator):
    """End an experiment with a conclusion composed from what actually happened.

    The summary lists each step's outcome and timing (from ``DescribeTask``), the steady-state
    checks and their results, and any guardrail triggers (``DescribeTaskPolicyTriggerLog``), so
    that CFG's record matches Airflow's. ``IsExpect`` is true only if every step succeeded (or was
    skipped), every check passed and no guardrail fired.

    :param experiment_id: the experiment (``TaskId``) (templated).
    :param checks: steady-state check results: ``{"name": bool | {"passed": bool, "detail": str}}``,
        usually pulled from XCom (templated; a JSON string is accepted).
    :param check_task_ids: Airflow task ids whose return values are check results (pulled from XCom).
    :param summary: a sentence to put first (templated).
    """

    template_fields: Sequence[str] = (*CfgEndExperimentOperator.template_fields, "checks")

    def __init__(
        self,
        *,
        checks: Mapping[str, Any] | str | None = None,
        check_task_ids: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.checks = checks
        self.check_task_ids = list(check_task_ids)

    def gather_checks(self, context: Context) -> dict[str, dict[str, Any]]:
        import json

        raw: dict[str, Any] = {}
        if isinstance(self.checks, str):
            raw.update(json.loads(self.checks) if self.checks.strip() else {})
        elif self.checks:
            raw.update(self.checks)
        for check_task_id in self.check_task_ids:
            raw[check_task_id] = context["ti"].xcom_pull(task_ids=check_task_id)
        return {name: _check(name, value) for name, value in raw.items()}

    def conclusion(self, client: CfgClient, task: Task, context: Context) -> tuple[str, bool]:
        from airflow_provider_cfg.core.conclusion import compose_conclusion

        logs = client.describe_task_policy_trigger_log(_experiment_id(task), page=1, page_size=100).TriggerLogs or []
        self._checks = self.gather_checks(context)
        verdict = compose_conclusion(task, self._checks, logs, lead=self.summary)
        return verdict.summary, verdict.is_expect


def _experiment_id(task: Task) -> int:
    """The experiment's ``TaskId``, which ``DescribeTask`` always returns: without it the answer is
    unreadable, and raises :class:`CfgTransportError` like any other unreadable answer."""
    from airflow_provider_cfg.api.errors import CfgTransportError

    if task.TaskId is None:
        raise CfgTransportError("DescribeTask", "response without Task.TaskId", sent=True)
    return task.TaskId


def as_bool(value: Any, field: str) -> bool:
    """A flag given as a bool or as rendered template text (``"true"``, ``"False"``, ``"1"``, ``"no"``…).

    :param field: the parameter's name, for the error.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    raise ValueError(f"{field} must be true or false, got {value!r}")


def _check(name: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"passed": value, "detail": ""}
    if isinstance(value, Mapping) and isinstance(value.get("passed"), bool):
        return {"passed": value["passed"], "detail": str(value.get("detail", ""))}
    # A check that did not report (skipped, failed upstream, no XCom) cannot count as passed.
    return {"passed": False, "detail": f"no result ({value!r})"}


class CfgTriggerGuardrailOperator(CfgBaseOperator):
    """Trigger the experiment's guardrail — CFG then pauses the experiment or rolls it back
    sequentially, as configured (``PolicyDealType``) — or recover it.

    Not repeated blindly: CFG appends a log entry per call, so after a failed call the guardrail
    state is read before deciding whether to call again (:func:`settle_mutation`).

    :param experiment_id: the experiment (``TaskId``) (templated).
    :param name: what fired, shown in CFG's guardrail log (templated).
    :param content: why (templated).
    :param recover: recover (clear) the guardrail instead of triggering it.
    """

    template_fields: Sequence[str] = (*CfgBaseOperator.template_fields, "experiment_id", "name", "content")

    def __init__(
        self, *, experiment_id: int | str, name: str, content: str, recover: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.experiment_id = experiment_id
        self.name = name
        self.content = content
        self.recover = recover

    def execute(self, context: Context) -> bool:
        from airflow_provider_cfg.api.enums import TriggerType
        from airflow_provider_cfg.core.settle import settle_mutation

        experiment_id = experiment_id_of(self.experiment_id)
        kind = TriggerType.RECOVER if self.recover else TriggerType.TRIGGER
        with self.client() as client:
            self.publish_experiment(context, client, experiment_id)

            def landed() -> bool | None:
                policy = client.describe_task(experiment_id).require_task().TaskPolicy
                return True if policy is not None and policy.is_triggered == (kind is TriggerType.TRIGGER) else None

            result = settle_mutation(
                lambda: bool(client.trigger_policy(experiment_id, self.name, self.content, kind).Success),
                landed,
                what="TriggerPolicy",
                logger=self.log,
            )
            done = "recovered" if self.recover else "triggered"
            self.log.info("Guardrail of experiment %s %s: %s", experiment_id, done, result)
            return result


class CfgDeleteExperimentOperator(CfgBaseOperator):
    """Delete an experiment. One that no longer exists counts as deleted (``missing_ok``).

    :param experiment_id: the experiment (``TaskId``) (templated).
    :param missing_ok: succeed when the experiment is already gone.
    """

    template_fields: Sequence[str] = (*CfgBaseOperator.template_fields, "experiment_id")

    def __init__(self, *, experiment_id: int | str, missing_ok: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.experiment_id = experiment_id
        self.missing_ok = missing_ok

    def execute(self, context: Context) -> bool:
        from airflow_provider_cfg.core.settle import settle_mutation

        experiment_id = experiment_id_of(self.experiment_id)
        with self.client() as client:

            def gone() -> bool | None:
                # Existence is read (DescribeTaskList with TaskIdList), never inferred from an error code:
                # CFG documents none for an unknown TaskId of DeleteTask.
                listing = client.describe_task_list(task_ids=[experiment_id])
                return None if any(item.TaskId == experiment_id for item in listing.TaskList or []) else True

            if gone():
                if not self.missing_ok:
                    raise ValueError(f"experiment {experiment_id} does not exist (DescribeTaskList) and missing_ok "
                                     "is false")
                self.log.info("Experiment %s does not exist (already deleted)", experiment_id)
                return False
            settle_mutation(lambda: client.delete_task(experiment_id), gone, what="DeleteTask", logger=self.log)
        self.log.info("Experiment %s deleted", experiment_id)
        return True
