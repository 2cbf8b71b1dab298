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
                    "airflow-worker"]


def env_of(service: str) -> dict[str, str]:
    return SERVICES[service]["environment"]


def test_every_component_is_there():
    assert {"postgres", "redis", "cfg-emulator", "airflow-init", *AIRFLOW_SERVICES} <= set(SERVICES)
    for name in ["postgres", "redis", "cfg-emulator", *AIRFLOW_SERVICES]:
        assert "healthcheck" in SERVICES[name], name
    commands = {SERVICES[name]["command"] for name in AIRFLOW_SERVICES}
    assert commands == {"api-server", "scheduler", "dag-processor", "triggerer", "celery worker"}


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
