"""check_halted, halt-all's verdict after the sweep, against the emulator: halted means ended with
nothing left injected; anything else is a problem named per experiment, and an unreadable one does
not hide the others."""

from __future__ import annotations

import pytest

from airflow_provider_cfg.core.halt import check_halted
from airflow_provider_cfg.core.rollback import rollback_experiment
from tests.airflow_helpers import create_managed_626, make_client, run_action, start, started_626


@pytest.fixture
def client(cfg_emulator):
    with make_client(cfg_emulator, max_attempts=1) as client:
        yield client


def test_rolled_back_experiments_are_halted(cfg_emulator, client):
    experiment_id = create_managed_626(cfg_emulator, "halted")
    start(cfg_emulator, experiment_id)
    rollback_experiment(client, experiment_id, "halt", poll_interval=0.05)
    check = check_halted(client, [experiment_id])
    assert (check.halted, check.problems, check.appeared_since) == ([experiment_id], [], [])


def test_a_fault_left_injected_and_a_live_experiment_are_problems(cfg_emulator, client):
    injected, fault, _ = started_626(cfg_emulator)
    run_action(cfg_emulator, injected, fault)
    check = check_halted(client, [injected])
    assert check.halted == []
    assert check.problems == [
        f"experiment {injected}: STILL INJECTED: 'Empty Operation' (TaskActionId {fault})",
        f"experiment {injected}: still running, not ended",
    ]


def test_an_unreadable_experiment_does_not_hide_the_others(cfg_emulator, client):
    halted = create_managed_626(cfg_emulator, "halted")
    start(cfg_emulator, halted)
    rollback_experiment(client, halted, "halt", poll_interval=0.05)
    check = check_halted(client, [999999, halted])
    assert check.halted == [halted]
    assert len(check.problems) == 1 and check.problems[0].startswith("experiment 999999: cannot be read (")
    assert "check it by hand" in check.problems[0]


def test_experiments_that_appeared_since_the_sweep_are_listed(cfg_emulator, client):
    swept = create_managed_626(cfg_emulator, "swept")
    start(cfg_emulator, swept)
    rollback_experiment(client, swept, "halt", poll_interval=0.05)
    newcomer = create_managed_626(cfg_emulator, "newcomer")
    check = check_halted(client, [swept])
    assert check.halted == [swept] and check.problems == []
    assert [(item.experiment_id, item.title) for item in check.appeared_since] == [(newcomer, "newcomer")]
