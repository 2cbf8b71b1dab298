"""A guardrail that aborts: watch the steady state while a fault is live, and stop the experiment
at the first real breach."""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import conf
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_cfg.operators.base import CfgBaseOperator, experiment_id_of

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_cfg.api.client import CfgClient
    from airflow_provider_cfg.core.probes import ProbeResult
    from airflow_provider_cfg.triggers.guard import CfgSteadyStateGuardTrigger, GuardWatch

GUARDRAIL_NAME = "Airflow steady-state guard"


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
    it. If the experiment ends meanwhile the guard stops early: there is nothing left to guard.

    Place it after the step that injects the fault (and before the recovery)::

        inject >> CfgSteadyStateGuardOperator(task_id="guard", experiment_id=EXPERIMENT,
                                              probe_url="https://shop.example.com/health",
                                              max_latency_ms=800, duration=300, poll_interval=10) >> recover

    Returns a check ``{"passed": bool, "detail": str, ...}`` for
    ``CfgConcludeExperimentOperator(check_task_ids=[...])``: ``passed`` when the whole duration was
    watched without tripping, or the experiment ended after at least one probe without tripping.

    Deferrable mode watches in the triggerer (:class:`~airflow_provider_cfg.triggers.guard.CfgSteadyStateGuardTrigger`),
    the synchronous mode in the worker; both feed the same rule
    (:class:`~airflow_provider_cfg.triggers.guard.GuardWatch`, :func:`airflow_provider_cfg.core.probes.judge`)
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
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (probe_url is None) == (probe_callable is None):
            raise ValueError("give exactly one of probe_url and probe_callable")
        if poll_interval <= 0:
            raise ValueError(f"poll_interval must be > 0 seconds, got {poll_interval!r}")
        if not isinstance(duration, str):  # a template ("{{ params.watch_seconds }}") is checked once rendered
            _positive_duration(duration)
        if int(failures_to_trip) < 1:
            raise ValueError(f"failures_to_trip must be at least 1, got {failures_to_trip!r}")
        if probe_timeout <= 0:
            raise ValueError(f"probe_timeout must be > 0 seconds, got {probe_timeout!r}")
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

    # -- the watch ------------------------------------------------------------------------------

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_cfg.api.enums import TaskStatus

        self.duration = _positive_duration(self.duration)

        task_id = experiment_id_of(self.experiment_id)
        self._check_configuration()
        started_at = time.time()
        trigger = self._trigger(task_id, started_at)
        with self.client() as client:
            self.publish_experiment(context, client, task_id)
            task = client.describe_task(task_id).Task
            if task is not None and task.TaskStatus == TaskStatus.ENDED:
                return self.execute_complete(context, trigger.watch().ended(task))
        self.log.info(
            "Guarding experiment %s for %g s: probing %s every %g s, tripping after %s consecutive failures",
            task_id, self.duration, trigger.target, self.poll_interval, self.failures_to_trip,
        )
        if self.deferrable:
            self.defer(trigger=trigger, method_name="execute_complete", timeout=None)  # the trigger ends the watch
        return self.execute_complete(context, self._watch(trigger))

    def _check_configuration(self) -> None:
        """Fail before watching anything when the probe cannot work (typed, templated values coerced)."""
        from airflow_provider_cfg.core.probes import check_probe_url, load_probe_callable

        if self.probe_callable:
            load_probe_callable(self.probe_callable)
        else:
            check_probe_url(self.probe_url)
        self.max_latency_ms = self._max_latency_ms()
        try:
            json.dumps(self.expected_value)
        except (TypeError, ValueError):
            raise ValueError(f"expected_value must be JSON-serialisable, got {self.expected_value!r}") from None
        if self.execution_timeout is not None and self.execution_timeout.total_seconds() < self.duration:
            raise ValueError(
                f"execution_timeout ({self.execution_timeout.total_seconds():.0f} s) is shorter than the watch "
                f"duration ({self.duration:.0f} s): the guard would be stopped before its watch ends"
            )

    def _max_latency_ms(self) -> float | None:
        """``max_latency_ms`` as a number of milliseconds (``None``, ``""`` or ``"None"``: no limit);
        a ``ValueError`` for anything else (it is templated, so it may be any text)."""
        value = self.max_latency_ms
        if value is None or value in ("", "None"):
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError(f"max_latency_ms must be a number of milliseconds, got {value!r}") from None

    def _trigger(self, task_id: int, started_at: float) -> CfgSteadyStateGuardTrigger:
        from airflow_provider_cfg.triggers.guard import CfgSteadyStateGuardTrigger

        return CfgSteadyStateGuardTrigger(
            task_id=task_id,
            cfg_conn_id=self.cfg_conn_id,
            region=self.region,
            poll_interval=self.poll_interval,
            deadline=started_at + self.duration,
            started_at=started_at,
            rollback_on_kill=self.rollback_on_kill,
            probe_url=self.probe_url,
            probe_callable=self.probe_callable,
            expected_status=self.expected_status,
            max_latency_ms=self._max_latency_ms(),
            json_path=self.json_path,
            expected_value=self.expected_value,
            probe_timeout=self.probe_timeout,
            failures_to_trip=self.failures_to_trip,
        )

    def _probe(self) -> ProbeResult:
        from airflow_provider_cfg.core.probes import callable_probe, check_probe_url, http_probe

        if self.probe_callable:
            return callable_probe(self.probe_callable)
        return http_probe(
            check_probe_url(self.probe_url), expected_status=self.expected_status,
            max_latency_ms=self._max_latency_ms(), json_path=self.json_path, expected_value=self.expected_value,
            timeout=self.probe_timeout,
        )

    def _watch(self, trigger: CfgSteadyStateGuardTrigger) -> dict[str, Any]:
        """The synchronous watch: the trigger's loop, in the worker, with the same rule and events."""
        from airflow_provider_cfg.api.enums import TaskStatus
        from airflow_provider_cfg.api.errors import CfgError
        from airflow_provider_cfg.triggers.base import waitable

        watch: GuardWatch = trigger.watch()
        failing_since: float | None = None
        with self.client() as client:
            while True:
                try:
                    task = client.describe_task(trigger.experiment_id).Task
                    failing_since = None
                    if task is not None and task.TaskStatus == TaskStatus.ENDED:
                        return watch.ended(task)
                except CfgError as exc:
                    now = time.monotonic()
                    failing_since = failing_since or now
                    if not waitable(exc) or now - failing_since >= trigger.error_patience:
                        return watch.error(f"cannot read the experiment: {exc}")
                    self.log.warning("Reading experiment %s failed (%s); still guarding", trigger.experiment_id, exc)
                try:
                    result = self._probe()
                except (TypeError, ValueError) as exc:
                    return watch.error(f"misconfigured probe: {exc}")
                event = watch.record(result)
                if event is not None:
                    return event
                self.log.info("Probe %s: %s — %s", watch.probes, "ok" if result.passed else "FAILED", result.detail)
                remaining = trigger.deadline - time.time()
                if remaining <= 0:
                    return watch.passed()
                time.sleep(min(self.poll_interval, remaining))

    # -- the one handler ------------------------------------------------------------------------

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """Every outcome — immediate, after the synchronous watch, or from the trigger — ends here."""
        from airflow_provider_cfg.exceptions import CfgTriggerError
        from airflow_provider_cfg.triggers.guard import BREACHED, ENDED, PASSED, validate_guard_event

        event = validate_guard_event(event)
        status = event["status"]
        check = {
            "passed": False,
            "detail": event.get("message") or "",
            "probes": event.get("probes", 0),
            "failed_probes": event.get("failed_probes", 0),
            "watched_seconds": event.get("watched_seconds"),
            "last_probe": event.get("last_probe"),
        }
        if status == PASSED:
            self.log.info("%s", event.get("message"))
            return {**check, "passed": True}
        if status == ENDED:
            self.log.info("%s", event.get("message"))
            return {**check, "passed": bool(event.get("probes")), "ended": True}
        if status == BREACHED:
            raise CfgSteadyStateBreachError(self._abort(context, event))
        raise CfgTriggerError(event.get("message"))

    def _abort(self, context: Context, event: dict[str, Any]) -> str:
        """Trigger the guardrail, roll back (``rollback_on_breach``); the failure message says what was done."""
        from airflow_provider_cfg.core.rollback import rollback_experiment

        task_id = int(event.get("task_id") or experiment_id_of(self.experiment_id))
        message = str(event.get("message"))
        self.log.error("%s", message)
        for failure in event.get("failures") or []:
            self.log.error("  probe %s: %s", failure.get("number"), failure.get("detail"))
        ti = context["ti"]
        content = f"{ti.dag_id}.{ti.task_id}: {message}"[:500]
        done: list[str] = []
        try:
            with self.client() as client:
                done.append(self._trigger_guardrail(client, task_id, content))
                if self.rollback_on_breach:
                    reason = f"steady-state guard {ti.dag_id}.{ti.task_id} tripped: {message}"[:400]
                    report = rollback_experiment(client, task_id, reason)
                    self.log.warning("Rollback of experiment %s: %s", task_id, report.summary())
                    if report.clean:
                        done.append("rolled back (faults recovered, experiment ended with IsExpect=false)")
                    else:
                        done.append("rollback INCOMPLETE, still injected: " + "; ".join(report.left_injected))
        except Exception as exc:  # the breach is reported whatever happened while aborting
            self.log.exception("Aborting experiment %s after the breach failed", task_id)
            done.append(f"abort failed: {type(exc).__name__}: {exc}")
        return f"{message}. Experiment {task_id}: " + "; ".join(done)

    def _trigger_guardrail(self, client: CfgClient, task_id: int, content: str) -> str:
        """``TriggerPolicy`` once; an ambiguous call is settled by reading the guardrail state."""
        from airflow_provider_cfg.api.enums import TriggerType
        from airflow_provider_cfg.api.errors import CfgApiError, CfgOutcomeUnknownError

        try:
            client.trigger_policy(task_id, GUARDRAIL_NAME, content, TriggerType.TRIGGER)
        except CfgOutcomeUnknownError as exc:
            self.log.warning("TriggerPolicy outcome unknown (%s); reading the guardrail state", exc.cause)
            policy = client.describe_task(task_id).require_task().TaskPolicy
            if policy is None or not policy.is_triggered:
                client.trigger_policy(task_id, GUARDRAIL_NAME, content, TriggerType.TRIGGER)
        except CfgApiError as exc:
            self.log.warning("TriggerPolicy on experiment %s refused: %s", task_id, exc)
            return f"guardrail not triggered ({exc.code}: {exc.message})"
        self.log.warning("Guardrail of experiment %s triggered: %s", task_id, content)
        return "guardrail triggered"

    def on_kill(self) -> None:
        """Killed while watching: do not leave an unguarded fault running."""
        if not self.rollback_on_kill:
            return
        from airflow_provider_cfg.core.rollback import rollback_experiment

        try:
            with self.client() as client:
                report = rollback_experiment(
                    client, experiment_id_of(self.experiment_id), "the steady-state guard was killed"
                )
            self.log.warning("Rollback of experiment %s: %s", report.task_id, report.summary())
        except Exception:  # best effort; the teardown rolls back as well
            self.log.warning("Rollback of experiment %s failed", self.experiment_id, exc_info=True)


def _positive_duration(value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"duration must be a number of seconds, got {value!r}") from None
    if seconds <= 0:
        raise ValueError(f"duration must be > 0 seconds, got {value!r}")
    return seconds
