"""Trigger or recover an experiment's guardrail (``TriggerPolicy``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.operators.base import CfgBaseOperator, experiment_id_of

if TYPE_CHECKING:
    from airflow.sdk import Context


class CfgTriggerGuardrailOperator(CfgBaseOperator):
    """Trigger the experiment's guardrail — CFG then pauses the experiment or rolls it back
    sequentially, as configured (``PolicyDealType``) — or recover it.

    Not repeated blindly: CFG appends a log entry per call, so after an ambiguous failure the
    guardrail state is re-read before deciding whether to call again.

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
        from airflow_provider_cfg.api.errors import CfgOutcomeUnknownError

        task_id = experiment_id_of(self.experiment_id)
        kind = TriggerType.RECOVER if self.recover else TriggerType.TRIGGER
        with self.client() as client:
            self.publish_experiment(context, client, task_id)
            try:
                result = client.trigger_policy(task_id, self.name, self.content, kind)
            except CfgOutcomeUnknownError as exc:
                self.log.warning("TriggerPolicy outcome unknown (%s); reading the guardrail state", exc.cause)
                policy = client.describe_task(task_id).require_task().TaskPolicy
                landed = policy is not None and policy.is_triggered == (kind is TriggerType.TRIGGER)
                if not landed:
                    result = client.trigger_policy(task_id, self.name, self.content, kind)
                    return bool(result.Success)
                return True
            done = "recovered" if self.recover else "triggered"
            self.log.info("Guardrail of experiment %s %s: %s", task_id, done, result.Success)
            return bool(result.Success)
