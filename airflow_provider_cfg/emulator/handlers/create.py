"""The ``CreateTaskFrom*`` handlers: a creation request checked and turned into a :class:`.TaskSpec`."""

from __future__ import annotations

from typing import Any

from airflow_provider_cfg.api import models as m
from airflow_provider_cfg.api.enums import PolicyDealType
from airflow_provider_cfg.emulator.definitions import ActionDef
from airflow_provider_cfg.emulator.errors import ApiError, bad_value, failed
from airflow_provider_cfg.emulator.handlers.checks import checked_instances, choice, non_negative, tag_dicts
from airflow_provider_cfg.emulator.state import ActionSpec, EmulatorState, GroupSpec, TaskSpec, pair_actions

DEFAULT_PAUSE_MINUTES = 60

_MODES = {1: "manual", 2: "automatic"}
_GROUP_MODES = {1: "sequential", 2: "by stage"}
_DEAL_TYPES = {deal.value: deal.text for deal in PolicyDealType}


def create_task_from_template(state: EmulatorState, region: str, req: m.CreateTaskFromTemplateRequest) -> Any:
    catalogue = state.catalogue
    template = catalogue.template(req.TemplateId)
    raw = template.raw
    if raw["TemplateIsUsed"] != 1:
        raise failed(f"TemplateId: template {template.id} is disabled (TemplateIsUsed 2); tasks can only be "
                     "created from templates in use (1)")
    cfg = req.TaskConfig
    given, expected = len(cfg.TaskGroupsConfig), len(template.groups)
    if given != expected:
        raise bad_value(f"TaskConfig.TaskGroupsConfig has {given} entr{'y' if given == 1 else 'ies'} but template "
                        f"{template.id} has {expected} action group(s); give exactly one entry per group, in order")
    mode = choice(cfg.TaskMode, _MODES, "TaskConfig.TaskMode") or raw["TemplateMode"]
    deal = choice(cfg.PolicyDealType, _DEAL_TYPES, "TaskConfig.PolicyDealType")
    deal = deal if deal is not None else raw["PolicyDealType"]
    non_negative(cfg.TaskPauseDuration, "TaskConfig.TaskPauseDuration")
    groups = []
    for gi, (gcfg, gdef) in enumerate(zip(cfg.TaskGroupsConfig, template.groups, strict=True)):  # lengths checked above
        where = f"TaskConfig.TaskGroupsConfig.{gi}."
        otype = catalogue.object_types[gdef.object_type]
        instances = checked_instances(gcfg.TaskGroupInstances, otype, where + "TaskGroupInstances")
        gmode = choice(gcfg.TaskGroupMode, _GROUP_MODES, where + "TaskGroupMode") or gdef.mode
        orders = {a.order for a in gdef.actions}
        overrides: dict[int, tuple[int, m.TaskGroupActionConfig]] = {}
        for ai, acfg in enumerate(gcfg.TaskGroupActionsConfig or []):
            param = f"{where}TaskGroupActionsConfig.{ai}.TaskGroupActionOrder"
            order = acfg.TaskGroupActionOrder
            if order not in orders:
                raise bad_value(f"{param}: {order} matches no action of template group {gi + 1} (its action "
                                f"orders: {', '.join(str(o) for o in sorted(orders))})")
            if order in overrides:
                raise bad_value(f"{param}: action order {order} is configured twice")
            overrides[order] = (ai, acfg)
        actions = []
        for tad in gdef.actions:
            if tad.order in overrides:
                ai, acfg = overrides[tad.order]
                general, custom = tad.action.resolve(
                    acfg.TaskGroupActionGeneralConfiguration, acfg.TaskGroupActionCustomConfiguration,
                    f"{where}TaskGroupActionsConfig.{ai}.TaskGroupAction", tad.general, tad.custom,
                )
                actions.append(ActionSpec(tad.action, general, custom, pair=tad.pair))
            else:
                actions.append(ActionSpec(tad.action, tad.general, tad.custom, tad.general_json, tad.custom_json,
                                          tad.pair))
        groups.append(GroupSpec(
            title=gcfg.TaskGroupTitle or gdef.title,
            description=gcfg.TaskGroupDescription if gcfg.TaskGroupDescription is not None else gdef.description,
            mode=gmode,
            object_type=otype,
            instances=instances,
            execute_rule=dict(gdef.execute_rule),
            actions=actions,
        ))
    policy = raw.get("policy") or {}
    spec = TaskSpec(
        title=cfg.TaskTitle or raw["TemplateTitle"],
        description=cfg.TaskDescription if cfg.TaskDescription is not None else raw["TemplateDescription"],
        mode=mode,
        pause_duration=cfg.TaskPauseDuration if cfg.TaskPauseDuration is not None else raw["TemplatePauseDuration"],
        tags=tag_dicts(cfg.Tags) if cfg.Tags is not None else [dict(t) for t in raw["Tags"]],
        policy_deal_type=deal,
        groups=groups,
        tag=raw["TemplateTag"],
        template_id=template.id,
        alarm_policy=list(raw.get("AlarmPolicy", [])),
        policy_ids=list(policy.get("TemplatePolicyIdList", [])),
        policy_rule=policy.get("TemplatePolicyRule", "or"),
        monitors=template.monitors,
        origin=f"from template {template.id} '{template.title}'",
    )
    task = state.create_task(region, spec)
    return m.CreateTaskFromTemplateResponse(TaskId=task.id)


