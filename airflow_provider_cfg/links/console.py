"""Link from an Airflow task to its experiment in the CFG console.

The URL is built by the operator and pushed to XCom *before* anything waits, so the link also
shows on a task that failed or was killed while the fault was injected.

Assumption (not confirmed by Tencent's documentation): the console shows an experiment at
``https://console.cloud.tencent.com/cfg/experience/detail?id=<TaskId>&region=<region>`` (mainland
site) and at the same path on ``console.tencentcloud.com`` (international site, when the API
endpoint is ``*.intl.tencentcloudapi.com``). For a loopback endpoint (the emulator) the link opens
the emulator's own view of the experiment, ``<endpoint>/_emulator/tasks/<TaskId>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from airflow.providers.common.compat.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import BaseOperator, Context, TaskInstanceKey

    from airflow_provider_cfg.api.client import CfgClient
    from airflow_provider_cfg.core.log import Log
    from airflow_provider_cfg.hooks.cfg import CfgHook

XCOM_EXPERIMENT_ID = "experiment_id"
XCOM_CONSOLE_URL = "console_url"

MAINLAND_CONSOLE = "https://console.cloud.tencent.com"
INTERNATIONAL_CONSOLE = "https://console.tencentcloud.com"


def console_url(experiment_id: int, region: str, endpoint: str) -> str:
    """The page of the experiment for a client talking to ``endpoint``."""
    from airflow_provider_cfg.api.config import is_loopback

    host = urlsplit(endpoint if "://" in endpoint else f"//{endpoint}").hostname or ""
    if is_loopback(host):
        base = endpoint if "://" in endpoint else f"http://{endpoint}"  # the emulator speaks plain http
        return f"{base.rstrip('/')}/_emulator/tasks/{experiment_id}"
    console = INTERNATIONAL_CONSOLE if ".intl." in host else MAINLAND_CONSOLE
    return f"{console}/cfg/experience/detail?{urlencode({'id': experiment_id, 'region': region})}"


def publish_experiment(
    context: Context, hook: CfgHook, client: CfgClient, experiment_id: int, log: Log
) -> str:
    """Push the experiment id and its console URL to XCom and log the URL; returns the URL.

    Operators and sensors call it before anything waits, so the link works while waiting and
    after a failure.

    :param hook: gives the console URL (the connection may override the built-in rule).
    :param client: the task's client: its endpoint and region say which console.
    """
    url = hook.console_url(experiment_id, client.config.region, client.config.endpoint)
    ti = context["ti"]
    ti.xcom_push(key=XCOM_EXPERIMENT_ID, value=experiment_id)
    ti.xcom_push(key=XCOM_CONSOLE_URL, value=url)
    log.info("CFG experiment %s: %s", experiment_id, url)
    return url


class CfgConsoleLink(BaseOperatorLink):
    """"CFG experiment" button on the task: opens the experiment this task created or drove."""

    name = "CFG experiment"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        from airflow.providers.common.compat.sdk import XCom

        value: Any = XCom.get_value(key=XCOM_CONSOLE_URL, ti_key=ti_key)
        return value or ""
