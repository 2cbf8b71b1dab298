"""The resilience metrics of a game day: in the report (XCom, Markdown) and sent through Airflow's own
metrics to a real StatsD listener on loopback (operators/base.py ``emit_metrics``)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from airflow_provider_cfg.operators.experiment import CfgEndExperimentOperator
from tests.airflow_helpers import FakeTI, context_for, use_emulator
from tests.unit.core.report.game_day import run_game_day


@pytest.fixture
def statsd(monkeypatch) -> Iterator[socket.socket]:
    """A UDP socket on a free loopback port, and Airflow's Stats set up for it from Airflow's own
    configuration (``[metrics]``), as the task runner sets it up in a worker."""
    from airflow.sdk._shared.observability.metrics import stats
    from airflow.sdk._shared.observability.metrics.base_stats_logger import NoStatsLogger
    from airflow.sdk.observability.metrics import stats_utils

    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(5)
    for key, value in {"STATSD_ON": "True", "STATSD_HOST": "127.0.0.1", "STATSD_PORT": str(listener.getsockname()[1]),
                       "STATSD_PREFIX": "airflow", "STATSD_INFLUXDB_ENABLED": "True"}.items():
        monkeypatch.setenv(f"AIRFLOW__METRICS__{key}", value)
    stats.initialize(factory=stats_utils.get_stats_factory(), export_legacy_names=False)
    try:
        yield listener
    finally:
        stats.initialize(factory=NoStatsLogger, export_legacy_names=False)
        listener.close()


def received(listener: socket.socket) -> list[str]:
    lines: list[str] = []
    listener.settimeout(5)  # the first datagram
    while True:
        try:
            lines += listener.recv(65536).decode().splitlines()
        except TimeoutError:
            return lines
        listener.settimeout(0.5)  # the rest follow at once; a pause means there is no more


def test_the_report_carries_the_metrics_and_statsd_receives_them_with_dag_and_experiment_tags(cfg_emulator,
                                                                                              monkeypatch, statsd):
    use_emulator(monkeypatch, cfg_emulator)
    experiment_id = run_game_day(cfg_emulator)  # fault 1.1 and recovery 1.2 on 2 instances, a guardrail trip
    ti = FakeTI(dag_id="cfg_game_day")
    op = CfgEndExperimentOperator(task_id="end", experiment_id=experiment_id, summary="s", is_expect=True)
    with op.client() as client:
        op.publish_report(context_for(ti), client, experiment_id, checks={"http": {"passed": True, "detail": "200"}})

    metrics = ti.pushed["report"]["metrics"]
    (fault,) = metrics["faults"]
    assert (fault["step"], fault["recovery_step"], fault["blast_radius"], fault["guardrail_trips"]) == \
        ("1.1", "1.2", 2, 1)
    assert fault["time_to_detect_s"] is not None and fault["time_to_recover_s"] is not None
    assert "## Resilience metrics" in ti.pushed["report_markdown"]

    lines = received(statsd)
    tags = f"dag_id=cfg_game_day,experiment_id={experiment_id}"
    assert f"airflow.cfg.game_day.blast_radius,{tags}:2|g" in lines
    assert f"airflow.cfg.game_day.guardrail_trips,{tags}:1|g" in lines
    assert f"airflow.cfg.game_day.fault.blast_radius,{tags},fault=1.1:2|g" in lines
    timings = {name: float(value.removesuffix("|ms"))
               for name, value in (line.split(":") for line in lines if line.endswith("|ms"))}
    assert timings[f"airflow.cfg.game_day.fault.time_to_recover,{tags},fault=1.1"] == fault["time_to_recover_s"] * 1000
    assert timings[f"airflow.cfg.game_day.fault.time_to_detect,{tags},fault=1.1"] == fault["time_to_detect_s"] * 1000
    assert any(line.startswith("airflow.cfg.game_day.ended,") and "verdict=no_conclusion" in line for line in lines)


def test_a_broken_metrics_backend_never_fails_the_report(cfg_emulator, monkeypatch, mocker):
    from airflow.providers.common.compat.sdk import Stats

    use_emulator(monkeypatch, cfg_emulator)
    experiment_id = run_game_day(cfg_emulator)
    mocker.patch.object(Stats, "gauge", side_effect=OSError("statsd unreachable"))
    ti = FakeTI()
    op = CfgEndExperimentOperator(task_id="end", experiment_id=experiment_id, summary="s", is_expect=True)
    warned = mocker.spy(op.log, "warning")
    with op.client() as client:
        assert op.publish_report(context_for(ti), client, experiment_id) is not None
    assert "report_markdown" in ti.pushed
    assert any("Could not emit the metrics" in call.args[0] for call in warned.call_args_list)
