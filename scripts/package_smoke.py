"""Run by scripts/package_check.sh inside a fresh venv holding only the wheel and Airflow.

Proves the installed package (not the checkout) registers with Airflow and that its emulator
serves a signed CFG flow: create from template 626, start, read back, all through the hook.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import httpx

SECRET_ID, SECRET_KEY = "AKIDpackage0000000000000000000000000", "package-check-key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_installed() -> None:
    import airflow_provider_cfg

    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    where = Path(airflow_provider_cfg.__file__).resolve()
    assert site in where.parents, f"airflow_provider_cfg imported from {where}, not from {site}"
    print(f"airflow_provider_cfg {airflow_provider_cfg.__version__} from {where.parent}")


def check_registered() -> None:
    from airflow.providers_manager import ProvidersManager
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    pm = ProvidersManager()
    assert "airflow-provider-cfg" in pm.providers, sorted(pm.providers)
    hook = ProvidersManagerTaskRuntime().hooks.get("tencentcloud_cfg")
    assert hook is not None and hook.hook_class_name == "airflow_provider_cfg.hooks.cfg.CfgHook", hook
    links = set(pm.extra_links_class_names)
    assert "airflow_provider_cfg.links.console.CfgConsoleLink" in links, "console link not registered"
    fields = {name.split("__")[-1] for name in pm.connection_form_widgets if "tencentcloud_cfg" in name}
    assert {"region", "token", "language"} <= fields, f"connection form fields: {sorted(fields)}"
    print(f"registered: hook {hook.hook_class_name}, connection fields {sorted(fields)}, console link")


def check_emulator_flow() -> None:
    port = free_port()
    emulator = Path(sys.executable).with_name("cfg-emulator")
    proc = subprocess.Popen(
        [str(emulator), "--host", "127.0.0.1", "--port", str(port), "--secret-id", SECRET_ID,
         "--secret-key", SECRET_KEY, "--action-seconds", "0.2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(150):
            try:
                httpx.get(f"http://127.0.0.1:{port}/_emulator/health").raise_for_status()
                break
            except httpx.HTTPError:
                assert proc.poll() is None, "cfg-emulator exited"
                time.sleep(0.1)
        conn = {"conn_type": "tencentcloud_cfg", "login": SECRET_ID, "password": SECRET_KEY,
                "host": f"127.0.0.1:{port}"}
        os.environ["AIRFLOW_CONN_TENCENTCLOUD_CFG_DEFAULT"] = json.dumps(conn)
        from airflow_provider_cfg.hooks.cfg import CfgHook

        hook = CfgHook()
        ok, message = hook.test_connection()
        assert ok, message
        with hook.get_client() as cfg:
            task_id = cfg.create_task_from_template(626, {
                "TaskTitle": "package check", "TaskMode": 1,
                "TaskGroupsConfig": [{"TaskGroupInstances": ["ins-bfydnvta"]}],
            }).TaskId
            cfg.execute_task(task_id)
            status = cfg.describe_task(task_id).Task.TaskStatus
        assert status == 1002, status
        print(f"cfg-emulator on :{port}: {message} experiment {task_id} running ({status})")
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    check_installed()
    check_registered()
    check_emulator_flow()
    print("package smoke passed")
