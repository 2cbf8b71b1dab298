"""Automatic-mode experiment watched by sensors (Tencent Cloud CFG).

In automatic mode CFG advances through the steps by itself (honouring each action's pre/after
waits) and ends the experiment when the last one is done. Airflow starts it, watches the first
step with the step sensor and the experiment with the experiment sensor until it has ended (1004;
deferrable: no worker slot while waiting), checks steady state, and records the conclusion that
CFG asks for. Template 629 runs CPU high load and its recovery.

Press **Trigger**: every field of the form has a working default (the local emulator, `make ui`).
`template_id` is the CFG template; `instances` the target CVM instances, one id per line (`ins-`
and 8 lower-case letters or digits); `steady_state_url` an http(s) URL that answers 200 while the
service is healthy. CFG runs the template's steps by itself; nothing to adapt in the DAG.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.providers.common.compat.sdk import DAG, Param, task

from airflow_provider_cfg.core.param_schemas import cvm_instances_schema, http_url_schema
from airflow_provider_cfg.emulator.defaults import emulator_url
from airflow_provider_cfg.operators.create import CfgCreateExperimentFromTemplateOperator
from airflow_provider_cfg.operators.experiment import CfgConcludeExperimentOperator, CfgStartExperimentOperator
from airflow_provider_cfg.operators.rollback import CfgRollbackExperimentOperator
from airflow_provider_cfg.sensors.experiment import CfgExperimentSensor
from airflow_provider_cfg.sensors.step import CfgStepSensor

EXPERIMENT = "{{ ti.xcom_pull(task_ids='create_experiment') }}"

with DAG(
    dag_id="cfg_automatic_drill",
    description="Automatic-mode CPU load drill watched by the CFG sensors",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    render_template_as_native_obj=True,
    params={
        "template_id": Param(629, type="integer", exclusiveMinimum=0, title="CFG template id",
                             description="The template to run in automatic mode (629: CPU high load)."),
        "instances": Param(["ins-cpu00001"], **cvm_instances_schema(),
                           title="Target CVM instances",
                           description="One instance id per line: ins- followed by 8 lower-case letters or digits."),
        "steady_state_url": Param(f"{emulator_url()}/_emulator/health", **http_url_schema(), title="Steady-state URL",
                                  description="An http(s) URL that answers 200 while the service is healthy."),
    },
    tags=["chaos", "tencentcloud", "cfg"],
    doc_md=__doc__,
) as dag:
    create = CfgCreateExperimentFromTemplateOperator(
        task_id="create_experiment",
        template_id="{{ params.template_id }}",
        instances=["{{ params.instances }}"],
        mode="automatic",
        title="Automatic CPU drill {{ dag_run.start_date.strftime('%Y-%m-%d') }}",
    )
    start = CfgStartExperimentOperator(task_id="start_experiment", experiment_id=EXPERIMENT)
    injected = CfgStepSensor(
        task_id="wait_for_fault_injected", experiment_id=EXPERIMENT, step=[1, 1], poll_interval=1, timeout=900
    )
    finished = CfgExperimentSensor(
        task_id="wait_until_ended",
        experiment_id=EXPERIMENT,
        target_statuses=[1004],
        deferrable=True,
        poll_interval=2,
        timeout=1800,
        execution_timeout=timedelta(hours=1),
    )

    @task(multiple_outputs=True)
    def check_service(params: dict) -> dict:
        from airflow_provider_cfg.core.probes import http_probe

        return http_probe(params["steady_state_url"]).as_check()

    conclude = CfgConcludeExperimentOperator(
        task_id="conclude_experiment",
        experiment_id=EXPERIMENT,
        check_task_ids=["check_service"],
        summary="Automatic CPU drill.",
    )
    rollback = CfgRollbackExperimentOperator(task_id="rollback", experiment_id=EXPERIMENT, poll_interval=1)
    create >> start >> injected >> finished >> check_service() >> conclude >> rollback
    rollback.as_teardown(setups=create)
