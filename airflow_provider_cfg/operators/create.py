"""Operators creating a CFG experiment: from a template, from one library action, or from several.

Creation is exactly-once per Airflow task instance
(:func:`airflow_provider_cfg.core.requests.create_experiment`): the experiment is marked with the
Airflow identity, looked up before creating, and looked up again after a create call that failed
(:func:`airflow_provider_cfg.core.settle.settle_mutation`) — a retry, a cleared task or a lost
response reattaches instead of creating a second experiment. The experiment id is returned
(``return_value``) and pushed with the console URL to XCom before the operator returns.

The operators parse their arguments; the requests are built in :mod:`airflow_provider_cfg.core.requests`.

Before anything is created, the experiment is planned and checked (:mod:`airflow_provider_cfg.core.plan`,
read-only calls): instance-id formats, required and well-typed action parameters, a template in
use, and the blast-radius ``policy`` (instances per group, risk level, object types, a recovery for
every fault). A violation fails the task before any mutating call. With ``dry_run=True`` the plan is
pushed to XCom (``plan``, ``plan_markdown``) and logged, and nothing is created.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.operators.base import CfgBaseOperator

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import BaseOperator, Context

    from airflow_provider_cfg.api.client import CfgClient
    from airflow_provider_cfg.core.identity import AirflowIdentity
    from airflow_provider_cfg.core.plan.model import ExperimentPlan
    from airflow_provider_cfg.core.plan.policy import BlastRadiusPolicy


def wire_code_argument(value: str | int | None, argument: str) -> int | None:
    """The wire code of ``mode`` or ``policy_deal_type`` (``"manual"``, ``"pause"``…), checked when the
    DAG is parsed.

    :raises ValueError: an unknown name or code.
    """
    if value is None:
        return None  # nothing to check: the API models behind core.requests stay unimported at parse time
    from airflow_provider_cfg.core.names import MODES, POLICY_DEAL_TYPES, wire_code

    return wire_code(value, {"mode": MODES, "policy_deal_type": POLICY_DEAL_TYPES}[argument], argument)


def airflow_identity(context: Context) -> AirflowIdentity:
    """The Airflow task instance an experiment belongs to (what a retry finds it again by)."""
    from airflow_provider_cfg.core.identity import AirflowIdentity

    ti = context["ti"]
    map_index = getattr(ti, "map_index", None)
    return AirflowIdentity(ti.dag_id, ti.task_id, ti.run_id, -1 if map_index is None else int(map_index))


def publish_plan(
    operator: BaseOperator, context: Context, plan: ExperimentPlan, *, action: str, with_markdown: bool
) -> dict[str, Any]:
    """Push the plan to XCom (``plan``) and return it; with its Markdown (``plan_markdown``, also in
    the operator's log) when ``with_markdown``.

    :param action: the create call the plan stands for, for the log.
    """
    from airflow_provider_cfg.core.plan.model import XCOM_PLAN, XCOM_PLAN_MARKDOWN

    ti = context["ti"]
    result = plan.to_dict()
    ti.xcom_push(key=XCOM_PLAN, value=result)
    if with_markdown:
        markdown = plan.to_markdown()
        ti.xcom_push(key=XCOM_PLAN_MARKDOWN, value=markdown)
        operator.log.info("Plan of %s (nothing created):\n%s", action, markdown)
    return result


class _CfgCreateExperimentOperator(CfgBaseOperator):
    """Shared create / reattach / publish flow.

    :param title: experiment title (templated).
    :param description: experiment description (templated); the Airflow identity marker is appended.
    :param tags: tags to add, as ``{"key": "value"}`` (templated).
    :param reattach: look for an experiment this task instance already created before creating one.
    :param dry_run: plan and check only: push the plan (``plan``, ``plan_markdown``) to XCom, log it and
        return ``None`` without creating anything (fails after pushing if the plan has violations).
    :param exclusive_targets: refuse to create the experiment when a target instance belongs to another
        live (running or paused) experiment of the account, naming it (default); ``False`` to create anyway.
    :param policy: the blast-radius policy as a dict (:class:`~airflow_provider_cfg.core.plan.policy.BlastRadiusPolicy`
        fields: ``max_instances_per_group``, ``max_risk_level``, ``allowed_object_types``,
        ``require_recovery``); ``None``: the default policy (every fault needs a recovery).
    """

    action: str = ""
    template_fields: Sequence[str] = (*CfgBaseOperator.template_fields, "title", "description", "tags")

    def __init__(
        self,
        *,
        title: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        reattach: bool = True,
        dry_run: bool = False,
        policy: Mapping[str, Any] | BlastRadiusPolicy | None = None,
        exclusive_targets: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.exclusive_targets = exclusive_targets
        self.title = title
        self.description = description
        self.tags = tags
        self.reattach = reattach
        # Not ``self.dry_run``: that is BaseOperator.dry_run(), the method rendering the template fields.
        self.plan_only = dry_run
        self.policy: dict[str, Any] | None = None
        if policy is not None:  # a bad policy fails when the DAG is parsed; kept as a plain dict
            from airflow_provider_cfg.core.plan.policy import BlastRadiusPolicy

            self.policy = BlastRadiusPolicy.from_value(policy).to_dict()

    # subclasses: the wire parameters of the create call
    def build_params(self, client: CfgClient, identity: AirflowIdentity) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    #: the title used for lookups when the create call takes no tags (None: look up by tag)
    def lookup_title(self, params: Mapping[str, Any]) -> str | None:
        return None

    def check_plan(self, context: Context, client: CfgClient, params: Mapping[str, Any]) -> None:
        """Plan ``params`` (read-only calls) and enforce the checks and the policy.

        The plan is pushed to XCom (``plan``; the game-day report shows it); its Markdown too, and
        to the log, when this is a dry run or when it is violated (then the task fails, before any
        mutating call)."""
        from airflow_provider_cfg.core.plan.build import plan_for_request

        plan = plan_for_request(client, self.action, params, self.policy)
        publish_plan(self, context, plan, action=self.action, with_markdown=self.plan_only or not plan.ok)
        plan.raise_for_violations()
        self.log.info("Plan checked: %s, %d group(s), %d step(s), within policy",
                      plan.describe_source(), len(plan.groups), sum(len(g.steps) for g in plan.groups))

    def execute(self, context: Context) -> int | None:
        from airflow_provider_cfg.core.requests import create_experiment, validate_request

        identity = airflow_identity(context)
        with self.client() as client:
            params = self.build_params(client, identity)
            validate_request(self.action, params)  # bad input fails here, before anything is changed remotely
            self.check_plan(context, client, params)  # policy and plan checks, before any mutating call
            if self.plan_only:
                self.log.info("Dry run: %s was not sent; nothing was created", self.action)
                return None
            experiment_id = create_experiment(
                client, self.action, params, identity,
                title=self.lookup_title(params), reattach=self.reattach, exclusive_targets=self.exclusive_targets,
            )
            # From here on CFG holds an experiment: nothing optional may fail the task before its
            # id is returned (the teardown rolls back by it; if the task dies anyway, the teardown
            # finds the experiment by this task's identity).
            self.publish_experiment_safely(context, client, experiment_id)
        return experiment_id


class CfgCreateExperimentFromTemplateOperator(_CfgCreateExperimentOperator):
    """Create an experiment from a CFG template (``CreateTaskFromTemplate``).

    The template is read first, so a wrong group count is refused before anything is created.

    :param template_id: the template (experience library) id (templated).
    :param instances: target object ids per action group, e.g. ``[["ins-a", "ins-b"]]``; a flat list
        means one group (templated).
    :param mode: ``"manual"`` (each step driven by Airflow) or ``"automatic"`` (CFG advances by
        itself); default: the template's mode.
    :param pause_duration: CFG's automatic pause time, in minutes.
    :param action_parameters: per-action overrides keyed ``"group.action"`` (1-based orders), e.g.
        ``{"1.1": {"custom": {"duration": 120}, "general": {"ActionTimeout": 600}}}`` (templated).
    :param policy_deal_type: guardrail behaviour: ``"rollback"`` (sequential rollback) or ``"pause"``.
    :param task_config: raw ``TaskConfig`` fields; the named arguments above take precedence (templated).
    """

    action = "CreateTaskFromTemplate"
    template_fields: Sequence[str] = (
        *_CfgCreateExperimentOperator.template_fields,
        "template_id",
        "instances",
        "action_parameters",
        "task_config",
    )

    def __init__(
        self,
        *,
        template_id: int | str,
        instances: Sequence[Sequence[str]] | Sequence[str] | None = None,
        mode: str | int | None = None,
        pause_duration: int | None = None,
        action_parameters: Mapping[str, Mapping[str, Any]] | None = None,
        policy_deal_type: str | int | None = None,
        task_config: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.template_id = template_id
        self.instances = instances
        self.mode = wire_code_argument(mode, "mode")
        self.pause_duration = pause_duration
        self.action_parameters = action_parameters
        self.policy_deal_type = wire_code_argument(policy_deal_type, "policy_deal_type")
        self.task_config = task_config

    def group_instances(self) -> list[list[str]] | None:
        """``instances`` as one list per template group."""
        from airflow_provider_cfg.core.requests import group_instances

        return group_instances(self.instances)

    def build_params(self, client: CfgClient, identity: AirflowIdentity) -> dict[str, Any]:
        from airflow_provider_cfg.core.requests import template_request

        return template_request(
            client, identity, template_id=self.template_id, instances=self.instances, task_config=self.task_config,
            action_parameters=self.action_parameters, mode=self.mode, pause_duration=self.pause_duration,
            policy_deal_type=self.policy_deal_type, title=self.title, description=self.description, tags=self.tags,
        )


class CfgCreateExperimentFromActionOperator(_CfgCreateExperimentOperator):
    """Create an experiment from one library action (``CreateTaskFromAction``).

    :param action_id: the library ``ActionId``, e.g. 462 (network packet loss) (templated).
    :param instances: target object ids, e.g. ``["ins-xxxxxxxx"]`` (templated).
    :param general_configuration: general parameters as a dict (``ActionTimeout``…) (templated).
    :param custom_configuration: the action's own parameters as a dict (templated).
    :param pause_duration: CFG's automatic pause time, in minutes.
    """

    action = "CreateTaskFromAction"
    template_fields: Sequence[str] = (
        *_CfgCreateExperimentOperator.template_fields,
        "action_id",
        "instances",
        "general_configuration",
        "custom_configuration",
    )

    def __init__(
        self,
        *,
        action_id: int | str,
        instances: Sequence[str],
        general_configuration: Mapping[str, Any] | None = None,
        custom_configuration: Mapping[str, Any] | None = None,
        pause_duration: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.action_id = action_id
        self.instances = instances
        self.general_configuration = general_configuration
        self.custom_configuration = custom_configuration
        self.pause_duration = pause_duration

    def build_params(self, client: CfgClient, identity: AirflowIdentity) -> dict[str, Any]:
        from airflow_provider_cfg.core.requests import action_request

        return action_request(
            identity, action_id=self.action_id, instances=self.instances,
            general_configuration=self.general_configuration, custom_configuration=self.custom_configuration,
            pause_duration=self.pause_duration, title=self.title, description=self.description, tags=self.tags,
        )


class CfgCreateExperimentFromActionsOperator(_CfgCreateExperimentOperator):
    """Create an experiment from several library actions on the same instances
    (``CreateTaskFromMultiAction``).

    CFG takes no tags on this call, so the experiment is found again by its title and the identity
    marker in its description; a ``title`` is therefore required.

    :param instances: target object ids (templated).
    :param actions: ``[{"action_id": 462, "custom": {...}, "general": {...}}, ...]`` (templated).
    :param pause_duration: CFG's automatic pause time, in minutes.
    """

    action = "CreateTaskFromMultiAction"
    template_fields: Sequence[str] = (*_CfgCreateExperimentOperator.template_fields, "instances", "actions")

    def __init__(
        self,
        *,
        instances: Sequence[str],
        actions: Sequence[Mapping[str, Any]],
        pause_duration: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not self.title:
            raise ValueError(
                "CfgCreateExperimentFromActionsOperator needs a title (it is how a retry finds the experiment again)"
            )
        self.instances = instances
        self.actions = actions
        self.pause_duration = pause_duration

    def build_params(self, client: CfgClient, identity: AirflowIdentity) -> dict[str, Any]:
        from airflow_provider_cfg.core.requests import actions_request

        return actions_request(
            identity, instances=self.instances, actions=self.actions, pause_duration=self.pause_duration,
            title=self.title, description=self.description,
        )

    def lookup_title(self, params: Mapping[str, Any]) -> str | None:
        return str(params["TaskTitle"])
