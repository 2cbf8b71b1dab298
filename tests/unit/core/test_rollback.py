"""The rollback engine against the emulator: recover in reverse order, end honestly, be idempotent,
leave concluded experiments alone, resume paused ones, fall back to the guardrail, survive an API
outage, and handle automatic-mode experiments."""

from __future__ import annotations

import json
import threading
import time

import pytest

from airflow_provider_cfg.core.rollback import (
    GUARDRAIL_NAME,
    Rollback,
    RollbackReport,
    rollback_experiment,
    self_healing_faults,
)
from tests.airflow_helpers import (
    INSTANCE,
    INSTANCES,
    action_state,
    actions_of,
    chaos,
    clear_chaos_after,
    create_multi,
    end,
    execute_action,
    faults,
    log_lines,
    make_client,
    ok,
    run_action,
    start,
    started_626,
    starts,
    task_of,
    trigger_logs,
    wait_for,
)

REASON = "inject_fault_1 failed"


@pytest.fixture
def client(cfg_emulator):
    with make_client(cfg_emulator, max_attempts=1) as client:
        yield client


def rollback(client, experiment_id: int, **options) -> RollbackReport:
    options = {"poll_interval": 0.05, "step_timeout": 10.0, "read_patience": 10.0, **options}
    return Rollback(client, experiment_id, REASON, **options).run()


def label(emu, experiment_id: int, action_id: int) -> str:
    return f"'{action_state(emu, experiment_id, action_id)['ActionTitle']}' (TaskActionId {action_id})"


def first_line(emu, experiment_id: int, text: str) -> int:
    return next(i for i, line in enumerate(log_lines(emu, experiment_id)) if text in line)


def two_faults_injected(emu) -> tuple[int, list[int]]:
    """A running experiment Empty Operation → rollback → CPU load → recovery, both faults injected."""
    experiment_id = create_multi(emu, [12, 21])
    start(emu, experiment_id)
    ids = [a["TaskGroupActionId"] for a in actions_of(emu, experiment_id)]
    run_action(emu, experiment_id, ids[0])
    run_action(emu, experiment_id, ids[2])
    assert len(faults(emu)) == 2
    return experiment_id, ids


def test_recovers_in_reverse_order_and_ends_honestly(cfg_emulator, client):
    experiment_id, (_fault_1, recovery_1, _fault_2, recovery_2) = two_faults_injected(cfg_emulator)
    report = rollback(client, experiment_id)
    assert faults(cfg_emulator) == []
    assert (first_line(cfg_emulator, experiment_id, f"action {recovery_2} '")
            < first_line(cfg_emulator, experiment_id, f"action {recovery_1} '"))
    assert report.recovered == [
        label(cfg_emulator, experiment_id, recovery_1), label(cfg_emulator, experiment_id, recovery_2)]
    assert (report.clean, report.ended, report.already_concluded, report.guardrail_triggered) == (
        True, True, False, False)
    assert report.left_injected == [] and report.problems == []
    task = task_of(cfg_emulator, experiment_id)
    assert (task["TaskStatus"], task["TaskExpect"]) == (1004, 2)
    assert task["TaskSummary"] == report.summary()
    assert report.summary() == (
        f"Rolled back by Airflow: {REASON}. Recovered: {label(cfg_emulator, experiment_id, recovery_1)}; "
        f"{label(cfg_emulator, experiment_id, recovery_2)}. "
        "Verdict: not as expected — the experiment was interrupted and rolled back."
    )


def test_second_run_changes_nothing(cfg_emulator, client):
    experiment_id, _ = two_faults_injected(cfg_emulator)
    rollback(client, experiment_id)
    before_task, before_log = task_of(cfg_emulator, experiment_id), log_lines(cfg_emulator, experiment_id)
    again = rollback(client, experiment_id)
    assert again.already_concluded is True and again.clean is True and again.recovered == []
    assert task_of(cfg_emulator, experiment_id)["TaskEndTime"] == before_task["TaskEndTime"]
    assert task_of(cfg_emulator, experiment_id)["TaskSummary"] == before_task["TaskSummary"]
    assert log_lines(cfg_emulator, experiment_id) == before_log


