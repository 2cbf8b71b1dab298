"""Building a plan: from a template, one library action or several, or from a create call's wire
parameters (with CFG's request-size limit)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.api.client import MAX_BODY_BYTES
from airflow_provider_cfg.core.plan.actions import actions_plan
from airflow_provider_cfg.core.plan.catalogue import Catalogue
from airflow_provider_cfg.core.plan.policy import BlastRadiusPolicy, PlanError
from airflow_provider_cfg.core.plan.template import template_plan
from airflow_provider_cfg.core.requests import action_entries

if TYPE_CHECKING:
    from airflow_provider_cfg.api.client import CfgClient
    from airflow_provider_cfg.core.plan.model import ExperimentPlan

CREATE_ACTIONS = ("CreateTaskFromTemplate", "CreateTaskFromAction", "CreateTaskFromMultiAction")
"""The create calls a plan can stand for."""


def build_plan(
    client: CfgClient,
    *,
    template_id: int | str | None = None,
    task_config: Mapping[str, Any] | None = None,
    action_id: int | str | None = None,
    instances: Sequence[Any] | None = None,
    general: Mapping[str, Any] | str | None = None,
    custom: Mapping[str, Any] | str | None = None,
    actions: Sequence[Mapping[str, Any]] | None = None,
    title: str | None = None,
    policy: BlastRadiusPolicy | Mapping[str, Any] | None = None,
) -> ExperimentPlan:
    """Resolve and check an experiment without changing anything (read-only calls only).

    Give one source:

    * ``template_id`` with ``task_config`` (``CreateTaskFromTemplate``'s ``TaskConfig``) and/or
      ``instances`` (one list per group; a flat list means one group);
    * ``action_id`` with ``instances``, ``general`` and ``custom`` (dicts or JSON strings);
    * ``actions`` (``[{"action_id", "general", "custom"}]`` or the wire ``TaskAction`` entries) with ``instances``.

    :param client: the client of the read-only calls.
    :param title: the experiment title (default: the template's or the first action's).
    :param policy: the blast-radius policy (default :class:`BlastRadiusPolicy` ()).
    :raises PlanError: the plan cannot be built (unknown template or action, malformed arguments).
    """
    chosen = [name for name, value in (("template_id", template_id), ("action_id", action_id), ("actions", actions))
              if value is not None]
    if len(chosen) != 1:
        raise PlanError(f"give exactly one of template_id, action_id or actions; got {chosen or 'none'}")
    rules = BlastRadiusPolicy.from_value(policy)
    catalogue = Catalogue(client)
    if template_id is not None:
        return template_plan(catalogue, rules, template_id, task_config, instances, title)
    if action_id is not None:
        entries = [{"action_id": action_id, "general": general, "custom": custom}]
        return actions_plan(catalogue, rules, entries, instances, title, single=True)
    try:
        entries = action_entries(actions, wire_form=True)
    except ValueError as exc:
        raise PlanError(str(exc)) from None
    if not entries:
        raise PlanError("actions must list at least one action")
    return actions_plan(catalogue, rules, entries, instances, title, single=False)


def plan_for_request(
    client: CfgClient,
    action: str,
    params: Mapping[str, Any],
    policy: BlastRadiusPolicy | Mapping[str, Any] | None = None,
) -> ExperimentPlan:
    """The plan of a create call's wire parameters, including CFG's 10 MB request-size limit.

    :param action: one of :data:`CREATE_ACTIONS`.
    :param params: the call's parameters (as :mod:`~airflow_provider_cfg.core.requests` builds them).
    :raises PlanError: ``action`` is not a create call, or the plan cannot be built.
    """
    if action == "CreateTaskFromTemplate":
        plan = build_plan(client, template_id=params.get("TemplateId"), task_config=params.get("TaskConfig") or {},
                          policy=policy)
    elif action == "CreateTaskFromAction":
        plan = build_plan(client, action_id=params.get("TaskActionId"), instances=params.get("TaskInstances"),
                          general=params.get("TaskActionGeneralConfiguration"),
                          custom=params.get("TaskActionCustomConfiguration"), title=params.get("TaskTitle"),
                          policy=policy)
    elif action == "CreateTaskFromMultiAction":
        plan = build_plan(client, actions=params.get("TaskAction") or [], instances=params.get("TaskInstances"),
                          title=params.get("TaskTitle"), policy=policy)
    else:
        raise PlanError(f"no plan for {action!r}; allowed: {', '.join(CREATE_ACTIONS)}")
    size = len(json.dumps(dict(params), separators=(",", ":"), ensure_ascii=False, default=str).encode())
    if size > MAX_BODY_BYTES:
        plan.violate("payload_too_large", "(request body)",
                     f"the {action} request body would be {size} bytes; "
                     f"CFG accepts at most {MAX_BODY_BYTES} bytes (10 MB)")
    return plan
