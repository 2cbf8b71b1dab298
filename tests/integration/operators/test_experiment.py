"""Start, pause, resume, end, conclude, guardrail and delete (operators/experiment.py) against the emulator."""

from __future__ import annotations

import pytest

from airflow_provider_cfg.api.errors import CfgApiError
from airflow_provider_cfg.exceptions import CfgExperimentStatusError
from airflow_provider_cfg.links.console import XCOM_CONSOLE_URL, XCOM_EXPERIMENT_ID
from airflow_provider_cfg.operators.base import CfgVerdictError
from airflow_provider_cfg.operators.create import CfgCreateExperimentFromTemplateOperator
from airflow_provider_cfg.operators.experiment import (
    CfgConcludeExperimentOperator,
    CfgDeleteExperimentOperator,
    CfgEndExperimentOperator,
    CfgPauseExperimentOperator,
    CfgResumeExperimentOperator,
    CfgStartExperimentOperator,
    CfgTriggerGuardrailOperator,
)
from tests.airflow_helpers import (
    INSTANCE,
    FakeTI,
    chaos,
    context_for,
    create_626,
    end,
    landed_then_refused,
    log_lines,
    ok,
    run_626_cleanly,
    run_action,
    started_626,
    task_of,
    trigger_logs,
    wait_for,
)


def status(emu, experiment_id: int) -> int:
    return task_of(emu, experiment_id)["TaskStatus"]


def lines_with(emu, experiment_id: int, text: str) -> int:
    return sum(1 for line in log_lines(emu, experiment_id) if text in line)


@pytest.mark.parametrize(
    ("cls", "extra"),
    [
        (CfgStartExperimentOperator, set()),
        (CfgPauseExperimentOperator, set()),
        (CfgResumeExperimentOperator, set()),
        (CfgEndExperimentOperator, {"summary", "issue", "record", "is_expect", "report_path"}),
        (CfgConcludeExperimentOperator, {"summary", "issue", "record", "is_expect", "checks", "report_path"}),
        (CfgTriggerGuardrailOperator, {"name", "content"}),
        (CfgDeleteExperimentOperator, set()),
    ],
)
def test_template_fields(cls, extra):
    assert set(cls.template_fields) == {"cfg_conn_id", "region", "experiment_id", *extra}
    kwargs = {"name": "n", "content": "c"} if cls is CfgTriggerGuardrailOperator else {}
    op = cls(task_id="t", experiment_id="{{ params.id }}", **kwargs)
    op.render_template_fields({"params": {"id": "4242"}})
    assert op.experiment_id == "4242"


# -- start --------------------------------------------------------------------------------------------


def test_start_is_idempotent(emu):
    experiment_id = create_626(emu)
    ti = FakeTI()
    start = CfgStartExperimentOperator(task_id="start", experiment_id=str(experiment_id))
    assert start.execute(context_for(ti)) == experiment_id
    assert status(emu, experiment_id) == 1002
    assert (ti.pushed[XCOM_EXPERIMENT_ID] == experiment_id
            and ti.pushed[XCOM_CONSOLE_URL].endswith(f"/_emulator/tasks/{experiment_id}"))
    start = CfgStartExperimentOperator(task_id="start", experiment_id=experiment_id)
    assert start.execute(context_for()) == experiment_id
    assert status(emu, experiment_id) == 1002
    assert lines_with(emu, experiment_id, "started (ExecuteTask)") == 1


def test_start_leaves_a_paused_experiment_paused(emu):
    experiment_id, _, _ = started_626(emu)
    ok(emu, "ModifyTaskRunStatus", TaskId=experiment_id, Status=1003)
    CfgStartExperimentOperator(task_id="start", experiment_id=experiment_id).execute(context_for())
    assert status(emu, experiment_id) == 1003


def test_start_refuses_an_ended_experiment(emu):
    experiment_id = create_626(emu)
    end(emu, experiment_id)
    with pytest.raises(CfgExperimentStatusError, match="has already ended"):
        CfgStartExperimentOperator(task_id="start", experiment_id=experiment_id).execute(context_for())


def test_start_with_lost_answer_reads_state(emu, caplog):
    experiment_id = create_626(emu)
    chaos(emu, drop_after_commit_rate=1.0)
    CfgStartExperimentOperator(task_id="start", experiment_id=experiment_id).execute(context_for())
    chaos(emu)
    assert "ExecuteTask -> OK, answer dropped after commit" in caplog.text
    assert status(emu, experiment_id) == 1002
    assert lines_with(emu, experiment_id, "started (ExecuteTask)") == 1


