"""The bad-input corpus: every bad input gets a clear error before anything changes remotely, and
the secret key never leaks.

Each case feeds one bad input to the client (sync or async), the hook/connection, an operator or
sensor, or the wire, and checks:

* the error type, and a message naming the offending field or value and (where the set is finite)
  the allowed values;
* nothing changed remotely: the emulator's experiments (list, every experiment in full, their logs
  and guardrail logs) and its fault ledger are the same before and after;
* the canary SecretKey appears in no captured log record (DEBUG and up), no stdout/stderr output,
  no XCom value, and no text or repr of the exception or of any exception chained to it.

The emulator here is started with the canary as its only SecretKey, so every successful call of a
case is really signed with it.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowNotFoundException

from airflow_provider_cfg.api.client import AsyncCfgClient, CfgClient
from airflow_provider_cfg.api.errors import CfgApiError, CfgValidationError
from airflow_provider_cfg.api.ratelimit import RateLimiterRegistry
from airflow_provider_cfg.core.exclusivity import TargetInUseError
from airflow_provider_cfg.core.plan.policy import PlanError, PlanViolationError
from airflow_provider_cfg.core.steps import StepNotFoundError
from airflow_provider_cfg.emulator.server import EmulatorServer
from airflow_provider_cfg.hooks.cfg import CfgConnectionError, CfgHook
from airflow_provider_cfg.operators.create import (
    CfgCreateExperimentFromActionOperator,
    CfgCreateExperimentFromActionsOperator,
    CfgCreateExperimentFromTemplateOperator,
)
from airflow_provider_cfg.operators.experiment import CfgEndExperimentOperator
from airflow_provider_cfg.operators.plan import CfgPlanExperimentOperator
from airflow_provider_cfg.operators.step import CfgExecuteStepOperator
from airflow_provider_cfg.sensors.experiment import CfgExperimentSensor
from airflow_provider_cfg.sensors.step import CfgStepSensor
from tests.airflow_helpers import FakeTI, context_for

CANARY = "canary-SECRET-5f1e0c9a7b3d42e8"
SECRET_ID = "AKIDcanaryBadInputCorpus00000001"
INSTANCE = "ins-aaaaaaaa"
POD = '{"ClusterId":"cls-aaaaaaaa","PodName":"web-1","NodeName":"10.0.0.1","NameSpace":"prod","Workload":"web"}'
ELEVEN_MB = 11 * 1024 * 1024
STATUSES = r"1001 \(not_started\), 1002 \(running\), 1003 \(paused\), 1004 \(ended\)"


class ConnectionTestFailed(Exception):
    """``CfgHook.test_connection`` answered ``(False, message)``."""


@pytest.fixture(scope="module")
def canary_emulator():
    with EmulatorServer(secret_id=SECRET_ID, secret_key=CANARY, action_seconds=0.1, rate_limits=False,
                        seed=20210820) as emu:
        yield emu


@dataclass
class Env:
    emu: EmulatorServer
    monkeypatch: Any
    ti: FakeTI
    experiment: int  # a running experiment (626), nothing executed yet

    def client(self, secret_key: str = CANARY, secret_id: str = SECRET_ID, **kwargs: Any) -> CfgClient:
        kwargs.setdefault("endpoint", self.emu.endpoint)
        kwargs.setdefault("backoff", 0.01)
        kwargs.setdefault("backoff_max", 0.02)
        kwargs.setdefault("limiters", RateLimiterRegistry())
        return CfgClient(secret_id, secret_key, **kwargs)

    def async_client(self, secret_key: str = CANARY, **kwargs: Any) -> AsyncCfgClient:
        kwargs.setdefault("endpoint", self.emu.endpoint)
        kwargs.setdefault("limiters", RateLimiterRegistry())
        return AsyncCfgClient(SECRET_ID, secret_key, **kwargs)

    def connection(self, conn_id: str = "tencentcloud_cfg_default", *, password: str | None = CANARY,
                   host: str | None = None, **extra: Any) -> str:
        """Define Airflow connection ``conn_id`` (an ``AIRFLOW_CONN_*`` variable); returns the id."""
        conn: dict[str, Any] = {"conn_type": "tencentcloud_cfg", "login": SECRET_ID, "password": password,
                                "host": host or self.emu.endpoint}
        if extra:
            conn["extra"] = extra
        self.monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
        return conn_id

    def run(self, op: Any) -> Any:
        return op.execute(context_for(self.ti))


@pytest.fixture
def env(canary_emulator, monkeypatch) -> Env:
    canary_emulator.reset()
    emu = canary_emulator
    env = Env(emu, monkeypatch, FakeTI(), experiment=0)
    env.connection()
    answer = emu.call("CreateTaskFromTemplate", TemplateId=626,
                      TaskConfig={"TaskTitle": "corpus", "TaskGroupsConfig": [{"TaskGroupInstances": [INSTANCE]}]})
    env.experiment = answer["TaskId"]
    assert "Error" not in emu.call("ExecuteTask", TaskId=env.experiment)
    return env


def remote_state(emu: EmulatorServer) -> dict[str, Any]:
    """Everything a bad input could have changed: experiments in full, their logs, the fault ledger."""

    def call(action: str, **params: Any) -> dict[str, Any]:
        answer = emu.call(action, **params)
        assert "Error" not in answer, answer
        answer.pop("RequestId", None)
        return answer

    listing = call("DescribeTaskList", Limit=100, Offset=0)
    tasks = {}
    for item in listing.get("TaskList") or []:
        task_id = item["TaskId"]
        tasks[task_id] = {
            "task": call("DescribeTask", TaskId=task_id),
            "logs": call("DescribeTaskExecuteLogs", TaskId=task_id, Limit=10000, Offset=0),
            "guardrail": call("DescribeTaskPolicyTriggerLog", TaskId=task_id, Page=1, PageSize=100),
        }
    return {"list": listing, "tasks": tasks, "faults": emu.http().get("/_emulator/faults").json()}


def leaks(texts: list[str]) -> list[str]:
    return [text[max(0, text.find(CANARY) - 80):text.find(CANARY) + 80] for text in texts if CANARY in text]


def exception_texts(exc: BaseException) -> list[str]:
    """Text and repr of ``exc`` and of every exception chained to it, and the formatted traceback."""
    texts = ["".join(traceback.format_exception(exc))]
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        texts += [str(item), repr(item), repr(getattr(item, "args", ()))]
        stack += [item.__cause__, item.__context__]
    return texts


@dataclass(frozen=True)
class Case:
    """One bad input: ``run(env)`` must raise ``error`` whose message matches every pattern of ``match``."""

    id: str
    run: Callable[[Env], Any]
    error: type[BaseException]
    match: tuple[str, ...]


def case(id: str, error: type[BaseException], *match: str) -> Callable[[Callable[[Env], Any]], Case]:
    def register(run: Callable[[Env], Any]) -> Case:
        CASES.append(Case(id, run, error, match))
        return CASES[-1]

    return register


CASES: list[Case] = []


# -- the client (sync and async) ---------------------------------------------------------------------


@case("client-empty-secret-key", CfgValidationError, r"Credentials\.secret_key must be a non-empty string")
def _(env: Env) -> Any:
    env.client(secret_key="")


@case("client-secret-key-with-spaces", CfgValidationError,
      r"Credentials\.secret_key must be a non-empty string without surrounding spaces")
def _(env: Env) -> Any:
    env.client(secret_key=f" {CANARY} ")


@case("client-http-to-non-loopback-host", CfgValidationError,
      r"plain http to a non-loopback host", r"127\.0\.0\.0/8 or ::1, written as an address")
def _(env: Env) -> Any:
    env.client(endpoint="http://cfg.example.com")


@case("client-endpoint-with-path", CfgValidationError,
      r"endpoint 'https://cfg\.tencentcloudapi\.com/v3' must not contain a path")
def _(env: Env) -> Any:
    env.client(endpoint="https://cfg.tencentcloudapi.com/v3")


@case("client-unknown-language", CfgValidationError, r"language must be one of en-US, zh-CN, got 'fr-FR'")
def _(env: Env) -> Any:
    env.client(language="fr-FR")


@case("client-zero-timeout", CfgValidationError, r"timeout must be a finite number of seconds in \(0, 3600\], got 0")
def _(env: Env) -> Any:
    env.client(timeout=0)


@case("client-end-status-out-of-range", CfgValidationError, rf"Status must be one of {STATUSES}; got 1005")
def _(env: Env) -> Any:
    with env.client() as cfg:
        cfg.modify_task_run_status(env.experiment, 1005)


@case("client-end-without-summary", CfgValidationError,
      r"Summary is required when ending an experiment \(Status 1004\)")
def _(env: Env) -> Any:
    with env.client() as cfg:
        cfg.end_task(env.experiment, summary="", is_expect=True)


@case("client-execute-unknown-action-type", CfgValidationError,
      r"ActionType must be one of 1 \(start\), 2 \(execute\), 3 \(skip\), 5 \(retry\); got 4")
def _(env: Env) -> Any:
    with env.client() as cfg:
        cfg.execute_task_instance(env.experiment, 1, 1, action_type=4)


@case("client-trigger-unknown-trigger-type", CfgValidationError,
      r"TriggerType must be one of 0 \(trigger\), 1 \(recover\); got 7")
def _(env: Env) -> Any:
    with env.client() as cfg:
        cfg.trigger_policy(env.experiment, "p99", "too slow", trigger_type=7)


@case("client-template-id-wrong-type", CfgValidationError, r"CreateTaskFromTemplate: invalid parameters", r"TemplateId")
def _(env: Env) -> Any:
    with env.client() as cfg:
        cfg.create_task_from_template("six-two-six", {"TaskGroupsConfig": [{"TaskGroupInstances": [INSTANCE]}]})


@case("client-group-without-instances", CfgValidationError,
      r"TaskConfig\.TaskGroupsConfig\.TaskGroupInstances: Field required")
def _(env: Env) -> Any:
    with env.client() as cfg:
        cfg.create_task_from_template(626, {"TaskGroupsConfig": [{"TaskGroupTitle": "no instances"}]})


@case("client-unknown-template", CfgApiError, r"\[\w+\] TemplateId: template 99999 does not exist")
def _(env: Env) -> Any:
    with env.client() as cfg:
        cfg.create_task_from_template(99999, {"TaskGroupsConfig": [{"TaskGroupInstances": [INSTANCE]}]})


@case("client-disabled-template", CfgApiError,
      r"\[\w+\] TemplateId: template 630 is disabled \(TemplateIsUsed 2\)", r"in use \(1\)")
def _(env: Env) -> Any:
    with env.client() as cfg:
        cfg.create_task_from_template(630, {"TaskGroupsConfig": [{"TaskGroupInstances": [POD]}]})


@case("client-wrong-group-count", CfgApiError, r"TaskGroupsConfig has 1 entry but template 628 has 2 action group\(s\)")
def _(env: Env) -> Any:
    with env.client() as cfg:
        cfg.create_task_from_template(628, {"TaskGroupsConfig": [{"TaskGroupInstances": [INSTANCE]}]})


@case("client-malformed-instance-id", CfgApiError,
      r"\[InvalidParameterValue\] TaskInstances\.0: 'i-123' is not a valid instance id", r"ins-xxxxxxxx")
def _(env: Env) -> Any:
    with env.client() as cfg:
        cfg.create_task_from_action(462, ["i-123"], custom_configuration={"interfaces": "eth0"})


@case("client-missing-required-field", CfgApiError, r"action 466 \(DNS tampering\) requires parameter 'domain'")
def _(env: Env) -> Any:
    with env.client() as cfg:
        cfg.create_task_from_action(466, [INSTANCE])


@case("client-parameter-wrong-type", CfgApiError,
      r"TaskActionCustomConfiguration: cpu_percent must be a number; got 'lots'")
def _(env: Env) -> Any:
    with env.client() as cfg:
        cfg.create_task_from_action(21, [INSTANCE], custom_configuration={"cpu_percent": "lots"})


@case("async-client-bad-credentials", CfgApiError, r"\[AuthFailure\.SignatureFailure\]")
def _(env: Env) -> Any:
    async def go() -> None:
        async with env.async_client(secret_key=f"{CANARY}-wrong") as cfg:
            await cfg.execute_task(env.experiment)

    return go()


@case("async-client-wrong-type", CfgValidationError, r"CreateTaskFromAction: invalid parameters", r"TaskActionId")
def _(env: Env) -> Any:
    async def go() -> None:
        async with env.async_client() as cfg:
            await cfg.create_task_from_action("loss", [INSTANCE])

    return go()


# -- the wire: raw signed calls --------------------------------------------------------------------------


@case("wire-wrong-type", CfgApiError,
      r"\[InvalidParameter\] The parameter TemplateId must be of type Integer; got String")
def _(env: Env) -> Any:
    with env.client() as cfg:
        cfg.call("CreateTaskFromTemplate",
                 {"TemplateId": "six", "TaskConfig": {"TaskGroupsConfig": [{"TaskGroupInstances": [INSTANCE]}]}})


@case("wire-unknown-parameter", CfgApiError,
      r"\[UnknownParameter\] The parameter DryRun is not recognised by action CreateTaskFromAction")
def _(env: Env) -> Any:
    with env.client() as cfg:
        cfg.call("CreateTaskFromAction", {"TaskActionId": 12, "TaskInstances": [INSTANCE], "DryRun": True})


@case("wire-configuration-not-serialised", CfgApiError,
      r"TaskActionCustomConfiguration must be of type String \(serialised JSON\)")
def _(env: Env) -> Any:
    with env.client() as cfg:
        cfg.call("CreateTaskFromAction", {"TaskActionId": 462, "TaskInstances": [INSTANCE],
                                          "TaskActionCustomConfiguration": {"interfaces": "eth0"}})


@case("wire-unknown-action", CfgApiError, r"\[InvalidAction\] The action 'DeleteEverything' does not exist")
def _(env: Env) -> Any:
    with env.client() as cfg:
        cfg.call("DeleteEverything", {"TaskId": env.experiment})


@case("wire-wrong-secret-key", CfgApiError,
      r"\[AuthFailure\.SignatureFailure\] The provided credentials could not be validated")
def _(env: Env) -> Any:
    with env.client(secret_key=f"{CANARY}-wrong") as cfg:
        cfg.create_task_from_action(12, [INSTANCE])


@case("wire-unknown-secret-id", CfgApiError, r"\[AuthFailure\.SecretIdNotFound\] The SecretId AKID…0000 is not found")
def _(env: Env) -> Any:
    with env.client(secret_id="AKIDnobodyKnowsThisSecretId0000") as cfg:
        cfg.execute_task(env.experiment)


@case("wire-expired-signature", CfgApiError,
      r"\[AuthFailure\.SignatureExpire\] The signature expired", r"at most 300 s")
def _(env: Env) -> Any:
    with env.client() as cfg:
        cfg._auth.clock = lambda: time.time() - 600  # a clock 10 minutes slow
        cfg.create_task_from_action(12, [INSTANCE])


@case("wire-unsupported-region", CfgApiError,
      r"\[UnsupportedRegion\] The region 'mars-north-1' is not supported", r"supported: ap-guangzhou")
def _(env: Env) -> Any:
    with env.client(region="mars-north-1") as cfg:
        cfg.create_task_from_action(12, [INSTANCE])


@case("client-oversized-raw-payload", CfgValidationError,
      r"CreateTaskFromAction: the request body is [\d,]+ bytes; CFG accepts at most 10,485,760")
def _(env: Env) -> Any:
    with env.client() as cfg:
        cfg.call("CreateTaskFromAction", {"TaskActionId": 462, "TaskInstances": [INSTANCE],
                                          "TaskActionCustomConfiguration": json.dumps({"interfaces": "e" * ELEVEN_MB})})


@case("client-oversized-typed-payload", CfgValidationError,
      r"CreateTaskFromMultiAction: the request body is [\d,]+ bytes; CFG accepts at most 10,485,760")
def _(env: Env) -> Any:
    with env.client() as cfg:
        cfg.create_task_from_multi_action([INSTANCE], [{"TaskActionId": 12}], title="x" * ELEVEN_MB)


# -- the hook and the connection -------------------------------------------------------------------------


@case("conn-empty-password", CfgConnectionError, r"connection 'cfg_no_key': password \(SecretKey\) is empty")
def _(env: Env) -> Any:
    CfgHook(env.connection("cfg_no_key", password=None)).get_client()


@case("conn-extra-wrong-type", CfgConnectionError,
      r"connection 'cfg_slow': extra 'timeout' must be a float, got 'soon'")
def _(env: Env) -> Any:
    CfgHook(env.connection("cfg_slow", timeout="soon")).get_client()


@case("conn-http-to-non-loopback-host", CfgValidationError,
      r"endpoint 'http://cfg\.example\.com' uses plain http to a non-loopback host")
def _(env: Env) -> Any:
    CfgHook(env.connection("cfg_http", host="http://cfg.example.com")).get_client()


@case("conn-unknown-language", CfgValidationError, r"language must be one of en-US, zh-CN, got 'klingon'")
def _(env: Env) -> Any:
    CfgHook(env.connection("cfg_lang", language="klingon")).get_client()


@case("conn-undefined", AirflowNotFoundException, r"The conn_id `cfg_does_not_exist` isn't defined")
def _(env: Env) -> Any:
    CfgHook("cfg_does_not_exist").get_client()


@case("conn-test-with-wrong-key", ConnectionTestFailed, r"\[AuthFailure\.SignatureFailure\]")
def _(env: Env) -> Any:
    ok, message = CfgHook(env.connection("cfg_wrong_key", password=f"{CANARY}-wrong")).test_connection()
    assert not ok
    raise ConnectionTestFailed(message)


# -- issue 12, findings 4 and 5: console_url, proxy, userinfo, loopback by name ----------------------------


def _create_with_console_url(env: Env, template: str) -> Any:
    env.connection(console_url=template)
    env.run(CfgCreateExperimentFromTemplateOperator(task_id="create", template_id=626, instances=[INSTANCE]))


for _n, _template in enumerate(["http://127.0.0.1/{id}", "http://127.0.0.1/{TaskId}", "http://127.0.0.1/{",
                                "http://127.0.0.1/{task_id.__class__.__init__.__globals__}", "http://127.0.0.1/{0}"]):
    case(f"conn-console-url-bad-template-{_n}", CfgConnectionError, r"extra 'console_url'",
         r"allowed placeholders: \{task_id\}, \{experiment_id\}, \{region\}")(
        lambda env, template=_template: _create_with_console_url(env, template))


@case("conn-console-url-with-userinfo", CfgConnectionError, r"extra 'console_url' must not contain a user name")
def _(env: Env) -> Any:
    _create_with_console_url(env, f"http://admin:{CANARY}@127.0.0.1/{{task_id}}")


@case("conn-endpoint-with-userinfo", CfgValidationError, r"endpoint must not contain a user name or password")
def _(env: Env) -> Any:
    env.connection(host=env.emu.url.replace("http://", f"http://{SECRET_ID}:{CANARY}@"))
    env.run(CfgCreateExperimentFromTemplateOperator(task_id="create", template_id=626, instances=[INSTANCE]))


@case("conn-plain-http-proxy", CfgValidationError, r"proxy 'http://proxy\.example\.com:3128' uses plain http")
def _(env: Env) -> Any:
    env.connection(proxy="http://proxy.example.com:3128")
    env.run(CfgCreateExperimentFromTemplateOperator(task_id="create", template_id=626, instances=[INSTANCE]))


@case("client-localhost-subdomain-is-not-loopback", CfgValidationError, r"plain http to a non-loopback host")
def _(env: Env) -> Any:
    env.client(endpoint=env.emu.url.replace("127.0.0.1", "cfg.localhost"))


# -- the create and plan operators ------------------------------------------------------------------------


@case("op-template-unknown", CfgApiError, r"\[\w+\] TemplateId: template 99999 does not exist")
def _(env: Env) -> Any:
    env.run(CfgCreateExperimentFromTemplateOperator(task_id="create", template_id=99999, instances=[INSTANCE]))


@case("op-template-id-not-a-number", ValueError,
      r"template_id must be a CFG TemplateId: a positive integer .* got 'latest'")
def _(env: Env) -> Any:
    env.run(CfgCreateExperimentFromTemplateOperator(task_id="create", template_id="latest", instances=[INSTANCE]))


@case("op-template-wrong-group-count", ValueError, r"template 628 has 2 action group\(s\) but 1 instance list\(s\)")
def _(env: Env) -> Any:
    env.run(CfgCreateExperimentFromTemplateOperator(task_id="create", template_id=628, instances=[INSTANCE]))


@case("op-template-disabled", PlanViolationError,
      r"TemplateId: template 630 \(TKE pod kill \(disabled\)\) is disabled", r"\(TemplateIsUsed 1\)")
def _(env: Env) -> Any:
    env.run(CfgCreateExperimentFromTemplateOperator(task_id="create", template_id=630, instances=[POD]))


@case("op-template-malformed-instance", PlanViolationError,
      r"TaskConfig\.TaskGroupsConfig\[0\]\.TaskGroupInstances\[1\]: 'ins-12' is not a valid CVM id",
      r"expected format: ins-xxxxxxxx")
def _(env: Env) -> Any:
    env.run(CfgCreateExperimentFromTemplateOperator(task_id="create", template_id=626, instances=[INSTANCE, "ins-12"]))


@case("op-template-pod-id-missing-key", PlanViolationError,
      r"has a missing or invalid 'Workload'", r"ClusterId.*PodName.*NameSpace")
def _(env: Env) -> Any:
    env.run(CfgPlanExperimentOperator(task_id="plan", template_id=630, instances=[
        '{"ClusterId":"cls-aaaaaaaa","PodName":"web-1","NodeName":"10.0.0.1","NameSpace":"prod"}']))


@case("op-template-override-out-of-range", PlanViolationError,
      r"TaskGroupActionCustomConfiguration\.percent: custom parameter 'percent' of action 462 "
      r".* must be a number between 1 and 100; got 150")
def _(env: Env) -> Any:
    env.run(CfgCreateExperimentFromTemplateOperator(task_id="create", template_id=628,
                                                    instances=[[INSTANCE], ["cdb-aaaaaaaa"]],
                                                    action_parameters={"1.1": {"custom": {"percent": 150}}}))


@case("op-template-override-bad-option", PlanViolationError,
      r"'StopType' of action 1 \(Shutdown\) must be one of SOFT, HARD, SOFT_FIRST; got 'GENTLE'")
def _(env: Env) -> Any:
    env.run(CfgCreateExperimentFromTemplateOperator(task_id="create", template_id=627, instances=[INSTANCE],
                                                    action_parameters={"1.1": {"custom": {"StopType": "GENTLE"}}}))


@case("op-template-override-unknown-order", PlanViolationError,
      r"TaskGroupActionOrder: 7 matches no action of template group 1; its action orders: 1, 2")
def _(env: Env) -> Any:
    env.run(CfgCreateExperimentFromTemplateOperator(task_id="create", template_id=626, instances=[INSTANCE],
                                                    action_parameters={"1.7": {"custom": {}}}))


@case("op-template-bad-override-key", ValueError,
      r"action_parameters key '1' must be 'group\.action' with a group between 1 and 1")
def _(env: Env) -> Any:
    env.run(CfgCreateExperimentFromTemplateOperator(task_id="create", template_id=626, instances=[INSTANCE],
                                                    action_parameters={"1": {"custom": {}}}))


@case("op-action-missing-required-fields", PlanViolationError,
      r"custom_configuration\.domain: .*'domain' \(Domain Name\), which has no default value",
      r"custom_configuration\.ip: .*'ip' \(IP\)")
def _(env: Env) -> Any:
    env.run(CfgCreateExperimentFromActionOperator(task_id="create", action_id=466, instances=[INSTANCE]))


@case("op-action-parameter-wrong-type", PlanViolationError,
      r"custom_configuration\.cpu_percent: .*must be a number; got 'lots'")
def _(env: Env) -> Any:
    env.run(CfgCreateExperimentFromActionOperator(task_id="create", action_id=21, instances=[INSTANCE],
                                                  custom_configuration={"cpu_percent": "lots"}))


@case("op-action-unknown-parameter", PlanViolationError,
      r"'iface' is not a custom parameter of action 462 \(Network packet loss\); "
      r"allowed: duration, interfaces, percent, destination_ip")
def _(env: Env) -> Any:
    env.run(CfgCreateExperimentFromActionOperator(task_id="create", action_id=462, instances=[INSTANCE],
                                                  custom_configuration={"iface": "eth0"}))


@case("op-action-id-not-a-number", CfgValidationError, r"CreateTaskFromAction: invalid parameters", r"TaskActionId")
def _(env: Env) -> Any:
    env.run(CfgCreateExperimentFromActionOperator(task_id="create", action_id="loss", instances=[INSTANCE]))


@case("op-action-unknown", PlanError, r"TaskActionId: action\(s\) 99999 do not exist in the action library")
def _(env: Env) -> Any:
    env.run(CfgCreateExperimentFromActionOperator(task_id="create", action_id=99999, instances=[INSTANCE]))


@case("op-action-instances-as-a-string", ValueError,
      r"instances must be a list of object ids such as \['ins-xxxxxxxx'\]; got 'ins-aaaaaaaa'")
def _(env: Env) -> Any:
    env.run(CfgCreateExperimentFromActionOperator(task_id="create", action_id=12, instances=INSTANCE))


@case("op-action-oversized-payload", PlanViolationError,
      r"request body would be \d+ bytes; CFG accepts at most 10485760 bytes \(10 MB\)")
def _(env: Env) -> Any:
    env.run(CfgCreateExperimentFromActionOperator(task_id="create", action_id=462, instances=[INSTANCE],
                                                  custom_configuration={"interfaces": "e" * ELEVEN_MB}))


@case("op-actions-mixed-object-types", PlanViolationError,
      r"actions\[1\]\.action_id: action 201 .* targets object type 2 \(TencentDB for MySQL\)")
def _(env: Env) -> Any:
    env.run(CfgCreateExperimentFromActionsOperator(task_id="create", title="mixed", instances=[INSTANCE],
                                                   actions=[{"action_id": 12}, {"action_id": 201}]))


@case("op-actions-entry-without-action-id", ValueError,
      r"actions\[0\] needs 'action_id' and may have 'general' and 'custom'")
def _(env: Env) -> Any:
    env.run(CfgCreateExperimentFromActionsOperator(task_id="create", title="t", instances=[INSTANCE],
                                                   actions=[{"id": 12}]))


@case("op-create-bad-mode", ValueError, r"mode must be one of 'manual' \(1\), 'automatic' \(2\); got 'chaotic'")
def _(env: Env) -> Any:
    CfgCreateExperimentFromTemplateOperator(task_id="create", template_id=626, instances=[INSTANCE], mode="chaotic")


@case("op-create-bad-credentials", CfgApiError, r"\[AuthFailure\.SignatureFailure\]")
def _(env: Env) -> Any:
    env.connection(password=f"{CANARY}-wrong")
    env.run(CfgCreateExperimentFromTemplateOperator(task_id="create", template_id=626, instances=[INSTANCE]))


@case("policy-too-many-instances", PlanViolationError, r"would act on 3 instance\(s\)", r"max_instances_per_group is 2")
def _(env: Env) -> Any:
    env.run(CfgCreateExperimentFromTemplateOperator(task_id="create", template_id=626,
                                                    policy={"max_instances_per_group": 2},
                                                    instances=["ins-aaaaaaaa", "ins-bbbbbbbb", "ins-cccccccc"]))


@case("policy-risk-above-max", PlanViolationError,
      r"action 1 Shutdown\) has risk 3 \(high\); policy max_risk_level is 1 \(low\) \(allowed: 1 \(low\)\)")
def _(env: Env) -> Any:
    env.run(CfgCreateExperimentFromActionsOperator(task_id="create", title="t", instances=[INSTANCE],
                                                   policy={"max_risk_level": "low"}, actions=[{"action_id": 1}]))


@case("policy-object-type-not-allowed", PlanViolationError,
      r"targets object type 2 \(TencentDB for MySQL\); "
      r"policy allowed_object_types: 1 \(Cloud Virtual Machine \(CVM\)\)")
def _(env: Env) -> Any:
    env.run(CfgPlanExperimentOperator(task_id="plan", template_id=628, instances=[[INSTANCE], ["cdb-aaaaaaaa"]],
                                      policy={"allowed_object_types": [1]}))


@case("policy-invalid-risk-level", PlanError,
      r"policy\.max_risk_level must be one of 1 \(low\), 2 \(medium\), 3 \(high\); got 'catastrophic'")
def _(env: Env) -> Any:
    CfgCreateExperimentFromActionOperator(task_id="create", action_id=12, instances=[INSTANCE],
                                          policy={"max_risk_level": "catastrophic"})


@case("policy-unknown-key", PlanError,
      r"unknown policy key\(s\) \['max_hosts'\]; "
      r"allowed: max_instances_per_group, max_risk_level, allowed_object_types, require_recovery")
def _(env: Env) -> Any:
    env.run(CfgPlanExperimentOperator(task_id="plan", template_id=626, instances=[INSTANCE], policy={"max_hosts": 1}))


# -- step, end and sensor operators on the running experiment --------------------------------------------


@case("step-selector-zero", ValueError, r"step selector 'group' must be a positive integer, got 0")
def _(env: Env) -> Any:
    env.run(CfgExecuteStepOperator(task_id="step", experiment_id=env.experiment, step="0.1", poll_interval=0.05))


@case("step-selector-matches-nothing", StepNotFoundError,
      r"\(group=9, action=9\) matches no step", r"steps: 1\.1 'Empty Operation'.*1\.2 'Empty Operation \(rollback\)'")
def _(env: Env) -> Any:
    env.run(CfgExecuteStepOperator(task_id="step", experiment_id=env.experiment, step="9.9", poll_interval=0.05))


@case("step-selector-unknown-keys", ValueError,
      r"unknown step selector keys \['grp'\]; allowed: group, action, title, task_action_id, task_group_id")
def _(env: Env) -> Any:
    env.run(CfgExecuteStepOperator(task_id="step", experiment_id=env.experiment, step={"grp": 1, "action": 1},
                                   poll_interval=0.05))


@case("step-selector-float", ValueError, r"step 1\.2 is a number, not 'group\.action' text", r"\[1, 2\]")
def _(env: Env) -> Any:
    env.run(CfgExecuteStepOperator(task_id="step", experiment_id=env.experiment, step=1.2, poll_interval=0.05))


@case("step-unknown-operation", ValueError, r"operation must be one of execute, start, skip, retry; got 'explode'")
def _(env: Env) -> Any:
    CfgExecuteStepOperator(task_id="step", experiment_id=env.experiment, step="1.1", operation="explode")


@case("step-experiment-id-not-a-number", ValueError,
      r"experiment_id must be a CFG TaskId: a positive integer written in ASCII digits \(0-9\), got 'None'")
def _(env: Env) -> Any:
    env.run(CfgExecuteStepOperator(task_id="step", experiment_id="None", step="1.1", poll_interval=0.05))


@case("step-unknown-instance", ValueError, r"ins-zzzzzzzz")
def _(env: Env) -> Any:
    env.run(CfgExecuteStepOperator(task_id="step", experiment_id=env.experiment, step="1.1", instances=["ins-zzzzzzzz"],
                                   poll_interval=0.05))


@case("end-without-summary", ValueError, r"summary is required to end an experiment \(CFG's Summary\)")
def _(env: Env) -> Any:
    env.run(CfgEndExperimentOperator(task_id="end", experiment_id=env.experiment, is_expect=True))


@case("end-is-expect-not-a-boolean", ValueError, r"is_expect must be true or false, got 'maybe'")
def _(env: Env) -> Any:
    env.run(CfgEndExperimentOperator(task_id="end", experiment_id=env.experiment, summary="held", is_expect="maybe"))


@case("sensor-unknown-target-status", CfgValidationError, rf"target_statuses must be one of {STATUSES}; got 1005")
def _(env: Env) -> Any:
    CfgExperimentSensor(task_id="wait", experiment_id=env.experiment, target_statuses=[1002, 1005])


@case("sensor-failure-status-by-name", CfgValidationError, rf"failure_statuses must be one of {STATUSES}; got 'ended'")
def _(env: Env) -> Any:
    CfgExperimentSensor(task_id="wait", experiment_id=env.experiment, failure_statuses=["ended"])


@case("step-sensor-bad-selector", ValueError, r"step selector 'group' must be a positive integer, got 0")
def _(env: Env) -> Any:
    sensor = CfgStepSensor(task_id="wait", experiment_id=env.experiment, step={"group": 0, "action": 1})
    sensor.poke(context_for(env.ti))


# -- issue 12, finding 6: inputs that would act on a live fault ------------------------------------------

ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
NOT_FINITE = r"must be a finite number of seconds in \(0, "


def _step(env: Env, **kwargs: Any) -> Any:
    kwargs.setdefault("experiment_id", env.experiment)
    kwargs.setdefault("step", "1.1")
    kwargs.setdefault("poll_interval", 0.05)
    return env.run(CfgExecuteStepOperator(task_id="step", **kwargs))


for _name, _kwargs in {"poll-interval-nan": {"poll_interval": float("nan")},
                       "poll-interval-inf": {"poll_interval": float("inf")},
                       "poll-interval-1e12": {"poll_interval": 1e12},
                       "timeout-zero": {"timeout": 0}, "timeout-nan": {"timeout": float("nan")},
                       "timeout-inf": {"timeout": float("inf")}}.items():
    case(f"step-{_name}", CfgValidationError, f"{next(iter(_kwargs))} {NOT_FINITE}")(
        lambda env, kwargs=_kwargs: _step(env, **kwargs))


@case("step-experiment-id-arabic-indic-digits", CfgValidationError,
      r"experiment_id must be a CFG TaskId: a positive integer written in ASCII digits")
def _(env: Env) -> Any:
    _step(env, experiment_id=str(env.experiment).translate(ARABIC))


@case("step-experiment-id-with-underscore", CfgValidationError, r"experiment_id must be a CFG TaskId")
def _(env: Env) -> Any:
    digits = str(env.experiment)
    _step(env, experiment_id=f"{digits[0]}_{digits[1:]}")


@case("step-selector-arabic-indic-digits", StepNotFoundError, r"matches no step")
def _(env: Env) -> Any:
    _step(env, step="\u0661.\u0661")


@case("op-template-id-arabic-indic-digits", CfgValidationError, r"template_id must be a CFG TemplateId")
def _(env: Env) -> Any:
    env.run(CfgCreateExperimentFromTemplateOperator(task_id="create", template_id="\u0666\u0662\u0666",
                                                    instances=[INSTANCE]))


@case("op-template-id-with-underscore", CfgValidationError, r"template_id must be a CFG TemplateId")
def _(env: Env) -> Any:
    env.run(CfgCreateExperimentFromTemplateOperator(task_id="create", template_id="6_26", instances=[INSTANCE]))


@case("op-template-override-key-arabic-indic-digits", ValueError,
      r"action_parameters key '\u0661\.\u0661' must be 'group\.action'")
def _(env: Env) -> Any:
    env.run(CfgCreateExperimentFromTemplateOperator(task_id="create", template_id=626, instances=[INSTANCE],
                                                    action_parameters={"\u0661.\u0661": {"custom": {}}}))


for _name, _region in {"crlf": "ap-guangzhou\r\nX-Evil: 1", "nul": "ap-guangzhou\x00", "leading-space": " ap-guangzhou",
                       "non-ascii": "ap-广州", "upper-case": "AP-GUANGZHOU", "empty-words": "ap--guangzhou"}.items():
    case(f"op-region-{_name}", CfgValidationError, r"region must be a CFG region such as 'ap-guangzhou'")(
        lambda env, region=_region: env.run(CfgCreateExperimentFromTemplateOperator(
            task_id="create", template_id=626, instances=[INSTANCE], region=region)))
    case(f"step-region-{_name}", CfgValidationError, r"region must be a CFG region")(
        lambda env, region=_region: _step(env, region=region))


@case("client-region-crlf", CfgValidationError, r"region must be a CFG region")
def _(env: Env) -> Any:
    with env.client(region="ap-guangzhou\r\n") as cfg:
        cfg.execute_task(env.experiment)


@case("client-token-crlf", CfgValidationError, r"Credentials\.token must be printable ASCII without spaces")
def _(env: Env) -> Any:
    with env.client(token="tok\r\nX-Evil: 1") as cfg:
        cfg.execute_task(env.experiment)


@case("client-raw-action-crlf", CfgValidationError, r"action must be an API action name")
def _(env: Env) -> Any:
    with env.client() as cfg:
        cfg.call("ExecuteTask\r\nX-Evil: 1", {"TaskId": env.experiment})


@case("conn-timeout-nan", CfgValidationError, r"timeout must be a finite number of seconds in \(0, 3600\], got nan")
def _(env: Env) -> Any:
    env.connection(timeout="nan")
    _step(env)


@case("guard-poll-interval-nan", CfgValidationError, f"poll_interval {NOT_FINITE}")
def _(env: Env) -> Any:
    from airflow_provider_cfg.operators.guard import CfgSteadyStateGuardOperator

    CfgSteadyStateGuardOperator(task_id="guard", experiment_id=env.experiment, probe_url="http://127.0.0.1:9/",
                                poll_interval=float("nan"))


@case("sensor-poll-interval-inf", CfgValidationError, f"poll_interval {NOT_FINITE}")
def _(env: Env) -> Any:
    CfgExperimentSensor(task_id="wait", experiment_id=env.experiment, poll_interval=float("inf"))


@case("sensor-poke-interval-nan", CfgValidationError, f"poke_interval {NOT_FINITE}")
def _(env: Env) -> Any:
    CfgStepSensor(task_id="wait", experiment_id=env.experiment, step="1.1", poke_interval=float("nan"))


@case("sensor-timeout-nan", CfgValidationError, f"timeout {NOT_FINITE}")
def _(env: Env) -> Any:
    CfgExperimentSensor(task_id="wait", experiment_id=env.experiment, timeout=float("nan"))


@case("rollback-step-timeout-nan", CfgValidationError, f"step_timeout {NOT_FINITE}")
def _(env: Env) -> Any:
    from airflow_provider_cfg.operators.rollback import CfgRollbackExperimentOperator

    CfgRollbackExperimentOperator(task_id="rollback", experiment_id=env.experiment, step_timeout=float("nan"))


# -- issue 12, finding 7: the default policy caps instances per group ------------------------------------


@case("policy-default-instance-cap", PlanViolationError, r"would act on 101 instance\(s\)",
      r"max_instances_per_group is 100 \(the default\); raise it with policy=\{'max_instances_per_group': N\}")
def _(env: Env) -> Any:
    env.run(CfgCreateExperimentFromTemplateOperator(task_id="create", template_id=626,
                                                    instances=[f"ins-{n:08d}" for n in range(101)]))


# -- issue 12, finding 9: target exclusivity --------------------------------------------------------------


@case("op-create-on-the-targets-of-a-live-experiment", TargetInUseError,
      r"refusing to create the experiment: target instance\(s\) belong to another live experiment",
      r"'corpus' \(1002 running\) has ins-aaaaaaaa", r"exclusive_targets=False")
def _(env: Env) -> Any:
    env.run(CfgCreateExperimentFromActionOperator(task_id="create", action_id=12, instances=[INSTANCE]))


# -- the corpus --------------------------------------------------------------------------------------------


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("bad", CASES, ids=[c.id for c in CASES])
def test_bad_input_fails_clearly_changes_nothing_and_leaks_no_secret(env, bad, caplog, capfd):
    before = remote_state(env.emu)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(bad.error) as info:
        result = bad.run(env)
        if inspect.iscoroutine(result):
            asyncio.run(result)
    message = str(info.value)
    for pattern in bad.match:
        assert re.search(pattern, message, re.DOTALL), f"{pattern!r} not in {message[:2000]!r}"
    assert len(message) < 20_000  # an oversized input is not echoed back whole
    caplog.set_level(logging.WARNING)
    assert remote_state(env.emu) == before, "the bad input changed something remotely"
    out, err = capfd.readouterr()
    texts = [*exception_texts(info.value), caplog.text, *(r.getMessage() for r in caplog.records), out, err,
             json.dumps(env.ti.pushed, default=str)]
    assert leaks(texts) == []


def test_the_canary_check_would_see_a_leak(env, caplog):
    """The checks above are not vacuous: the canary really signs the calls, and a leak is found."""
    with env.client() as cfg:
        assert cfg.describe_task(env.experiment).Task.TaskId == env.experiment
    logging.getLogger("tests.canary").error("oops %s", CANARY)
    error = RuntimeError("wrapped")
    error.__context__ = ValueError(f"key={CANARY}")
    assert leaks([caplog.text]) and leaks(exception_texts(error))


def test_the_remote_state_check_would_see_a_change(env):
    """A create, a step or a status change all show up in ``remote_state``."""
    before = remote_state(env.emu)
    with env.client() as cfg:
        cfg.create_task_from_action(12, [INSTANCE])
    after_create = remote_state(env.emu)
    assert after_create != before
    with env.client() as cfg:
        cfg.pause_task(env.experiment)
    assert remote_state(env.emu) != after_create
