"""The game-day report: built from CFG's record, rendered with a Gantt chart, pushed and written."""

from __future__ import annotations

import json
import time

from airflow_provider_cfg.core.report import collect_report, render_markdown
from airflow_provider_cfg.operators.experiment import CfgConcludeExperimentOperator
from tests.airflow_helpers import FakeTI, context_for, make_client, use_emulator


def _run_game_day(emu) -> int:
    with make_client(emu) as client:
        task_id = client.create_task_from_template(
            626, {"TaskTitle": "report drill",
                  "TaskGroupsConfig": [{"TaskGroupInstances": ["ins-aaaaaaaa", "ins-bbbbbbbb"]}]},
        ).TaskId
        client.execute_task(task_id)
        for group, action in list(client.describe_task(task_id).Task.iter_actions()):
            action_id = action.TaskGroupActionId
            client.execute_task_instance(task_id, group.TaskGroupId, action_id)
            while client.describe_task(task_id).Task.find_action(action_id).TaskGroupActionStatus != 2004:
                time.sleep(0.05)
        client.trigger_policy(task_id, "p99 latency", "p99 above 2 s for 1 min")
    return task_id


def test_report_from_cfg_record(cfg_emulator):
    task_id = _run_game_day(cfg_emulator)
    with make_client(cfg_emulator) as client:
        report = collect_report(client, task_id, checks={"steady_state": {"passed": True, "detail": "HTTP 200"}})
    json.dumps(report)  # JSON-safe
    assert [s["order"] for s in report["steps"]] == ["1.1", "1.2"]
    assert [s["kind"] for s in report["steps"]] == ["fault", "recovery"]
    assert all(s["start"] and s["end"] for s in report["steps"])
    assert {i["object_id"] for i in report["steps"][0]["instances"]} == {"ins-aaaaaaaa", "ins-bbbbbbbb"}
    assert report["guardrail"][0]["name"] == "p99 latency"
    assert report["log"] and any("started on" in line for line in report["log"])
    markdown = render_markdown(report)
    assert "```mermaid\ngantt" in markdown
    gantt = markdown.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert "    section 1 " in gantt  # a section per action group
    assert "1.1 Empty Operation :crit, s1_1," in gantt
    assert "1.2 Empty Operation (rollback) :s1_2," in gantt
    assert "    section guardrail\n    trigger p99 latency :milestone, g1, " in gantt
    assert "| steady_state | passed | HTTP 200 |" in markdown
    assert "p99 latency" in markdown
    # the timeline: every dated event in time order, from creation to the guardrail trigger
    timeline = markdown.split("## Timeline\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("| ").split(" | ") for line in timeline.splitlines() if line.startswith("| 20")]
    times = [row[0] for row in rows]
    assert times == sorted(times)
    events = [row[1] for row in rows]
    assert events[0] == "experiment created" and events[1].startswith("experiment started (manual mode)")
    order = [next(i for i, e in enumerate(events) if e.startswith(prefix)) for prefix in (
        "step 1.1 Empty Operation (fault) started on 2 instance(s)",
        "step 1.1 Empty Operation (fault): ins-aaaaaaaa",
        "step 1.1 Empty Operation (fault) finished",
        "step 1.2 Empty Operation (rollback) (recovery) started",
        "step 1.2 Empty Operation (rollback) (recovery) finished",
        "guardrail trigger: p99 latency",
    )]
    assert order == sorted(order), events
    # per-instance outcomes and execution logs
    instances = markdown.split("### Instances\n", 1)[1].split("\n## ", 1)[0]
    assert sum(line.startswith("| 1.") for line in instances.splitlines()) == 4


def test_conclude_pushes_and_writes_the_report(cfg_emulator, monkeypatch, tmp_path):
    use_emulator(monkeypatch, cfg_emulator)
    task_id = _run_game_day(cfg_emulator)
    ti = FakeTI(pulls={"check": {"passed": True, "detail": "ok"}})
    CfgConcludeExperimentOperator(
        task_id="conclude", experiment_id=task_id, check_task_ids=["check"], report_path=f"file://{tmp_path}/reports"
    ).execute(context_for(ti))
    assert ti.pushed["report"]["verdict"]["as_expected"] is False  # the guardrail fired
    assert "Guardrail" in ti.pushed["report_markdown"]
    written = (tmp_path / "reports" / f"cfg-experiment-{task_id}.md").read_text()
    assert written == ti.pushed["report_markdown"]
    written_json = json.loads((tmp_path / "reports" / f"cfg-experiment-{task_id}.json").read_text())
    assert written_json["experiment"]["id"] == task_id
