"""docker-compose.yml and Dockerfile: the pieces agree with each other and with the project.

(No Docker engine runs here; CI also validates the file with ``docker-compose config -q``.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from airflow_provider_cfg.api.client import CfgClient

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
AIRFLOW_SERVICES = ["airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
                    "airflow-triggerer-2", "airflow-worker"]
ENV_FILE = "deploy/airflow.env"


def read_env_file() -> dict[str, str]:
    from scripts.stack.services import read_env_file

    return read_env_file(ROOT / ENV_FILE)


def env_of(service: str) -> dict[str, str]:
    return SERVICES[service]["environment"]


def settings_of(service: str) -> dict[str, str]:
    """What the service's Airflow sees: its env_file, then its environment."""
    assert SERVICES[service]["env_file"] == [ENV_FILE]
    return {**read_env_file(), **env_of(service)}


def test_every_component_is_there():
    assert {"postgres", "redis", "cfg-emulator", "airflow-init", *AIRFLOW_SERVICES} <= set(SERVICES)
    for name in ["postgres", "redis", "cfg-emulator", *AIRFLOW_SERVICES]:
        assert "healthcheck" in SERVICES[name], name
    commands = [SERVICES[name]["command"] for name in AIRFLOW_SERVICES]
    assert sorted(commands) == sorted(["api-server", "scheduler", "dag-processor", "triggerer", "triggerer",
                                       "celery worker"])


def test_two_triggerers_for_failover():
    """Issue 14: with one triggerer, a guard whose triggerer dies is not watched until it comes back."""
    triggerers = [name for name, service in SERVICES.items() if service.get("command") == "triggerer"]
    assert len(triggerers) == 2
    assert SERVICES[triggerers[0]]["healthcheck"] == SERVICES[triggerers[1]]["healthcheck"]


def test_image_tag_matches_the_tested_airflow():
    from_line = next(line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("FROM"))
    dockerfile_version = re.search(r"apache/airflow:([\d.]+)", from_line).group(1)
    locked = re.search(r"^apache-airflow==([\d.]+)$", (ROOT / "requirements/ci.lock").read_text(), re.M).group(1)
    assert dockerfile_version == locked == "3.3.2"
    for name in [*AIRFLOW_SERVICES, "cfg-emulator"]:
        assert SERVICES[name]["image"].endswith(f":{locked}")


def test_dags_are_mounted_where_airflow_looks():
    for name in AIRFLOW_SERVICES:
        mounts = dict(volume.split(":")[:2] for volume in SERVICES[name]["volumes"] if volume.startswith("./"))
        dags_folder = env_of(name)["AIRFLOW__CORE__DAGS_FOLDER"]
        source = next(src for src, dest in mounts.items() if dest == dags_folder)
        assert (ROOT / source).is_dir() and any((ROOT / source).glob("cfg_*.py"))


def test_connection_points_at_the_emulator_with_its_credentials():
    emulator = SERVICES["cfg-emulator"]
    command = emulator["command"]
    port = command[command.index("--port") + 1]
    assert f"127.0.0.1:{port}:{port}" in emulator["ports"]
    for name in AIRFLOW_SERVICES:
        conn = json.loads(env_of(name)["AIRFLOW_CONN_TENCENTCLOUD_CFG_DEFAULT"])
        assert conn["conn_type"] == "tencentcloud_cfg"
        assert conn["host"] == f"http://cfg-emulator:{port}"
        assert conn["login"] == emulator["environment"]["CFG_EMULATOR_SECRET_ID"]
        assert conn["password"] == emulator["environment"]["CFG_EMULATOR_SECRET_KEY"]
        assert str(port) in conn["extra"]["console_url"]


def test_ports_are_published_on_loopback_only():
    """Issue 12, finding 8: the UI has no login and the emulator's credentials are public."""
    published = [(name, port) for name, service in SERVICES.items() for port in service.get("ports", [])]
    assert published
    for name, port in published:
        assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"


