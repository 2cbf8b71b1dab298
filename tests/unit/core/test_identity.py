"""AirflowIdentity keys, find_experiment (by tag, by title and description marker) and
list_managed_experiments (halt-all's sweep) against the emulator."""

from __future__ import annotations

import dataclasses
import re

import pytest

from airflow_provider_cfg.api.errors import CfgApiError
from airflow_provider_cfg.core.identity import (
    IDENTITY_TAG,
    MANAGED_TAG,
    MANAGED_VALUE,
    AirflowIdentity,
    ManagedExperiment,
    find_experiment,
    list_managed_experiments,
)
from tests.airflow_helpers import INSTANCE, chaos, clear_chaos_after, end, make_client, ok, start

BASE = AirflowIdentity("game_day", "create", "scheduled__2026-01-07T10:00:00+00:00", -1)


def test_key_is_stable_and_short():
    again = AirflowIdentity("game_day", "create", "scheduled__2026-01-07T10:00:00+00:00")
    assert again.key == BASE.key and again == BASE
    assert re.fullmatch(r"[0-9a-f]{24}", BASE.key)
    assert BASE.marker == f"[airflow-identity:{BASE.key}]"


@pytest.mark.parametrize(
    "other",
    [
        dataclasses.replace(BASE, dag_id="game_day_2"),
        dataclasses.replace(BASE, task_id="create_2"),
        dataclasses.replace(BASE, run_id="scheduled__2026-01-14T10:00:00+00:00"),
        dataclasses.replace(BASE, map_index=0),
        dataclasses.replace(BASE, map_index=1),
    ],
)
def test_key_is_unique_per_task_instance(other):
    assert other.key != BASE.key


def test_key_does_not_mix_fields():
    assert AirflowIdentity("a.b", "c", "r").key != AirflowIdentity("a", "b.c", "r").key
    assert AirflowIdentity("a", "b", "r1", 1).key != AirflowIdentity("a", "b", "r", 11).key


def test_tags_and_description():
    assert BASE.tags() == {IDENTITY_TAG: BASE.key, MANAGED_TAG: MANAGED_VALUE, "airflow-dag": "game_day"}
    assert len(AirflowIdentity("d" * 300, "t", "r").tags()["airflow-dag"]) == 200
    assert BASE.describe() == "game_day.create run scheduled__2026-01-07T10:00:00+00:00"
    assert (dataclasses.replace(BASE, map_index=3).describe()
            == "game_day.create[3] run scheduled__2026-01-07T10:00:00+00:00")
    with pytest.raises(dataclasses.FrozenInstanceError):
        BASE.run_id = "x"  # type: ignore[misc]


def tagged(emu, identity: AirflowIdentity | None, title: str = "tagged") -> int:
    tags = [{"TagKey": k, "TagValue": v} for k, v in (identity.tags() if identity else {"team": "sre"}).items()]
    return ok(emu, "CreateTaskFromTemplate", TemplateId=626, TaskConfig={
        "TaskTitle": title, "TaskGroupsConfig": [{"TaskGroupInstances": [INSTANCE]}], "Tags": tags,
    })["TaskId"]


def marked(emu, title: str, description: str) -> int:
    return ok(emu, "CreateTaskFromMultiAction", TaskInstances=[INSTANCE], TaskTitle=title, TaskDescription=description,
              TaskAction=[{"TaskActionId": 12}])["TaskId"]


def test_find_by_tag(cfg_emulator):
    other = dataclasses.replace(BASE, task_id="other")
    tagged(cfg_emulator, None)
    mine = tagged(cfg_emulator, BASE)
    theirs = tagged(cfg_emulator, other)
    with make_client(cfg_emulator) as client:
        assert find_experiment(client, BASE) == mine
        assert find_experiment(client, other) == theirs
        assert find_experiment(client, dataclasses.replace(BASE, map_index=0)) is None
        newer = tagged(cfg_emulator, BASE)
        assert find_experiment(client, BASE) == max(mine, newer)  # the newest


