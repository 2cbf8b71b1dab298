"""Test DAG for the SIGKILL drill: a fault step that waits in the worker (not deferred), so that the
worker can be killed while the fault is live; the rollback teardown must still clean up."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_cfg.operators.create import CfgCreateExperimentFromTemplateOperator
from airflow_provider_cfg.operators.experiment import CfgEndExperimentOperator, CfgStartExperimentOperator
from airflow_provider_cfg.operators.rollback import CfgRollbackExperimentOperator
from airflow_provider_cfg.operators.step import CfgExecuteStepOperator

EXPERIMENT = "{{ ti.xcom_pull(task_ids='create_experiment') }}"

with DAG(dag_id="cfg_kill_drill", schedule=None, start_date=datetime(2026, 1, 1), catchup=False,
         default_args={"retries": 0}) as dag:
    create = CfgCreateExperimentFromTemplateOperator(
        task_id="create_experiment", template_id=626, instances=[["ins-bfydnvta", "ins-ehxmry76"]], mode="manual",
        title="kill drill",
    )
    start = CfgStartExperimentOperator(task_id="start_experiment", experiment_id=EXPERIMENT)
    inject = CfgExecuteStepOperator(task_id="inject_fault", experiment_id=EXPERIMENT, step=[1, 1], deferrable=False,
                                    poll_interval=1, rollback_on_kill=False)  # SIGKILL gives no chance to clean up
    recover = CfgExecuteStepOperator(task_id="recover_fault", experiment_id=EXPERIMENT, step=[1, 2], deferrable=False,
                                     poll_interval=1)
    end = CfgEndExperimentOperator(task_id="conclude", experiment_id=EXPERIMENT, summary="ran to its end",
                                   is_expect=True)
    rollback = CfgRollbackExperimentOperator(task_id="rollback", experiment_id=EXPERIMENT, poll_interval=1, retries=2,
                                             retry_delay=1)
    create >> start >> inject >> recover >> end >> rollback
    rollback.as_teardown(setups=create)
