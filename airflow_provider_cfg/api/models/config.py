"""Input structures of the create calls (``CreateTaskFromTemplate``, ``CreateTaskFromMultiAction``).

Fields the API marks required (cfg-api.md §1.2) have no default, so bad input is rejected before
anything is sent. Action parameters are JSON strings; a dict given for them is serialised.
"""

from __future__ import annotations

from airflow_provider_cfg.api.models.base import CfgModel
from airflow_provider_cfg.api.models.common import TagWithCreate
from airflow_provider_cfg.api.models.fields import OptJsonStr


class TaskGroupActionConfig(CfgModel):
    """Parameter override for one action of a template group, matched by its 1-based order.

    A missing or wrong ``TaskGroupActionOrder`` silently matches nothing on the server.
    """

    TaskGroupActionOrder: int | None = None
    TaskGroupActionGeneralConfiguration: OptJsonStr = None
    TaskGroupActionCustomConfiguration: OptJsonStr = None


class TaskGroupConfig(CfgModel):
    """Configuration of one template action group (matched to the template's groups by position)."""

    TaskGroupInstances: list[str]
    TaskGroupTitle: str | None = None
    TaskGroupDescription: str | None = None
    TaskGroupMode: int | None = None
    TaskGroupActionsConfig: list[TaskGroupActionConfig] | None = None


class TaskConfig(CfgModel):
    """Experiment configuration of ``CreateTaskFromTemplate``.

    ``TaskGroupsConfig`` must have as many entries as the template has action groups.
    """

    TaskGroupsConfig: list[TaskGroupConfig]
    TaskTitle: str | None = None
    TaskDescription: str | None = None
    TaskMode: int | None = None
    TaskPauseDuration: int | None = None
    Tags: list[TagWithCreate] | None = None
    PolicyDealType: int | None = None


class TaskGroupForAction(CfgModel):
    """One action of ``CreateTaskFromMultiAction`` with its parameters."""

    TaskActionId: int | None = None
    TaskActionGeneralConfiguration: OptJsonStr = None
    TaskActionCustomConfiguration: OptJsonStr = None


__all__ = ["TaskConfig", "TaskGroupActionConfig", "TaskGroupConfig", "TaskGroupForAction"]
