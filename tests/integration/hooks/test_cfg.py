"""CfgHook: connection → client (sync and async), test_connection, provider registration."""

from __future__ import annotations

import asyncio
import json

import pytest

from airflow_provider_cfg.hooks.cfg import CfgConnectionError, CfgHook, client_kwargs

SECRET = "hook-canary-secret-key"


def set_conn(monkeypatch, conn_id: str = "tencentcloud_cfg_default", **fields) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "tencentcloud_cfg", **fields}))


def test_init_does_no_lookup(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_TENCENTCLOUD_CFG_DEFAULT", raising=False)
    hook = CfgHook()  # no connection exists: building the hook must still work
    assert hook.cfg_conn_id == "tencentcloud_cfg_default"


def test_client_from_connection(monkeypatch, cfg_emulator):
    set_conn(
        monkeypatch, login=cfg_emulator.secret_id, password=cfg_emulator.secret_key, host=cfg_emulator.endpoint,
        extra={"region": "ap-shanghai", "language": "zh-CN", "max_attempts": "2", "timeout": "7.5"},
    )
    with CfgHook().get_client() as client:
        assert client.config.endpoint == cfg_emulator.url
        assert (client.config.region, client.config.language, client.config.max_attempts, client.config.timeout) == (
            "ap-shanghai", "zh-CN", 2, 7.5,
        )
        assert client.describe_template(626).Template.TemplateId == 626
    with CfgHook(region="ap-beijing").get_client() as client:
        assert client.config.region == "ap-beijing"


def test_async_client_from_connection(monkeypatch, cfg_emulator):
    set_conn(monkeypatch, login=cfg_emulator.secret_id, password=cfg_emulator.secret_key, host=cfg_emulator.endpoint)

    async def run() -> int:
        client = await CfgHook().get_async_client()
        async with client:
            return (await client.describe_template(626)).Template.TemplateId

    assert asyncio.run(run()) == 626


def test_the_connection_is_read_once_per_hook(monkeypatch, mocker):
    """A task's clients and its console link come from one read of the connection."""
    set_conn(monkeypatch, login="AKIDabc12345", password=SECRET, extra={"region": "ap-chengdu"})
    reads = mocker.patch.object(CfgHook, "get_connection", wraps=CfgHook.get_connection)
    hook = CfgHook()
    for _ in range(2):
        with hook.get_client() as client:
            assert client.config.region == "ap-chengdu"
    assert hook.console_url(42, "ap-chengdu", "https://cfg.tencentcloudapi.com").startswith("https://console")
    assert reads.call_count == 1
    other = CfgHook()  # another task: its own read
    with other.get_client():
        pass
    assert reads.call_count == 2


def test_a_trigger_reads_the_connection_without_blocking_then_reuses_it(monkeypatch, mocker):
    set_conn(monkeypatch, login="AKIDabc12345", password=SECRET)
    hook = CfgHook()
    asyncio.run(hook.aconnection())
    reads = mocker.patch.object(CfgHook, "get_connection", wraps=CfgHook.get_connection)
    with hook.get_client():  # e.g. the rollback of a trigger's on_kill, in a thread
        pass
    assert reads.call_count == 0


def test_prefixed_extras_from_old_forms_are_read(monkeypatch):
    set_conn(monkeypatch, login="AKIDabc12345", password=SECRET,
             extra={"extra__tencentcloud_cfg__region": "ap-chengdu", "extra__tencentcloud_cfg__token": "tok"})
    kwargs = client_kwargs(CfgHook().get_connection("tencentcloud_cfg_default"))
    assert kwargs["region"] == "ap-chengdu" and kwargs["token"] == "tok"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"password": SECRET}, r"login \(SecretId\) is empty"),
        ({"login": "AKIDabc12345"}, r"password \(SecretKey\) is empty"),
        ({"login": "AKIDabc12345", "password": SECRET, "extra": {"timeout": "soon"}},
         "extra 'timeout' must be a float"),
    ],
)
def test_bad_connection_names_the_field(monkeypatch, fields, message):
    set_conn(monkeypatch, **fields)
    with pytest.raises(CfgConnectionError, match=message) as err:
        CfgHook().get_client()
    assert SECRET not in str(err.value)


def test_test_connection(monkeypatch, cfg_emulator):
    set_conn(monkeypatch, login=cfg_emulator.secret_id, password=cfg_emulator.secret_key, host=cfg_emulator.endpoint)
    ok, message = CfgHook().test_connection()
    assert ok, message
    assert "Connected to CFG" in message
    set_conn(monkeypatch, login=cfg_emulator.secret_id, password="wrong-" + SECRET, host=cfg_emulator.endpoint)
    ok, message = CfgHook().test_connection()
    assert not ok and "AuthFailure.SignatureFailure" in message and SECRET not in message


