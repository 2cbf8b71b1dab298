"""operators/base.py: the game-day report as an operator publishes it: to XCom and to `report_path`."""

from __future__ import annotations

import json

import pytest

from airflow_provider_cfg.operators.base import CfgVerdictError
from airflow_provider_cfg.operators.experiment import CfgConcludeExperimentOperator
from tests.airflow_helpers import FakeTI, context_for, use_emulator
from tests.unit.core.report.game_day import run_game_day


def test_conclude_pushes_and_writes_the_report(cfg_emulator, monkeypatch, tmp_path):
    use_emulator(monkeypatch, cfg_emulator)
    experiment_id = run_game_day(cfg_emulator)
    ti = FakeTI(pulls={"check": {"passed": True, "detail": "ok"}})
    with pytest.raises(CfgVerdictError, match="the guardrail fired"):  # written before the task fails
        CfgConcludeExperimentOperator(
            task_id="conclude", experiment_id=experiment_id, check_task_ids=["check"],
            report_path=f"file://{tmp_path}/reports",
        ).execute(context_for(ti))
    assert ti.pushed["report"]["verdict"]["as_expected"] is False  # the guardrail fired
    assert "Guardrail" in ti.pushed["report_markdown"]
    written = (tmp_path / "reports" / f"cfg-experiment-{experiment_id}.md").read_text()
    assert written == ti.pushed["report_markdown"]
    written_json = json.loads((tmp_path / "reports" / f"cfg-experiment-{experiment_id}.json").read_text())
    assert written_json["experiment"]["id"] == experiment_id
