"""compose_conclusion: an honest IsExpect and Summary from steps, checks and guardrail triggers."""

from __future__ import annotations

import pytest

from airflow_provider_cfg.api.models import PolicyTriggerLog
from airflow_provider_cfg.core.conclusion import MAX_SUMMARY, compose_conclusion
from tests.airflow_helpers import build_action, build_task

START = "2026-01-07 10:00:00"


def finished_task(fault_type: int = 1, recovery_status: int = 2004, recovery_type: int = 1):
    return build_task([(1, 1, [
        build_action(11, 1, "Shutdown", status=2004, status_type=fault_type, start_time=START, seconds=12),
        build_action(12, 2, "Start-up", fault=False, status=recovery_status, status_type=recovery_type,
                     start_time=START if recovery_status == 2004 else None, seconds=None),
    ])])


def log(kind: int, name: str = "p99", content: str = "above SLO", at: str = "2026-01-07 10:00:05") -> PolicyTriggerLog:
    return PolicyTriggerLog(TaskId=3256, Name=name, TriggerType=kind, Content=content, CreatTime=at)


def test_everything_fine():
    verdict = compose_conclusion(finished_task(),
                                 {"latency": {"passed": True, "detail": "12 ms"}, "errors": {"passed": True}},
                                 lead=" Game day. ")
    assert verdict.is_expect is True
    assert verdict.summary == (
        "Game day. Step 1.1 Shutdown: success (started 2026-01-07 02:00:00 UTC, took 12 s). "
        "Step 1.2 Start-up: success (started 2026-01-07 02:00:00 UTC). "
        "Check latency: passed — 12 ms. Check errors: passed. Verdict: as expected."
    )


def test_skipped_step_is_fine_but_no_checks_is_said():
    verdict = compose_conclusion(finished_task(fault_type=4), {})
    assert verdict.is_expect is True
    assert "Step 1.1 Shutdown: skipped" in verdict.summary
    assert "No steady-state check reported." in verdict.summary


def test_failed_check():
    verdict = compose_conclusion(finished_task(),
                                 {"latency": {"passed": False, "detail": "2300 ms"}, "errors": {"passed": True}})
    assert verdict.is_expect is False
    assert "Check latency: FAILED — 2300 ms." in verdict.summary
    assert verdict.summary.endswith("Verdict: NOT as expected (a check failed).")


def test_failed_or_unfinished_step():
    failed = compose_conclusion(finished_task(fault_type=2), {"ok": {"passed": True}})
    assert failed.is_expect is False and "Step 1.1 Shutdown: failed" in failed.summary
    assert failed.summary.endswith("(a step did not succeed).")
    unfinished = compose_conclusion(finished_task(recovery_status=2002, recovery_type=0), {"ok": {"passed": True}})
    assert unfinished.is_expect is False and "Step 1.2 Start-up: unfinished (not run)." in unfinished.summary


def test_guardrail_fired():
    verdict = compose_conclusion(finished_task(), {"ok": {"passed": True}},
                                 [log(0), log(1, content="recovered", at="2026-01-07 10:01:00")])
    assert verdict.is_expect is False
    assert "Guardrail triggered at 2026-01-07 02:00:05 UTC: p99 — above SLO." in verdict.summary  # CFG's +08:00
    assert "Guardrail recovered at 2026-01-07 02:01:00 UTC: p99 — recovered." in verdict.summary
    assert verdict.summary.endswith("(the guardrail fired).")


def test_a_recover_alone_is_not_a_firing():
    verdict = compose_conclusion(finished_task(), {"ok": {"passed": True}}, [log(1)])
    assert verdict.is_expect is True and "Guardrail recovered" in verdict.summary


def test_every_reason_is_given():
    verdict = compose_conclusion(finished_task(fault_type=3), {"x": {"passed": False}}, [log(0)])
    assert verdict.summary.endswith(
        "Verdict: NOT as expected (a step did not succeed; a check failed; the guardrail fired).")


def test_summary_fits_cfg():
    verdict = compose_conclusion(finished_task(), {"ok": {"passed": True}}, lead="x" * 5000)
    assert len(verdict.summary) == MAX_SUMMARY and verdict.summary.endswith("…")
    assert verdict.is_expect is True


# -- who or what ended it ------------------------------------------------------------------------------


def _log(name: str, content: str, kind: int = 0) -> PolicyTriggerLog:
    return PolicyTriggerLog(TaskId=1, Name=name, TriggerType=kind, Content=content, CreatTime="2026-01-07 10:00:00")


def test_ended_by_names_the_provider_rollback_and_its_whole_reason():
    from airflow_provider_cfg.core.conclusion import ended_by

    summary = ("Rolled back by Airflow: Halted by cfg_halt_all (run manual__1): DB incident. in prod. "
               "Recovered: 'Empty Operation (rollback)'. Verdict: not as expected — the experiment was interrupted.")
    assert ended_by(summary) == "rolled back by Airflow (Halted by cfg_halt_all (run manual__1): DB incident. in prod)"


def test_ended_by_names_the_guardrail_and_an_outside_end():
    from airflow_provider_cfg.core.conclusion import ended_by

    logs = [_log("p99 latency", "above 2 s"), _log("p99 latency", "back", kind=1)]
    assert ended_by("paused by CFG", logs) == (
        "stopped by its guardrail; guardrail triggered by 'p99 latency' at 2026-01-07 02:00:00 UTC: above 2 s")
    assert ended_by("done by hand") == (
        "ended outside this DAG run (in the CFG console, by CFG itself or by another tool)")


def test_ended_message_says_the_verdict_and_quotes_a_capped_summary():
    from airflow_provider_cfg.core.conclusion import MAX_QUOTED, ended_message

    assert ended_message(7, 2, "stopped").startswith("Experiment 7 ended NOT as expected: ended outside")
    assert ended_message(7, 1, None).endswith("CFG's summary: (none)")
    assert "ended without a verdict" in ended_message(7, None, "x")
    long = ended_message(7, 2, "x" * 5000)
    assert long.endswith("x…") and len(long) < MAX_QUOTED + 200


@pytest.mark.parametrize(
    ("expect", "status_type", "expected"),
    [(1, 1, True), (1, 3, True), (2, 1, False), (None, 1, True), (None, 2, False), (None, 3, False),
     (None, None, False)],
)
def test_ended_as_expected(expect, status_type, expected):
    from airflow_provider_cfg.core.conclusion import ended_as_expected

    assert ended_as_expected(expect, status_type) is expected