def test_partly_injected_fault_is_recovered_on_every_instance(cfg_emulator, client):
    experiment_id, fault, recovery = started_626(cfg_emulator, INSTANCES)
    chaos(cfg_emulator, failing_instances=["ins-bbbbbbbb"], failing_actions="fault")
    run_action(cfg_emulator, experiment_id, fault)
    assert action_state(cfg_emulator, experiment_id, fault)["TaskGroupActionStatusType"] == 2
    assert {f["ObjectId"] for f in faults(cfg_emulator)} == set(INSTANCES)  # a failed run may have injected
    report = rollback(client, experiment_id)
    assert report.clean and faults(cfg_emulator) == []
    assert {i["TaskGroupInstanceStatusType"]
            for i in action_state(cfg_emulator, experiment_id, recovery)["TaskGroupInstances"]} == {1}


def test_waits_for_a_fault_still_being_injected(cfg_emulator, client):
    experiment_id, fault, recovery = started_626(cfg_emulator)
    cfg_emulator.state.action_seconds = 0.4
    execute_action(cfg_emulator, experiment_id, fault)
    report = rollback(client, experiment_id)
    assert report.clean and faults(cfg_emulator) == []
    assert action_state(cfg_emulator, experiment_id, fault)["TaskGroupActionStatusType"] == 1  # not cut short
    assert starts(cfg_emulator, experiment_id, recovery) == 1


def test_the_wait_for_the_recovery_logs_its_progress(cfg_emulator, client, caplog):
    experiment_id, fault, _ = started_626(cfg_emulator)
    cfg_emulator.state.action_seconds = 0.4  # the fault is still being injected: the rollback waits
    execute_action(cfg_emulator, experiment_id, fault)
    with caplog.at_level("INFO", logger="airflow_provider_cfg.core.rollback"):
        assert rollback(client, experiment_id).clean
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("rollback: experiment")]
    assert lines and lines[0].startswith(f"rollback: experiment {experiment_id} running: 0 of 2 steps finished")
    assert len(lines) < 8  # on change and at the steady rate, not once per 50 ms poll
    assert all(len(line) <= 100 for line in lines)


def test_nothing_injected_still_ends_honestly(cfg_emulator, client):
    experiment_id, fault, recovery = started_626(cfg_emulator)
    ok(cfg_emulator, "ExecuteTaskInstance", TaskId=experiment_id,
       TaskGroupId=task_of(cfg_emulator, experiment_id)["TaskGroups"][0]["TaskGroupId"],
       TaskActionId=fault, ActionType=3, IsOperateAll=True, TaskInstanceIds=[])  # skipped: nothing injected
    report = rollback(client, experiment_id)
    assert report.already_recovered is True and report.recovered == [] and report.clean
    assert starts(cfg_emulator, experiment_id, recovery) == 0
    task = task_of(cfg_emulator, experiment_id)
    assert task["TaskExpect"] == 2 and "No fault was left injected." in task["TaskSummary"]


def test_already_concluded_experiment_is_untouched(cfg_emulator, client):
    experiment_id, fault, recovery = started_626(cfg_emulator)
    run_action(cfg_emulator, experiment_id, fault)
    run_action(cfg_emulator, experiment_id, recovery)
    end(cfg_emulator, experiment_id, "held its SLO", True)
    before = task_of(cfg_emulator, experiment_id), log_lines(cfg_emulator, experiment_id)
    report = rollback(client, experiment_id)
    assert report.already_concluded is True and report.clean is True and report.problems == []
    assert (task_of(cfg_emulator, experiment_id), log_lines(cfg_emulator, experiment_id)) == before


