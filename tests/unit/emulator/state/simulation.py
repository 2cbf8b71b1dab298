"""The emulator state on a fake clock: calls go through the real handlers, time moves only when a test says.

Simulation time 0 is ``2023-11-15 06:13:20`` (UTC+8); :func:`at` names a moment as CFG shows it.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_cfg.api.actions import ACTIONS
from airflow_provider_cfg.emulator.handlers import HANDLERS
from airflow_provider_cfg.emulator.params import parse_request
from airflow_provider_cfg.emulator.state import EmulatorState, SimClock
from tests.emu_helpers import INSTANCES

WALL0 = 1_700_000_000.0  # 2023-11-15 06:13:20 UTC+8


def at(seconds: float) -> str:
    """Simulation time ``seconds`` as CFG shows it."""
    total = 20 + int(seconds)
    return f"2023-11-15 06:{13 + total // 60:02d}:{total % 60:02d}"


class Sim:
    """One emulator state (seed 5) whose clock reads :attr:`now`; set it to move time on.

    :param action_seconds: how long one action runs on an instance.
    """

    def __init__(self, action_seconds: float = 8.0) -> None:
        self.now = 0.0
        self.state = EmulatorState(action_seconds=action_seconds, seed=5,
                                   clock=SimClock(monotonic=lambda: self.now, wall=lambda: WALL0))

    def call(self, action: str, **params: Any) -> dict[str, Any]:
        """One CFG action, as the app runs it (lock held, time advanced to :attr:`now`)."""
        request = parse_request(ACTIONS[action], params)
        with self.state.lock:
            self.state.advance()
            return HANDLERS[action](self.state, "ap-guangzhou", request).model_dump(mode="json")

    def task(self, task_id: int) -> dict[str, Any]:
        return self.call("DescribeTask", TaskId=task_id)["Task"]

    def action(self, task_id: int, index: int) -> dict[str, Any]:
        return [a for g in self.task(task_id)["TaskGroups"] for a in g["TaskGroupActions"]][index]

    def run(self, task_id: int, index: int, action_type: int = 2) -> None:
        """``ExecuteTaskInstance`` on all instances of the task's ``index``-th action."""
        pairs = [(g, a) for g in self.task(task_id)["TaskGroups"] for a in g["TaskGroupActions"]]
        group, action = pairs[index]
        self.call("ExecuteTaskInstance", TaskId=task_id, TaskGroupId=group["TaskGroupId"],
                  TaskActionId=action["TaskGroupActionId"], ActionType=action_type, IsOperateAll=True,
                  TaskInstanceIds=[])

    def create(self, template_id: int = 626, **config: Any) -> int:
        groups = config.pop("groups", None) or [{"TaskGroupInstances": INSTANCES}]
        return self.call("CreateTaskFromTemplate", TemplateId=template_id,
                         TaskConfig={"TaskGroupsConfig": groups, **config})["TaskId"]


def instance_states(action: dict[str, Any]) -> list[tuple[int, int]]:
    """(status, status type) of each instance of ``action``."""
    return [(i["TaskGroupInstanceStatus"], i["TaskGroupInstanceStatusType"]) for i in action["TaskGroupInstances"]]
