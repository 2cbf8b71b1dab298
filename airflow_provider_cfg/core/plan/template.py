"""The plan of an experiment from a template (``CreateTaskFromTemplate``): the template's groups and
actions with the caller's instances and parameter overrides, paired as the template pairs them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.api.enums import TemplateIsUsed
from airflow_provider_cfg.api.errors import CfgApiError
from airflow_provider_cfg.core.names import MODE_NAMES, shown
from airflow_provider_cfg.core.plan.groups import affected, check_instances, execute_rule, group_checks
from airflow_provider_cfg.core.plan.ids import id_format_for
from airflow_provider_cfg.core.plan.model import STEP_KINDS, ExperimentPlan, PlanGroup, PlanStep
from airflow_provider_cfg.core.plan.parameters import json_object, resolve_parameters
from airflow_provider_cfg.core.plan.policy import PlanError, as_int, risk_level
from airflow_provider_cfg.core.requests import as_groups

if TYPE_CHECKING:
    from airflow_provider_cfg.api import models as m
    from airflow_provider_cfg.core.plan.catalogue import Catalogue, SchemaPair
    from airflow_provider_cfg.core.plan.policy import BlastRadiusPolicy

# A template step with what pairs it: its template action and the library's RelationActionId.
_Link = tuple[PlanStep, "m.TemplateGroupAction", "int | None"]
# A group's action overrides by action order (a template's order may be null): (index given, override).
_Overrides = dict["int | None", tuple[int, Mapping[str, Any]]]


def template_plan(
    catalogue: Catalogue, policy: BlastRadiusPolicy, template_id: Any, task_config: Mapping[str, Any] | None,
    instances: Sequence[Any] | None, title: str | None,
) -> ExperimentPlan:
    """Resolve and check a template experiment (see :func:`~.build.build_plan`).

    :raises PlanError: the template cannot be read, or ``task_config`` is malformed.
    """
    tid = as_int(template_id, "template_id", minimum=1)
    template = _read_template(catalogue, tid)
    if task_config is not None and not isinstance(task_config, Mapping):
        raise PlanError(f"task_config must be a dict (CFG's TaskConfig); got {shown(task_config)}")
    config = dict(task_config or {})
    groups_config = _groups_config(config, instances)
    mode_code = config.get("TaskMode")
    if mode_code is None:
        mode_code = template.TemplateMode
    mode = _mode_name(mode_code)
    plan = ExperimentPlan(
        source={"kind": "template", "template_id": tid, "template_title": template.TemplateTitle},
        title=str(title or config.get("TaskTitle") or template.TemplateTitle or f"template {tid}"),
        mode=mode, groups=[], policy=policy,
    )
    if mode_code is not None and mode is None:
        allowed = ", ".join(f"{code} ({name})" for code, name in MODE_NAMES.items())
        plan.violate("mode", "TaskConfig.TaskMode", f"must be one of {allowed}; got {shown(mode_code)}")
    _check_in_use(plan, template, tid)
    groups = sorted(template.TemplateGroups or [], key=lambda g: (g.Order is None, g.Order or 0))
    if len(groups_config) != len(groups):
        names = ", ".join(str(g.Title) for g in groups)
        plan.violate("group_count", "TaskConfig.TaskGroupsConfig",
                     f"{len(groups_config)} instance list(s) given but template {tid} has {len(groups)} "
                     f"action group(s) ({names}); give exactly one entry per group, in order")
    plan.object_type_titles = {k: v.ObjectTypeTitle for k, v in catalogue.object_types().items()}
    for index, group in enumerate(groups):
        given = groups_config[index] if index < len(groups_config) else None
        plan.groups.append(_plan_group(plan, catalogue, tid, index, group, given))
    return plan


def _read_template(catalogue: Catalogue, tid: int) -> m.Template:
    try:
        template = catalogue.client.describe_template(tid).Template
    except CfgApiError as exc:
        if exc.code.startswith("ResourceNotFound") or exc.code.startswith("InvalidParameterValue"):
            raise PlanError(f"TemplateId: template {tid} cannot be planned: [{exc.code}] {exc.message}") from None
        raise
    if template is None:
        raise PlanError(f"TemplateId: template {tid} was not returned by DescribeTemplate")
    return template


def _groups_config(config: Mapping[str, Any], instances: Sequence[Any] | None) -> list[dict[str, Any]]:
    """``TaskGroupsConfig`` as a list of dicts, with ``instances`` (when given) as each group's instances."""
    groups_config = config.get("TaskGroupsConfig") or []
    if isinstance(groups_config, (str, bytes, Mapping)) or not isinstance(groups_config, Sequence):
        raise PlanError(
            f"TaskConfig.TaskGroupsConfig must be a list (one entry per template group); got {shown(groups_config)}"
        )
    groups_config = [dict(g) if isinstance(g, Mapping) else {"TaskGroupInstances": g} for g in groups_config]
    if instances is None:
        return groups_config
    return [{**(groups_config[i] if i < len(groups_config) else {}), "TaskGroupInstances": group}
            for i, group in enumerate(as_groups(instances))]


