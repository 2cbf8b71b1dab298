"""# Chaos game day on Tencent Cloud CFG

CFG's "create and run an experiment from the API" walkthrough as a DAG a team can copy:
**create** an experiment from a template in manual mode → **start** it → for each fault/recovery
pair: **inject** the fault → a steady-state **guard** watches the service while the fault is live
→ **recover** → a final **check** → **end** the experiment with a conclusion computed from what
happened. If the guard sees the service breach its tolerance, it triggers the experiment's
guardrail (CFG stops injecting and rolls back), every fault is recovered and the experiment is
ended as *not as expected* — like an AWS FIS stop condition. The **rollback** teardown runs
whatever happens: if anything fails half-way, every injected fault is recovered and the experiment
is ended honestly. Waits are deferrable (the triggerer, not a worker slot).

## Trigger it

Press **Trigger** (the play button) and look at **Run Parameters**: every field has a working
default, so Trigger runs the example against the local emulator (`make ui`). The form refuses bad
values before the run is created (a URL that is not `http(s)://…`, a negative duration, an instance
id that is not `ins-` and 8 letters or digits).

- `template_id`: the CFG template (experience library) to create the experiment from; 626 is
  the harmless "Empty Operation".
- `instances`: the target CVM instances, **one id per line** (`ins-` and 8 lower-case letters or
  digits).
- `region`: the CFG region the experiment lives in, e.g. `ap-guangzhou`.
- `steady_state_url`: an `http(s)` URL that answers 200 while the service is healthy (default:
  the emulator's health page).
- `max_latency_ms`: the slowest acceptable answer of that URL, in milliseconds (1 or more).
- `watch_seconds`: how long the guard watches the service while each fault is live (1 s or more).
- `report_path` (optional): also write the game-day report (Markdown and JSON) here, as an Airflow
  object storage URL (`file:///tmp/game-days`, `s3://bucket/game-days`); empty: XCom and the log.

## Adapt the fault steps to your template

The tasks are made when the DAG file is parsed, so the fault steps are not a form field:
`FAULT_STEPS` in this file lists the template's fault/recovery pairs as `([group, action] to
inject, [group, action] that recovers it)`. Template 626 has one pair: step 1.1 "Empty Operation"
and step 1.2, its recovery. For a template with, say, a CPU fault in 1.1/1.2 and a network fault in
2.1/2.2, write `FAULT_STEPS = [([1, 1], [1, 2]), ([2, 1], [2, 2])]`; each pair gets its own
`inject_fault_N`, `guard_during_fault_N` and `recover_fault_N` tasks, run in order. The steps of a
template are listed in the CFG console, or by `DescribeTemplate` (`CfgHook().get_client()`).

It also runs on its schedule (Wednesdays 10:00 UTC) with these defaults.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.providers.common.compat.sdk import DAG, Param, task

from airflow_provider_cfg.core.param_schemas import REGION, cvm_instances_schema, http_url_schema
from airflow_provider_cfg.emulator.defaults import emulator_url
from airflow_provider_cfg.operators.create import CfgCreateExperimentFromTemplateOperator
from airflow_provider_cfg.operators.experiment import CfgConcludeExperimentOperator, CfgStartExperimentOperator
from airflow_provider_cfg.operators.guard import CfgSteadyStateGuardOperator
from airflow_provider_cfg.operators.rollback import CfgRollbackExperimentOperator
from airflow_provider_cfg.operators.step import CfgExecuteStepOperator

FAULT_STEPS = [([1, 1], [1, 2])]  # (inject, recover) per pair as [group, action] orders
EXPERIMENT = "{{ ti.xcom_pull(task_ids='create_experiment') }}"

with DAG(
    dag_id="cfg_game_day",
    description="Chaos game-day: inject, watch, check steady state, recover, conclude (Tencent Cloud CFG)",
    schedule="0 10 * * 3",  # Wednesdays 10:00 — a regular game-day slot
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    render_template_as_native_obj=True,
    dagrun_timeout=timedelta(hours=2),
    default_args={"retries": 1, "retry_delay": timedelta(seconds=30)},
    params={
        "template_id": Param(
            626, type="integer", exclusiveMinimum=0, title="CFG template id",
            description="The experience-library template to create the experiment from (626: Empty Operation). "
                        "Its fault steps are FAULT_STEPS in the DAG file.",
        ),
        "instances": Param(
            ["ins-bfydnvta", "ins-ehxmry76"], **cvm_instances_schema(),
            title="Target CVM instances",
            description="One instance id per line: ins- followed by 8 lower-case letters or digits.",
        ),
        "region": Param(
            "ap-guangzhou", type="string", pattern=REGION, title="CFG region",
            description="The region the experiment is created in, e.g. ap-guangzhou or ap-shanghai.",
        ),
        "steady_state_url": Param(
            f"{emulator_url()}/_emulator/health", **http_url_schema(),
            title="Steady-state URL",
            description="An http(s) URL that answers 200 while the service is healthy.",
        ),
        "max_latency_ms": Param(
            2000, type="integer", exclusiveMinimum=0, title="Slowest acceptable answer (ms)",
            description="A steady-state answer slower than this counts as a failed probe.",
        ),
        "watch_seconds": Param(
            60, type="integer", exclusiveMinimum=0, title="Watch each fault for (s)",
            description="How long the guard watches the service while each fault is live.",
        ),
        "report_path": Param(
            None, type=["null", "string"], pattern=r"^\S*$", title="Also write the report to (optional)",
            description="An object storage URL such as file:///tmp/game-days or s3://bucket/game-days; "
                        "empty: the report is in XCom and the log only.",
        ),
    },
    tags=["chaos", "tencentcloud", "cfg"],
    doc_md=__doc__,
) as dag:
    create = CfgCreateExperimentFromTemplateOperator(
        task_id="create_experiment",
        template_id="{{ params.template_id }}",
        instances=["{{ params.instances }}"],
        region="{{ params.region }}",
        mode="manual",
        title="Game day {{ dag_run.start_date.strftime('%Y-%m-%d') }} ({{ run_id }})",
        description="Scheduled chaos game-day run by Airflow",
    )
    start = CfgStartExperimentOperator(
        task_id="start_experiment", experiment_id=EXPERIMENT, region="{{ params.region }}"
    )

    @task(multiple_outputs=True)
    def steady_state(phase: str, params: dict | None = None) -> dict:
        """Probe the service; the result (never an exception) goes into the conclusion.

        ``params`` comes from the task context; it is declared after ``phase`` with a default because
        Airflow 3.1's ``@task`` gives context arguments a default (a plain ``params: dict`` first is refused).
        """
        from airflow_provider_cfg.core.probes import http_probe

        assert params is not None  # filled from the context by every Airflow version
        result = http_probe(params["steady_state_url"], max_latency_ms=params["max_latency_ms"]).as_check()
        print(f"steady state {phase}: {'OK' if result['passed'] else 'BREACHED'} — {result['detail']}")
        return result

    previous = start
    check_ids = []
    for index, (inject_step, recover_step) in enumerate(FAULT_STEPS, start=1):
        inject = CfgExecuteStepOperator(
            task_id=f"inject_fault_{index}",
            experiment_id=EXPERIMENT,
            step=inject_step,
            region="{{ params.region }}",
            deferrable=True,
            poll_interval=2,
            execution_timeout=timedelta(minutes=30),
        )
        check = CfgSteadyStateGuardOperator(
            task_id=f"guard_during_fault_{index}",
            experiment_id=EXPERIMENT,
            region="{{ params.region }}",
            probe_url="{{ params.steady_state_url }}",
            max_latency_ms="{{ params.max_latency_ms }}",
            duration="{{ params.watch_seconds }}",
            poll_interval=2,
            failures_to_trip=2,
            deferrable=True,
        )
        recover = CfgExecuteStepOperator(
            task_id=f"recover_fault_{index}",
            experiment_id=EXPERIMENT,
            step=recover_step,
            region="{{ params.region }}",
            deferrable=True,
            poll_interval=2,
            execution_timeout=timedelta(minutes=30),
        )
        previous >> inject >> check >> recover
        previous = recover
        check_ids.append(f"guard_during_fault_{index}")

    final_check = steady_state.override(task_id="check_after_recovery")(phase="after recovery")
    conclude = CfgConcludeExperimentOperator(
        task_id="conclude_experiment",
        experiment_id=EXPERIMENT,
        region="{{ params.region }}",
        check_task_ids=[*check_ids, "check_after_recovery"],
        summary="Game day {{ dag_run.start_date.strftime('%Y-%m-%d') }}.",
        report_path="{{ params.report_path }}",
    )
    rollback = CfgRollbackExperimentOperator(
        task_id="rollback",
        experiment_id=EXPERIMENT,
        region="{{ params.region }}",
        poll_interval=1,
        report_path="{{ params.report_path }}",
    )
    create >> start
    previous >> final_check >> conclude >> rollback
    rollback.as_teardown(setups=create)