def test_connection_is_accepted_by_the_hook():
    from airflow.sdk import Connection

    from airflow_provider_cfg.hooks.cfg import check_console_url, client_kwargs

    raw = json.loads(env_of("airflow-scheduler")["AIRFLOW_CONN_TENCENTCLOUD_CFG_DEFAULT"])
    conn = Connection(conn_id="tencentcloud_cfg_default", conn_type=raw["conn_type"], login=raw["login"],
                      password=raw["password"], host=raw["host"], extra=json.dumps(raw["extra"]))
    client = CfgClient(**{k: v for k, v in client_kwargs(conn).items() if k != "console_url"})
    check_console_url(conn.conn_id, raw["extra"]["console_url"])
    assert client.config.endpoint == raw["host"]


def test_services_wait_for_their_dependencies():
    for name in AIRFLOW_SERVICES:
        depends = SERVICES[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["cfg-emulator"]["condition"] == "service_healthy"
        assert depends["airflow-init"]["condition"] == "service_completed_successfully"


def test_settings_come_from_the_env_file_the_stack_check_also_reads():
    """One source of truth: the compose services and `make stack-check` read deploy/airflow.env; the
    compose file only says where things are, and never overrides a setting of the file."""
    from scripts.stack.services import Stack

    shared = read_env_file()
    assert shared["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    for name in AIRFLOW_SERVICES:
        assert not set(env_of(name)) & set(shared), name
        assert settings_of(name)["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    native = Stack(ROOT / ".stack-venv")
    try:
        env = native.airflow_env()
    finally:
        native.cleanup()
    assert {key: env[key] for key in shared} == shared
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql+psycopg2://")


def test_scheduler_health_check_is_served():
    """Issue 14: the health check curls :8974/health, which the scheduler serves only when enabled."""
    assert "8974/health" in " ".join(SERVICES["airflow-scheduler"]["healthcheck"]["test"])
    assert settings_of("airflow-scheduler")["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"].lower() == "true"


def test_init_stops_at_the_first_failure():
    """Issue 14: without set -e a failed `db migrate` still counted as done and the rest started."""
    script = SERVICES["airflow-init"]["command"][-1]
    assert script.strip().splitlines()[0].startswith("set -e")


def test_jwt_secret_is_long_enough_for_hs512():
    for name in AIRFLOW_SERVICES:
        assert len(settings_of(name)["AIRFLOW__API_AUTH__JWT_SECRET"].encode()) >= 64
        assert settings_of(name)["AIRFLOW__API__SECRET_KEY"]


def test_timeouts_bound_an_unguarded_fault():
    """A dead worker's task is failed after the heartbeat timeout (its fault unguarded meanwhile); the
    broker redelivers an unacknowledged task after the visibility timeout, which must outlast any task."""
    from datetime import timedelta

    settings = settings_of("airflow-scheduler")
    assert int(settings["AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT"]) <= 60
    game_day = (ROOT / "dags_examples" / "cfg_game_day.py").read_text()
    run_timeout = timedelta(hours=int(re.search(r"dagrun_timeout=timedelta\(hours=(\d+)\)", game_day).group(1)))
    visibility = int(settings["AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT"])
    assert visibility > run_timeout.total_seconds()


def test_result_backend_uses_psycopg2():
    """db+postgresql:// picks psycopg 3 under SQLAlchemy 2.1, and the workers crash without it."""
    assert settings_of("airflow-worker")["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql+psycopg2://")


def test_dockerfile_pins_airflow_and_carries_the_licence():
    dockerfile = (ROOT / "Dockerfile").read_text()
    install = next(line for line in dockerfile.splitlines() if line.startswith("RUN pip install"))
    assert '"apache-airflow==${AIRFLOW_VERSION}"' in install
    copied = next(line for line in dockerfile.splitlines() if line.startswith("COPY") and "pyproject.toml" in line)
    assert "LICENSE" in copied.split()