def test_start_refused_but_started_is_not_sent_again(emu, mocker):
    """After any failure the experiment is read: a refusal whose change is there counts as started."""
    experiment_id = create_626(emu)
    call = landed_then_refused(mocker, "execute_task")
    start = CfgStartExperimentOperator(task_id="start", experiment_id=experiment_id)
    assert start.execute(context_for()) == experiment_id
    assert call.call_count == 1 and status(emu, experiment_id) == 1002
    assert lines_with(emu, experiment_id, "started (ExecuteTask)") == 1


def test_start_refused_and_not_started_raises(emu, mocker):
    from airflow_provider_cfg.api.client import CfgClient

    experiment_id = create_626(emu)
    refused = CfgApiError("InvalidParameter", "no", None, "ExecuteTask")
    call = mocker.patch.object(CfgClient, "execute_task", autospec=True, side_effect=refused)
    with pytest.raises(CfgApiError, match="InvalidParameter"):
        CfgStartExperimentOperator(task_id="start", experiment_id=experiment_id).execute(context_for())
    assert call.call_count == 1 and status(emu, experiment_id) == 1001


# -- pause / resume -------------------------------------------------------------------------------------


def test_pause_and_resume_are_idempotent(emu):
    experiment_id, _, _ = started_626(emu)
    pause = CfgPauseExperimentOperator(task_id="pause", experiment_id=experiment_id)
    resume = CfgResumeExperimentOperator(task_id="resume", experiment_id=experiment_id)
    ti = FakeTI()
    assert pause.execute(context_for(ti)) == experiment_id
    assert status(emu, experiment_id) == 1003 and ti.pushed[XCOM_EXPERIMENT_ID] == experiment_id
    assert pause.execute(context_for()) == experiment_id
    assert status(emu, experiment_id) == 1003
    assert resume.execute(context_for()) == experiment_id
    assert status(emu, experiment_id) == 1002
    assert resume.execute(context_for()) == experiment_id
    assert status(emu, experiment_id) == 1002
    assert lines_with(emu, experiment_id, "Task paused") == 1 and lines_with(emu, experiment_id, "Task resumed") == 1


# -- end -------------------------------------------------------------------------------------------------


def test_end_records_the_conclusion_and_keeps_it(emu):
    experiment_id, _, _ = started_626(emu)
    result = CfgEndExperimentOperator(
        task_id="end", experiment_id=experiment_id, summary="Service held its SLO", is_expect="true",
        issue="none found",
    ).execute(context_for())
    assert result == {
        "experiment_id": experiment_id, "is_expect": True, "summary": "Service held its SLO", "already_ended": False,
        "stored_in_cfg": True}
    task = task_of(emu, experiment_id)
    assert (task["TaskStatus"], task["TaskExpect"], task["TaskSummary"], task["TaskIssue"]) == (
        1004, 1, "Service held its SLO", "none found")

    again = CfgEndExperimentOperator(  # a retry of the same task: its own conclusion, kept
        task_id="end", experiment_id=experiment_id, summary="Service held its SLO", is_expect=True,
    ).execute(context_for())
    assert again == {
        "experiment_id": experiment_id, "is_expect": True, "summary": "Service held its SLO", "already_ended": True}
    with pytest.raises(CfgVerdictError, match="ended as expected: ended outside this DAG run"):
        CfgEndExperimentOperator(  # another task's: kept, but not taken for this one's
            task_id="end", experiment_id=experiment_id, summary="other", is_expect=False,
        ).execute(context_for())
    assert task_of(emu, experiment_id)["TaskSummary"] == "Service held its SLO"


