"""One typed method per CFG action, shared by the sync and the async client.

Each method only maps Python arguments to wire parameters and names the response model;
the client's ``_invoke`` validates, sends and parses (the async client's returns an
awaitable). Enumerated arguments are checked here so that a bad value is refused with the
allowed values listed, before anything is sent.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from airflow_provider_cfg.api import models as m
from airflow_provider_cfg.api.enums import ExecuteActionType, TaskStatus, TriggerType
from airflow_provider_cfg.api.errors import CfgValidationError

if TYPE_CHECKING:
    from airflow_provider_cfg.api.models.base import CfgModel

_M = TypeVar("_M", bound="CfgModel")
_E = TypeVar("_E", bound=enum.IntEnum)

Params = Mapping[str, Any]


def checked_enum(enum_cls: type[_E], value: Any, field: str) -> _E:
    """``enum_cls(value)`` or a :class:`CfgValidationError` listing the allowed values."""
    try:
        return enum_cls(int(value))
    except (TypeError, ValueError):
        allowed = ", ".join(f"{member.value} ({member.name.lower()})" for member in enum_cls)
        raise CfgValidationError(f"{field} must be one of {allowed}; got {value!r}", field=field) from None


def _tags(tags: Mapping[str, str] | Sequence[Any] | None) -> list[Any] | None:
    """Accept ``{"key": "value"}`` as well as a list of ``{"TagKey", "TagValue"}``."""
    if tags is None:
        return None
    if isinstance(tags, Mapping):
        return [{"TagKey": key, "TagValue": value} for key, value in tags.items()]
    return list(tags)


class CfgActions:
    """The 17 CFG actions as methods (mixed into :class:`CfgClient` and :class:`AsyncCfgClient`).

    Annotated as the sync client sees them; :class:`AsyncCfgActions` types the async client's.
    """

    def _invoke(self, action: str, params: Params, response_model: type[_M]) -> _M:  # pragma: no cover
        raise NotImplementedError

    # -- experiments (tasks) --------------------------------------------------------------

    def create_task_from_template(
        self, template_id: int, task_config: m.TaskConfig | Params
    ) -> m.CreateTaskFromTemplateResponse:
        """``CreateTaskFromTemplate``: create an experiment from a template (experience library)."""
        return self._invoke(
            "CreateTaskFromTemplate",
            {"TemplateId": template_id, "TaskConfig": task_config},
            m.CreateTaskFromTemplateResponse,
        )

    def create_task_from_action(
        self,
        action_id: int,
        instances: Sequence[str],
        *,
        title: str | None = None,
        description: str | None = None,
        general_configuration: Params | str | None = None,
        custom_configuration: Params | str | None = None,
        pause_duration: int | None = None,
        tags: Mapping[str, str] | Sequence[Any] | None = None,
    ) -> m.CreateTaskFromActionResponse:
        """``CreateTaskFromAction``: create an experiment from one library action.

        Configurations may be dicts; they are serialised to the JSON strings CFG expects.
        """
        return self._invoke(
            "CreateTaskFromAction",
            {
                "TaskActionId": action_id,
                "TaskInstances": list(instances),
                "TaskTitle": title,
                "TaskDescription": description,
                "TaskActionGeneralConfiguration": general_configuration,
                "TaskActionCustomConfiguration": custom_configuration,
                "TaskPauseDuration": pause_duration,
                "TaskTags": _tags(tags),
            },
            m.CreateTaskFromActionResponse,
        )

    def create_task_from_multi_action(
        self,
        instances: Sequence[str],
        actions: Sequence[m.TaskGroupForAction | Params],
        *,
        title: str | None = None,
        description: str | None = None,
        pause_duration: int | None = None,
    ) -> m.CreateTaskFromMultiActionResponse:
        """``CreateTaskFromMultiAction``: several library actions on the same instances."""
        return self._invoke(
            "CreateTaskFromMultiAction",
            {
                "TaskInstances": list(instances),
                "TaskAction": list(actions),
                "TaskTitle": title,
                "TaskDescription": description,
                "TaskPauseDuration": pause_duration,
            },
            m.CreateTaskFromMultiActionResponse,
        )

    def describe_task(self, task_id: int) -> m.DescribeTaskResponse:
        """``DescribeTask``: the whole experiment, groups, actions and instances."""
        return self._invoke("DescribeTask", {"TaskId": task_id}, m.DescribeTaskResponse)

    def describe_task_list(
        self,
        *,
        limit: int = 100,
        offset: int = 0,
        task_ids: Sequence[int] | None = None,
        title: str | None = None,
        task_tags: Sequence[str] | None = None,
        tags: Mapping[str, str] | Sequence[Any] | None = None,
        status: int | None = None,
        statuses: Sequence[int] | None = None,
        extra: Params | None = None,
    ) -> m.DescribeTaskListResponse:
        """``DescribeTaskList``: experiments matching the filters, one page.

        :param extra: any other wire filters (``TaskStartTime``, ``Filters``, ``ApplicationId``…).
        """
        return self._invoke(
            "DescribeTaskList",
            {
                "Limit": limit,
                "Offset": offset,
                "TaskId": list(task_ids) if task_ids is not None else None,
                "TaskTitle": title,
                "TaskTag": list(task_tags) if task_tags is not None else None,
                "Tags": _tags(tags),
                "TaskStatus": status,
                "TaskStatusList": list(statuses) if statuses is not None else None,
                **dict(extra or {}),
            },
            m.DescribeTaskListResponse,
        )

    def execute_task(self, task_id: int) -> m.ExecuteTaskResponse:
        """``ExecuteTask``: start the experiment (1001 → 1002)."""
        return self._invoke("ExecuteTask", {"TaskId": task_id}, m.ExecuteTaskResponse)

    def execute_task_instance(
        self,
        task_id: int,
        task_group_id: int,
        task_action_id: int,
        action_type: ExecuteActionType | int = ExecuteActionType.EXECUTE,
        instance_ids: Sequence[int] | None = None,
        *,
        operate_all: bool = False,
    ) -> m.ExecuteTaskInstanceResponse:
        """``ExecuteTaskInstance``: execute, start, skip or retry one action step.

        ``IsOperateAll`` is sent only when ``operate_all=True`` is asked for by name: CFG may read it
        as "the whole task" (other faults). Instance ids exist once the experiment has started.

        :param task_action_id: ``TaskGroupActionId`` (not the library ``ActionId``).
        :param action_type: 1 start, 2 execute, 3 skip, 5 retry.
        :param instance_ids: the ``TaskGroupInstanceId`` values to operate (required unless ``operate_all``).
        :param operate_all: send ``IsOperateAll: true`` (CFG's reading of it is undocumented).
        :raises CfgValidationError: no instance ids and not ``operate_all``.
        """
        kind = checked_enum(ExecuteActionType, action_type, "ActionType")
        if not operate_all and not instance_ids:
            raise CfgValidationError(
                "TaskInstanceIds: name the action's TaskGroupInstanceId values (DescribeTask, once the experiment "
                "has started), or pass operate_all=True to send IsOperateAll (undocumented: it may operate the "
                "whole task)", field="TaskInstanceIds",
            )
        return self._invoke(
            "ExecuteTaskInstance",
            {
                "TaskId": task_id,
                "TaskGroupId": task_group_id,
                "TaskActionId": task_action_id,
                "ActionType": int(kind),
                "IsOperateAll": operate_all,
                "TaskInstanceIds": list(instance_ids or []),
            },
            m.ExecuteTaskInstanceResponse,
        )

    def modify_task_run_status(
        self,
        task_id: int,
        status: TaskStatus | int,
        *,
        is_expect: bool | None = None,
        summary: str | None = None,
        issue: str | None = None,
        record: str | None = None,
        include_record_in_report: int | None = None,
    ) -> m.ModifyTaskRunStatusResponse:
        """``ModifyTaskRunStatus``: pause (1003), resume (1002) or end (1004).

        Ending requires ``summary`` and ``is_expect``; this is checked before sending.
        """
        target = checked_enum(TaskStatus, status, "Status")
        if target is TaskStatus.ENDED:
            if is_expect is None:
                raise CfgValidationError("IsExpect is required when ending an experiment (Status 1004)", "IsExpect")
            if not summary:
                raise CfgValidationError("Summary is required when ending an experiment (Status 1004)", "Summary")
        return self._invoke(
            "ModifyTaskRunStatus",
            {
                "TaskId": task_id,
                "Status": int(target),
                "IsExpect": is_expect,
                "Summary": summary,
                "Issue": issue,
                "Record": record,
                "IncludeRecordInReport": include_record_in_report,
            },
            m.ModifyTaskRunStatusResponse,
        )

    def pause_task(self, task_id: int) -> m.ModifyTaskRunStatusResponse:
        """Pause a running experiment (1002 → 1003)."""
        return self.modify_task_run_status(task_id, TaskStatus.PAUSED)

    def resume_task(self, task_id: int) -> m.ModifyTaskRunStatusResponse:
        """Resume a paused experiment (1003 → 1002)."""
        return self.modify_task_run_status(task_id, TaskStatus.RUNNING)

    def end_task(
        self, task_id: int, *, summary: str, is_expect: bool, issue: str | None = None, record: str | None = None
    ) -> m.ModifyTaskRunStatusResponse:
        """End an experiment with its conclusion (→ 1004). Ending does not recover faults."""
        return self.modify_task_run_status(
            task_id, TaskStatus.ENDED, is_expect=is_expect, summary=summary, issue=issue, record=record
        )

    def delete_task(self, task_id: int) -> m.DeleteTaskResponse:
        """``DeleteTask``."""
        return self._invoke("DeleteTask", {"TaskId": task_id}, m.DeleteTaskResponse)

    def describe_task_execute_logs(
        self, task_id: int, *, limit: int = 100, offset: int = 0
    ) -> m.DescribeTaskExecuteLogsResponse:
        """``DescribeTaskExecuteLogs``: experiment log lines, ``offset`` = first line."""
        return self._invoke(
            "DescribeTaskExecuteLogs",
            {"TaskId": task_id, "Limit": limit, "Offset": offset},
            m.DescribeTaskExecuteLogsResponse,
        )

    # -- guardrails -------------------------------------------------------------------------

    def trigger_policy(
        self, task_id: int, name: str, content: str, trigger_type: TriggerType | int = TriggerType.TRIGGER
    ) -> m.TriggerPolicyResponse:
        """``TriggerPolicy``: trigger (0) or recover (1) the experiment's guardrail."""
        kind = checked_enum(TriggerType, trigger_type, "TriggerType")
        return self._invoke(
            "TriggerPolicy",
            {"TaskId": task_id, "Name": name, "Content": content, "TriggerType": int(kind)},
            m.TriggerPolicyResponse,
        )

    def describe_task_policy_trigger_log(
        self, task_id: int, *, page: int = 1, page_size: int = 20
    ) -> m.DescribeTaskPolicyTriggerLogResponse:
        """``DescribeTaskPolicyTriggerLog``: every guardrail trigger and recovery."""
        return self._invoke(
            "DescribeTaskPolicyTriggerLog",
            {"TaskId": task_id, "Page": page, "PageSize": page_size},
            m.DescribeTaskPolicyTriggerLogResponse,
        )

    # -- templates and the action library ----------------------------------------------------

    def describe_template(self, template_id: int) -> m.DescribeTemplateResponse:
        """``DescribeTemplate``."""
        return self._invoke("DescribeTemplate", {"TemplateId": template_id}, m.DescribeTemplateResponse)

    def describe_template_list(
        self,
        *,
        limit: int = 100,
        offset: int = 0,
        title: str | None = None,
        template_ids: Sequence[int] | None = None,
        is_used: int | None = None,
        template_source: int | None = None,
        tags: Mapping[str, str] | Sequence[Any] | None = None,
        extra: Params | None = None,
    ) -> m.DescribeTemplateListResponse:
        """``DescribeTemplateList``: one page of templates."""
        return self._invoke(
            "DescribeTemplateList",
            {
                "Limit": limit,
                "Offset": offset,
                "Title": title,
                "TemplateIdList": list(template_ids) if template_ids is not None else None,
                "IsUsed": is_used,
                "TemplateSource": template_source,
                "Tags": _tags(tags),
                **dict(extra or {}),
            },
            m.DescribeTemplateListResponse,
        )

    def describe_action_library_list(
        self,
        object_type: int,
        *,
        limit: int = 100,
        offset: int = 0,
        attribute: Sequence[int] | None = None,
        action_ids: Sequence[int] | None = None,
        filters: Sequence[m.ActionFilter | Params] | None = None,
    ) -> m.DescribeActionLibraryListResponse:
        """``DescribeActionLibraryList``: fault and recovery actions for one object type."""
        return self._invoke(
            "DescribeActionLibraryList",
            {
                "ObjectType": object_type,
                "Limit": limit,
                "Offset": offset,
                "Attribute": list(attribute) if attribute is not None else None,
                "ActionIds": list(action_ids) if action_ids is not None else None,
                "Filters": list(filters) if filters is not None else None,
            },
            m.DescribeActionLibraryListResponse,
        )

    def describe_action_field_config_list(
        self, action_ids: Sequence[int], object_type_id: int
    ) -> m.DescribeActionFieldConfigListResponse:
        """``DescribeActionFieldConfigList``: the parameter schema (general + custom) of actions."""
        return self._invoke(
            "DescribeActionFieldConfigList",
            {"ActionIds": list(action_ids), "ObjectTypeId": object_type_id},
            m.DescribeActionFieldConfigListResponse,
        )

    def describe_object_type_list(self, support_type: int | None = None) -> m.DescribeObjectTypeListResponse:
        """``DescribeObjectTypeList``: the kinds of resources faults can target."""
        return self._invoke(
            "DescribeObjectTypeList", {"SupportType": support_type}, m.DescribeObjectTypeListResponse
        )


if TYPE_CHECKING:

    class AsyncCfgActions:
        """Typing-only: :class:`CfgActions` as :class:`~airflow_provider_cfg.api.client.AsyncCfgClient`
        exposes it.

        At run time the async client uses the :class:`CfgActions` methods themselves: each returns
        what the client's ``_invoke`` returns, which for the async client is a coroutine. The
        annotations above describe the sync client, so this stub gives the async client the same
        methods, with the same parameters, as coroutines of the same response models. Keep the
        two in step when adding or changing an action.
        """

        async def create_task_from_template(
            self, template_id: int, task_config: m.TaskConfig | Params
        ) -> m.CreateTaskFromTemplateResponse: ...

        async def create_task_from_action(
            self,
            action_id: int,
            instances: Sequence[str],
            *,
            title: str | None = None,
            description: str | None = None,
            general_configuration: Params | str | None = None,
            custom_configuration: Params | str | None = None,
            pause_duration: int | None = None,
            tags: Mapping[str, str] | Sequence[Any] | None = None,
        ) -> m.CreateTaskFromActionResponse: ...

        async def create_task_from_multi_action(
            self,
            instances: Sequence[str],
            actions: Sequence[m.TaskGroupForAction | Params],
            *,
            title: str | None = None,
            description: str | None = None,
            pause_duration: int | None = None,
        ) -> m.CreateTaskFromMultiActionResponse: ...

        async def describe_task(self, task_id: int) -> m.DescribeTaskResponse: ...

        async def describe_task_list(
            self,
            *,
            limit: int = 100,
            offset: int = 0,
            task_ids: Sequence[int] | None = None,
            title: str | None = None,
            task_tags: Sequence[str] | None = None,
            tags: Mapping[str, str] | Sequence[Any] | None = None,
            status: int | None = None,
            statuses: Sequence[int] | None = None,
            extra: Params | None = None,
        ) -> m.DescribeTaskListResponse: ...

        async def execute_task(self, task_id: int) -> m.ExecuteTaskResponse: ...

        async def execute_task_instance(
            self,
            task_id: int,
            task_group_id: int,
            task_action_id: int,
            action_type: ExecuteActionType | int = ExecuteActionType.EXECUTE,
            instance_ids: Sequence[int] | None = None,
            *,
            operate_all: bool = False,
        ) -> m.ExecuteTaskInstanceResponse: ...

        async def modify_task_run_status(
            self,
            task_id: int,
            status: TaskStatus | int,
            *,
            is_expect: bool | None = None,
            summary: str | None = None,
            issue: str | None = None,
            record: str | None = None,
            include_record_in_report: int | None = None,
        ) -> m.ModifyTaskRunStatusResponse: ...

        async def pause_task(self, task_id: int) -> m.ModifyTaskRunStatusResponse: ...

        async def resume_task(self, task_id: int) -> m.ModifyTaskRunStatusResponse: ...

        async def end_task(
            self, task_id: int, *, summary: str, is_expect: bool, issue: str | None = None, record: str | None = None
        ) -> m.ModifyTaskRunStatusResponse: ...

        async def delete_task(self, task_id: int) -> m.DeleteTaskResponse: ...

        async def describe_task_execute_logs(
            self, task_id: int, *, limit: int = 100, offset: int = 0
        ) -> m.DescribeTaskExecuteLogsResponse: ...

        async def trigger_policy(
            self, task_id: int, name: str, content: str, trigger_type: TriggerType | int = TriggerType.TRIGGER
        ) -> m.TriggerPolicyResponse: ...

        async def describe_task_policy_trigger_log(
            self, task_id: int, *, page: int = 1, page_size: int = 20
        ) -> m.DescribeTaskPolicyTriggerLogResponse: ...

        async def describe_template(self, template_id: int) -> m.DescribeTemplateResponse: ...

        async def describe_template_list(
            self,
            *,
            limit: int = 100,
            offset: int = 0,
            title: str | None = None,
            template_ids: Sequence[int] | None = None,
            is_used: int | None = None,
            template_source: int | None = None,
            tags: Mapping[str, str] | Sequence[Any] | None = None,
            extra: Params | None = None,
        ) -> m.DescribeTemplateListResponse: ...

        async def describe_action_library_list(
            self,
            object_type: int,
            *,
            limit: int = 100,
            offset: int = 0,
            attribute: Sequence[int] | None = None,
            action_ids: Sequence[int] | None = None,
            filters: Sequence[m.ActionFilter | Params] | None = None,
        ) -> m.DescribeActionLibraryListResponse: ...

        async def describe_action_field_config_list(
            self, action_ids: Sequence[int], object_type_id: int
        ) -> m.DescribeActionFieldConfigListResponse: ...

        async def describe_object_type_list(
            self, support_type: int | None = None
        ) -> m.DescribeObjectTypeListResponse: ...
