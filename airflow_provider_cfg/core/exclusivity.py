"""Target exclusivity: a target instance takes part in one live experiment at a time.

Nothing in CFG stops a second experiment from injecting into instances that another experiment,
still running or paused, has injected into; the first one's recovery then finds the fault already
recovered by the second, and an empty fault ledger no longer proves that all is clean. So, by
default, creating an experiment and injecting a fault step are refused (before anything is sent)
when a target instance belongs to another live experiment of the account (``TaskStatus`` 1002
running or 1003 paused), naming that experiment. The create and step operators take
``exclusive_targets=False`` to act anyway.

The check costs one ``DescribeTaskList`` page per 100 live experiments and one ``DescribeTask`` per
live experiment (read-only calls). Recovery steps are never checked: recovering is always allowed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.api.enums import TaskStatus
from airflow_provider_cfg.api.errors import CfgValidationError

if TYPE_CHECKING:
    from airflow_provider_cfg.api.client import CfgClient
    from airflow_provider_cfg.api.models import Task

LIVE = (int(TaskStatus.RUNNING), int(TaskStatus.PAUSED))
_INSTANCE_KEYS = ("TaskInstances", "TaskGroupInstances")
_SHOWN = 5  # instances named per experiment in the error


class TargetInUseError(CfgValidationError):
    """A target instance belongs to another live experiment; nothing was sent.

    :param owners: experiment id → the shared instances.
    """

    def __init__(self, message: str, owners: Mapping[int, Sequence[str]]) -> None:
        super().__init__(message, "instances")
        self.owners = {key: list(value) for key, value in owners.items()}


def _key(object_id: str) -> str:
    """Instance ids compared as CFG would: a JSON-object id (a pod, a node) whatever its key order."""
    text = object_id.strip()
    if text.startswith("{"):
        try:
            return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
        except ValueError:
            pass
    return text


def request_targets(params: Mapping[str, Any]) -> list[str]:
    """The target instances of a create request (``TaskInstances``, every group's ``TaskGroupInstances``)."""
    found: list[str] = []
    stack: list[Any] = [params]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            for key, value in item.items():
                if key in _INSTANCE_KEYS and isinstance(value, list):
                    found += [str(v) for v in value if isinstance(v, str)]
                elif isinstance(value, (Mapping, list)):
                    stack.append(value)
        elif isinstance(item, list):
            stack += [v for v in item if isinstance(v, (Mapping, list))]
    return found


def step_targets(task: Task, task_action_id: int, instance_ids: Iterable[int] | None = None) -> list[str]:
    """The object ids a step acts on: its instances, or those of ``instance_ids`` (``TaskGroupInstanceId``)."""
    wanted = set(instance_ids) if instance_ids is not None else None
    return [
        inst.TaskGroupInstanceObjectId
        for _, action in task.iter_actions() if action.TaskGroupActionId == task_action_id
        for inst in action.TaskGroupInstances or []
        if inst.TaskGroupInstanceObjectId and (wanted is None or inst.TaskGroupInstanceId in wanted)
    ]


def experiment_targets(task: Task) -> set[str]:
    """Every target instance of an experiment, as comparison keys."""
    return {
        _key(inst.TaskGroupInstanceObjectId)
        for _, action in task.iter_actions() for inst in action.TaskGroupInstances or []
        if inst.TaskGroupInstanceObjectId
    }


def ensure_exclusive(client: CfgClient, targets: Iterable[str], *, experiment_id: int | None = None,
                     doing: str = "create the experiment") -> None:
    """Raise :class:`TargetInUseError` if any of ``targets`` belongs to a live experiment other
    than ``experiment_id``, naming each such experiment and the instances it shares.

    :param doing: what is refused, for the message ("create the experiment", "inject step 1.1").
    """
    from airflow_provider_cfg.core.identity import list_managed_experiments

    wanted = {_key(t): t for t in targets}
    if not wanted:
        return
    owners: dict[int, list[str]] = {}
    titles: dict[int, str] = {}
    for live in list_managed_experiments(client, LIVE, managed_only=False):
        if live.experiment_id == experiment_id:
            continue
        other = client.describe_task(live.experiment_id).Task
        shared = sorted(wanted[key] for key in experiment_targets(other) & set(wanted)) if other else []
        if shared:
            owners[live.experiment_id] = shared
            titles[live.experiment_id] = f"'{live.title}' ({TaskStatus.describe(live.status)})"
    if owners:
        parts = [
            f"experiment {owner} {titles[owner]} has {', '.join(ids[:_SHOWN])}"
            + (f" and {len(ids) - _SHOWN} more" if len(ids) > _SHOWN else "")
            for owner, ids in sorted(owners.items())
        ]
        raise TargetInUseError(
            f"refusing to {doing}: target instance(s) belong to another live experiment — {'; '.join(parts)}. "
            "Let it finish or roll it back first, or pass exclusive_targets=False to act anyway.",
            owners,
        )