def _mode_name(mode_code: Any) -> str | None:
    try:
        return MODE_NAMES[int(mode_code)] if mode_code is not None else None
    except (TypeError, ValueError, KeyError):
        return None


def _check_in_use(plan: ExperimentPlan, template: m.Template, tid: int) -> None:
    """Experiments can only be created from a template in use."""
    if template.TemplateIsUsed is not None and int(template.TemplateIsUsed) != TemplateIsUsed.IN_USE:
        plan.violate("template_disabled", "TemplateId",
                     f"template {tid} ({template.TemplateTitle}) is disabled "
                     f"(TemplateIsUsed {int(template.TemplateIsUsed)}); "
                     "experiments can only be created from templates in use (TemplateIsUsed 1)")


def _plan_group(
    plan: ExperimentPlan, catalogue: Catalogue, tid: int, index: int, group: m.TemplateGroup,
    given: dict[str, Any] | None,
) -> PlanGroup:
    """One template group with its instances (``given``: its ``TaskGroupsConfig`` entry, if any) and steps."""
    where = f"TaskConfig.TaskGroupsConfig[{index}]"
    type_id = int(group.ObjectTypeId) if group.ObjectTypeId is not None else None
    obj = catalogue.object_types().get(type_id) if type_id is not None else None
    fmt = id_format_for(type_id, obj)
    if fmt is None:
        plan.notes.append(f"group {index + 1}: no known instance-id format for object type {type_id}; ids not checked")
    instances: list[str] = []
    if given is not None:
        instances = check_instances(plan, f"{where}.TaskGroupInstances", given.get("TaskGroupInstances", []),
                                    fmt, type_id, obj.ObjectTypeTitle if obj else None)
    rule = execute_rule(group)
    count, selection = affected(rule, len(instances), known_all=False)
    plan_group = PlanGroup(
        order=index + 1, title=str((given or {}).get("TaskGroupTitle") or group.Title or f"group {index + 1}"),
        object_type_id=type_id, object_type_title=obj.ObjectTypeTitle if obj else None,
        instances=instances, execute_rule=rule, affected=count, selection=selection,
    )
    actions = sorted(group.TemplateGroupActions or [], key=lambda a: (a.Order is None, a.Order or 0))
    ids = [int(a.ActionId) for a in actions if a.ActionId is not None]
    library = catalogue.library(type_id, ids) if type_id is not None and ids else {}
    schemas = catalogue.schemas(type_id, ids) if type_id is not None and ids else {}
    overrides = _action_overrides(plan, given or {}, [a.Order for a in actions], where, index)
    links: list[_Link] = []
    for action in actions:
        aid = int(action.ActionId) if action.ActionId is not None else None
        entry = library.get(aid) if aid is not None else None
        step = _plan_step(plan, tid, where, action, entry, schemas.get(aid, (None, None)) if aid is not None
                          else (None, None), overrides.get(action.Order), len(plan_group.steps) + 1)
        plan_group.steps.append(step)
        links.append((step, action, entry.RelationActionId if entry is not None else None))
    _pair_template(links)
    group_checks(plan, plan_group, f"{where}.TaskGroupInstances")
    return plan_group


