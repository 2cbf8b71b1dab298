"""What the CFG sensors share: poke = read + verdict, deferral with an absolute deadline, one handler."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseSensorOperator, conf

from airflow_provider_cfg.hooks.cfg import DEFAULT_CONN_ID, CfgHook
from airflow_provider_cfg.links.console import CfgConsoleLink, publish_experiment
from airflow_provider_cfg.operators.base import deadline_for, experiment_id_of

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_cfg.api.models import Task
    from airflow_provider_cfg.core.progress import ProgressLog
    from airflow_provider_cfg.triggers.base import CfgPollingTrigger


class CfgBaseSensor(BaseSensorOperator):
    """Base of the CFG sensors (poke, reschedule and deferrable modes).

    :param experiment_id: the experiment (``TaskId``) (templated).
    :param cfg_conn_id: the ``tencentcloud_cfg`` connection (templated).
    :param region: region override (templated).
    :param poll_interval: seconds between reads (``poke_interval``), in every mode.
    :param deferrable: wait in the triggerer; ``timeout`` and ``execution_timeout`` still apply.
    """

    template_fields: Sequence[str] = ("experiment_id", "cfg_conn_id", "region")
    operator_extra_links = (CfgConsoleLink(),)
    ui_color = "#fde7d9"

    def __init__(
        self,
        *,
        experiment_id: int | str,
        cfg_conn_id: str = DEFAULT_CONN_ID,
        region: str | None = None,
        poll_interval: float | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        from airflow_provider_cfg.core.inputs import interval, wait_limit

        if poll_interval is not None:
            kwargs["poke_interval"] = interval(poll_interval)
        elif isinstance(kwargs.get("poke_interval"), (int, float)):
            interval(kwargs["poke_interval"], "poke_interval")
        if isinstance(kwargs.get("timeout"), (int, float)):  # a timedelta is finite by construction
            wait_limit(kwargs["timeout"], "timeout")
        super().__init__(**kwargs)
        self.experiment_id = experiment_id
        self.cfg_conn_id = cfg_conn_id
        self.region = region
        self.deferrable = deferrable
        self._published = False

    @cached_property
    def hook(self) -> CfgHook:
        return CfgHook(self.cfg_conn_id, region=self.region)

    # subclasses
    def verdict(self, task: Task) -> dict[str, Any] | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def trigger(self, experiment_id: int, deadline: float | None) -> CfgPollingTrigger:  # pragma: no cover - abstract
        raise NotImplementedError

    def progress(self, task: Task) -> str:
        """The progress line logged while waiting."""
        from airflow_provider_cfg.core.progress import experiment_progress

        return experiment_progress(task)

    @cached_property
    def _progress_log(self) -> ProgressLog:
        from airflow_provider_cfg.triggers.base import progress_log

        return progress_log(self.log)

    def poke(self, context: Context) -> bool:
        experiment_id = experiment_id_of(self.experiment_id)
        with self.hook.get_client() as client:
            if not self._published:  # once per process: the link works while waiting and after a failure
                publish_experiment(context, self.hook, client, experiment_id, self.log)
                self._published = True
            task = client.describe_task(experiment_id).require_task()
        event = self.verdict(task)
        if event is None:
            self._progress_log(self.progress(task))
            return False
        return self.handle(event)

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        if self.poke(context):  # checked once before deferring
            return None
        timeout = self.timeout.total_seconds() if isinstance(self.timeout, timedelta) else self.timeout
        deadline = deadline_for(timeout if timeout and timeout < 10**9 else None, self.execution_timeout)
        self.defer(
            trigger=self.trigger(experiment_id_of(self.experiment_id), deadline),
            method_name="execute_complete",
            timeout=None,
        )
        return None

    def execute_complete(self, context: Context, event: dict[str, Any]) -> None:
        self.handle(event)

    def handle(self, event: dict[str, Any]) -> bool:
        """One handler for every outcome: True on success, an exception otherwise."""
        from airflow.providers.common.compat.sdk import AirflowSensorTimeout

        from airflow_provider_cfg.core.events import FAILED, SUCCESS, TIMEOUT, validate_event
        from airflow_provider_cfg.exceptions import CfgExperimentStatusError, CfgStepFailedError, CfgTriggerError

        event = validate_event(event)
        if event["status"] == SUCCESS:
            self.log.info("%s", event.get("message"))
            return True
        if event["status"] == FAILED:
            error = CfgStepFailedError if "task_action_id" in event else CfgExperimentStatusError
            raise error(event.get("message"))
        if event["status"] == TIMEOUT:
            raise AirflowSensorTimeout(event.get("message"))
        raise CfgTriggerError(event.get("message"))
