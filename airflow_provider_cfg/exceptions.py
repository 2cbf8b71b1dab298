"""Airflow-facing errors of the CFG operators and sensors."""

from __future__ import annotations

from airflow.providers.common.compat.sdk import AirflowException


class CfgStepFailedError(AirflowException):
    """An action step finished with failed or terminated instances (the message has their logs)."""


class CfgExperimentStatusError(AirflowException):
    """The experiment reached a status the task did not accept (e.g. it ended while being watched)."""


class CfgWaitTimeoutError(AirflowException):
    """Waiting passed its deadline (``timeout`` or ``execution_timeout``)."""


class CfgTriggerError(AirflowException):
    """The trigger could not read the experiment (details in the message)."""