def test_end_records_a_conclusion_on_an_auto_ended_experiment(emu):
    ti = FakeTI()
    experiment_id = CfgCreateExperimentFromTemplateOperator(
        task_id="create", template_id=629, instances=[INSTANCE],
    ).execute(context_for(ti))
    CfgStartExperimentOperator(task_id="start", experiment_id=experiment_id).execute(context_for())
    wait_for(lambda: status(emu, experiment_id) == 1004, what="the automatic experiment to end itself")
    assert task_of(emu, experiment_id)["TaskExpect"] is None
    result = CfgEndExperimentOperator(
        task_id="end", experiment_id=experiment_id, summary="CPU drill: alerts were late", is_expect=False,
        fail_on_unexpected=False,  # a team that only records
    ).execute(context_for())
    assert result["already_ended"] is False and result["is_expect"] is False
    task = task_of(emu, experiment_id)
    assert (task["TaskExpect"], task["TaskSummary"]) == (2, "CPU drill: alerts were late")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"is_expect": True}, "summary is required"),
    ({"summary": "s", "is_expect": "maybe"}, "is_expect must be true or false"),
])
def test_end_refuses_an_incomplete_conclusion(emu, kwargs, message):
    experiment_id, _, _ = started_626(emu)
    with pytest.raises(ValueError, match=message):
        CfgEndExperimentOperator(task_id="end", experiment_id=experiment_id, **kwargs).execute(context_for())
    assert status(emu, experiment_id) == 1002


# -- conclude --------------------------------------------------------------------------------------------


def test_conclude_as_expected(emu):
    experiment_id, _, _ = run_626_cleanly(emu)
    ti = FakeTI(pulls={"probe_during": {"passed": True, "detail": "HTTP 200 in 3 ms"}})
    result = CfgConcludeExperimentOperator(
        task_id="conclude", experiment_id=experiment_id, summary="Game day.",
        checks={"error_rate": True}, check_task_ids=["probe_during"],
    ).execute(context_for(ti))
    assert result["is_expect"] is True and result["already_ended"] is False
    task = task_of(emu, experiment_id)
    assert task["TaskExpect"] == 1 and task["TaskStatus"] == 1004
    summary = task["TaskSummary"]
    assert summary.startswith("Game day. Step 1.1 Empty Operation: success (started ")
    assert "Step 1.2 Empty Operation (rollback): success" in summary
    assert "Check error_rate: passed." in summary and "Check probe_during: passed — HTTP 200 in 3 ms." in summary
    assert summary.endswith("Verdict: as expected.")
    assert ti.pulled == ["probe_during"]


@pytest.mark.parametrize(
    ("checks", "pulls", "expected"),
    [
        ('{"latency": {"passed": false, "detail": "latency 2300 ms > 2000 ms"}}', {},
         "Check latency: FAILED — latency 2300 ms > 2000 ms."),
        (None, {"probe": None}, "Check probe: FAILED — no result (None)."),
        ({"errors": "yes"}, {}, "Check errors: FAILED — no result ('yes')."),
    ],
)
def test_conclude_failed_check_is_not_as_expected(emu, checks, pulls, expected):
    experiment_id, _, _ = run_626_cleanly(emu)
    with pytest.raises(CfgVerdictError, match=r"concluded NOT as expected by this task: .*a check failed"):
        CfgConcludeExperimentOperator(
            task_id="conclude", experiment_id=experiment_id, checks=checks, check_task_ids=list(pulls),
        ).execute(context_for(FakeTI(pulls=pulls)))
    task = task_of(emu, experiment_id)
    assert task["TaskExpect"] == 2
    assert expected in task["TaskSummary"] and "a check failed" in task["TaskSummary"]


def test_conclude_guardrail_fired_is_not_as_expected(emu):
    experiment_id, _, _ = run_626_cleanly(emu)
    CfgTriggerGuardrailOperator(
        task_id="g", experiment_id=experiment_id, name="p99 latency", content="above 2 s",
    ).execute(context_for())
    CfgTriggerGuardrailOperator(
        task_id="g", experiment_id=experiment_id, name="p99 latency", content="back to normal", recover=True,
    ).execute(context_for())
    with pytest.raises(CfgVerdictError, match="the guardrail fired"):
        CfgConcludeExperimentOperator(
            task_id="conclude", experiment_id=experiment_id, checks={"ok": True}).execute(context_for())
    task = task_of(emu, experiment_id)
    assert task["TaskExpect"] == 2
    assert "Guardrail triggered at " in task["TaskSummary"] and "p99 latency — above 2 s." in task["TaskSummary"]
    assert "Guardrail recovered at " in task["TaskSummary"]
    assert "the guardrail fired" in task["TaskSummary"]


def test_conclude_unfinished_step_is_not_as_expected(emu):
    experiment_id, fault, _ = started_626(emu)
    run_action(emu, experiment_id, fault)  # recovery never ran
    with pytest.raises(CfgVerdictError, match="a step did not succeed"):
        CfgConcludeExperimentOperator(
            task_id="conclude", experiment_id=experiment_id, checks={"ok": True}).execute(context_for())
    task = task_of(emu, experiment_id)
    assert task["TaskExpect"] == 2
    assert "Step 1.2 Empty Operation (rollback): unfinished (not run)." in task["TaskSummary"]
    assert "a step did not succeed" in task["TaskSummary"]