def test_ended_with_a_fault_left_reports_it(cfg_emulator, client):
    experiment_id, fault, _ = started_626(cfg_emulator)
    run_action(cfg_emulator, experiment_id, fault)
    end(cfg_emulator, experiment_id, "ended early", False)
    report = rollback(client, experiment_id)
    assert report.clean is False and report.left_injected == [label(cfg_emulator, experiment_id, fault)]
    assert "no longer accepts recoveries" in report.problems[0]
    assert task_of(cfg_emulator, experiment_id)["TaskSummary"] == "ended early"  # its conclusion is kept
    assert len(faults(cfg_emulator)) == 1


def test_paused_experiment_is_resumed_then_recovered(cfg_emulator, client):
    experiment_id, fault, recovery = started_626(cfg_emulator)
    run_action(cfg_emulator, experiment_id, fault)
    ok(cfg_emulator, "ModifyTaskRunStatus", TaskId=experiment_id, Status=1003)
    report = rollback(client, experiment_id)
    assert report.clean and faults(cfg_emulator) == []
    assert (first_line(cfg_emulator, experiment_id, "Task resumed")
            < first_line(cfg_emulator, experiment_id, f"action {recovery} '"))
    assert task_of(cfg_emulator, experiment_id)["TaskStatus"] == 1004


def test_failing_recovery_falls_back_to_the_guardrail(cfg_emulator, client):
    experiment_id, fault, recovery = started_626(cfg_emulator)
    run_action(cfg_emulator, experiment_id, fault)
    chaos(cfg_emulator, failing_instances=[INSTANCE], failing_actions="recovery")
    report = rollback(client, experiment_id)
    assert report.guardrail_triggered is True
    assert [(log["Name"], log["TriggerType"], log["Content"]) for log in trigger_logs(cfg_emulator, experiment_id)] == [
        (GUARDRAIL_NAME, 0, REASON)]
    assert report.clean is False and report.left_injected == [label(cfg_emulator, experiment_id, fault)]
    assert f"{label(cfg_emulator, experiment_id, recovery)} did not succeed" in report.problems
    assert starts(cfg_emulator, experiment_id, recovery) == 3  # executed, then retried twice; never endlessly
    assert [f["TaskGroupActionId"] for f in faults(cfg_emulator)] == [fault]
    task = task_of(cfg_emulator, experiment_id)
    assert (task["TaskStatus"], task["TaskExpect"]) == (1004, 2)
    assert f"STILL INJECTED, recover by hand: {label(cfg_emulator, experiment_id, fault)}." in task["TaskSummary"]
    assert "Guardrail triggered (TriggerPolicy)" in task["TaskSummary"]


def test_survives_an_api_outage_from_the_start(cfg_emulator, client, caplog):
    experiment_id, fault, _ = started_626(cfg_emulator)
    run_action(cfg_emulator, experiment_id, fault)
    chaos(cfg_emulator, error_rate=1.0, error_codes=["InternalError", "ServiceUnavailable"])
    timer = clear_chaos_after(cfg_emulator, 1.0)
    began = time.monotonic()
    report = rollback(client, experiment_id)
    timer.join()
    assert time.monotonic() - began >= 1.0
    assert "read failed" in caplog.text
    assert report.clean and report.ended and faults(cfg_emulator) == []
    assert task_of(cfg_emulator, experiment_id)["TaskExpect"] == 2


def test_survives_an_api_outage_half_way(cfg_emulator, client, caplog):
    """The outage starts while the recovery runs (the first wait), so reads and the end call meet it."""
    experiment_id, fault, recovery = started_626(cfg_emulator)
    run_action(cfg_emulator, experiment_id, fault)
    cfg_emulator.state.action_seconds = 0.3
    outage = threading.Event()

    def sleep(seconds: float) -> None:
        if not outage.is_set():
            outage.set()
            chaos(cfg_emulator, error_rate=1.0)
            clear_chaos_after(cfg_emulator, 0.8)
        time.sleep(seconds)

    report = rollback(client, experiment_id, sleep=sleep)
    assert outage.is_set() and "read failed" in caplog.text
    assert report.clean and report.ended and faults(cfg_emulator) == []
    assert starts(cfg_emulator, experiment_id, recovery) == 1
    assert task_of(cfg_emulator, experiment_id)["TaskStatus"] == 1004


