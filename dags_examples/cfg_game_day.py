"""Chaos game-day on Tencent Cloud CFG — the "create and run an experiment from the API" walkthrough
as a DAG a team can copy.

create from a template in manual mode → start → for each fault/recovery pair: inject → wait
(deferrable) → a steady-state guard watches the service while the fault is live (deferrable, in
the triggerer) → recover → wait → final check → end the experiment with a conclusion computed from
what happened. If the guard sees the service breach its tolerance, it triggers the experiment's
guardrail (CFG stops injecting and rolls back), recovers every fault and ends the experiment with
``IsExpect=false`` — an abort, like an AWS FIS stop condition. A rollback teardown runs whatever
happens: if anything fails half-way, every injected fault is recovered and the experiment is
ended honestly.

Run it from the UI ("Trigger DAG w/ config") or on its schedule; the params say what to break and
how to tell that the system is still healthy. ``FAULT_STEPS`` lists the template's fault/recovery
pairs as ``[group, action]`` orders (template 626 has one pair: 1.1 "Empty Operation" and 1.2 its
rollback); adjust it to your template.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.providers.common.compat.sdk import DAG, Param, task

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
        "template_id": Param(626, type="integer", description="CFG template (experience library) id"),
        "instances": Param(["ins-bfydnvta", "ins-ehxmry76"], type="array", description="Target CVM instance ids"),
        "region": Param("ap-guangzhou", type="string", description="CFG region"),
        "steady_state_url": Param(
            "http://127.0.0.1:8999/_emulator/health",
            type="string",
            description="URL that answers 200 while the service is healthy",
        ),
        "max_latency_ms": Param(2000, type="integer", description="Slowest acceptable steady-state answer"),
        "watch_seconds": Param(60, type="integer", minimum=1, description="How long the guard watches each live fault"),
        "report_path": Param("", type="string", description="Also write the report here (object storage URL, e.g. file:///tmp/game-days)"),
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
