"""Guardrail ("护栏", protection policy) models: a task's policy and the trigger log."""

from __future__ import annotations

from airflow_provider_cfg.api.models.base import CfgModel
from airflow_provider_cfg.api.models.fields import PolicyDealTypeField, TriggerTypeField

POLICY_TRIGGERED = "已触发"
"""``DescribePolicy.TaskPolicyStatus`` when the guardrail has been triggered."""
POLICY_NOT_TRIGGERED = "未触发"
"""``DescribePolicy.TaskPolicyStatus`` when the guardrail has not been triggered."""
POLICY_RECOVERED = "已恢复"
"""``DescribePolicy.TaskPolicyStatus`` when the guardrail has been recovered."""


class DescribePolicy(CfgModel):
    """The guardrail of a task (``Task.TaskPolicy``; there is no class named ``TaskPolicy``)."""

    TaskPolicyIdList: list[str] | None = None
    TaskPolicyStatus: str | None = None
    TaskPolicyRule: str | None = None
    TaskPolicyDealType: PolicyDealTypeField = None

    @property
    def is_triggered(self) -> bool:
        """``TaskPolicyStatus`` is the literal ``"已触发"`` (triggered)."""
        return self.TaskPolicyStatus == POLICY_TRIGGERED


class PolicyTriggerLog(CfgModel):
    """One guardrail trigger/recover event (note the API's spelling ``CreatTime``)."""

    TaskId: int | None = None
    Name: str | None = None
    TriggerType: TriggerTypeField = None
    Content: str | None = None
    CreatTime: str | None = None


__all__ = [
    "POLICY_NOT_TRIGGERED",
    "POLICY_RECOVERED",
    "POLICY_TRIGGERED",
    "DescribePolicy",
    "PolicyTriggerLog",
]
