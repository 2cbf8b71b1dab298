"""The handlers that change a task: start, operate an action, pause/resume/end, guardrail, delete.

Thin: the checks and transitions live in :mod:`..state`.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_cfg.api import models as m
from airflow_provider_cfg.emulator.state import EmulatorState


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
