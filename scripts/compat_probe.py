"""What `make compat` (scripts/compat_check.sh) asks of one Airflow version's venv, run with that venv's
Python and the provider installed from the built wheel (never the checkout).

    compat_probe.py form                 the connection form carries SecretId/SecretKey and Region/Token/Language
    compat_probe.py seed                 a live, provider-tagged experiment with a fault injected (for cfg_halt_all)
    compat_probe.py ended TITLE EXPECT   the experiment titled ``*TITLE*`` ended (1004) with verdict EXPECT (1|2)
    compat_probe.py final                every experiment ended with a verdict and the fault ledger is empty
    compat_probe.py ids                  the ids of the experiments that ended (1004), comma-separated

The emulator is reached through ``CFG_ENDPOINT``/``CFG_SECRET_ID``/``CFG_SECRET_KEY``. Exit 1 with a
one-line reason on any failure.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from typing import Any

ENDPOINT = os.environ.get("CFG_ENDPOINT", "")


def fail(message: str) -> None:
    print(f"FAIL: {message}", file=sys.stderr)
    raise SystemExit(1)


def client() -> Any:
    from airflow_provider_cfg.api.client import CfgClient

    return CfgClient(secret_id=os.environ["CFG_SECRET_ID"], secret_key=os.environ["CFG_SECRET_KEY"],
                     region="ap-guangzhou", endpoint=ENDPOINT)


def call(action: str, **params: Any) -> dict[str, Any]:
    with client() as cfg:
        return cfg.call(action, params)


def experiments() -> list[dict[str, Any]]:
    listing = call("DescribeTaskList", Limit=100, Offset=0)["TaskList"] or []
    return [call("DescribeTask", TaskId=item["TaskId"])["Task"] for item in listing]


def ledger() -> list[Any]:
    with urllib.request.urlopen(f"http://{ENDPOINT}/_emulator/faults", timeout=10) as response:
        return json.load(response)


def form() -> None:
    """The connection form as the UI gets it on this version."""
    from importlib.metadata import version

    airflow_version = tuple(int(p) for p in version("apache-airflow").split(".")[:2])
    if airflow_version >= (3, 0):
        from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService

        metas = {m.connection_type: m for m in HookMetaService.hook_meta_data()}
        meta = metas.get("tencentcloud_cfg")
        if meta is None:
            fail(f"no tencentcloud_cfg in hook_meta ({sorted(k for k in metas if k)[:8]}…)")
        dumped = meta.model_dump(mode="json")
        extras = dumped.get("extra_fields") or {}
        relabel = (dumped.get("standard_fields") or {}).get("login") or {}
        login_label = relabel.get("title")
    else:
        from airflow.providers_manager import ProvidersManager

        manager = ProvidersManager()
        extras = {k: v for k, v in manager.connection_form_widgets.items() if k.startswith("extra__tencentcloud_cfg__")}
        login_label = manager.field_behaviours.get("tencentcloud_cfg", {}).get("relabeling", {}).get("login")
    names = {k.rsplit("__", 1)[-1] for k in extras}
    missing = {"region", "token", "language"} - names
    if missing:
        fail(f"connection form lacks {sorted(missing)} (has {sorted(extras)})")
    if login_label != "SecretId":
        fail(f"connection form labels login {login_label!r}, not 'SecretId'")
    print(f"connection form: SecretId/SecretKey, extra fields {sorted(extras)}")


def seed() -> None:
    """A managed experiment (tagged as the provider's create operators tag) with its fault injected."""
    from airflow_provider_cfg.core.identity import AirflowIdentity

    tags = AirflowIdentity("cfg_game_day", "create_experiment", "manual__compat").tags()
    task_id = call("CreateTaskFromTemplate", TemplateId=626, TaskConfig={
        "TaskTitle": "compat halt-all target", "TaskGroupsConfig": [{"TaskGroupInstances": ["ins-halt0001"]}],
        "Tags": [{"TagKey": k, "TagValue": v} for k, v in tags.items()],
    })["TaskId"]
    call("ExecuteTask", TaskId=task_id)
    task = call("DescribeTask", TaskId=task_id)["Task"]
    group = task["TaskGroups"][0]
    fault = group["TaskGroupActions"][0]
    instances = [i["TaskGroupInstanceId"] for i in fault["TaskGroupInstances"]]  # named, as the API requires
    call("ExecuteTaskInstance", TaskId=task_id, TaskGroupId=group["TaskGroupId"],
         TaskActionId=fault["TaskGroupActionId"], ActionType=2, IsOperateAll=False, TaskInstanceIds=instances)
    for _ in range(100):
        if ledger():
            break
        time.sleep(0.1)
    else:
        fail("the seeded fault never reached the ledger")
    print(f"seeded experiment {task_id} with a live fault")


def ended(title: str, expect: int) -> None:
    found = [t for t in experiments() if title in t["TaskTitle"]]
    if len(found) != 1:
        fail(f"expected one experiment titled *{title}*, found {[t['TaskTitle'] for t in found]}")
    task = found[0]
    if task["TaskStatus"] != 1004 or task["TaskExpect"] != expect:
        fail(f"experiment {task['TaskId']} ({title}): status {task['TaskStatus']}, verdict {task['TaskExpect']}, "
             f"wanted 1004 / {expect}; summary {task.get('TaskSummary')!r}")
    if expect == 1 and "Verdict: as expected" not in (task.get("TaskSummary") or ""):
        fail(f"experiment {task['TaskId']} ({title}) ended without the conclusion's verdict")
    verdict = "as expected" if expect == 1 else "not as expected"
    print(f"experiment {task['TaskId']} ({title}): ended, verdict {verdict}")


def final() -> None:
    tasks = experiments()
    open_ = [(t["TaskId"], t["TaskTitle"], t["TaskStatus"], t["TaskExpect"]) for t in tasks
             if t["TaskStatus"] != 1004 or t["TaskExpect"] not in (1, 2)]
    if open_:
        fail(f"experiments not ended with a verdict: {open_}")
    faults = ledger()
    if faults:
        fail(f"the fault ledger is not empty: {faults}")
    print(f"{len(tasks)} experiment(s), all ended with a verdict; fault ledger empty")


def ids() -> None:
    """For cfg_postmortem's ``experiment_ids`` param (its event-driven path needs a triggerer)."""
    print(",".join(str(t["TaskId"]) for t in experiments() if t["TaskStatus"] == 1004))


def main(argv: list[str]) -> None:
    command, *args = argv or ["final"]
    if command == "ended":
        ended(args[0], int(args[1]))
    else:
        {"form": form, "seed": seed, "final": final, "ids": ids}[command]()


if __name__ == "__main__":
    main(sys.argv[1:])
