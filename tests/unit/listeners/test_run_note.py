"""The run-note listener is best effort: nothing it meets (no session, no note, a failing read)
escapes into the scheduler. (End to end, on a real scheduler: tests/system/standalone/test_smoke.py.)"""

from __future__ import annotations

from airflow_provider_cfg.listeners import run_note


def test_a_run_without_a_session_is_left_alone(mocker):
    mocker.patch("sqlalchemy.orm.object_session", return_value=None)
    dag_run = mocker.Mock(note=None)
    assert run_note.copy_note(dag_run) is False and dag_run.note is None


def test_the_latest_note_is_set_above_a_persons_note(mocker):
    mocker.patch("sqlalchemy.orm.object_session", return_value=mocker.Mock())
    mocker.patch.object(run_note, "latest_note", return_value="**CFG game day: as expected** - experiment 7, x")
    dag_run = mocker.Mock(note="rerun after the upgrade")
    run_note.on_dag_run_success(dag_run=dag_run, msg="success")
    assert dag_run.note == "rerun after the upgrade\n\n**CFG game day: as expected** - experiment 7, x"


def test_no_note_pushed_changes_nothing(mocker):
    mocker.patch("sqlalchemy.orm.object_session", return_value=mocker.Mock())
    mocker.patch.object(run_note, "latest_note", return_value=None)
    dag_run = mocker.Mock(note="a person's note")
    run_note.on_dag_run_failed(dag_run=dag_run, msg="task_failure")
    assert dag_run.note == "a person's note"


def test_a_failing_read_is_logged_never_raised(mocker, caplog):
    mocker.patch("sqlalchemy.orm.object_session", return_value=mocker.Mock())
    mocker.patch.object(run_note, "latest_note", side_effect=RuntimeError("database is locked"))
    dag_run = mocker.Mock(note=None, run_id="manual__1")
    assert run_note.copy_note(dag_run) is False
    assert "Could not set the CFG note of DAG run manual__1" in caplog.text
