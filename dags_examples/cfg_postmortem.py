"""# Post-mortem of every CFG experiment that ends — from Airflow, the console, or anywhere

Scheduled on the asset `cfg_experiments_ended`, which a `CfgExperimentEventTrigger` watcher feeds
(Airflow 3 event-driven scheduling): the triggerer lists the experiments of the connection's region
every 30 s and fires one asset event per experiment that ended (status 1004). Each run then builds
the game-day report of the experiments of its triggering events, from CFG's own record, and writes
it to `CFG_POSTMORTEM_PATH` (default `/tmp/cfg-postmortems`; any object storage URL):
`cfg-experiment-<id>.md` and `.json`.

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
    params={"experiment_ids": Param("", type="string",
                                    description="Experiment ids to report on (comma-separated); empty: the ones "
                                                "whose end triggered this run")},
    tags=["cfg", "chaos", "report"],
    doc_md=__doc__,
) as dag:
    CfgReportExperimentOperator(
        task_id="write_reports",
        report_path=REPORT_PATH,
        experiment_ids="{{ params.experiment_ids or '' }}",
        retries=2,
        retry_delay=timedelta(seconds=30),
    )
