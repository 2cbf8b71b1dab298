"""The ``Describe*`` handlers: tasks, their logs, templates, the action library and object types."""

from __future__ import annotations

from typing import Any

from airflow_provider_cfg.api import models as m
from airflow_provider_cfg.emulator.errors import bad_value
from airflow_provider_cfg.emulator.handlers.checks import (
    MAX_LIST_LIMIT,
    choice,
    has_tag_key,
    matches_filters,
    page_slice,
    tags_match,
)
from airflow_provider_cfg.emulator.state import EmulatorState, parse_time


def describe_task(state: EmulatorState, region: str, req: m.DescribeTaskRequest) -> Any:
    task = state.task(region, req.TaskId)
    return m.DescribeTaskResponse(Task=task.model, ReportInfo=None)


_TASK_FILTERS = {"TaskTitle": "TaskTitle", "TaskDescription": "TaskDescription", "TaskId": "TaskId",
                 "TaskStatus": "TaskStatus", "TaskTag": "TaskTag"}


def describe_task_list(state: EmulatorState, region: str, req: m.DescribeTaskListRequest) -> Any:
    page = page_slice(req.Limit, req.Offset)
    for param in ("TaskStartTime", "TaskEndTime", "TaskUpdateTime"):
        if getattr(req, param) is not None:
            parse_time(getattr(req, param), param)
    status_codes = {1001: "not started", 1002: "running", 1003: "paused", 1004: "ended"}
    choice(req.TaskStatus, status_codes, "TaskStatus")
    for i, code in enumerate(req.TaskStatusList or []):
        choice(code, status_codes, f"TaskStatusList.{i}")
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
        if req.TaskTag and not has_tag_key(model.Tags, model.TaskTag, req.TaskTag):
            continue
        if not tags_match(model.Tags, req.Tags):
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
        if not matches_filters(item, req.Filters, _TASK_FILTERS):
            continue
        items.append(item)
    return m.DescribeTaskListResponse(TaskList=items[page], Total=len(items))


def describe_task_execute_logs(state: EmulatorState, region: str, req: m.DescribeTaskExecuteLogsRequest) -> Any:
    task = state.task(region, req.TaskId)
    page = page_slice(req.Limit, req.Offset, max_limit=None)
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
    page = page_slice(req.Limit, req.Offset)
    choice(req.IsUsed, {1: "in use", 2: "disabled"}, "IsUsed")
    choice(req.TemplateSource, {0: "self-built", 1: "recommended by experts"}, "TemplateSource")
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
        if req.Tag and not has_tag_key(model.Tags, model.TemplateTag, req.Tag):
            continue
        if not tags_match(model.Tags, req.Tags):
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
        if not matches_filters(item, req.Filters, _TEMPLATE_FILTERS):
            continue
        items.append(item)
    return m.DescribeTemplateListResponse(TemplateList=items[page], Total=len(items))


_ACTION_FILTERS = {"a_title": "ActionName", "a_desc": "Desc", "a_type": "ActionType",
                   "a_create_time": "CreateTime", "a_resource_type": "ResourceType"}


def describe_action_library_list(state: EmulatorState, region: str, req: m.DescribeActionLibraryListRequest) -> Any:
    catalogue = state.catalogue
    page = page_slice(req.Limit, req.Offset)
    catalogue.object_type(req.ObjectType, "ObjectType")
    for i, attribute in enumerate(req.Attribute or []):
        choice(attribute, {1: "fault", 2: "recovery"}, f"Attribute.{i}")
    items = []
    for action in catalogue.actions.values():
        if action.object_type != req.ObjectType:
            continue
        if req.Attribute and action.attribute not in req.Attribute:
            continue
        if req.ActionIds and action.id not in req.ActionIds:
            continue
        if not matches_filters(action.model, req.Filters, _ACTION_FILTERS):
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
    support = choice(req.SupportType, {0: "all", 1: "platform objects", 2: "application subset"}, "SupportType") or 0
    types = [o.model for o in state.catalogue.object_types.values() if support == 0 or o.support_type == support]
    return m.DescribeObjectTypeListResponse(ObjectTypeList=types)
