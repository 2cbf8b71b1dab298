"""A game day on the emulator whose record the report tests read."""

from __future__ import annotations

import time

from tests.airflow_helpers import make_client


def run_game_day(emu) -> int:
    """Create from template 626 on two instances, run fault and recovery by hand, trigger the guardrail.

    :return: the experiment id (CFG's TaskId).
    """
    with make_client(emu) as client:
        experiment_id = client.create_task_from_template(
            626, {"TaskTitle": "report drill",
                  "TaskGroupsConfig": [{"TaskGroupInstances": ["ins-aaaaaaaa", "ins-bbbbbbbb"]}]},
        ).TaskId
        client.execute_task(experiment_id)
        for group, action in list(client.describe_task(experiment_id).Task.iter_actions()):
            action_id = action.TaskGroupActionId
            client.execute_task_instance(experiment_id, group.TaskGroupId, action_id, 2, action.instance_ids())
            while client.describe_task(experiment_id).Task.find_action(action_id).TaskGroupActionStatus != 2004:
                time.sleep(0.05)
        client.trigger_policy(experiment_id, "p99 latency", "p99 above 2 s for 1 min")
    return experiment_id