def _action_overrides(
    plan: ExperimentPlan, given: Mapping[str, Any], orders: list[int | None], where: str, index: int,
) -> _Overrides:
    """The group's ``TaskGroupActionsConfig`` by action order; a violation for an unknown or repeated order."""
    overrides: _Overrides = {}
    raw = given.get("TaskGroupActionsConfig") or []
    for position, override in enumerate(raw if isinstance(raw, Sequence) else []):
        path = f"{where}.TaskGroupActionsConfig[{position}].TaskGroupActionOrder"
        order = override.get("TaskGroupActionOrder") if isinstance(override, Mapping) else None
        if order not in orders:
            plan.violate("action_order", path, f"{shown(order)} matches no action of template group {index + 1}; "
                         f"its action orders: {', '.join(str(o) for o in orders)}")
        elif order in overrides:
            plan.violate("action_order", path, f"action order {order} is configured twice")
        else:
            overrides[order] = (position, override)
    return overrides


def _plan_step(
    plan: ExperimentPlan, tid: int, where: str, action: m.TemplateGroupAction,
    entry: m.ActionLibraryListResult | None, schema: SchemaPair,
    configured: tuple[int, Mapping[str, Any]] | None, next_order: int,
) -> PlanStep:
    """One template action: its kind and risk (the template's, else the library's) and its parameters:
    the schema's defaults ← the template's stored values ← the caller's override (``configured``)."""
    aid = int(action.ActionId) if action.ActionId is not None else None
    attribute = action.ActionAttribute
    if attribute is None:
        attribute = entry.AttributeId if entry else None
    risk = risk_level(action.ActionRisk)
    if risk is None and entry is not None:
        risk = risk_level(entry.RiskDesc)
    label = f"action {aid} ({action.ActionTitle or (entry.ActionName if entry else '?')})"
    config_index, override = configured if configured is not None else (None, {})
    position = config_index if config_index is not None else f"order={action.Order}"
    prefix = f"{where}.TaskGroupActionsConfig[{position}]"
    stored = (
        json_object(action.GeneralConfiguration, f"template {tid} {label} GeneralConfiguration", plan),
        json_object(action.CustomConfiguration, f"template {tid} {label} CustomConfiguration", plan),
    )
    general, custom = resolve_parameters(
        plan, label, schema, stored,
        (override.get("TaskGroupActionGeneralConfiguration"), override.get("TaskGroupActionCustomConfiguration")),
        (f"{prefix}.TaskGroupActionGeneralConfiguration", f"{prefix}.TaskGroupActionCustomConfiguration"),
    )
    return PlanStep(order=int(action.Order or next_order), action_id=aid,
                    title=str(action.ActionTitle or (entry.ActionName if entry else f"action {aid}")),
                    kind=STEP_KINDS.get(int(attribute) if attribute is not None else 0, "unknown"), risk=risk,
                    general=general, custom=custom)


def _pair_template(links: list[_Link]) -> None:
    """Pair steps as the template does: a fault's ``RecoverId`` is its recovery's ``RandomId``."""
    by_random = {action.RandomId: step for step, action, _ in links if action.RandomId is not None}
    for step, action, relation in links:
        recover_id, execute_id = action.RecoverId, action.ExecuteId
        if step.kind == "fault":
            partner = by_random.get(recover_id) if recover_id is not None else None
            if partner is not None:
                step.paired_with = partner.order
                step.recovery = f"recovered by step {partner.order} ({partner.title})"
            elif relation == 0:
                step.heals_by_itself = True
                step.recovery = "heals by itself (no recovery action in the library)"
            elif relation:
                step.recovery = (
                    f"NOT recovered: the library pairs it with action {relation}, "
                    "which the template does not run after it"
                )
            else:
                step.recovery = "NOT recovered: no paired recovery step"
        elif step.kind == "recovery":
            partner = by_random.get(execute_id) if execute_id is not None else None
            if partner is not None:
                step.paired_with = partner.order
                step.recovery = f"recovers step {partner.order} ({partner.title})"
