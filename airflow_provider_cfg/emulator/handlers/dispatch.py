"""The handler of each CFG action, by action name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_provider_cfg.api import models as m
from airflow_provider_cfg.emulator.handlers.create import (
    create_task_from_action,
    create_task_from_multi_action,
    create_task_from_template,
)
from airflow_provider_cfg.emulator.handlers.describe import (
    describe_action_field_config_list,
    describe_action_library_list,
    describe_object_type_list,
    describe_task,
    describe_task_execute_logs,
    describe_task_list,
    describe_task_policy_trigger_log,
    describe_template,
    describe_template_list,
)
from airflow_provider_cfg.emulator.handlers.run import (
    delete_task,
    execute_task,
    execute_task_instance,
    modify_task_run_status,
    trigger_policy,
)
from airflow_provider_cfg.emulator.state import EmulatorState

Handler = Callable[[EmulatorState, str, Any], m.CfgResponse]

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