def test_outage_longer_than_patience_is_reported_not_raised(cfg_emulator, client):
    experiment_id, _, _ = started_626(cfg_emulator)
    chaos(cfg_emulator, error_rate=1.0)
    report = rollback_experiment(client, experiment_id, REASON, poll_interval=0.05, read_patience=0.3)
    chaos(cfg_emulator)
    assert report.clean is False and report.problems[0].startswith("rollback stopped:")
    assert report.left_injected == ["unknown (the experiment could not be read)"]


def test_unknown_experiment_is_reported_not_raised(client):
    report = rollback_experiment(client, 999999, REASON)
    assert report.clean is False and "ResourceNotFound" in report.problems[0]


def test_end_false_recovers_without_ending(cfg_emulator, client):
    experiment_id, fault, _ = started_626(cfg_emulator)
    run_action(cfg_emulator, experiment_id, fault)
    report = rollback(client, experiment_id, end=False)
    assert report.clean and not report.ended and faults(cfg_emulator) == []
    assert task_of(cfg_emulator, experiment_id)["TaskStatus"] == 1002


def test_dropped_answers_each_change_lands_once(cfg_emulator, client):
    """Every change of the rollback loses its answer: each is settled by reading, none is sent twice."""
    experiment_id, fault, recovery = started_626(cfg_emulator)
    run_action(cfg_emulator, experiment_id, fault)
    ok(cfg_emulator, "ModifyTaskRunStatus", TaskId=experiment_id, Status=1003)  # paused: ResumeTask too
    chaos(cfg_emulator, drop_after_commit_rate=1.0)
    report = rollback(client, experiment_id)
    chaos(cfg_emulator)
    assert report.clean and report.ended and report.problems == [] and faults(cfg_emulator) == []
    assert starts(cfg_emulator, experiment_id, recovery) == 1
    assert sum(1 for line in log_lines(cfg_emulator, experiment_id) if "Task resumed" in line) == 1
    task = task_of(cfg_emulator, experiment_id)
    assert (task["TaskStatus"], task["TaskExpect"], task["TaskSummary"]) == (1004, 2, report.summary())


def test_dropped_guardrail_answer_triggers_it_once(cfg_emulator, client):
    experiment_id, fault, _ = started_626(cfg_emulator)
    run_action(cfg_emulator, experiment_id, fault)
    chaos(cfg_emulator, failing_instances=[INSTANCE], failing_actions="recovery", drop_after_commit_rate=1.0)
    report = rollback(client, experiment_id)
    chaos(cfg_emulator)
    assert report.guardrail_triggered is True and report.ended is True
    assert [log["Name"] for log in trigger_logs(cfg_emulator, experiment_id)] == [GUARDRAIL_NAME]
    assert report.left_injected == [label(cfg_emulator, experiment_id, fault)]


def test_a_change_that_keeps_failing_is_reported_and_the_rollback_goes_on(cfg_emulator, client, mocker):
    """A refused end is logged and left (the report says so); the recovery before it still ran."""
    from airflow_provider_cfg.api.client import CfgClient
    from airflow_provider_cfg.api.errors import CfgApiError

    experiment_id, fault, _ = started_626(cfg_emulator)
    run_action(cfg_emulator, experiment_id, fault)
    refused = CfgApiError("FailedOperation", "no", None, "ModifyTaskRunStatus")
    end_call = mocker.patch.object(CfgClient, "end_task", autospec=True, side_effect=refused)
    report = rollback(client, experiment_id)
    assert report.clean and report.ended is False and report.problems == ["could not end the experiment"]
    assert end_call.call_count == 1  # a refusal that changed nothing is not resent
    assert faults(cfg_emulator) == [] and task_of(cfg_emulator, experiment_id)["TaskStatus"] == 1002