def test_find_by_title_and_marker(cfg_emulator):
    marked(cfg_emulator, "Drill", "no marker here")
    mine = marked(cfg_emulator, "Drill", f"weekly {BASE.marker}")
    marked(cfg_emulator, "Drill", f"weekly {dataclasses.replace(BASE, run_id='r2').marker}")
    with make_client(cfg_emulator) as client:
        assert find_experiment(client, BASE, title="Drill") == mine
        assert find_experiment(client, dataclasses.replace(BASE, run_id="r3"), title="Drill") is None
        assert find_experiment(client, BASE, title="Nope") is None


def test_find_by_title_reads_every_page(cfg_emulator):
    first = marked(cfg_emulator, "Crowded", f"{BASE.marker}")
    for _ in range(100):
        marked(cfg_emulator, "Crowded", "someone else's")
    with make_client(cfg_emulator) as client:
        page_one = client.describe_task_list(limit=100, offset=0, title="Crowded").TaskList
        assert len(page_one) == 100 and first not in [item.TaskId for item in page_one]  # it is on page two
        assert find_experiment(client, BASE, title="Crowded") == first


def test_find_retries_through_errors_when_asked(cfg_emulator):
    mine = tagged(cfg_emulator, BASE)
    with make_client(cfg_emulator, max_attempts=1) as client:
        chaos(cfg_emulator, error_rate=1.0)
        with pytest.raises(CfgApiError) as info:
            find_experiment(client, BASE)
        assert info.value.code == "InternalError"
        clear_chaos_after(cfg_emulator, 0.15)
        assert find_experiment(client, BASE, attempts=20, pause=0.1) == mine


def test_find_pauses_between_empty_attempts(cfg_emulator):
    import time

    with make_client(cfg_emulator) as client:
        began = time.monotonic()
        assert find_experiment(client, BASE, attempts=3, pause=0.1) is None
        assert 0.2 <= time.monotonic() - began < 2


# -- list_managed_experiments -----------------------------------------------------------------------


def test_managed_experiments_are_the_live_ones_tagged_by_the_provider(cfg_emulator):
    waiting = tagged(cfg_emulator, BASE, "waiting")
    running = tagged(cfg_emulator, dataclasses.replace(BASE, run_id="r2"), "running")
    start(cfg_emulator, running)
    ended = tagged(cfg_emulator, dataclasses.replace(BASE, run_id="r3"), "ended")
    end(cfg_emulator, ended)
    start(cfg_emulator, tagged(cfg_emulator, None, "console drill"))  # not ours
    with make_client(cfg_emulator) as client:
        assert list_managed_experiments(client) == [
            ManagedExperiment(experiment_id=running, title="running", status=1002, dag="game_day"),
            ManagedExperiment(experiment_id=waiting, title="waiting", status=1001, dag="game_day"),
        ]
        assert [item.experiment_id for item in list_managed_experiments(client, statuses=[1004])] == [ended]


def _page(*ids: int, total: int):
    from airflow_provider_cfg.api.models import DescribeTaskListResponse

    return DescribeTaskListResponse.model_validate(
        {"TaskList": [{"TaskId": i, "TaskTitle": f"t{i}", "TaskStatus": 1002} for i in ids], "Total": total}
    )


def test_managed_experiments_listed_on_two_pages_count_once(mocker):
    """An experiment created during the sweep shifts the pages: the one pushed onto the next page is not doubled."""
    client = mocker.Mock()
    client.describe_task_list.side_effect = [_page(5, 4, total=5), _page(4, 3, total=5), _page(2, total=5)]
    found = list_managed_experiments(client, page_size=2)
    assert [item.experiment_id for item in found] == [5, 4, 3, 2]
    assert [c.kwargs["offset"] for c in client.describe_task_list.call_args_list] == [0, 2, 4]
    assert client.describe_task_list.call_args.kwargs["tags"] == {MANAGED_TAG: MANAGED_VALUE}
    assert client.describe_task_list.call_args.kwargs["statuses"] == [1001, 1002, 1003]


def test_managed_experiments_stop_after_max_pages(mocker):
    client = mocker.Mock()
    client.describe_task_list.side_effect = [_page(9, 8, total=100), _page(7, 6, total=100)]
    found = list_managed_experiments(client, page_size=2, max_pages=2)
    assert [item.experiment_id for item in found] == [9, 8, 7, 6]
    assert client.describe_task_list.call_count == 2
