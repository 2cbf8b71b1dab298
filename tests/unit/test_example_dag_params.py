"""The example DAGs' trigger forms: every param works with its default and refuses bad values.

Airflow validates a run's params (each ``Param`` resolved against the run's conf, the same check for
the form, the REST API and the CLI) before the run exists, so a refused value never reaches CFG. The
form greys Trigger out while a field it considers required is empty: a param whose default is
``None`` or ``""`` must allow ``null``.
"""

from __future__ import annotations

import copy
import importlib.util

import pytest

from tests.airflow_setup import DAGS_FOLDER

DAG_FILES = sorted(DAGS_FOLDER.glob("cfg_*.py"))


def _dag(path):
    spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag


@pytest.fixture(scope="module")
def dags():
    return {path.stem: _dag(path) for path in DAG_FILES}


def validate(dag, conf: dict) -> dict:
    """The run's params as Airflow resolves them for ``conf``: ``ParamValidationError`` names the field."""
    params = copy.deepcopy(dag.params)
    params.update(conf)  # refuses a bad value: "Invalid input for param <name>: ..."
    resolved = params.validate()  # the defaults
    for name, value in conf.items():
        resolved[name] = params.get_param(name).resolve(value=value)
    return resolved


def _params(dags):
    return [(dag_id, name, dag.params.get_param(name)) for dag_id, dag in dags.items() for name in dag.params]


def test_every_example_dag_has_params(dags):
    assert set(dags) == {"cfg_action_drill", "cfg_automatic_drill", "cfg_game_day", "cfg_halt_all", "cfg_postmortem"}
    assert all(len(dag.params) >= 2 for dag in dags.values())


def test_every_param_has_a_title_and_a_description(dags):
    missing = [f"{dag_id}.{name}" for dag_id, name, param in _params(dags)
               if not param.schema.get("title") or not param.description]
    assert missing == []


def test_every_default_validates(dags):
    for dag_id, dag in dags.items():
        resolved = validate(dag, {})
        assert set(resolved) == set(dag.params), dag_id


def test_an_empty_default_allows_null_so_the_form_can_trigger(dags):
    for dag_id, name, param in _params(dags):
        assert param.value != "", f"{dag_id}.{name}: an empty-string default reads as missing in the form"
        if param.value is None:
            assert "null" in param.schema["type"], f"{dag_id}.{name}"


def test_no_number_is_clamped_silently_by_the_form(dags):
    """Airflow 3's form gives ``minimum``/``maximum`` to its number input, which silently replaces
    -5 by the minimum on blur; with ``exclusiveMinimum`` the value stays and the trigger is refused."""
    clamped = [f"{dag_id}.{name}" for dag_id, name, param in _params(dags)
               if param.schema.get("type") in ("integer", "number") and {"minimum", "maximum"} & set(param.schema)]
    assert clamped == []


def test_halt_all_halts_for_real_by_default_and_dry_run_is_a_choice(dags):
    resolved = validate(dags["cfg_halt_all"], {})
    assert resolved["dry_run"] is False
    assert resolved["region"] is None
    assert validate(dags["cfg_halt_all"], {"dry_run": True, "region": "ap-shanghai"})["dry_run"]
    # A conf written before the region became optional still triggers.
    assert validate(dags["cfg_halt_all"], {"region": ""})["region"] == ""


@pytest.mark.parametrize(
    ("dag_id", "conf", "field"),
    [
        ("cfg_game_day", {"steady_state_url": "not a url"}, "steady_state_url"),
        ("cfg_game_day", {"steady_state_url": "ftp://example.com/health"}, "steady_state_url"),
        ("cfg_game_day", {"steady_state_url": "http://"}, "steady_state_url"),
        ("cfg_game_day", {"max_latency_ms": -100}, "max_latency_ms"),
        ("cfg_game_day", {"max_latency_ms": 0}, "max_latency_ms"),
        ("cfg_game_day", {"watch_seconds": -5}, "watch_seconds"),
        ("cfg_game_day", {"watch_seconds": 0}, "watch_seconds"),
        ("cfg_game_day", {"watch_seconds": "abc"}, "watch_seconds"),
        ("cfg_game_day", {"watch_seconds": 1.5}, "watch_seconds"),
        ("cfg_game_day", {"instances": ["not an instance id"]}, "instances"),
        ("cfg_game_day", {"instances": ["ins-bfydnvta", "ins-bfydnvta"]}, "instances"),
        ("cfg_game_day", {"instances": []}, "instances"),
        ("cfg_game_day", {"region": "Guangzhou"}, "region"),
        ("cfg_game_day", {"template_id": 0}, "template_id"),
        ("cfg_game_day", {"report_path": "file:///tmp/with space"}, "report_path"),
        ("cfg_halt_all", {"region": "AP GUANGZHOU"}, "region"),
        ("cfg_halt_all", {"reason": ""}, "reason"),
        ("cfg_halt_all", {"dry_run": "yes"}, "dry_run"),
        ("cfg_action_drill", {"instance": "i-123"}, "instance"),
        ("cfg_action_drill", {"steady_state_url": "127.0.0.1:8999/health"}, "steady_state_url"),
        ("cfg_automatic_drill", {"instances": ["ins-cpu00001", "cdb-1"]}, "instances"),
        ("cfg_postmortem", {"experiment_ids": "3256; 3257"}, "experiment_ids"),
        ("cfg_postmortem", {"experiment_ids": "task-3256"}, "experiment_ids"),
        ("cfg_postmortem", {"report_path": ""}, "report_path"),
    ],
)
def test_a_bad_value_is_refused_naming_the_field(dags, dag_id, conf, field):
    from airflow.providers.common.compat.sdk import ParamValidationError

    with pytest.raises(ParamValidationError, match=f"Invalid input for param {field}:"):
        validate(dags[dag_id], conf)


@pytest.mark.parametrize(
    ("dag_id", "conf"),
    [
        ("cfg_game_day", {"steady_state_url": "https://shop.example.com/healthz?deep=1", "watch_seconds": 1,
                          "instances": ["ins-0123abcd"], "region": "ap-shanghai-fsi",
                          "report_path": "s3://bucket/game-days"}),
        ("cfg_game_day", {"report_path": None}),
        ("cfg_halt_all", {"region": None, "dry_run": True, "reason": "incident 42"}),
        ("cfg_action_drill", {"instance": "ins-bfydnvta", "steady_state_url": "http://127.0.0.1:1/x"}),
        ("cfg_postmortem", {"experiment_ids": "3256, 3257", "report_path": "s3://bucket/postmortems"}),
        ("cfg_postmortem", {"experiment_ids": None}),
        ("cfg_postmortem", {"experiment_ids": ""}),
    ],
)
def test_a_good_value_is_accepted(dags, dag_id, conf):
    resolved = validate(dags[dag_id], conf)
    assert {name: resolved[name] for name in conf} == conf