def test_test_connection_with_the_port_in_its_own_field(monkeypatch, cfg_emulator):
    """What the form stores (Port kept visible for Airflow 3.3's Test button): host and port apart."""
    set_conn(monkeypatch, login=cfg_emulator.secret_id, password=cfg_emulator.secret_key, host=cfg_emulator.host,
             port=cfg_emulator.port)
    ok, message = CfgHook().test_connection()
    assert ok, message
    assert f"Connected to CFG at {cfg_emulator.url} (ap-guangzhou)" in message
    set_conn(monkeypatch, login=cfg_emulator.secret_id, password="wrong-" + SECRET, host=cfg_emulator.host,
             port=cfg_emulator.port)
    ok, message = CfgHook().test_connection()
    assert not ok and "AuthFailure.SignatureFailure" in message and SECRET not in message


def test_connection_form_keeps_the_port_and_offers_only_real_languages():
    """Airflow 3.3's Test button sends ``port: 0`` for a stored empty port and refuses the test:
    the Port field must stay in the form so that a port can be stored."""
    from airflow_provider_cfg.get_provider_info import get_provider_info

    (info,) = get_provider_info()["connection-types"]
    behaviour = info["ui-field-behaviour"]
    assert "port" not in behaviour["hidden-fields"]
    assert "443" in behaviour["placeholders"]["port"]
    assert "port" not in CfgHook.get_ui_field_behaviour()["hidden_fields"]
    assert info["conn-fields"]["language"]["schema"]["enum"] == ["en-US", "zh-CN"]


def test_plain_http_to_remote_host_is_refused(monkeypatch):
    set_conn(monkeypatch, login="AKIDabc12345", password=SECRET, host="http://cfg.example.com")
    ok, message = CfgHook().test_connection()
    assert not ok and "plain http" in message


def test_provider_info_is_registered():
    from importlib.metadata import entry_points

    (entry,) = [ep for ep in entry_points(group="apache_airflow_provider")
                if ep.value.startswith("airflow_provider_cfg")]
    info = entry.load()()
    assert info["package-name"] == "airflow-provider-cfg"
    (conn_type,) = info["connection-types"]
    assert conn_type["connection-type"] == CfgHook.conn_type == "tencentcloud_cfg"
    assert conn_type["hook-class-name"] == "airflow_provider_cfg.hooks.cfg.CfgHook"
    assert conn_type["ui-field-behaviour"]["relabeling"] == {
        "login": "SecretId", "password": "SecretKey", "host": "Endpoint (optional)"}
    assert conn_type["conn-fields"]["token"]["schema"]["format"] == "password"
    assert set(conn_type["conn-fields"]) == {"region", "token", "language"}
    for path in info["extra-links"]:
        module, _, name = path.rpartition(".")
        assert getattr(__import__(module, fromlist=[name]), name)


def test_airflow_discovers_the_provider():
    from airflow.providers_manager import ProvidersManager
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    manager = ProvidersManager()
    assert "airflow-provider-cfg" in manager.providers
    assert "airflow_provider_cfg.links.console.CfgConsoleLink" in manager.extra_links_class_names
    hook_info = ProvidersManagerTaskRuntime().hooks["tencentcloud_cfg"]
    assert hook_info.hook_class_name == "airflow_provider_cfg.hooks.cfg.CfgHook"


def test_console_url_override_from_the_connection(monkeypatch):
    set_conn(monkeypatch, login="AKIDabc12345", password=SECRET,
             extra={"console_url": "http://localhost:8999/_emulator/tasks/{task_id}?r={region}"})
    assert CfgHook().console_url(42, "ap-beijing", "http://cfg-emulator:8999") == "http://localhost:8999/_emulator/tasks/42?r=ap-beijing"
    set_conn(monkeypatch, login="AKIDabc12345", password=SECRET,
             extra={"console_url": "https://console.example.com/{experiment_id}"})
    assert CfgHook().console_url(42, "ap-beijing", "http://cfg-emulator:8999") == "https://console.example.com/42"
    set_conn(monkeypatch, login="AKIDabc12345", password=SECRET)
    assert CfgHook().console_url(42, "ap-beijing", "https://cfg.tencentcloudapi.com").startswith("https://console.cloud.tencent.com/cfg/")