def _with_recoveries(state: EmulatorState, specs: list[ActionSpec]) -> list[ActionSpec]:
    """Add the library recovery right after each fault that has no recovery later in the list."""
    pair_actions(specs)
    final: list[ActionSpec] = []
    for spec in specs:
        final.append(spec)
        recovery = state.catalogue.recovery_of(spec.definition)
        if recovery is not None and spec.pair is None:
            general, custom = recovery.resolve(None, None, f"recovery action {recovery.id} ")
            final.append(ActionSpec(recovery, general, custom))
    return pair_actions(final)  # pairs again: the recoveries added shift the positions


def _action_task(
    state: EmulatorState, region: str, actions: list[tuple[ActionDef, str | None, str | None, str]],
    instances: list[str], title: str | None, description: str | None, pause: int | None,
    tags: list[dict[str, str]], origin: str,
) -> int:
    first = actions[0][0]
    otype = state.catalogue.object_types[first.object_type]
    for definition, _, _, where in actions:
        if definition.object_type != first.object_type:
            raise bad_value(f"{where}Id: action {definition.id} targets object type {definition.object_type}, but "
                            f"action {first.id} targets {first.object_type}; all actions of a task from actions "
                            "share the same instances and must target the same object type")
    checked = checked_instances(instances, otype, "TaskInstances")
    specs = []
    for definition, general_json, custom_json, where in actions:
        general, custom = definition.resolve(general_json, custom_json, where)
        specs.append(ActionSpec(definition, general, custom))
    specs = _with_recoveries(state, specs)
    non_negative(pause, "TaskPauseDuration")
    name = title or first.name
    group = GroupSpec(title=name, description=description or first.desc, mode=1, object_type=otype,
                      instances=checked, execute_rule={"TaskGroupInstancesExecuteMode": 1}, actions=specs)
    spec = TaskSpec(
        title=name,
        description=description if description is not None else first.desc,
        mode=1,
        pause_duration=pause if pause is not None else DEFAULT_PAUSE_MINUTES,
        tags=tags,
        policy_deal_type=None,
        groups=[group],
        origin=origin,
    )
    return state.create_task(region, spec).id


def create_task_from_action(state: EmulatorState, region: str, req: m.CreateTaskFromActionRequest) -> Any:
    definition = state.catalogue.action(req.TaskActionId, "TaskActionId")
    task_id = _action_task(
        state, region,
        [(definition, req.TaskActionGeneralConfiguration, req.TaskActionCustomConfiguration, "TaskAction")],
        req.TaskInstances, req.TaskTitle, req.TaskDescription, req.TaskPauseDuration, tag_dicts(req.TaskTags),
        f"from action {definition.id} '{definition.name}'",
    )
    return m.CreateTaskFromActionResponse(TaskId=task_id)


def create_task_from_multi_action(state: EmulatorState, region: str, req: m.CreateTaskFromMultiActionRequest) -> Any:
    if not req.TaskAction:
        raise bad_value("TaskAction must list at least one action")
    actions = []
    for i, item in enumerate(req.TaskAction):
        where = f"TaskAction.{i}.TaskAction"
        if item.TaskActionId is None:
            raise ApiError("MissingParameter", f"The required parameter {where}Id is missing.")
        definition = state.catalogue.action(item.TaskActionId, f"{where}Id")
        actions.append((definition, item.TaskActionGeneralConfiguration, item.TaskActionCustomConfiguration, where))
    ids = ", ".join(str(a[0].id) for a in actions)
    task_id = _action_task(state, region, actions, req.TaskInstances, req.TaskTitle, req.TaskDescription,
                           req.TaskPauseDuration, [], f"from actions {ids}")
    return m.CreateTaskFromMultiActionResponse(TaskId=task_id)
