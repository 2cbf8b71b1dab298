"""The rules that keep one wheel working on Airflow 2.11 and 3.0-3.3 (proven by `make compat`), checked
here on every `make test`: Airflow names only through ``airflow.providers.common.compat``, the
connection form also for Airflow < 3.2, example DAGs with nothing only one version accepts."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from airflow_provider_cfg.get_provider_info import get_provider_info
from airflow_provider_cfg.hooks.cfg import CfgHook

ROOT = Path(__file__).resolve().parents[2]
SHELL = [p for p in (ROOT / "airflow_provider_cfg").rglob("*.py")
         if p.relative_to(ROOT / "airflow_provider_cfg").parts[0] not in ("api", "core", "emulator")]
DAGS = sorted((ROOT / "dags_examples").glob("*.py"))
# Present on every supported version under the same name (Airflow core, not the task SDK).
ALLOWED_DIRECT = {
    "airflow.triggers.base",
    # The triggerer's Task SDK channel (task state for on_kill, the guard's checkpoint): 3.x only,
    # imported inside a function that falls back (roll back; start the tally afresh) on ImportError.
    "airflow.sdk.execution_time",
    "airflow.sdk.execution_time.comms",
    # The UI plugin's FastAPI app runs in Airflow 3's api-server (never in a task): the auth manager,
    # the user dependency and the XCom table of the core; imported only on Airflow 3 (plugins/).
    "airflow.api_fastapi.app",
    "airflow.api_fastapi.core_api.security",
    "airflow.models.xcom",
    "airflow.utils.session",
    # The run-note listener runs in the scheduler, on the database: the XCom table's ORM class
    # (XComModel on 3.x, BaseXCom on 2.11, chosen inside the function).
    "airflow.models",
    # AssetWatcher (Airflow 3.0+ only, same place on every 3.x), imported inside
    # cfg_experiment_events_asset, which raises a clear RuntimeError on Airflow 2 (ImportError).
    "airflow.sdk",
}
CONTEXT_KEYS = {"params", "ti", "task_instance", "dag_run", "dag", "task", "run_id", "logical_date", "conf",
                "ds", "ts", "data_interval_start", "data_interval_end", "var", "macros", "outlets", "inlets"}


def _airflow_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "airflow":
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "airflow"]
    return found


@pytest.mark.parametrize("path", SHELL + DAGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_airflow_names_come_through_common_compat(path):
    """``airflow.sdk`` lacks BaseHook/conf/TriggerRule on 3.0 and conf/AirflowSensorTimeout on 3.1,
    and does not exist on 2.11; common.compat maps each name to where the running version has it."""
    direct = [m for m in _airflow_imports(path)
              if not m.startswith("airflow.providers.common.compat") and m not in ALLOWED_DIRECT]
    assert direct == []


def test_connection_form_for_airflow_before_3_2_mirrors_the_provider_info():
    (info,) = get_provider_info()["connection-types"]
    behaviour = CfgHook.get_ui_field_behaviour()
    assert behaviour["hidden_fields"] == info["ui-field-behaviour"]["hidden-fields"]
    assert behaviour["relabeling"] == info["ui-field-behaviour"]["relabeling"]
    widgets = CfgHook.get_connection_form_widgets()
    assert set(widgets) == set(info["conn-fields"]) == {"region", "token", "language"}
    assert widgets["token"].field_class.__name__ == "PasswordField"
    assert widgets["region"].kwargs["default"] == "ap-guangzhou"


@pytest.mark.parametrize("path", DAGS, ids=lambda p: p.name)
def test_example_dags_use_nothing_only_one_airflow_version_accepts(path):
    source = path.read_text(encoding="utf-8")
    assert "run_after" not in source  # Airflow 3 only; dag_run.start_date exists everywhere
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.decorator_list:
            args = node.args.args
            first_default = len(args) - len(node.args.defaults)
            # Airflow 3.1's @task gives context arguments a default: a plain one before an argument
            # without a default is refused ("non-default argument follows default argument").
            for index, arg in enumerate(args[:first_default]):
                later = [a.arg for a in args[index + 1:first_default]]
                assert not (arg.arg in CONTEXT_KEYS and later), f"{node.name}: {arg.arg} before {later}"
