"""CfgReportExperimentOperator against the emulator: the experiments of the triggering asset events
(ended ones, each once) or explicit ids get their report written; one that cannot be read fails
the task after the others were written."""

from __future__ import annotations

import json

import pytest

from airflow_provider_cfg.operators.report_experiment import (
    CfgReportExperimentOperator,
    CfgReportReadError,
    payloads_of,
)
from tests.airflow_helpers import context_for, create_626, end, start


def ended(emu, title: str) -> int:
    experiment = create_626(emu, title=title)
    start(emu, experiment)
    end(emu, experiment, summary=f"{title} went fine")
    return experiment


def asset_event(mocker, payload: dict, timestamp: str):
    """An asset event as the scheduler gives it in ``triggering_asset_events`` (a watcher's event)."""
    return mocker.Mock(extra={"from_trigger": True, "payload": payload}, timestamp=timestamp)


def operator(tmp_path, **kwargs) -> CfgReportExperimentOperator:
    return CfgReportExperimentOperator(task_id="write_reports", report_path=str(tmp_path), **kwargs)


def test_the_ended_experiments_of_the_triggering_events_are_reported_once_each(emu, tmp_path, mocker):
    first, second = ended(emu, "console drill"), ended(emu, "team drill")
    running = create_626(emu, title="still running")
    start(emu, running)
    events = {"cfg_experiments_ended": [
        asset_event(mocker, {"experiment_id": second, "status": 1004}, "2026-03-01T10:02:00"),
        asset_event(mocker, {"experiment_id": first, "status": 1004}, "2026-03-01T10:01:00"),
        asset_event(mocker, {"experiment_id": first, "status": 1004}, "2026-03-01T10:03:00"),  # a duplicate
        asset_event(mocker, {"experiment_id": running, "status": 1002}, "2026-03-01T10:04:00"),
    ], "something else": [mocker.Mock(extra={"rows": 3}, timestamp="2026-03-01T10:00:00")]}
    written = operator(tmp_path).execute({**context_for(), "triggering_asset_events": events})
    assert [(w["experiment_id"], w["title"], w["as_expected"]) for w in written] == [
        (first, "console drill", True), (second, "team drill", True)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"cfg-experiment-{i}.{ext}" for i in (first, second) for ext in ("md", "json"))
    assert "console drill went fine" in (tmp_path / f"cfg-experiment-{first}.md").read_text()
    assert json.loads((tmp_path / f"cfg-experiment-{second}.json").read_text())["experiment"]["id"] == second


def test_explicit_ids_win_and_a_blank_template_means_the_events(emu, tmp_path, mocker):
    experiment = ended(emu, "by hand")
    assert [w["experiment_id"] for w in operator(tmp_path, experiment_ids=f" {experiment}, ").execute(
        context_for())] == [experiment]
    events = {"a": [asset_event(mocker, {"experiment_id": experiment, "status": 1004}, "t")]}
    assert operator(tmp_path, experiment_ids="").experiments({"triggering_asset_events": events}) == [experiment]
    assert operator(tmp_path, experiment_ids="").execute(context_for()) == []
    with pytest.raises(ValueError, match="experiment_id"):
        operator(tmp_path, experiment_ids="12,abc").experiments(context_for())


def test_an_unreadable_experiment_fails_the_task_after_the_others_are_written(emu, tmp_path):
    experiment = ended(emu, "readable")
    with pytest.raises(CfgReportReadError, match=r"\[987654\] could not be built \(1 written\)"):
        operator(tmp_path, experiment_ids=[987654, experiment]).execute(context_for())
    assert (tmp_path / f"cfg-experiment-{experiment}.md").exists()


def test_payloads_of_ignores_events_that_are_not_cfg_events(mocker):
    assert payloads_of(None) == [] and payloads_of({"a": [mocker.Mock(extra=None, timestamp="t")]}) == []
