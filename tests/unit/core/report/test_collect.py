"""The game-day report's data, built from CFG's record (core/report/collect.py)."""

from __future__ import annotations

import json

from airflow_provider_cfg.api import models as m
from airflow_provider_cfg.core.report import build_report, collect_report
from tests.airflow_helpers import make_client


def test_report_from_cfg_record(cfg_emulator, game_day):
    with make_client(cfg_emulator) as client:
        report = collect_report(client, game_day, checks={"steady_state": {"passed": True, "detail": "HTTP 200"}})
    json.dumps(report)  # JSON-safe
    assert [s["order"] for s in report["steps"]] == ["1.1", "1.2"]
    assert [s["kind"] for s in report["steps"]] == ["fault", "recovery"]
    assert all(s["start"] and s["end"] for s in report["steps"])
    assert {i["object_id"] for i in report["steps"][0]["instances"]} == {"ins-aaaaaaaa", "ins-bbbbbbbb"}
    assert report["guardrail"][0]["name"] == "p99 latency"
    assert report["log"] and any("started on" in line for line in report["log"])


def _task(**action: object) -> m.Task:
    """An experiment with one step (a fault on one instance), as DescribeTask returns it."""
    fields = {"TaskGroupActionOrder": 1, "ActionTitle": "a", "ActionAttribute": 1, "TaskGroupActionStatus": 2003,
              "TaskGroupInstances": [m.TaskGroupInstance(TaskGroupInstanceObjectId="ins-1")], **action}
    return m.Task(TaskId=7, TaskTitle="x", TaskGroups=[
        m.TaskGroup(TaskGroupOrder=1, TaskGroupTitle="g", TaskGroupActions=[m.TaskGroupAction(**fields)])])


def test_step_without_instance_end_ends_after_its_execution_time():
    report = build_report(_task(TaskGroupActionStartTime="2024-01-01 10:00:00", TaskGroupActionExecuteTime=65))
    step = report["steps"][0]
    # CFG's times (UTC+08:00) in UTC
    assert (step["start"], step["end"], step["seconds"]) == ("2024-01-01 02:00:00", "2024-01-01 02:01:05", 65)
    assert (step["kind"], step["finished"], step["outcome"]) == ("fault", False, "—")  # no outcome yet
    assert step["instances"][0]["outcome"] == "—"
    assert report["experiment"]["id"] == 7 and report["verdict"]["as_expected"] is None


def test_step_end_is_the_last_instance_end():
    instances = [m.TaskGroupInstance(TaskGroupInstanceObjectId=f"ins-{n}", TaskGroupInstanceEndTime=end,
                                     TaskGroupInstanceStatusType=1)
                 for n, end in enumerate(["2024-01-01 10:00:09", "2024-01-01 10:00:12"])]
    report = build_report(_task(TaskGroupActionStartTime="2024-01-01 10:00:00", TaskGroupActionExecuteTime=1,
                                TaskGroupInstances=instances, TaskGroupActionStatus=2004,
                                TaskGroupActionStatusType=1))
    step = report["steps"][0]
    assert (step["end"], step["finished"], step["outcome"]) == ("2024-01-01 02:00:12", True, "success")
    assert [i["outcome"] for i in step["instances"]] == ["success", "success"]


def test_execution_log_is_read_page_by_page_up_to_the_limit(mocker):
    client = mocker.Mock()
    client.describe_task.return_value.require_task.return_value = _task()
    client.describe_task_policy_trigger_log.return_value.TriggerLogs = None
    log = [f"line {n}" for n in range(250)]
    client.describe_task_execute_logs.side_effect = (
        lambda experiment_id, limit, offset: mocker.Mock(LogMessage=log[offset:offset + limit]))

    report = collect_report(client, 7)
    assert report["log"] == log  # 100 + 100 + 50: the short page is the last
    assert [c.kwargs["offset"] for c in client.describe_task_execute_logs.call_args_list] == [0, 100, 200]

    client.describe_task_execute_logs.reset_mock()
    assert collect_report(client, 7, max_log_lines=150)["log"] == log[:200]  # whole pages
    assert client.describe_task_execute_logs.call_count == 2
