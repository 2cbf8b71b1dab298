"""core/report/metrics.py: time to detect and recover, blast radius, guardrail trips, the emitted points."""

from __future__ import annotations

from typing import Any

from airflow_provider_cfg.core.report.metrics import metric_points, metrics_section, resilience_metrics


def step(order: str, kind: str, start: str | None, end: str | None, *, instances: int = 2,
         outcome: str = "success") -> dict[str, Any]:
    return {"order": order, "title": f"{kind} {order}", "kind": kind, "start": start, "end": end,
            "outcome": outcome, "instances": [{"object_id": f"ins-{n}"} for n in range(instances)]}


def report(steps, guardrail=(), checks=None, as_expected=True) -> dict[str, Any]:
    return {"experiment": {"id": 3256, "end": "2026-01-07 10:10:00"}, "verdict": {"as_expected": as_expected},
            "steps": list(steps), "guardrail": list(guardrail), "checks": checks or {}}


def trip(at: str, kind: str = "trigger") -> dict[str, Any]:
    return {"at": at, "type": kind, "name": "Airflow steady-state guard", "content": "breach"}


def test_a_clean_game_day_detects_nothing_and_recovers_when_the_recovery_ends():
    metrics = resilience_metrics(report([
        step("1.1", "fault", "2026-01-07 10:00:00", "2026-01-07 10:00:05"),
        step("1.2", "recovery", "2026-01-07 10:01:00", "2026-01-07 10:01:07"),
    ]))
    (fault,) = metrics["faults"]
    assert fault["time_to_detect_s"] is None
    assert fault["time_to_recover_s"] == 7
    assert fault["blast_radius"] == 2
    assert fault["guardrail_trips"] == 0
    assert metrics["verdict"] is True


def test_detection_is_the_first_trip_after_injection_and_recovery_the_first_recover_after_the_recovery_step():
    metrics = resilience_metrics(report([
        step("1.1", "fault", "2026-01-07 10:00:00", "2026-01-07 10:00:05", instances=3),
        step("1.2", "recovery", "2026-01-07 10:01:00", "2026-01-07 10:01:02"),
    ], guardrail=[trip("2026-01-07 09:59:00"), trip("2026-01-07 10:00:42"), trip("2026-01-07 10:00:50"),
                  trip("2026-01-07 10:01:30", "recover")], as_expected=False))
    (fault,) = metrics["faults"]
    assert fault["time_to_detect_s"] == 42
    assert fault["time_to_recover_s"] == 30  # the recover event, not the recovery step's end
    assert fault["guardrail_trips"] == 2  # the one before the injection is not this fault's
    assert metrics["guardrail_trips"] == 3


def test_a_failed_check_with_a_time_detects_and_steady_state_not_seen_back_is_none():
    metrics = resilience_metrics(report([
        step("1.1", "fault", "2026-01-07 10:00:00", "2026-01-07 10:00:05"),
        step("1.2", "recovery", "2026-01-07 10:01:00", "2026-01-07 10:01:02"),
    ], checks={"http": {"passed": False, "detail": "503", "at": "2026-01-07 10:00:09"}}, as_expected=False))
    (fault,) = metrics["faults"]
    assert fault["time_to_detect_s"] == 9
    assert fault["time_to_recover_s"] is None


def test_after_a_detection_steady_state_is_back_only_when_a_recover_event_or_passing_checks_say_so():
    steps = [step("1.1", "fault", "2026-01-07 10:00:00", "2026-01-07 10:00:05"),
             step("1.2", "recovery", "2026-01-07 10:01:00", "2026-01-07 10:01:02")]
    tripped = [trip("2026-01-07 10:00:14")]
    (aborted,) = resilience_metrics(report(steps, guardrail=tripped, as_expected=False))["faults"]
    assert (aborted["time_to_detect_s"], aborted["time_to_recover_s"]) == (14, None)  # no check ran after
    (healed,) = resilience_metrics(report(steps, guardrail=tripped, checks={"http": {"passed": True}}))["faults"]
    assert healed["time_to_recover_s"] == 2


def test_faults_pair_with_the_recovery_of_their_own_group_and_capped_instances_count_in_full():
    capped = {**step("2.1", "fault", "2026-01-07 10:02:00", None, instances=50), "instances_total": 400}
    metrics = resilience_metrics(report([
        step("1.1", "fault", "2026-01-07 10:00:00", "2026-01-07 10:00:05"),
        capped,
        step("2.2", "recovery", "2026-01-07 10:03:00", "2026-01-07 10:03:04"),
    ]))
    first, second = metrics["faults"]
    assert (first["recovery_step"], first["time_to_recover_s"]) == (None, None)
    assert (second["recovery_step"], second["time_to_recover_s"], second["blast_radius"]) == ("2.2", 4, 400)
    assert metrics["blast_radius"] == 402


def test_the_section_says_what_was_not_measured():
    text = "\n".join(metrics_section(report([step("1.1", "fault", "2026-01-07 10:00:00", "2026-01-07 10:00:05")])))
    assert "## Resilience metrics" in text
    assert "| 1.1 fault 1.1 | 2 | 2026-01-07 10:00:00 | nothing failed | no recovery step | 0 |" in text
    assert "Verdict: as expected" in text
    assert "No fault was injected" in "\n".join(metrics_section(report([])))


def test_points_carry_dag_and_experiment_tags_times_in_milliseconds_and_skip_what_was_not_measured():
    metrics = resilience_metrics(report([
        step("1.1", "fault", "2026-01-07 10:00:00", "2026-01-07 10:00:05"),
        step("1.2", "recovery", "2026-01-07 10:01:00", "2026-01-07 10:01:07"),
    ], as_expected=False))
    points = {(kind, name): (value, tags) for kind, name, value, tags in
              metric_points(metrics, dag_id="cfg_game_day", experiment_id=3256)}
    tags = {"dag_id": "cfg_game_day", "experiment_id": "3256"}
    assert points["timing", "cfg.game_day.fault.time_to_recover"] == (7000.0, {**tags, "fault": "1.1"})
    assert ("timing", "cfg.game_day.fault.time_to_detect") not in points
    assert points["incr", "cfg.game_day.ended"] == (1, {**tags, "verdict": "not_as_expected"})
    assert points["gauge", "cfg.game_day.as_expected"] == (0, tags)
    assert points["gauge", "cfg.game_day.blast_radius"] == (2, tags)
    assert all(name.startswith("cfg.game_day.") for _, name in points)