def test_conclude_keeps_an_existing_conclusion_but_fails_when_it_is_someone_elses(emu):
    """Ended by hand mid-run, even as expected: the conclusion is kept, and Airflow says that this
    DAG run did not conclude it (on main the task was green)."""
    experiment_id, _, _ = run_626_cleanly(emu)
    end(emu, experiment_id, "ended by hand", True)
    with pytest.raises(CfgVerdictError, match=r"ended as expected: ended outside this DAG run .*ended by hand"):
        CfgConcludeExperimentOperator(
            task_id="conclude", experiment_id=experiment_id, checks={"x": False},
        ).execute(context_for())
    result = CfgConcludeExperimentOperator(
        task_id="conclude", experiment_id=experiment_id, checks={"x": False}, fail_on_unexpected=False,
    ).execute(context_for())
    assert result["already_ended"] is True and result["summary"] == "ended by hand"
    assert task_of(emu, experiment_id)["TaskExpect"] == 1


def test_a_retried_conclude_finds_its_own_conclusion(emu):
    experiment_id, _, _ = run_626_cleanly(emu)
    first = CfgConcludeExperimentOperator(
        task_id="conclude", experiment_id=experiment_id, checks={"ok": True}, summary="Game day.",
    ).execute(context_for())
    retried = CfgConcludeExperimentOperator(
        task_id="conclude", experiment_id=experiment_id, checks={"ok": True}, summary="Game day.",
    ).execute(context_for())
    assert first["already_ended"] is False and retried["already_ended"] is True
    assert retried["is_expect"] is True and retried["summary"] == first["summary"]


def test_conclude_fails_on_an_experiment_ended_not_as_expected_by_someone_else(emu):
    """Halted from outside (a halt-all, a rollback, a person): the conclusion is kept and the task
    fails, naming who ended it and CFG's verdict (on main it was kept at INFO and the task green)."""
    from airflow_provider_cfg.core.rollback import rollback_experiment
    from tests.airflow_helpers import make_client

    experiment_id, fault, _ = started_626(emu)
    run_action(emu, experiment_id, fault)
    with make_client(emu) as client:
        reason = "Halted by cfg_halt_all (run manual__1): incident"
        rollback_experiment(client, experiment_id, reason, poll_interval=0.05)
    with pytest.raises(CfgVerdictError) as failure:
        CfgConcludeExperimentOperator(
            task_id="conclude", experiment_id=experiment_id, checks={"ok": True}).execute(context_for())
    message = str(failure.value)
    assert f"Experiment {experiment_id} ended NOT as expected: rolled back by Airflow " in message
    assert "(Halted by cfg_halt_all (run manual__1): incident)" in message
    assert "other than this task, before it concluded it" in message
    assert "CFG's summary: Rolled back by Airflow" in message
    assert task_of(emu, experiment_id)["TaskExpect"] == 2


def test_conclude_names_an_outside_end_and_the_opt_out_only_records(emu):
    experiment_id, _, _ = run_626_cleanly(emu)
    end(emu, experiment_id, "stopped by the on-call engineer", False)
    with pytest.raises(CfgVerdictError, match=r"ended NOT as expected: ended outside this DAG run .*"
                                              r"CFG's summary: stopped by the on-call engineer"):
        CfgConcludeExperimentOperator(task_id="conclude", experiment_id=experiment_id).execute(context_for())
    result = CfgConcludeExperimentOperator(
        task_id="conclude", experiment_id=experiment_id, fail_on_unexpected=False).execute(context_for())
    assert result["already_ended"] is True and result["is_expect"] is False


# -- guardrail ---------------------------------------------------------------------------------------------