def test_airflow_cli_shows_provider_connection_type_and_link():
    """`airflow providers list|hooks|links` — what an operator of Airflow would check."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    airflow = str(Path(sys.executable).parent / "airflow")

    def cli(*args: str) -> str:
        result = subprocess.run([airflow, "providers", *args, "--output", "json"], capture_output=True, text=True,
                                timeout=120, env=os.environ.copy())
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout[result.stdout.index("[{"):]  # skip any start-up notice before the JSON

    providers = json.loads(cli("list"))
    (ours,) = [p for p in providers if p["package_name"] == "airflow-provider-cfg"]
    assert ours["description"].startswith("Chaos game-days")
    hooks = json.loads(cli("hooks"))
    assert any(h["connection_type"] == "tencentcloud_cfg" and h["class"] == "airflow_provider_cfg.hooks.cfg.CfgHook"
               for h in hooks)
    links = json.loads(cli("links"))
    assert any("airflow_provider_cfg.links.console.CfgConsoleLink" in json.dumps(link) for link in links)


# -- issue 12, finding 4: the console_url extra is checked when the connection is read -----------------


@pytest.mark.parametrize("template", [
    "https://console.example.com/{id}", "https://console.example.com/{TaskId}", "https://console.example.com/{",
    "https://console.example.com/}", "https://console.example.com/{task_id.__class__.__mro__}",
    "https://console.example.com/{task_id!r}", "https://console.example.com/{region:>99}",
    "https://console.example.com/{0}", "https://console.example.com/{}", "console.example.com/{task_id}",
    "javascript:alert(1)//{task_id}",
])
def test_a_bad_console_url_fails_when_the_connection_is_read(monkeypatch, cfg_emulator, template):
    set_conn(monkeypatch, login=cfg_emulator.secret_id, password=SECRET, host=cfg_emulator.endpoint,
             extra={"console_url": template})
    for read in (lambda hook: hook.get_client(), lambda hook: asyncio.run(hook.get_async_client()),
                 lambda hook: hook.console_url(1, "ap-guangzhou", cfg_emulator.url)):
        with pytest.raises(CfgConnectionError,
                           match=r"extra 'console_url'.*\{task_id\}, \{experiment_id\}, \{region\}"):
            read(CfgHook())


def test_console_url_with_userinfo_is_refused_without_echoing_it(monkeypatch):
    set_conn(monkeypatch, login="AKIDabc12345", password=SECRET,
             extra={"console_url": "https://user:hunter2@console.example.com/{task_id}"})
    with pytest.raises(CfgConnectionError, match="extra 'console_url' must not contain a user name") as err:
        CfgHook().get_client()
    assert "hunter2" not in str(err.value)
    set_conn(monkeypatch, login="AKIDabc12345", password=SECRET,
             extra={"console_url": "https://user:hunter2@console.example.com/{id}"})
    with pytest.raises(CfgConnectionError, match=r"has the placeholder '\{id\}'") as err:
        CfgHook().get_client()
    assert "hunter2" not in str(err.value)


def test_console_url_escapes_braces_and_quotes_the_region(monkeypatch):
    set_conn(monkeypatch, login="AKIDabc12345", password=SECRET,
             extra={"console_url": "https://console.example.com/{{x}}/{task_id}?r={region}"})
    assert CfgHook().console_url(7, "ap-beijing", "https://cfg.tencentcloudapi.com") == (
        "https://console.example.com/{x}/7?r=ap-beijing")


# -- issue 12, finding 5: the proxy extra; userinfo in the endpoint ---------------------------------------


def test_proxy_extra_reaches_the_client(monkeypatch):
    set_conn(monkeypatch, login="AKIDabc12345", password=SECRET, extra={"proxy": "https://proxy.example.com:3128"})
    assert CfgHook().get_client().config.proxy == "https://proxy.example.com:3128"
    set_conn(monkeypatch, login="AKIDabc12345", password=SECRET, extra={"proxy": "http://proxy.example.com:3128"})
    with pytest.raises(ValueError, match=r"proxy 'http://proxy\.example\.com:3128' uses plain http") as err:
        CfgHook().get_client()
    assert err.value.field == "proxy"


def test_userinfo_in_the_endpoint_is_refused_and_never_shown(monkeypatch, cfg_emulator):
    host = cfg_emulator.endpoint.replace("127.0.0.1", f"user:{SECRET}@127.0.0.1")
    if "://" not in host:
        host = f"http://user:{SECRET}@{cfg_emulator.endpoint}"
    set_conn(monkeypatch, login=cfg_emulator.secret_id, password=cfg_emulator.secret_key, host=host)
    with pytest.raises(ValueError, match="endpoint must not contain a user name or password") as err:
        CfgHook().get_client()
    assert SECRET not in str(err.value) and SECRET not in repr(err.value.args)
