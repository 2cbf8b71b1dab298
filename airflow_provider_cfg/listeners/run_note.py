"""Copies the run note a CFG task composed onto its DAG run when the run ends.

A task of Airflow 3 cannot write its DAG run (no database access; the Task SDK's execution API
offers no call for a note), so the tasks push the note to XCom (``cfg_run_note``: the verdict, the
summary, the link to the rendered report) and this listener, which runs in the scheduler where the
database is, sets the latest one as the run's note when the run succeeds or fails — the same code
on Airflow 2.11 and 3.x. A note a person wrote is kept above ours
(:func:`~airflow_provider_cfg.core.report.note.merged_note`).

Register it through an Airflow plugin (``listeners = [run_note]``); the provider's plugin does.
Best effort: anything that goes wrong is logged and the run is left as it is.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.providers.common.compat.sdk import hookimpl

from airflow_provider_cfg.links.report import XCOM_RUN_NOTE

log = logging.getLogger(__name__)


def _xcom_model() -> Any:
    """The XCom table's ORM class: ``XComModel`` on Airflow 3, ``BaseXCom`` on Airflow 2."""
    from airflow.models import xcom

    return getattr(xcom, "XComModel", None) or xcom.BaseXCom


def latest_note(dag_run: Any, session: Any) -> str | None:
    """The run note the run's tasks pushed last, ``None`` when none did."""
    from sqlalchemy import select

    model = _xcom_model()
    row = session.scalars(
        select(model)
        .where(model.dag_run_id == dag_run.id, model.key == XCOM_RUN_NOTE)
        .order_by(model.timestamp.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    value = model.deserialize_value(row)
    return value if isinstance(value, str) and value else None


def copy_note(dag_run: Any) -> bool:
    """Set the run's note from the latest ``cfg_run_note`` XCom; True when it did. Never raises."""
    try:
        from sqlalchemy.orm import object_session

        from airflow_provider_cfg.core.report.note import merged_note

        session = object_session(dag_run)
        if session is None:
            log.debug("DAG run %s has no session: no run note", dag_run.run_id)
            return False
        note = latest_note(dag_run, session)
        if note is None:
            return False
        dag_run.note = merged_note(dag_run.note, note)
    except Exception:  # optional: the run's state is what matters
        log.warning("Could not set the CFG note of DAG run %s", getattr(dag_run, "run_id", "?"), exc_info=True)
        return False
    return True


@hookimpl
def on_dag_run_success(dag_run: Any, msg: str) -> None:
    copy_note(dag_run)


@hookimpl
def on_dag_run_failed(dag_run: Any, msg: str) -> None:
    copy_note(dag_run)
