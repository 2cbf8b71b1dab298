"""# Post-mortem of every CFG experiment that ends — from Airflow, the console, or anywhere

Scheduled on the asset `cfg_experiments_ended`, which a `CfgExperimentEventTrigger` watcher feeds
(Airflow 3 event-driven scheduling): the triggerer lists the experiments of the connection's region
every 30 s and fires one asset event per experiment that ended (status 1004). Each run then builds
the game-day report of the experiments of its triggering events, from CFG's own record, and writes
it to the `report_path` param (default `CFG_POSTMORTEM_PATH`, else `/tmp/cfg-postmortems`; any
object storage URL): `cfg-experiment-<id>.md` and `.json`.

Params (the Trigger form): **Experiments** (`experiment_ids`, comma-separated CFG experiment ids;
empty: those of the triggering events) and **Report folder** (`report_path`).

Several events queued while the DAG was busy make one run that reports them all; an event reported
twice (possible after a triggerer restart, see docs/events.md) rewrites the same files.

**Airflow 2** has no event-driven scheduling: there the DAG has no schedule and reports the
experiments given in its `experiment_ids` param (trigger it by hand or from another DAG). On Airflow 3
the param, when not empty, overrides the triggering events too.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.providers.common.compat.sdk import DAG, Param

from airflow_provider_cfg.operators.report_experiment import CfgReportExperimentOperator
from airflow_provider_cfg.triggers.experiment_events import cfg_experiment_events_asset

EXPERIMENT_IDS = r"^\s*([0-9]+(\s*,\s*[0-9]+)*)?\s*$"
"""Comma-separated experiment ids (blank: the triggering events)."""
REPORT_PATH = os.environ.get("CFG_POSTMORTEM_PATH", "/tmp/cfg-postmortems")
POLL_SECONDS = float(os.environ.get("CFG_POSTMORTEM_POLL_SECONDS", "30"))

try:
    ENDED = cfg_experiment_events_asset("cfg_experiments_ended", statuses=[1004], poll_interval=POLL_SECONDS)
    SCHEDULE: list | None = [ENDED]
except RuntimeError:  # Airflow 2: no AssetWatcher; run by hand with experiment_ids
    SCHEDULE = None

with DAG(
    dag_id="cfg_postmortem",
    description="Game-day report of every CFG experiment that ended (event-driven on Airflow 3)",
    schedule=SCHEDULE,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=30),
    params={
        "experiment_ids": Param(
            None, type=["null", "string"], pattern=EXPERIMENT_IDS, title="Experiments",
            description="CFG experiment ids (TaskId) to report on, comma-separated, e.g. 3256, 3257. "
                        "Empty: the experiments whose end triggered this run (Airflow 3)."),
        "report_path": Param(
            REPORT_PATH, type="string", minLength=1, title="Report folder",
            description="Where the reports are written (cfg-experiment-<id>.md and .json): a local folder "
                        "or any Airflow object storage URL (s3://…, cos://…)."),
    },
    tags=["cfg", "chaos", "report"],
    doc_md=__doc__,
) as dag:
    CfgReportExperimentOperator(
        task_id="write_reports",
        report_path="{{ params.report_path }}",
        experiment_ids="{{ params.experiment_ids or '' }}",
        retries=2,
        retry_delay=timedelta(seconds=30),
    )
