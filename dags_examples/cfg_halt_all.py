"""# The big red button: halt every chaos experiment this provider started

Trigger this DAG by hand when something is wrong and every chaos experiment must stop **now** —
an incident, a game-day that got out of hand, a change freeze. It has no schedule and is never
paused, so the button always works: **press Trigger, then Trigger again in the form** — every field
has a default, and the default **halts for real**. Under pressure, the button does what it says;
listing without changing anything is the explicit choice (tick *Dry run*).

| param | default | what it is |
|---|---|---|
| `region` | empty | the CFG region to halt, e.g. `ap-guangzhou`; empty: the connection's region |
| `dry_run` | off | on: only list the experiments that would be halted; change nothing |
| `reason` | "Emergency halt (cfg_halt_all)" | recorded in every halted experiment's conclusion |

The result is on the run page: the `summary` task's return value (XCom `return_value`: halted,
still injected, not ended — or, in a dry run, `would_halt`) and its log, which names every
experiment and every fault still injected.

What it does, in region `region`:

1. **find** every experiment created by `airflow-provider-cfg` (tag `managed-by=airflow-provider-cfg`,
   put on every experiment the provider's create operators make) that has not ended — not started
   (1001), running (1002) or paused (1003) — with `DescribeTaskList`, page by page
   (`CfgFindLiveExperimentsOperator`);
2. **roll back** each one, in parallel, one mapped `CfgRollbackExperimentOperator` per experiment:
   trigger the guardrail where CFG runs the steps itself, recover every injected fault (reverse
   order, waiting for each), fall back to the guardrail's sequential rollback when a recovery fails,
   and end the experiment with `IsExpect=false` and `reason` in its summary. One experiment that
   cannot be rolled back does not stop the others;
3. **summary**: re-read every experiment; the run **fails if any fault is still injected** (the
   log names each one, to recover by hand) or an experiment is still not ended
   (`CfgHaltSummaryOperator`).

Experiments not tagged by this provider (made in the console, or by other tools) are not touched.
Experiments that had already ended are not touched either: CFG refuses recoveries on them; the
rollback teardown of their own DAG run is what recovers them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.providers.common.compat.sdk import DAG, Param

from airflow_provider_cfg.core.param_schemas import REGION_OR_EMPTY
from airflow_provider_cfg.operators.rollback import (
    CfgFindLiveExperimentsOperator,
    CfgHaltSummaryOperator,
    CfgRollbackExperimentOperator,
)

with DAG(
    dag_id="cfg_halt_all",
    description="Big red button: roll back every CFG experiment started by Airflow that has not ended",
    schedule=None,  # manual trigger only
    start_date=datetime(2026, 1, 1),
    catchup=False,
    is_paused_upon_creation=False,  # an emergency button must not need unpausing first
    dagrun_timeout=timedelta(hours=1),
    params={
        "region": Param(
            None, type=["null", "string"], pattern=REGION_OR_EMPTY, title="CFG region (optional)",
            description="The region to halt, e.g. ap-guangzhou; empty: the connection's region.",
        ),
        "dry_run": Param(
            False, type="boolean", title="Dry run",
            description="Off (default): halt for real. On: only list what would be halted; change nothing.",
        ),
        "reason": Param(
            "Emergency halt (cfg_halt_all)", type="string", minLength=1, title="Reason",
            description="Why: recorded in every halted experiment's conclusion.",
        ),
    },
    tags=["chaos", "tencentcloud", "cfg", "emergency"],
    doc_md=__doc__,
) as dag:
    find = CfgFindLiveExperimentsOperator(
        task_id="find_live_experiments", region="{{ params.region or '' }}", list_only="{{ params.dry_run }}"
    )

    rollback = CfgRollbackExperimentOperator.partial(
        task_id="rollback_experiment",
        region="{{ params.region or '' }}",
        reason="Halted by cfg_halt_all (run {{ run_id }}): {{ params.reason }}",
        poll_interval=1,
        retries=2,
        retry_delay=timedelta(seconds=10),
        max_active_tis_per_dagrun=8,
        map_index_template="experiment {{ task.experiment_id }}",
    ).expand(experiment_id=find.output)

    summary = CfgHaltSummaryOperator(
        task_id="summary",
        sweep_task_id="find_live_experiments",
        region="{{ params.region or '' }}",
        list_only="{{ params.dry_run }}",
        multiple_outputs=True,
    )

    rollback >> summary
