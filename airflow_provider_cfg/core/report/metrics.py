"""Resilience metrics of a game day, per fault: time to detect, time to recover, blast radius,
guardrail trips, and the verdict — from the report dict alone (no CFG call, no Airflow import).

* **time to detect** — from the fault's injection (its step's start) to the first failing
  steady-state signal CFG recorded in the fault's window: a guardrail trigger (the steady-state
  guard trips CFG's guardrail on a breach) or a failed check that carries an ``at`` CFG time.
  ``None`` when nothing failed: there was nothing to detect.
* **time to recover** — from the recovery step's start to steady state back: the first guardrail
  ``recover`` after it; without one, the recovery step's end when it succeeded and no check
  failed (and, after a detection, checks ran and all passed). ``None`` when steady state was not
  seen back (or the fault had no recovery step).
* **blast radius** — the instances the fault was injected on.
* **guardrail trips** — guardrail triggers in the fault's window (from injection to the end of its
  recovery, or of the experiment).

:func:`metric_points` turns them into the ``cfg.`` metrics the operators emit (docs/metrics.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from airflow_provider_cfg.core.markdown import md_text
from airflow_provider_cfg.core.report.times import TIME_FORMAT

PREFIX = "cfg.game_day"
"""Namespace of the metrics (Airflow adds its own ``statsd_prefix``, ``airflow.`` by default)."""


def _seconds(start: str | None, end: str | None) -> int | None:
    """Whole seconds from ``start`` to ``end`` (CFG times), ``None`` when either is missing or unreadable."""
    if not start or not end:
        return None
    try:
        return int((datetime.strptime(end, TIME_FORMAT) - datetime.strptime(start, TIME_FORMAT)).total_seconds())
    except ValueError:
        return None


def _first(times: list[str], since: str, until: str | None) -> str | None:
    return min((t for t in times if t >= since and (until is None or t <= until)), default=None)


def _recovery_of(steps: list[Mapping[str, Any]], index: int) -> Mapping[str, Any] | None:
    """The first recovery step after fault ``index`` in the same action group."""
    group = steps[index]["order"].split(".")[0]
    return next((s for s in steps[index + 1:] if s["kind"] == "recovery" and s["order"].split(".")[0] == group),
                None)


def resilience_metrics(report: Mapping[str, Any]) -> dict[str, Any]:
    """The metrics of every fault step of ``report`` (the dict of :func:`.collect.build_report`),
    and the experiment's totals.

    :param report: the report dict.
    :return: ``{"verdict", "faults": [...], "blast_radius", "guardrail_trips"}``; times in seconds.
    """
    steps = list(report.get("steps") or [])
    guardrail = [g for g in report.get("guardrail") or [] if g.get("at")]
    trips = [g["at"] for g in guardrail if g["type"] == "trigger"]
    recovers = [g["at"] for g in guardrail if g["type"] == "recover"]
    # A breach listed among the checks (``"breach"``) restates a guardrail trip, counted as such.
    checks = [c for c in (report.get("checks") or {}).values() if not c.get("breach")]
    failed_checks = [c.get("at") for c in checks if not c.get("passed")]
    detections = sorted([*trips, *(at for at in failed_checks if at)])
    experiment_end = (report.get("experiment") or {}).get("end")
    faults = []
    for index, step in enumerate(steps):
        if step["kind"] != "fault":
            continue
        recovery = _recovery_of(steps, index)
        window_end = (recovery or {}).get("end") or experiment_end
        injected = step.get("start")
        detected = _first(detections, injected, window_end) if injected else None
        back = None
        if recovery and recovery.get("start"):
            back = _first(recovers, recovery["start"], None)
            # Without a recover event, the recovery's end — if nothing failed, or the checks (run
            # after it) all passed; a breach that no check ever saw healed is not "back".
            healthy = not failed_checks and (detected is None or bool(checks))
            if back is None and recovery.get("outcome") == "success" and healthy:
                back = recovery.get("end")
        faults.append({
            "step": step["order"],
            "title": step.get("title"),
            "injected": injected,
            "detected": detected,
            "time_to_detect_s": _seconds(injected, detected),
            "recovery_step": (recovery or {}).get("order"),
            "recovered": back,
            "time_to_recover_s": _seconds((recovery or {}).get("start"), back),
            "blast_radius": step.get("instances_total", len(step.get("instances") or [])),
            "guardrail_trips": sum(1 for t in trips if injected and injected <= t <= (window_end or t)),
        })
    return {
        "verdict": (report.get("verdict") or {}).get("as_expected"),
        "faults": faults,
        "blast_radius": sum(f["blast_radius"] for f in faults),
        "guardrail_trips": len(trips),
    }


def _duration(seconds: int | None, missing: str) -> str:
    return missing if seconds is None else f"{seconds} s"


def metrics_section(report: Mapping[str, Any]) -> list[str]:
    """The "Resilience metrics" section of the Markdown report: a row per fault, then the totals."""
    metrics = report.get("metrics") or resilience_metrics(report)
    verdict = {True: "as expected", False: "NOT as expected", None: "no conclusion yet"}[metrics["verdict"]]
    lines = ["", "## Resilience metrics", ""]
    if not metrics["faults"]:
        return [*lines, f"No fault was injected. Verdict: {verdict}."]
    lines += ["| fault | instances | injected | time to detect | time to recover | guardrail trips |",
              "|---|---|---|---|---|---|"]
    for f in metrics["faults"]:
        lines.append(
            f"| {md_text(f['step'])} {md_text(f['title'] or '')} | {f['blast_radius']} | "
            f"{md_text(f['injected'] or '—')} | "
            f"{_duration(f['time_to_detect_s'], 'nothing failed')} | "
            f"{_duration(f['time_to_recover_s'], 'not seen back' if f['recovery_step'] else 'no recovery step')} | "
            f"{f['guardrail_trips']} |"
        )
    return [*lines, "", f"Verdict: {verdict} · blast radius {metrics['blast_radius']} instance(s) · "
                        f"{metrics['guardrail_trips']} guardrail trip(s) in all."]


Point = tuple[str, str, float, dict[str, str]]


def metric_points(metrics: Mapping[str, Any], *, dag_id: str, experiment_id: Any) -> list[Point]:
    """The metrics to emit as ``(kind, name, value, tags)``; ``kind`` is ``timing`` (milliseconds),
    ``gauge`` or ``incr``. A time that was not measured is not emitted.

    :param metrics: the dict of :func:`resilience_metrics`.
    :param dag_id: the DAG, as a tag.
    :param experiment_id: CFG's TaskId, as a tag.
    """
    tags = {"dag_id": str(dag_id), "experiment_id": str(experiment_id)}
    verdict = {True: "as_expected", False: "not_as_expected", None: "no_conclusion"}[metrics["verdict"]]
    points: list[Point] = [
        ("incr", f"{PREFIX}.ended", 1, {**tags, "verdict": verdict}),
        ("gauge", f"{PREFIX}.faults", len(metrics["faults"]), tags),
        ("gauge", f"{PREFIX}.blast_radius", metrics["blast_radius"], tags),
        ("gauge", f"{PREFIX}.guardrail_trips", metrics["guardrail_trips"], tags),
    ]
    if metrics["verdict"] is not None:
        points.append(("gauge", f"{PREFIX}.as_expected", 1 if metrics["verdict"] else 0, tags))
    for fault in metrics["faults"]:
        fault_tags = {**tags, "fault": str(fault["step"])}
        points.append(("gauge", f"{PREFIX}.fault.blast_radius", fault["blast_radius"], fault_tags))
        points.append(("gauge", f"{PREFIX}.fault.guardrail_trips", fault["guardrail_trips"], fault_tags))
        for key, name in (("time_to_detect_s", "time_to_detect"), ("time_to_recover_s", "time_to_recover")):
            if fault[key] is not None:
                points.append(("timing", f"{PREFIX}.fault.{name}", fault[key] * 1000.0, fault_tags))
    return points