def automatic_629(emu, after_wait: float = 0, policy: int = 2) -> tuple[int, int, int]:
    general = json.dumps({"AfterTimeWait": after_wait})
    experiment_id = ok(emu, "CreateTaskFromTemplate", TemplateId=629, TaskConfig={
        "TaskTitle": "auto", "PolicyDealType": policy,
        "TaskGroupsConfig": [{"TaskGroupInstances": [INSTANCE], "TaskGroupActionsConfig": [
            {"TaskGroupActionOrder": 1, "TaskGroupActionGeneralConfiguration": general}]}],
    })["TaskId"]
    fault, recovery = (a["TaskGroupActionId"] for a in actions_of(emu, experiment_id))
    return experiment_id, fault, recovery


@pytest.mark.parametrize(("policy", "recovered_by"), [(2, None), (1, "guardrail rollback: action")],
                         ids=["pause", "sequential-rollback"])
def test_automatic_experiment_guardrail_first_then_recover(cfg_emulator, client, policy, recovered_by):
    """Automatic mode: the guardrail stops CFG from injecting more before anything is recovered;
    with a sequential-rollback guardrail CFG runs the recovery itself, and it is not run twice."""
    experiment_id, fault, recovery = automatic_629(cfg_emulator, after_wait=5, policy=policy)
    start(cfg_emulator, experiment_id)
    wait_for(lambda: action_state(cfg_emulator, experiment_id, fault)["TaskGroupActionStatus"] == 2004,
             what="the CPU load to be injected")
    assert len(faults(cfg_emulator)) == 1
    report = rollback(client, experiment_id)
    assert report.guardrail_triggered is True and report.clean
    assert [log["Name"] for log in trigger_logs(cfg_emulator, experiment_id)] == [GUARDRAIL_NAME]
    assert (first_line(cfg_emulator, experiment_id, "Guardrail triggered")
            < first_line(cfg_emulator, experiment_id, f"action {recovery} '"))
    if recovered_by:
        assert recovered_by in log_lines(cfg_emulator, experiment_id)[
            first_line(cfg_emulator, experiment_id, f"action {recovery} '")]
    assert report.problems == []
    assert faults(cfg_emulator) == []
    assert starts(cfg_emulator, experiment_id, recovery) == 1
    task = task_of(cfg_emulator, experiment_id)
    assert (task["TaskStatus"], task["TaskExpect"]) == (1004, 2)


def test_automatic_experiment_that_ended_itself_gets_an_honest_conclusion(cfg_emulator, client):
    experiment_id, fault, _ = automatic_629(cfg_emulator)
    chaos(cfg_emulator, failing_instances=[INSTANCE], failing_actions="recovery")
    start(cfg_emulator, experiment_id)
    wait_for(lambda: task_of(cfg_emulator, experiment_id)["TaskStatus"] == 1004, what="the automatic run to end")
    assert task_of(cfg_emulator, experiment_id)["TaskExpect"] is None
    report = rollback(client, experiment_id)
    assert report.already_concluded is False and report.ended is True
    assert report.left_injected == [label(cfg_emulator, experiment_id, fault)]
    task = task_of(cfg_emulator, experiment_id)
    assert task["TaskExpect"] == 2 and task["TaskSummary"] == report.summary()
    assert "STILL INJECTED" in task["TaskSummary"]


# -- faults that heal by themselves (no recovery in the action library) -----------------------------------


def web_and_database_628(emu) -> tuple[int, list[int]]:
    """Template 628: 1.1 packet loss → 1.2 its recovery; 2.1 MySQL switch (no recovery: it heals by itself)."""
    experiment_id = ok(emu, "CreateTaskFromTemplate", TemplateId=628, TaskConfig={
        "TaskTitle": "web and db",
        "TaskGroupsConfig": [{"TaskGroupInstances": [INSTANCE]}, {"TaskGroupInstances": ["cdb-aaaaaaaa"]}],
    })["TaskId"]
    start(emu, experiment_id)
    return experiment_id, [a["TaskGroupActionId"] for a in actions_of(emu, experiment_id)]


