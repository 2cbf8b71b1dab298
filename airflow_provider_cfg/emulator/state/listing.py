"""The task-list view of a task (``DescribeTaskList`` rows)."""

from __future__ import annotations

from airflow_provider_cfg.api import models as m
from airflow_provider_cfg.emulator.state.records import TaskRec


def list_item(task: TaskRec) -> m.TaskListItem:
    """The task as a row of ``DescribeTaskList``."""
    model = task.model
    return m.TaskListItem(
        TaskId=model.TaskId,
        TaskTitle=model.TaskTitle,
        TaskDescription=model.TaskDescription,
        TaskTag=model.TaskTag,
        TaskStatus=model.TaskStatus,
        TaskCreateTime=model.TaskCreateTime,
        TaskUpdateTime=model.TaskUpdateTime,
        TaskPreCheckStatus=2,
        TaskPreCheckSuccess=True,
        TaskExpect=model.TaskExpect,
        ApplicationId=None,
        ApplicationName=None,
        VerifyId=None,
        TaskStatusType=model.TaskStatusType,
        ArchId="",
        ArchName="",
        TaskSource=1,
        Tags=[m.TagWithDescribe(TagKey=tag.TagKey, TagValue=tag.TagValue) for tag in model.Tags or []],
    )
