"""Registry of the 17 CFG actions (API version 2021-08-20) with their models and rate limits."""

from __future__ import annotations

from dataclasses import dataclass

from airflow_provider_cfg.api import models as m
from airflow_provider_cfg.api.models.base import CfgModel

API_VERSION = "2021-08-20"
SERVICE = "cfg"


@dataclass(frozen=True)
class ActionSpec:
    """One CFG action: its wire name, request/response models and documented limits."""

    name: str
    """Wire name, sent as ``X-TC-Action`` (e.g. ``"DescribeTask"``)."""
    request: type[CfgModel]
    response: type[CfgModel]
    rate_limit: int
    """Documented requests per second (per API, access region and sub-account)."""
    mutating: bool
    """Whether the call changes state; mutating calls carry no ``ClientToken``, so a call whose
    outcome is unknown must not be retried blindly."""


def _spec(name: str, rate_limit: int, mutating: bool) -> ActionSpec:
    return ActionSpec(
        name=name,
        request=getattr(m, f"{name}Request"),
        response=getattr(m, f"{name}Response"),
        rate_limit=rate_limit,
        mutating=mutating,
    )


ACTIONS: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in (
        _spec("CreateTaskFromAction", 20, True),
        _spec("CreateTaskFromMultiAction", 20, True),
        _spec("CreateTaskFromTemplate", 10, True),
        _spec("DeleteTask", 10, True),
        _spec("DescribeActionFieldConfigList", 20, False),
        _spec("DescribeActionLibraryList", 100, False),
        _spec("DescribeObjectTypeList", 20, False),
        _spec("DescribeTask", 20, False),
        _spec("DescribeTaskExecuteLogs", 20, False),
        _spec("DescribeTaskList", 100, False),
        _spec("DescribeTaskPolicyTriggerLog", 20, False),
        _spec("DescribeTemplate", 20, False),
        _spec("DescribeTemplateList", 100, False),
        _spec("ExecuteTask", 10, True),
        _spec("ExecuteTaskInstance", 10, True),
        _spec("ModifyTaskRunStatus", 10, True),
        _spec("TriggerPolicy", 20, True),
    )
}
"""Every action of the API, keyed by its wire name."""


def get_action(name: str) -> ActionSpec:
    """The spec of action ``name``; ``KeyError`` naming the known actions otherwise."""
    try:
        return ACTIONS[name]
    except KeyError:
        known = ", ".join(sorted(ACTIONS))
        raise KeyError(f"unknown CFG action {name!r}; known: {known}") from None


__all__ = ["ACTIONS", "API_VERSION", "SERVICE", "ActionSpec", "get_action"]
