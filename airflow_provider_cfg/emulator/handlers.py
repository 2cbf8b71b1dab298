"""The 17 CFG actions: validated request model in, response model out.

Each handler runs with the state lock held and the simulation advanced to "now". Semantic
checks (allowed values, id formats, counts) live here; state transitions live in
:mod:`.state`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from airflow_provider_cfg.api import models as m
from airflow_provider_cfg.api.enums import PolicyDealType
from airflow_provider_cfg.emulator.definitions import ActionDef, ObjectTypeDef, object_key
from airflow_provider_cfg.emulator.errors import ApiError, bad_value, failed
from airflow_provider_cfg.emulator.state import (
    ActionSpec,
    EmulatorState,
    GroupSpec,
    TaskSpec,
    pair_actions,
    parse_time,
)

Handler = Callable[[EmulatorState, str, Any], m.CfgResponse]

DEFAULT_PAUSE_MINUTES = 60
MAX_LIST_LIMIT = 100


def _choice(value: int | None, allowed: dict[int, str], param: str) -> int | None:
    if value is not None and value not in allowed:
        listing = ", ".join(f"{k} ({v})" for k, v in allowed.items())
        raise bad_value(f"{param} must be one of {listing}; got {value}")
    return value


_MODES = {1: "manual", 2: "automatic"}
_GROUP_MODES = {1: "sequential", 2: "by stage"}
_DEAL_TYPES = {deal.value: deal.text for deal in PolicyDealType}


def _non_negative(value: int | None, param: str) -> None:
    if value is not None and value < 0:
        raise bad_value(f"{param} must be >= 0; got {value}")


def _page(limit: int, offset: int, max_limit: int | None = MAX_LIST_LIMIT) -> slice:
    if limit < 0 or (max_limit is not None and limit > max_limit):
        bound = f"between 0 and {max_limit}" if max_limit is not None else ">= 0"
        raise bad_value(f"Limit must be {bound}; got {limit}")
    _non_negative(offset, "Offset")
    return slice(offset, offset + limit)


def _instances(values: Sequence[str], otype: ObjectTypeDef, param: str) -> list[str]:
    if not values:
        raise bad_value(f"{param} must list at least one instance ({otype.title}: {otype.id_format})")
    seen: set[str] = set()
    for i, value in enumerate(values):
        otype.check_instance(value, f"{param}.{i}")
        key = object_key(value)
        if key in seen:
            raise bad_value(f"{param}.{i}: instance {value!r} is listed twice")
        seen.add(key)
    return list(values)


def _tags(tags: Iterable[Any] | None) -> list[dict[str, str]]:
    return [{"TagKey": t.TagKey, "TagValue": t.TagValue} for t in tags or []]


def _matches_filters(item: m.CfgModel, filters: list[m.ActionFilter] | None, fields: dict[str, str]) -> bool:
    """``fields`` maps a filter keyword to an attribute; a value matches as a case-insensitive substring."""
    for f in filters or []:
        attr = fields.get(f.Keyword)
        if attr is None:
            raise bad_value(f"Filters.Keyword {f.Keyword!r} is not supported; supported: {', '.join(fields)}")
        text = str(getattr(item, attr) or "").lower()
        if f.Values and not any(v.lower() in text for v in f.Values):
            return False
    return True


def _tags_match(tags: list[m.TagWithDescribe] | None, wanted: list[m.TagWithDescribe] | None) -> bool:
    """Every wanted pair must be present (a pair without value matches any value of the key)."""
    have = [(t.TagKey, t.TagValue) for t in tags or []]
    for want in wanted or []:
        if not any(k == want.TagKey and (want.TagValue in (None, "") or v == want.TagValue) for k, v in have):
            return False
    return True


# -- create ---------------------------------------------------------------------------------


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
    mode = _choice(cfg.TaskMode, _MODES, "TaskConfig.TaskMode") or raw["TemplateMode"]
    deal = _choice(cfg.PolicyDealType, _DEAL_TYPES, "TaskConfig.PolicyDealType")
    deal = deal if deal is not None else raw["PolicyDealType"]
    _non_negative(cfg.TaskPauseDuration, "TaskConfig.TaskPauseDuration")
    groups = []
    for gi, (gcfg, gdef) in enumerate(zip(cfg.TaskGroupsConfig, template.groups, strict=True)):  # lengths checked above
        where = f"TaskConfig.TaskGroupsConfig.{gi}."
        otype = catalogue.object_types[gdef.object_type]
        instances = _instances(gcfg.TaskGroupInstances, otype, where + "TaskGroupInstances")
        gmode = _choice(gcfg.TaskGroupMode, _GROUP_MODES, where + "TaskGroupMode") or gdef.mode
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
        tags=_tags(cfg.Tags) if cfg.Tags is not None else [dict(t) for t in raw["Tags"]],
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
    checked = _instances(instances, otype, "TaskInstances")
    specs = []
    for definition, general_json, custom_json, where in actions:
        general, custom = definition.resolve(general_json, custom_json, where)
        specs.append(ActionSpec(definition, general, custom))
    specs = _with_recoveries(state, specs)
    _non_negative(pause, "TaskPauseDuration")
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
        req.TaskInstances, req.TaskTitle, req.TaskDescription, req.TaskPauseDuration, _tags(req.TaskTags),
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


# -- run --------------------------------------------------------------------------------------


def execute_task(state: EmulatorState, region: str, req: m.ExecuteTaskRequest) -> Any:
    state.execute_task(region, req.TaskId)
    return m.ExecuteTaskResponse()


def execute_task_instance(state: EmulatorState, region: str, req: m.ExecuteTaskInstanceRequest) -> Any:
    state.execute_instance(region, req.TaskId, req.TaskGroupId, req.TaskActionId, req.ActionType,
                           req.IsOperateAll, list(req.TaskInstanceIds))
    return m.ExecuteTaskInstanceResponse()


def modify_task_run_status(state: EmulatorState, region: str, req: m.ModifyTaskRunStatusRequest) -> Any:
    state.modify_status(region, req.TaskId, req.Status, req.IsExpect, req.Summary, req.Issue, req.Record)
    return m.ModifyTaskRunStatusResponse()


def trigger_policy(state: EmulatorState, region: str, req: m.TriggerPolicyRequest) -> Any:
    state.trigger_policy(region, req.TaskId, req.Name, req.Content, req.TriggerType)
    return m.TriggerPolicyResponse(TaskId=req.TaskId, Success=True)


def delete_task(state: EmulatorState, region: str, req: m.DeleteTaskRequest) -> Any:
    state.delete_task(region, req.TaskId)
    return m.DeleteTaskResponse()


# -- read -------------------------------------------------------------------------------------


def describe_task(state: EmulatorState, region: str, req: m.DescribeTaskRequest) -> Any:
    task = state.task(region, req.TaskId)
    return m.DescribeTaskResponse(Task=task.model, ReportInfo=None)


_TASK_FILTERS = {"TaskTitle": "TaskTitle", "TaskDescription": "TaskDescription", "TaskId": "TaskId",
                 "TaskStatus": "TaskStatus", "TaskTag": "TaskTag"}


def describe_task_list(state: EmulatorState, region: str, req: m.DescribeTaskListRequest) -> Any:
    page = _page(req.Limit, req.Offset)
    for param in ("TaskStartTime", "TaskEndTime", "TaskUpdateTime"):
        if getattr(req, param) is not None:
            parse_time(getattr(req, param), param)
    status_codes = {1001: "not started", 1002: "running", 1003: "paused", 1004: "ended"}
    _choice(req.TaskStatus, status_codes, "TaskStatus")
    for i, code in enumerate(req.TaskStatusList or []):
        _choice(code, status_codes, f"TaskStatusList.{i}")
    items = []
    for task in sorted(state.tasks_in(region), key=lambda t: t.id, reverse=True):
        model = task.model
        if req.TaskId and model.TaskId not in req.TaskId:
            continue
        if req.TaskTitle and req.TaskTitle.lower() not in (model.TaskTitle or "").lower():
            continue
        if req.TaskStatus is not None and model.TaskStatus != req.TaskStatus:
            continue
        if req.TaskStatusList and model.TaskStatus not in req.TaskStatusList:
            continue
        if req.TaskTag:
            keys = {t.TagKey for t in model.Tags or []} | ({model.TaskTag} if model.TaskTag else set())
            if not keys & set(req.TaskTag):
                continue
        if not _tags_match(model.Tags, req.Tags):
            continue
        if req.TaskStartTime and (model.TaskStartTime is None or model.TaskStartTime < req.TaskStartTime):
            continue
        if req.TaskEndTime and (model.TaskEndTime is None or model.TaskEndTime > req.TaskEndTime):
            continue
        if req.TaskUpdateTime and (model.TaskUpdateTime or "") < req.TaskUpdateTime:
            continue
        if req.ApplicationId or req.ApplicationName or req.ArchId or req.ArchName:
            continue  # emulated tasks belong to no application or architecture
        item = state.list_item(task)
        if not _matches_filters(item, req.Filters, _TASK_FILTERS):
            continue
        items.append(item)
    return m.DescribeTaskListResponse(TaskList=items[page], Total=len(items))


def describe_task_execute_logs(state: EmulatorState, region: str, req: m.DescribeTaskExecuteLogsRequest) -> Any:
    task = state.task(region, req.TaskId)
    page = _page(req.Limit, req.Offset, max_limit=None)
    return m.DescribeTaskExecuteLogsResponse(LogMessage=task.logs[page])


def describe_task_policy_trigger_log(
    state: EmulatorState, region: str, req: m.DescribeTaskPolicyTriggerLogRequest
) -> Any:
    task = state.task(region, req.TaskId)
    if req.Page < 1:
        raise bad_value(f"Page is 1-based and must be >= 1; got {req.Page}")
    if not 1 <= req.PageSize <= MAX_LIST_LIMIT:
        raise bad_value(f"PageSize must be between 1 and {MAX_LIST_LIMIT}; got {req.PageSize}")
    start = (req.Page - 1) * req.PageSize
    return m.DescribeTaskPolicyTriggerLogResponse(TriggerLogs=task.trigger_logs[start:start + req.PageSize])


def describe_template(state: EmulatorState, region: str, req: m.DescribeTemplateRequest) -> Any:
    return m.DescribeTemplateResponse(Template=state.catalogue.template(req.TemplateId).model)


_TEMPLATE_FILTERS = {"TemplateTitle": "TemplateTitle", "TemplateDescription": "TemplateDescription",
                     "TemplateId": "TemplateId", "TemplateTag": "TemplateTag"}


def describe_template_list(state: EmulatorState, region: str, req: m.DescribeTemplateListRequest) -> Any:
    page = _page(req.Limit, req.Offset)
    _choice(req.IsUsed, {1: "in use", 2: "disabled"}, "IsUsed")
    _choice(req.TemplateSource, {0: "self-built", 1: "recommended by experts"}, "TemplateSource")
    items = []
    for template in state.catalogue.templates.values():
        model = template.model
        if req.Title and req.Title.lower() not in (model.TemplateTitle or "").lower():
            continue
        if req.IsUsed is not None and model.TemplateIsUsed != req.IsUsed:
            continue
        if req.TemplateSource is not None and model.TemplateSource != req.TemplateSource:
            continue
        if req.TemplateIdList and model.TemplateId not in req.TemplateIdList:
            continue
        if req.Tag:
            keys = {t.TagKey for t in model.Tags or []} | ({model.TemplateTag} if model.TemplateTag else set())
            if not keys & set(req.Tag):
                continue
        if not _tags_match(model.Tags, req.Tags):
            continue
        item = m.TemplateListItem(
            TemplateId=model.TemplateId,
            TemplateTitle=model.TemplateTitle,
            TemplateDescription=model.TemplateDescription,
            TemplateTag=model.TemplateTag,
            TemplateIsUsed=model.TemplateIsUsed,
            TemplateCreateTime=model.TemplateCreateTime,
            TemplateUpdateTime=model.TemplateUpdateTime,
            TemplateUsedNum=state.template_used[template.id],
            TemplateSource=model.TemplateSource,
        )
        if not _matches_filters(item, req.Filters, _TEMPLATE_FILTERS):
            continue
        items.append(item)
    return m.DescribeTemplateListResponse(TemplateList=items[page], Total=len(items))


_ACTION_FILTERS = {"a_title": "ActionName", "a_desc": "Desc", "a_type": "ActionType",
                   "a_create_time": "CreateTime", "a_resource_type": "ResourceType"}


def describe_action_library_list(state: EmulatorState, region: str, req: m.DescribeActionLibraryListRequest) -> Any:
    catalogue = state.catalogue
    page = _page(req.Limit, req.Offset)
    catalogue.object_type(req.ObjectType, "ObjectType")
    for i, attribute in enumerate(req.Attribute or []):
        _choice(attribute, {1: "fault", 2: "recovery"}, f"Attribute.{i}")
    items = []
    for action in catalogue.actions.values():
        if action.object_type != req.ObjectType:
            continue
        if req.Attribute and action.attribute not in req.Attribute:
            continue
        if req.ActionIds and action.id not in req.ActionIds:
            continue
        if not _matches_filters(action.model, req.Filters, _ACTION_FILTERS):
            continue
        items.append(action.model)
    return m.DescribeActionLibraryListResponse(Results=items[page], Total=len(items))


def describe_action_field_config_list(
    state: EmulatorState, region: str, req: m.DescribeActionFieldConfigListRequest
) -> Any:
    catalogue = state.catalogue
    catalogue.object_type(req.ObjectTypeId, "ObjectTypeId")
    if not req.ActionIds:
        raise bad_value("ActionIds must list at least one action id")
    common, results = [], []
    for i, action_id in enumerate(req.ActionIds):
        action = catalogue.action(action_id, f"ActionIds.{i}")
        if action.object_type != req.ObjectTypeId:
            raise bad_value(f"ActionIds.{i}: action {action_id} targets object type {action.object_type}, not "
                            f"ObjectTypeId {req.ObjectTypeId}")
        common.append(action.field_result(action.general_fields))
        results.append(action.field_result(action.custom_fields))
    return m.DescribeActionFieldConfigListResponse(Common=common, Results=results, ResourceOffline=[])


def describe_object_type_list(state: EmulatorState, region: str, req: m.DescribeObjectTypeListRequest) -> Any:
    support = _choice(req.SupportType, {0: "all", 1: "platform objects", 2: "application subset"}, "SupportType") or 0
    types = [o.model for o in state.catalogue.object_types.values() if support == 0 or o.support_type == support]
    return m.DescribeObjectTypeListResponse(ObjectTypeList=types)


HANDLERS: dict[str, Handler] = {
    "CreateTaskFromAction": create_task_from_action,
    "CreateTaskFromMultiAction": create_task_from_multi_action,
    "CreateTaskFromTemplate": create_task_from_template,
    "DeleteTask": delete_task,
    "DescribeActionFieldConfigList": describe_action_field_config_list,
    "DescribeActionLibraryList": describe_action_library_list,
    "DescribeObjectTypeList": describe_object_type_list,
    "DescribeTask": describe_task,
    "DescribeTaskExecuteLogs": describe_task_execute_logs,
    "DescribeTaskList": describe_task_list,
    "DescribeTaskPolicyTriggerLog": describe_task_policy_trigger_log,
    "DescribeTemplate": describe_template,
    "DescribeTemplateList": describe_template_list,
    "ExecuteTask": execute_task,
    "ExecuteTaskInstance": execute_task_instance,
    "ModifyTaskRunStatus": modify_task_run_status,
    "TriggerPolicy": trigger_policy,
}
