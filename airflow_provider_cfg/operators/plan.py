"""Plan an experiment without creating it: resolve, check against a blast-radius policy, render.

``CfgPlanExperimentOperator`` takes the same inputs as the create operators (a template, one
library action or several) and a ``policy``; it uses read-only calls only, pushes the plan to XCom
(``plan`` as JSON, ``plan_markdown``), logs the Markdown, returns the plan dict, and fails — after
pushing — when the plan breaks its checks or the policy. The create operators run the very same
checks before creating (see :mod:`airflow_provider_cfg.operators.create`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.operators.base import CfgBaseOperator
from airflow_provider_cfg.operators.create import airflow_identity, publish_plan, wire_code_argument

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_cfg.api.client import CfgClient
    from airflow_provider_cfg.core.identity import AirflowIdentity
    from airflow_provider_cfg.core.plan.policy import BlastRadiusPolicy


class CfgPlanExperimentOperator(CfgBaseOperator):
    """Plan an experiment from a template, one library action or several, and check it; create nothing.

    Give exactly one of ``template_id``, ``action_id`` or ``actions`` (as for
    :class:`~airflow_provider_cfg.operators.create.CfgCreateExperimentFromTemplateOperator`,
    ``…FromActionOperator`` and ``…FromActionsOperator``).

    :param template_id: template id (templated); with ``instances`` (one list per group), ``mode``,
        ``action_parameters`` (``{"1.1": {"custom": {...}}}``) and ``task_config`` (templated).
    :param action_id: library action id (templated); with ``instances``, ``general_configuration`` and
        ``custom_configuration`` (templated).
    :param actions: ``[{"action_id": 462, "custom": {...}, "general": {...}}, ...]`` with ``instances`` (templated).
    :param policy: the blast-radius policy as a dict: ``max_instances_per_group``, ``max_risk_level``
        (1 low, 2 medium, 3 high), ``allowed_object_types`` (``ObjectTypeId`` list), ``require_recovery``
        (default true) (templated).
    :param fail_on_violation: fail the task (after pushing the plan) when the plan has violations.
    :param title: the experiment title the create operator would use (templated).
    """

    template_fields: Sequence[str] = (
        *CfgBaseOperator.template_fields,
        "template_id",
        "action_id",
        "actions",
        "instances",
        "action_parameters",
        "task_config",
        "general_configuration",
        "custom_configuration",
        "policy",
        "title",
    )
    ui_color = "#e8f4fd"

    def __init__(
        self,
        *,
        template_id: int | str | None = None,
        action_id: int | str | None = None,
        actions: Sequence[Mapping[str, Any]] | None = None,
        instances: Sequence[Any] | None = None,
        mode: str | int | None = None,
        action_parameters: Mapping[str, Mapping[str, Any]] | None = None,
        task_config: Mapping[str, Any] | None = None,
        general_configuration: Mapping[str, Any] | None = None,
        custom_configuration: Mapping[str, Any] | None = None,
        policy_deal_type: str | int | None = None,
        policy: Mapping[str, Any] | str | None = None,
        fail_on_violation: bool = True,
        title: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        given = [name for name, value in (("template_id", template_id), ("action_id", action_id), ("actions", actions))
                 if value is not None]
        if len(given) != 1:
            raise ValueError(
                "CfgPlanExperimentOperator needs exactly one of template_id, action_id or actions; "
                f"got {given or 'none'}"
            )
        self.template_id = template_id
        self.action_id = action_id
        self.actions = actions
        self.instances = instances
        self.mode = wire_code_argument(mode, "mode")
        self.action_parameters = action_parameters
        self.task_config = task_config
        self.general_configuration = general_configuration
        self.custom_configuration = custom_configuration
        self.policy_deal_type = wire_code_argument(policy_deal_type, "policy_deal_type")
        self.policy = policy
        self.fail_on_violation = fail_on_violation
        self.title = title

    @property
    def action(self) -> str:
        """The create call this plan stands for."""
        if self.template_id is not None:
            return "CreateTaskFromTemplate"
        return "CreateTaskFromAction" if self.action_id is not None else "CreateTaskFromMultiAction"

    def _policy(self) -> BlastRadiusPolicy:
        """The policy argument, given as a dict or (rendered from a template) as its JSON text."""
        import json

        from airflow_provider_cfg.core.plan.policy import BlastRadiusPolicy, PlanError

        policy = self.policy
        if isinstance(policy, str):  # a template rendered to JSON text
            text = policy
            try:
                policy = json.loads(text) if text.strip() else None
            except ValueError:
                raise PlanError(f"policy must be a dict (or its JSON text); got {text[:80]!r}") from None
        return BlastRadiusPolicy.from_value(policy)

    def build_params(self, client: CfgClient, identity: AirflowIdentity) -> dict[str, Any]:
        """The wire parameters of the create call this plan stands for."""
        from airflow_provider_cfg.core.requests import action_request, actions_request, template_request

        if self.template_id is not None:
            return template_request(
                client, identity, template_id=self.template_id, instances=self.instances, task_config=self.task_config,
                action_parameters=self.action_parameters, mode=self.mode, policy_deal_type=self.policy_deal_type,
                title=self.title,
            )
        if self.action_id is not None:
            return action_request(
                identity, action_id=self.action_id, instances=self.instances,
                general_configuration=self.general_configuration, custom_configuration=self.custom_configuration,
                title=self.title,
            )
        return actions_request(identity, instances=self.instances, actions=self.actions, title=self.title)

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_cfg.core.plan.build import plan_for_request
        from airflow_provider_cfg.core.requests import validate_request

        policy = self._policy()
        with self.client() as client:
            params = self.build_params(client, airflow_identity(context))
            validate_request(self.action, params)
            plan = plan_for_request(client, self.action, params, policy)
        result = publish_plan(self, context, plan, action=self.action, with_markdown=True)
        if self.fail_on_violation:
            plan.raise_for_violations()
        elif not plan.ok:
            self.log.warning("The plan has %d violation(s); fail_on_violation is off", len(plan.violations))
        return result