def test_concluded_game_day_with_a_self_healing_fault_is_clean(cfg_emulator, client):
    experiment_id, ids = web_and_database_628(cfg_emulator)
    for action_id in ids:
        run_action(cfg_emulator, experiment_id, action_id)
    end(cfg_emulator, experiment_id, "good", True)
    assert faults(cfg_emulator) == []
    report = rollback(client, experiment_id)
    assert report.already_concluded is True
    assert report.clean is True and report.left_injected == [] and report.problems == []


def test_self_healing_fault_needs_no_recovery_nor_guardrail(cfg_emulator, client):
    experiment_id, (loss, loss_recovery, switch) = web_and_database_628(cfg_emulator)
    run_action(cfg_emulator, experiment_id, loss)
    cfg_emulator.state.action_seconds = 0.6  # the switch is still running when the rollback starts
    ok(cfg_emulator, "ExecuteTaskInstance", TaskId=experiment_id,
       TaskGroupId=task_of(cfg_emulator, experiment_id)["TaskGroups"][1]["TaskGroupId"],
       TaskActionId=switch, ActionType=2, IsOperateAll=True, TaskInstanceIds=[])
    assert action_state(cfg_emulator, experiment_id, switch)["TaskGroupActionStatus"] == 2003
    report = rollback(client, experiment_id)
    assert report.clean is True and report.problems == [] and report.guardrail_triggered is False
    assert report.recovered == [label(cfg_emulator, experiment_id, loss_recovery)]
    # waited for, not cut short
    assert action_state(cfg_emulator, experiment_id, switch)["TaskGroupActionStatusType"] == 1
    assert trigger_logs(cfg_emulator, experiment_id) == [] and faults(cfg_emulator) == []
    assert "STILL INJECTED" not in task_of(cfg_emulator, experiment_id)["TaskSummary"]


def unpaired_task():
    """Reboot (3, no recovery in the library) and Empty Operation (12, whose recovery 13 is missing here)."""
    from airflow_provider_cfg.api.models import Task

    return Task.model_validate({"TaskId": 1, "TaskStatus": 1002, "TaskGroups": [{
        "TaskGroupId": 10, "TaskGroupOrder": 1, "ObjectTypeId": 1, "TaskGroupActions": [
            {"TaskGroupActionId": 101, "TaskGroupActionOrder": 1, "ActionId": 3, "ActionTitle": "Reboot",
             "ActionAttribute": 1, "TaskGroupActionStatus": 2004, "TaskGroupActionStatusType": 1},
            {"TaskGroupActionId": 102, "TaskGroupActionOrder": 2, "ActionId": 12, "ActionTitle": "Empty Operation",
             "ActionAttribute": 1, "TaskGroupActionStatus": 2004, "TaskGroupActionStatusType": 1},
        ]}]})


def test_only_library_one_shot_faults_heal_by_themselves(cfg_emulator, client):
    from airflow_provider_cfg.core.rollback import unrecovered_faults

    task = unpaired_task()
    healing = self_healing_faults(client, task)
    assert healing == {101}
    # 102's recovery is missing: it is still injected
    assert [fault.TaskGroupActionId for fault, _ in unrecovered_faults(task, healing)] == [102]
    assert [fault.TaskGroupActionId for fault, _ in unrecovered_faults(task)] == [101, 102]


def test_left_injected_names_what_is_still_injected():
    from airflow_provider_cfg.core.rollback import left_injected

    task = unpaired_task()
    assert left_injected(task) == ["'Reboot' (TaskActionId 101)", "'Empty Operation' (TaskActionId 102)"]
    assert left_injected(task, {101}) == ["'Empty Operation' (TaskActionId 102)"]


def test_unreadable_library_counts_faults_as_injected(cfg_emulator, client):
    chaos(cfg_emulator, error_rate=1.0)
    assert self_healing_faults(client, unpaired_task()) == set()
