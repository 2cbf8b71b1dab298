"""A guardrail that aborts: watch the steady state while a fault is live, and stop the experiment
at the first real breach."""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowFailException, conf

from airflow_provider_cfg.operators.base import CfgBaseOperator, experiment_id_of, fail_unless_expected

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_cfg.core.guard import GuardWatch, ProbeSpec
    from airflow_provider_cfg.triggers.guard import CfgSteadyStateGuardTrigger


class CfgSteadyStateBreachError(AirflowFailException):
    """The steady state was breached while a fault was injected; the experiment was aborted.

    Not retried: a retry would watch an experiment that has been rolled back and ended.
    """


class CfgSteadyStateGuardOperator(CfgBaseOperator):
    """Watch the system's steady state *during* a fault and abort the experiment when it breaks.

    Every ``poll_interval`` seconds for ``duration`` seconds the guard probes the system once and
    reads the experiment once. After ``failures_to_trip`` consecutive failed probes it triggers the
    experiment's guardrail (``TriggerPolicy``: CFG then pauses the experiment or rolls it back
    sequentially, per its ``PolicyDealType``), runs the provider's rollback (every injected fault
    recovered, the experiment ended with ``IsExpect=false``) when ``rollback_on_breach``, and fails
    the task (:class:`CfgSteadyStateBreachError`, not retried). A single failed probe does not trip
    it. If the experiment ends meanwhile the guard stops early: there is nothing left to guard; it
    fails (:class:`~airflow_provider_cfg.operators.base.CfgVerdictError`) unless the experiment ended
    as expected, naming who or what ended it (a halt-all, a rollback, someone in the console) and
    CFG's verdict — a game day halted from outside never shows green.

    Place it after the step that injects the fault (and before the recovery)::

        inject >> CfgSteadyStateGuardOperator(task_id="guard", experiment_id=EXPERIMENT,
                                              probe_url="https://shop.example.com/health",
                                              max_latency_ms=800, duration=300, poll_interval=10) >> recover

    Returns a check ``{"passed": bool, "detail": str, ...}`` for
    ``CfgConcludeExperimentOperator(check_task_ids=[...])``: ``passed`` when the whole duration was
    watched without tripping, or the experiment ended after at least one probe without tripping.

    Deferrable mode watches in the triggerer (:class:`~airflow_provider_cfg.triggers.guard.CfgSteadyStateGuardTrigger`),
    the synchronous mode in the worker; both run the same watch
    (:class:`~airflow_provider_cfg.core.guard.GuardWatch`, :func:`airflow_provider_cfg.core.probes.judge`)
    and every outcome goes through :meth:`execute_complete`.

    :param experiment_id: the experiment (``TaskId``) (templated).
    :param probe_url: URL to GET; healthy means ``expected_status``, within ``max_latency_ms``, and
        ``expected_value`` at ``json_path`` when given (templated).
    :param probe_callable: instead of ``probe_url``, a function as an import path
        ``"package.module:function"``; it takes no arguments and returns a bool or
        ``{"passed": bool, "detail": str}`` (may be ``async``); an exception it raises is a failed
        probe (templated).
    :param expected_status: acceptable HTTP status codes.
    :param max_latency_ms: slowest acceptable answer in ms, ``None`` for no limit (templated).
    :param json_path: dotted path into the JSON body, e.g. ``"status.db"`` (templated).
    :param expected_value: the value expected at ``json_path`` (templated; JSON types only).
    :param poll_interval: seconds between probes.
    :param duration: how long to watch, in seconds.
    :param failures_to_trip: consecutive failed probes before tripping (default 2: one blip is not a breach).
    :param probe_timeout: seconds one probe may take; slower is a failed probe.
    :param deferrable: watch in the triggerer instead of holding a worker slot.
    :param rollback_on_breach: after triggering the guardrail, also run the provider's rollback
        (recover every fault, end the experiment with ``IsExpect=false``).
    :param rollback_on_kill: roll the experiment back if this task is killed while watching (an
        unguarded fault is not left running).
    :param fail_on_unexpected: fail when the experiment ended under the guard other than as expected
        (default); false for teams that only record (the check is returned, the ending logged).
    """

    template_fields: Sequence[str] = (
        *CfgBaseOperator.template_fields,
        "duration",
        "experiment_id", "probe_url", "probe_callable", "max_latency_ms", "json_path", "expected_value",
    )
    ui_color = "#fbd3c1"

    def __init__(
        self,
        *,
        experiment_id: int | str,
        probe_url: str | None = None,
        probe_callable: str | None = None,
        expected_status: Collection[int] = (200,),
        max_latency_ms: float | str | None = 2000.0,
        json_path: str | None = None,
        expected_value: Any = None,
        poll_interval: float = 10.0,
        duration: float = 300.0,
        failures_to_trip: int = 2,
        probe_timeout: float = 10.0,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        rollback_on_breach: bool = True,
        rollback_on_kill: bool = True,
        fail_on_unexpected: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (probe_url is None) == (probe_callable is None):
            raise ValueError("give exactly one of probe_url and probe_callable")
        from airflow_provider_cfg.core.inputs import check_number, interval

        interval(poll_interval)
        check_number(probe_timeout, "probe_timeout", minimum=0, maximum=3600, inclusive=False)
        check_number(failures_to_trip, "failures_to_trip", minimum=1, maximum=1000, integer=True)
        if not isinstance(duration, str):  # a template ("{{ params.watch_seconds }}") is checked once rendered
            _positive_duration(duration)
        codes = [int(code) for code in expected_status]
        if not codes:
            raise ValueError("expected_status must list at least one HTTP status code")
        self.experiment_id = experiment_id
        self.probe_url = probe_url
        self.probe_callable = probe_callable
        self.expected_status = codes
        self.max_latency_ms = max_latency_ms
        self.json_path = json_path
        self.expected_value = expected_value
        self.poll_interval = float(poll_interval)
        self.duration = duration
        self.failures_to_trip = int(failures_to_trip)
        self.probe_timeout = float(probe_timeout)
        self.deferrable = deferrable
        self.rollback_on_breach = rollback_on_breach
        self.rollback_on_kill = rollback_on_kill
        self.fail_on_unexpected = fail_on_unexpected

    # -- the watch ------------------------------------------------------------------------------

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_cfg.api.enums import TaskStatus
        from airflow_provider_cfg.core.guard import GuardWatch, watch
        from airflow_provider_cfg.triggers.base import progress_log

        self.duration = _positive_duration(self.duration)
        experiment_id = experiment_id_of(self.experiment_id)
        probe = self._probe_spec()
        started_at = time.time()
        guard = GuardWatch(
            experiment_id, probe.target, self.failures_to_trip, started_at,
            deadline=started_at + self.duration, poll_interval=self.poll_interval,
        )
        with self.client() as client:
            self.publish_experiment(context, client, experiment_id)
            task = client.describe_task(experiment_id).Task
            if task is not None and task.TaskStatus == TaskStatus.ENDED:
                return self.execute_complete(context, guard.ended(task))
            self.log.info(
                "Guarding experiment %s for %g s: probing %s every %g s, tripping after %s consecutive failures",
                experiment_id, self.duration, probe.target, self.poll_interval, self.failures_to_trip,
            )
            if self.deferrable:  # the trigger ends the watch
                self.defer(trigger=self._trigger(guard, probe), method_name="execute_complete", timeout=None)
            event = watch(guard, lambda: client.describe_task(experiment_id).Task, probe.probe, self.log,
                          progress=progress_log(self.log, guard.deadline))
        return self.execute_complete(context, event)

    def _probe_spec(self) -> ProbeSpec:
        """The rendered probe, checked: fail before watching anything when it cannot work."""
        from airflow_provider_cfg.core.guard import ProbeSpec, latency_limit

        probe = ProbeSpec(
            probe_url=self.probe_url, probe_callable=self.probe_callable,
            expected_status=tuple(self.expected_status), max_latency_ms=latency_limit(self.max_latency_ms),
            json_path=self.json_path, expected_value=self.expected_value, probe_timeout=self.probe_timeout,
        )
        probe.check()
        if self.execution_timeout is not None and self.execution_timeout.total_seconds() < self.duration:
            raise ValueError(
                f"execution_timeout ({self.execution_timeout.total_seconds():.0f} s) is shorter than the watch "
                f"duration ({self.duration:.0f} s): the guard would be stopped before its watch ends"
            )
        return probe

    def _trigger(self, guard: GuardWatch, probe: ProbeSpec) -> CfgSteadyStateGuardTrigger:
        from airflow_provider_cfg.triggers.guard import CfgSteadyStateGuardTrigger

        return CfgSteadyStateGuardTrigger.for_watch(
            guard, probe, cfg_conn_id=self.cfg_conn_id, region=self.region, rollback_on_kill=self.rollback_on_kill
        )

    # -- the one handler ------------------------------------------------------------------------

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """Every outcome — immediate, after the synchronous watch, or from the trigger — ends here."""
        from airflow_provider_cfg.core.conclusion import ended_as_expected
        from airflow_provider_cfg.core.events import BREACHED, ENDED, GUARD_STATUSES, PASSED, validate_event
        from airflow_provider_cfg.core.guard import conclusion_check
        from airflow_provider_cfg.exceptions import CfgTriggerError

        event = validate_event(event, GUARD_STATUSES, what="steady-state guard")
        if event["status"] == ENDED and not ended_as_expected(event.get("task_expect"), event.get("task_status_type")):
            fail_unless_expected(self.log, self._ended_under(event), self.fail_on_unexpected)
            return conclusion_check(event)
        if event["status"] in (PASSED, ENDED):
            self.log.info("%s", event.get("message"))
            return conclusion_check(event)
        if event["status"] == BREACHED:
            raise CfgSteadyStateBreachError(self._abort(context, event))
        raise CfgTriggerError(event.get("message"))

    def _ended_under(self, event: dict[str, Any]) -> str:
        """The experiment ended under the guard other than as expected: who or what ended it, CFG's
        verdict and summary (read again here; without them when CFG cannot be read)."""
        from airflow_provider_cfg.core.conclusion import ended_message

        experiment_id = int(event.get("experiment_id") or experiment_id_of(self.experiment_id))
        expect, summary, logs = event.get("task_expect"), None, []
        try:
            with self.client() as client:
                task = client.describe_task(experiment_id).require_task()
                expect, summary = task.TaskExpect, task.TaskSummary
                logs = client.describe_task_policy_trigger_log(experiment_id, page=1, page_size=100).TriggerLogs or []
        except Exception:  # the guard's own event still says that it ended and how
            self.log.warning("Could not read how experiment %s ended", experiment_id, exc_info=True)
        ended = ended_message(experiment_id, int(expect) if expect is not None else None, summary, logs)
        return f"The experiment ended under the steady-state guard. {ended}. Guard: {event.get('message')}"

    def _abort(self, context: Context, event: dict[str, Any]) -> str:
        """Trigger the guardrail, roll back (``rollback_on_breach``); the failure message says what was done."""
        from airflow_provider_cfg.core.guard import abort_after_breach

        experiment_id = int(event.get("experiment_id") or experiment_id_of(self.experiment_id))
        message = str(event.get("message"))
        self.log.error("%s", message)
        for failure in event.get("failures") or []:
            self.log.error("  probe %s: %s", failure.get("number"), failure.get("detail"))
        ti = context["ti"]
        content = f"{ti.dag_id}.{ti.task_id}: {message}"[:500]
        reason = f"steady-state guard {ti.dag_id}.{ti.task_id} tripped: {message}"[:400]
        done: list[str] = []
        try:
            with self.client() as client:
                abort_after_breach(
                    client, experiment_id, content, reason if self.rollback_on_breach else None, done, self.log
                )
        except Exception as exc:  # the breach is reported whatever happened while aborting
            self.log.exception("Aborting experiment %s after the breach failed", experiment_id)
            done.append(f"abort failed: {type(exc).__name__}: {exc}")
        return f"{message}. Experiment {experiment_id}: " + "; ".join(done)

    def on_kill(self) -> None:
        """Killed while watching: do not leave an unguarded fault running."""
        if not self.rollback_on_kill:
            return
        from airflow_provider_cfg.core.rollback import rollback_best_effort

        reason = "the steady-state guard was killed"
        rollback_best_effort(self.hook.get_client, experiment_id_of(self.experiment_id), reason, self.log)


def _positive_duration(value: Any) -> float:
    from airflow_provider_cfg.core.inputs import wait_limit

    try:
        seconds = float(value) if isinstance(value, str) else value
    except ValueError:
        raise ValueError(f"duration must be a number of seconds, got {value!r}") from None
    return float(wait_limit(seconds, "duration", optional=False) or 0)
