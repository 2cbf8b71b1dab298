"""In-memory experiment state over simulated time, one module per job.

:class:`EmulatorState` composes the parts: :mod:`.core` (tasks, ids, timers, log lines),
:mod:`.creation`, :mod:`.lifecycle`, :mod:`.instance_operations`, :mod:`.execution` (running an
action), :mod:`.automatic` (moving a task on), :mod:`.guardrail` and :mod:`.ledger` (the faults in
place); :mod:`.records` and :mod:`.specs` hold the data, :mod:`.clock` the simulated time.
"""

from airflow_provider_cfg.emulator.state.clock import CST, TIME_FORMAT, SimClock, parse_time
from airflow_provider_cfg.emulator.state.emulator_state import EmulatorState
from airflow_provider_cfg.emulator.state.execution import PREPARE_FRACTION
from airflow_provider_cfg.emulator.state.records import ActionRec, GroupRec, InstanceRec, TaskRec
from airflow_provider_cfg.emulator.state.specs import ActionSpec, GroupSpec, TaskSpec, pair_actions

__all__ = [
    "CST",
    "PREPARE_FRACTION",
    "TIME_FORMAT",
    "ActionRec",
    "ActionSpec",
    "EmulatorState",
    "GroupRec",
    "GroupSpec",
    "InstanceRec",
    "SimClock",
    "TaskRec",
    "TaskSpec",
    "pair_actions",
    "parse_time",
]
