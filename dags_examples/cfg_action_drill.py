"""Action drill: one library action, end to end (Tencent Cloud CFG).

Creates an experiment from library action 462 (network packet loss) on one CVM instance with a
custom configuration (``{"interfaces": "eth0"}``, as in CFG's API walkthrough), starts it,
injects the fault, checks the service, recovers, and concludes. The rollback teardown guarantees
that the packet loss is recovered even if a task fails or is killed half-way.

Press **Trigger**: every field of the form has a working default (the local emulator, `make ui`).
`action_id` is the library action (462: network packet loss); `instance` the target CVM instance
(`ins-` and 8 lower-case letters or digits); `interfaces` the network interface to degrade;
`steady_state_url` an http(s) URL that answers 200 while the service is healthy. The steps are the
action's own: 1.1 injects, 1.2 recovers.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.providers.common.compat.sdk import DAG, Param, task

from airflow_provider_cfg.core.param_schemas import CVM_INSTANCE_ID, http_url_schema
from airflow_provider_cfg.emulator.defaults import emulator_url
from airflow_provider_cfg.operators.create import CfgCreateExperimentFromActionOperator
from airflow_provider_cfg.operators.experiment import CfgConcludeExperimentOperator, CfgStartExperimentOperator
from airflow_provider_cfg.operators.rollback import CfgRollbackExperimentOperator
from airflow_provider_cfg.operators.step import CfgExecuteStepOperator

EXPERIMENT = "{{ ti.xcom_pull(task_ids='create_experiment') }}"

with DAG(
    dag_id="cfg_action_drill",
    description="Network packet loss drill on one CVM instance (CFG action 462)",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    render_template_as_native_obj=True,
    params={
        "action_id": Param(462, type="integer", exclusiveMinimum=0, title="CFG library action id",
                           description="The fault to inject (462: network packet loss)."),
        "instance": Param("ins-xxxxxxxx", type="string", pattern=CVM_INSTANCE_ID, title="Target CVM instance",
                          description="A CVM instance id: ins- followed by 8 lower-case letters or digits."),
        "interfaces": Param("eth0", type="string", minLength=1, title="Network interface",
                            description="The network interface to degrade, e.g. eth0."),
        "steady_state_url": Param(f"{emulator_url()}/_emulator/health", **http_url_schema(), title="Steady-state URL",
                                  description="An http(s) URL that answers 200 while the service is healthy."),
    },
    tags=["chaos", "tencentcloud", "cfg"],
    doc_md=__doc__,
) as dag:
    create = CfgCreateExperimentFromActionOperator(
        task_id="create_experiment",
        action_id="{{ params.action_id }}",
        instances=["{{ params.instance }}"],
        title="Network Packet Loss",
        description="This experiment was created from the openapi",
        custom_configuration={"interfaces": "{{ params.interfaces }}"},
    )
    start = CfgStartExperimentOperator(task_id="start_experiment", experiment_id=EXPERIMENT)
    inject = CfgExecuteStepOperator(
        task_id="inject_packet_loss", experiment_id=EXPERIMENT, step=[1, 1], deferrable=True, poll_interval=2,
        execution_timeout=timedelta(minutes=30),
    )

    @task(multiple_outputs=True)
    def check_service(params: dict) -> dict:
        from airflow_provider_cfg.core.probes import http_probe

        return http_probe(params["steady_state_url"]).as_check()

    check = check_service()
    recover = CfgExecuteStepOperator(
        task_id="recover_packet_loss", experiment_id=EXPERIMENT, step=[1, 2], deferrable=True, poll_interval=2,
        execution_timeout=timedelta(minutes=30),
    )
    conclude = CfgConcludeExperimentOperator(
        task_id="conclude_experiment",
        experiment_id=EXPERIMENT,
        check_task_ids=["check_service"],
        summary="Packet loss drill.",
    )
    rollback = CfgRollbackExperimentOperator(task_id="rollback", experiment_id=EXPERIMENT, poll_interval=1)
    create >> start >> inject >> check >> recover >> conclude >> rollback
    rollback.as_teardown(setups=create)
