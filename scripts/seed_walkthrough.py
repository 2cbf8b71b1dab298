"""Walk the CFG "create and run an experiment from the API" flow through our client.

create from template 626 → describe → execute → execute each action step and wait for it →
end with a conclusion, printing every status transition. Reads the endpoint and credentials
from CFG_ENDPOINT / CFG_SECRET_ID / CFG_SECRET_KEY (the demo points them at the emulator).
"""

from __future__ import annotations

import os
import sys
import time

import httpx

from airflow_provider_cfg.api import CfgClient
from airflow_provider_cfg.api.enums import ActionStatus, ActionStatusType, TaskStatus


def main() -> int:
    endpoint = os.environ["CFG_ENDPOINT"]
    client = CfgClient(os.environ["CFG_SECRET_ID"], os.environ["CFG_SECRET_KEY"], endpoint=endpoint)
    seen: dict[str, object] = {}

    def show(key: str, status: object) -> None:
        if seen.get(key) != status:
            print(f"  {key:<44} {seen.get(key, '-')!s:>22} → {status}")
            seen[key] = status

    def snapshot(task_id: int) -> object:
        task = client.describe_task(task_id).Task
        show(f"experiment {task_id}", _label(task.TaskStatus))
        for group, action in task.iter_actions():
            show(f"  step {group.TaskGroupOrder}.{action.TaskGroupActionOrder} {action.ActionTitle}",
                 _label(action.TaskGroupActionStatus))
            for inst in action.TaskGroupInstances or []:
                show(f"    instance {inst.TaskGroupInstanceObjectId} ({inst.TaskGroupInstanceId})",
                     _label(inst.TaskGroupInstanceStatus))
        return task

    with client:
        print("1. CreateTaskFromTemplate 626 (manual mode)")
        task_id = client.create_task_from_template(
            626,
            {
                "TaskTitle": "This is an example of creating an experiment from the API",
                "TaskMode": 1,
                "TaskGroupsConfig": [{"TaskGroupInstances": ["ins-bfydnvta", "ins-ehxmry76"]}],
            },
        ).TaskId
        print(f"   TaskId {task_id}")
        print("2. DescribeTask")
        task = snapshot(task_id)
        print("3. ExecuteTask")
        client.execute_task(task_id)
        task = snapshot(task_id)
        print("4. ExecuteTaskInstance for each step (inject, then recover)")
        for group, action in list(task.iter_actions()):
            print(f"   executing step {action.TaskGroupActionOrder}: {action.ActionTitle} "
                  f"(TaskActionId {action.TaskGroupActionId})")
            client.execute_task_instance(task_id, group.TaskGroupId, action.TaskGroupActionId, 2, action.instance_ids())
            deadline = time.monotonic() + 60
            while True:
                task = snapshot(task_id)
                current = task.find_action(action.TaskGroupActionId)
                if current.TaskGroupActionStatus == ActionStatus.FINISHED:
                    break
                if time.monotonic() > deadline:
                    print("   step did not finish in 60 s", file=sys.stderr)
                    return 1
                time.sleep(0.2)
            if current.TaskGroupActionStatusType != ActionStatusType.SUCCESS:
                print(f"   step failed: {_label(current.TaskGroupActionStatusType)}", file=sys.stderr)
                return 1
        print("5. ModifyTaskRunStatus 1004 with a conclusion")
        client.end_task(task_id, summary="This experiment meets the expectations", is_expect=True)
        task = snapshot(task_id)
        print(f"   conclusion: TaskExpect={task.TaskExpect} Summary={task.TaskSummary!r}")
        if task.TaskStatus != TaskStatus.ENDED:
            return 1

    faults = httpx.get(f"http://{endpoint}/_emulator/faults").json()
    print(f"6. emulator fault ledger: {faults} ({'nothing left injected' if not faults else 'FAULTS LEFT INJECTED'})")
    return 0 if not faults else 1


def _label(value: object) -> str:
    label = getattr(value, "label", None)
    return str(label if label is not None else value)


if __name__ == "__main__":
    sys.exit(main())
