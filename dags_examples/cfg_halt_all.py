"""# The big red button: halt every chaos experiment this provider started

Trigger this DAG by hand when something is wrong and every chaos experiment must stop **now** —
an incident, a game-day that got out of hand, a change freeze. It has no schedule and is never
paused, so the button always works.

What it does, in region `region` (empty: the connection's region):

1. **find** every experiment created by `airflow-provider-cfg` (tag `managed-by=airflow-provider-cfg`,
   put on every experiment the provider's create operators make) that has not ended — not started
   (1001), running (1002) or paused (1003) — with `DescribeTaskList`, page by page;
2. **roll back** each one, in parallel, one mapped `CfgRollbackExperimentOperator` per experiment:
   trigger the guardrail where CFG runs the steps itself, recover every injected fault (reverse
   order, waiting for each), fall back to the guardrail's sequential rollback when a recovery fails,
   and end the experiment with `IsExpect=false` and `reason` in its summary. One experiment that
   cannot be rolled back does not stop the others;
3. **summary**: re-read every experiment; the run **fails if any fault is still injected** (the
   log names each one, to recover by hand) or an experiment is still not ended.

Params: `region`; `reason` (goes into each experiment's conclusion); `dry_run` — list what would be
halted and change nothing (the run then succeeds; the summary lists the experiments).

Experiments not tagged by this provider (made in the console, or by other tools) are not touched.
Experiments that had already ended are not touched either: CFG refuses recoveries on them; the
rollback teardown of their own DAG run is what recovers them.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, Param, TriggerRule, get_current_context, task

from airflow_provider_cfg.hooks.cfg import DEFAULT_CONN_ID
from airflow_provider_cfg.operators.rollback import CfgRollbackExperimentOperator

log = logging.getLogger(__name__)

LIVE_STATUSES = [1001, 1002, 1003]  # not started, running, paused: everything not ended (1004)
PAGE_SIZE = 100
MAX_PAGES = 50


def list_live_experiments(client: Any) -> list[dict[str, Any]]:
    """Every experiment tagged ``managed-by=airflow-provider-cfg`` and not ended, newest first."""
    from airflow_provider_cfg.core.identity import MANAGED_TAG, MANAGED_VALUE

    found: dict[int, dict[str, Any]] = {}
    for page in range(MAX_PAGES):
        listing = client.describe_task_list(
            limit=PAGE_SIZE, offset=page * PAGE_SIZE, tags={MANAGED_TAG: MANAGED_VALUE}, statuses=LIVE_STATUSES
        )
        items = listing.TaskList or []
        for item in items:
            if item.TaskId is not None:
                found.setdefault(int(item.TaskId), {
                    "task_id": int(item.TaskId),
                    "title": item.TaskTitle,
                    "status": int(item.TaskStatus) if item.TaskStatus is not None else None,
                    "dag": next((t.TagValue for t in item.Tags or [] if t.TagKey == "airflow-dag"), None),
                })
        if len(items) < PAGE_SIZE or (page + 1) * PAGE_SIZE >= (listing.Total or 0):
            break
    return sorted(found.values(), key=lambda item: item["task_id"], reverse=True)


with DAG(
    dag_id="cfg_halt_all",
    description="Big red button: roll back every CFG experiment started by Airflow that has not ended",
    schedule=None,  # manual trigger only
    start_date=datetime(2026, 1, 1),
    catchup=False,
    is_paused_upon_creation=False,  # an emergency button must not need unpausing first
    dagrun_timeout=timedelta(hours=1),
    params={
        "region": Param("", type="string", description="CFG region to halt; empty: the connection's region"),
        "dry_run": Param(False, type="boolean", description="Only list what would be halted; change nothing"),
        "reason": Param(
            "Emergency halt (cfg_halt_all)", type="string", minLength=1,
            description="Why: recorded in every experiment's conclusion",
        ),
    },
    tags=["chaos", "tencentcloud", "cfg", "emergency"],
    doc_md=__doc__,
) as dag:

    @task
    def find_live_experiments(params: dict[str, Any]) -> list[int]:
        """List the live experiments; return the ids to roll back (none in a dry run)."""
        from airflow_provider_cfg.hooks.cfg import CfgHook

        with CfgHook(DEFAULT_CONN_ID, region=params["region"] or None).get_client() as client:
            found = list_live_experiments(client)
            where = client.config.region
        get_current_context()["ti"].xcom_push(key="found", value=found)
        for item in found:
            log.warning(
                "Live experiment %s (status %s, DAG %s): %s",
                item["task_id"], item["status"], item["dag"], item["title"],
            )
        log.warning("%s live experiment(s) created by airflow-provider-cfg in %s", len(found), where)
        if params["dry_run"]:
            log.warning("DRY RUN: nothing will be rolled back")
            return []
        return [item["task_id"] for item in found]

    experiment_ids = find_live_experiments()

    rollback = CfgRollbackExperimentOperator.partial(
        task_id="rollback_experiment",
        region="{{ params.region }}",
        reason="Halted by cfg_halt_all (run {{ run_id }}): {{ params.reason }}",
        poll_interval=1,
        retries=2,
        retry_delay=timedelta(seconds=10),
        max_active_tis_per_dagrun=8,
        map_index_template="experiment {{ task.experiment_id }}",
    ).expand(experiment_id=experiment_ids)

    @task(multiple_outputs=True, trigger_rule=TriggerRule.ALL_DONE)
    def summary(params: dict[str, Any]) -> dict[str, Any]:
        """Re-read every experiment; fail if a fault is still injected or an experiment still runs."""
        from airflow_provider_cfg.api.enums import TaskStatus
        from airflow_provider_cfg.core.rollback import Rollback, unrecovered_faults
        from airflow_provider_cfg.exceptions import CfgStepFailedError
        from airflow_provider_cfg.hooks.cfg import CfgHook

        found = get_current_context()["ti"].xcom_pull(task_ids="find_live_experiments", key="found")
        if found is None:
            raise CfgStepFailedError("the sweep (find_live_experiments) did not run: nothing is known to be halted")
        if params["dry_run"]:
            log.warning("DRY RUN: would halt %s experiment(s): %s", len(found), [item["task_id"] for item in found])
            return {"dry_run": True, "would_halt": [item["task_id"] for item in found]}
        halted, problems = [], []
        with CfgHook(DEFAULT_CONN_ID, region=params["region"] or None).get_client() as client:
            for item in found:
                task_id = item["task_id"]
                try:
                    task = client.describe_task(task_id).Task
                    healing = Rollback(client, task_id, params["reason"]).find_self_healing(task)
                except Exception as exc:  # one unreadable experiment must not hide the others
                    problems.append(f"experiment {task_id}: cannot be read ({exc}); check it by hand")
                    continue
                left = [f"{a.ActionTitle} ({a.TaskGroupActionId})" for a, _ in unrecovered_faults(task, healing)]
                if left:
                    problems.append(f"experiment {task_id}: STILL INJECTED: {', '.join(left)}")
                if task.TaskStatus != TaskStatus.ENDED:
                    problems.append(f"experiment {task_id}: still {TaskStatus.describe(task.TaskStatus)}")
                if not left and task.TaskStatus == TaskStatus.ENDED:
                    halted.append(task_id)
            swept = {item["task_id"] for item in found}
            newcomers = [item for item in list_live_experiments(client) if item["task_id"] not in swept]
        for item in newcomers:
            log.warning(
                "Experiment %s (%s) appeared after the sweep; press the button again", item["task_id"], item["title"]
            )
        log.warning("Halted %s of %s experiment(s): %s", len(halted), len(found), halted)
        for problem in problems:
            log.error("%s", problem)
        if problems:
            raise CfgStepFailedError("cfg_halt_all did not halt everything: " + "; ".join(problems))
        return {"dry_run": False, "halted": halted, "appeared_since": [item["task_id"] for item in newcomers]}

    experiment_ids >> rollback >> summary()
