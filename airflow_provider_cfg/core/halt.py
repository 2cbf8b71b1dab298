"""Halt all: after the sweep rolled back every live experiment the provider created, say whether
each one is really halted — ended, with nothing left injected — and which appeared since.

The big red button (``dags_examples/cfg_halt_all.py``) lists the experiments with
:func:`~airflow_provider_cfg.core.identity.list_managed_experiments`, rolls each back with the
rollback operator, then checks them here. No Airflow import here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from airflow_provider_cfg.api.enums import TaskStatus
from airflow_provider_cfg.core.identity import ManagedExperiment, list_managed_experiments
from airflow_provider_cfg.core.rollback import left_injected, self_healing_faults

if TYPE_CHECKING:
    from airflow_provider_cfg.api.client import CfgClient


@dataclass
class HaltCheck:
    """Where the swept experiments stand after their rollback."""

    halted: list[int] = field(default_factory=list)
    """Ended with nothing left injected."""
    problems: list[str] = field(default_factory=list)
    """One line per experiment not halted: what is still injected, or that it has not ended."""
    appeared_since: list[ManagedExperiment] = field(default_factory=list)
    """Live managed experiments that were not in the sweep (created while it ran)."""


def check_halted(client: CfgClient, swept: Collection[int]) -> HaltCheck:
    """Re-read every swept experiment and list the live managed experiments again.

    :param client: a synchronous CFG client, in the region that was swept.
    :param swept: the experiments (``TaskId``) the sweep found and rolled back.
    """
    check = HaltCheck()
    for experiment_id in swept:
        try:
            task = client.describe_task(experiment_id).require_task()
            left = left_injected(task, self_healing_faults(client, task))
        except Exception as exc:  # one unreadable experiment must not hide the others
            check.problems.append(f"experiment {experiment_id}: cannot be read ({exc}); check it by hand")
            continue
        if left:
            check.problems.append(f"experiment {experiment_id}: STILL INJECTED: {', '.join(left)}")
        if task.TaskStatus != TaskStatus.ENDED:
            check.problems.append(f"experiment {experiment_id}: still {TaskStatus.words(task.TaskStatus)}, not ended")
        if not left and task.TaskStatus == TaskStatus.ENDED:
            check.halted.append(experiment_id)
    check.appeared_since = [item for item in list_managed_experiments(client) if item.experiment_id not in swept]
    return check