def test_guardrail_trigger_and_recover(emu):
    experiment_id, _, _ = started_626(emu)
    ti = FakeTI()
    assert CfgTriggerGuardrailOperator(
        task_id="g", experiment_id=experiment_id, name="error budget", content="5xx > 1%",
    ).execute(context_for(ti)) is True
    assert ti.pushed[XCOM_EXPERIMENT_ID] == experiment_id
    assert task_of(emu, experiment_id)["TaskPolicy"]["TaskPolicyStatus"] == "已触发"
    assert CfgTriggerGuardrailOperator(
        task_id="g", experiment_id=experiment_id, name="error budget", content="ok again", recover=True,
    ).execute(context_for()) is True
    assert task_of(emu, experiment_id)["TaskPolicy"]["TaskPolicyStatus"] == "已恢复"
    assert [(log["Name"], log["Content"], log["TriggerType"]) for log in trigger_logs(emu, experiment_id)] == [
        ("error budget", "5xx > 1%", 0), ("error budget", "ok again", 1),
    ]


def test_guardrail_lost_answer_is_not_repeated(emu, caplog):
    experiment_id, _, _ = started_626(emu)
    chaos(emu, drop_after_commit_rate=1.0)
    assert CfgTriggerGuardrailOperator(
        task_id="g", experiment_id=experiment_id, name="n", content="c",
    ).execute(context_for()) is True
    chaos(emu)
    assert "TriggerPolicy -> OK, answer dropped after commit" in caplog.text
    assert len(trigger_logs(emu, experiment_id)) == 1


def test_guardrail_refused_but_triggered_is_not_repeated(emu, mocker):
    experiment_id, _, _ = started_626(emu)
    call = landed_then_refused(mocker, "trigger_policy")
    assert CfgTriggerGuardrailOperator(
        task_id="g", experiment_id=experiment_id, name="n", content="c",
    ).execute(context_for()) is True
    assert call.call_count == 1 and len(trigger_logs(emu, experiment_id)) == 1


def test_guardrail_on_ended_experiment_fails(emu):
    experiment_id = create_626(emu)
    end(emu, experiment_id)
    with pytest.raises(CfgApiError) as info:
        CfgTriggerGuardrailOperator(
            task_id="g", experiment_id=experiment_id, name="n", content="c").execute(context_for())
    assert info.value.code == "UnsupportedOperation"


# -- delete ---------------------------------------------------------------------------------------------------


def test_delete_with_missing_ok(emu):
    experiment_id = create_626(emu)
    end(emu, experiment_id)
    assert CfgDeleteExperimentOperator(task_id="d", experiment_id=experiment_id).execute(context_for()) is True
    assert emu.call("DescribeTask", TaskId=experiment_id)["Error"]["Code"] == "ResourceNotFound"
    assert CfgDeleteExperimentOperator(task_id="d", experiment_id=experiment_id).execute(context_for()) is False
    with pytest.raises(ValueError, match="does not exist"):
        CfgDeleteExperimentOperator(task_id="d", experiment_id=experiment_id, missing_ok=False).execute(context_for())


def test_delete_refuses_a_running_experiment(emu):
    experiment_id, _, _ = started_626(emu)
    with pytest.raises(CfgApiError) as info:
        CfgDeleteExperimentOperator(task_id="d", experiment_id=experiment_id).execute(context_for())
    assert info.value.code == "FailedOperation"
    assert status(emu, experiment_id) == 1002


def test_end_with_lost_answer_is_safe_to_retry(emu, caplog):
    from airflow_provider_cfg.api.errors import CfgOutcomeUnknownError

    experiment_id, _, _ = started_626(emu)
    chaos(emu, drop_after_commit_rate=1.0)
    with pytest.raises(CfgOutcomeUnknownError):
        CfgEndExperimentOperator(
            task_id="end", experiment_id=experiment_id, summary="first try", is_expect=True,
        ).execute(context_for())
    chaos(emu)
    assert "ModifyTaskRunStatus -> OK, answer dropped after commit" in caplog.text
    retried = CfgEndExperimentOperator(
        task_id="end", experiment_id=experiment_id, summary="first try", is_expect=True,
    ).execute(context_for())
    assert retried["already_ended"] is True and retried["summary"] == "first try"
    assert task_of(emu, experiment_id)["TaskExpect"] == 1


def test_delete_with_lost_answer_is_safe_to_retry(emu):
    experiment_id = create_626(emu)
    end(emu, experiment_id)
    chaos(emu, drop_after_commit_rate=1.0)
    # the answer is lost: the operator reads (DescribeTaskList) that the experiment is gone, never resends
    assert CfgDeleteExperimentOperator(task_id="d", experiment_id=experiment_id).execute(context_for()) is True
    chaos(emu)
    assert CfgDeleteExperimentOperator(task_id="d", experiment_id=experiment_id).execute(context_for()) is False
