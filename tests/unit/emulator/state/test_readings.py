"""What each variant changes in the state machine (emulator/state/*, variants rows 1-8)."""

from __future__ import annotations

import httpx

from tests.emu_helpers import INSTANCES, Cfg, wait_for


def play(cfg: Cfg, **variants: str) -> None:
    httpx.post(f"{cfg.server.url}/_emulator/variants", json=variants).raise_for_status()


def faults(cfg: Cfg) -> list:
    return httpx.get(f"{cfg.server.url}/_emulator/faults").json()


def test_instances_appear_at_start_by_default_or_at_creation(cfg: Cfg) -> None:
    task_id = cfg.create()
    group = cfg.task(task_id)["TaskGroups"][0]
    assert group["TaskGroupSelectedInstanceList"] == [] and group["TaskGroupDiscardInstanceList"] == []
    assert all(a["TaskGroupInstances"] == [] for a in group["TaskGroupActions"])  # as the official example
    cfg.ok("ExecuteTask", TaskId=task_id)
    group = cfg.task(task_id)["TaskGroups"][0]
    assert group["TaskGroupSelectedInstanceList"] == INSTANCES
    assert [len(a["TaskGroupInstances"]) for a in group["TaskGroupActions"]] == [2, 2]
    play(cfg, instances="at_creation")
    early = cfg.task(cfg.create())["TaskGroups"][0]
    assert [len(a["TaskGroupInstances"]) for a in early["TaskGroupActions"]] == [2, 2]


def test_operate_all_is_this_action_or_the_whole_task(cfg: Cfg) -> None:
    task_id = cfg.start()
    cfg.run(task_id, 0)  # IsOperateAll true
    fault, recovery = cfg.wait_action(task_id, 0), cfg.actions(task_id)[1]
    assert fault["TaskGroupActionStatus"] == 2004 and recovery["TaskGroupActionStatus"] == 2002
    play(cfg, operate_all="task")
    task_id = cfg.start()
    cfg.run(task_id, 0)
    assert cfg.wait_action(task_id, 1)["TaskGroupActionStatus"] == 2004  # the recovery ran too


def test_action_type_1_runs_or_only_makes_pending(cfg: Cfg) -> None:
    play(cfg, start_type="pending")
    task_id = cfg.start()
    cfg.run(task_id, 0, action_type=1)
    action = cfg.actions(task_id)[0]
    assert action["TaskGroupActionStatus"] == 2002
    assert {i["TaskGroupInstanceStatus"] for i in action["TaskGroupInstances"]} == {3001}
    cfg.run(task_id, 0, action_type=2)
    assert cfg.wait_action(task_id, 0)["TaskGroupActionStatusType"] == 1


def _automatic(cfg: Cfg) -> int:
    task_id = cfg.ok("CreateTaskFromTemplate", TemplateId=629,
                     TaskConfig={"TaskGroupsConfig": [{"TaskGroupInstances": INSTANCES[:1]}]})["TaskId"]
    cfg.ok("ExecuteTask", TaskId=task_id)
    return task_id


def test_a_conclusion_after_an_automatic_end_is_accepted_once_or_refused(cfg: Cfg) -> None:
    conclusion = {"Status": 1004, "IsExpect": True, "Summary": "held"}
    task_id = _automatic(cfg)
    wait_for(lambda: cfg.task(task_id)["TaskStatus"] == 1004, timeout=20, what="automatic end")
    cfg.ok("ModifyTaskRunStatus", TaskId=task_id, **conclusion)
    assert cfg.task(task_id)["TaskExpect"] == 1
    play(cfg, conclusion_after_end="refused")
    task_id = _automatic(cfg)
    wait_for(lambda: cfg.task(task_id)["TaskStatus"] == 1004, timeout=20, what="automatic end")
    assert cfg.err("ModifyTaskRunStatus", TaskId=task_id, **conclusion)[0] == "FailedOperation"
    assert cfg.task(task_id)["TaskExpect"] is None


def test_ending_leaves_faults_or_recovers_them(cfg: Cfg) -> None:
    for recovers in ("no", "yes"):
        cfg.server.reset()
        play(cfg, end_recovers=recovers)
        task_id = cfg.start()
        cfg.run(task_id, 0)
        cfg.wait_action(task_id, 0)
        assert faults(cfg)
        cfg.ok("ModifyTaskRunStatus", TaskId=task_id, Status=1004, IsExpect=False, Summary="stop")
        assert bool(faults(cfg)) is (recovers == "no")


def test_automatic_mode_pauses_by_itself_after_a_fault(cfg: Cfg) -> None:
    play(cfg, auto_pause="on")
    task_id = _automatic(cfg)
    wait_for(lambda: cfg.task(task_id)["TaskStatus"] == 1003, timeout=20, what="automatic pause")
    wait_for(lambda: cfg.task(task_id)["TaskStatus"] == 1004, timeout=30, what="resumed and ended")
    assert any("paused by itself" in line for line in cfg.ok("DescribeTaskExecuteLogs", TaskId=task_id, Limit=100,
                                                               Offset=0)["LogMessage"])
    assert faults(cfg) == []


def test_display_values_follow_x_tc_language_zh_cn_by_default(cfg: Cfg) -> None:
    query = {"ObjectType": 1, "Limit": 100, "Offset": 0, "Filters": [{"Keyword": "a_type", "Values": ["1"]}]}
    zh = cfg.ok("DescribeActionLibraryList", query)["Results"]
    assert zh and {r["ActionType"] for r in zh} == {"平台"} and {r["RiskDesc"] for r in zh} <= {"低风险", "中风险",
                                                                                             "高风险"}
    response = cfg.http.post("/", json=query, headers=cfg.headers("DescribeActionLibraryList",
                                                                  **{"X-TC-Language": "en-US"}))
    en = response.json()["Response"]["Results"]
    assert {r["ActionType"] for r in en} == {"Platform"} and len(en) == len(zh)
    assert cfg.ok("DescribeActionLibraryList", {**query, "Filters": [{"Keyword": "a_type", "Values": ["2"]}]}
                  )["Results"] == []
