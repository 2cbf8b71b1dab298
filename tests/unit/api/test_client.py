"""Our sync and async clients against the emulator over real loopback HTTP: every action, typed
errors, the retry rules (reads retried, mutating calls never blindly), rate limits, secrets."""

from __future__ import annotations

import asyncio
import logging
import threading

import httpx
import pytest

from airflow_provider_cfg.api import (
    AsyncCfgClient,
    CfgApiError,
    CfgClient,
    CfgOutcomeUnknownError,
    CfgTransportError,
    CfgValidationError,
    ErrorKind,
)
from airflow_provider_cfg.api.enums import ActionStatus, TaskStatus, TriggerType
from airflow_provider_cfg.api.ratelimit import RateLimiterRegistry
from airflow_provider_cfg.emulator.server import EmulatorServer

CANARY_KEY = "canary-SECRET-key-0123456789"
CANARY_TOKEN = "canary-SESSION-token-abcdef"
SECRET_ID = "AKIDclienttests0000000000000000000"


@pytest.fixture(scope="module")
def emu():
    with EmulatorServer(secret_id=SECRET_ID, secret_key=CANARY_KEY, action_seconds=0.05) as server:
        yield server


@pytest.fixture(autouse=True)
def fresh(emu):
    emu.reset()
    yield
    emu.http().post("/_emulator/chaos", json={})


class CountingTransport(httpx.HTTPTransport):
    """A real HTTP transport that counts the requests it sends, by action."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request.headers["X-TC-Action"])
        return super().handle_request(request)


def make_client(emu, **kwargs) -> CfgClient:
    kwargs.setdefault("backoff", 0.01)
    kwargs.setdefault("limiters", RateLimiterRegistry())
    return CfgClient(emu.secret_id, emu.secret_key, endpoint=emu.endpoint, **kwargs)


def chaos(emu, **config) -> None:
    emu.http().post("/_emulator/chaos", json=config).raise_for_status()


def create_626(client: CfgClient) -> int:
    return client.create_task_from_template(
        626, {"TaskTitle": "client test", "TaskGroupsConfig": [{"TaskGroupInstances": ["ins-aaaaaaaa"]}]}
    ).TaskId


def wait_finished(client: CfgClient, task_id: int, action_id: int) -> None:
    for _ in range(200):
        if client.describe_task(task_id).Task.find_action(action_id).TaskGroupActionStatus == ActionStatus.FINISHED:
            return
        threading.Event().wait(0.02)
    raise AssertionError("step did not finish")


def test_every_action_round_trip(emu):
    with make_client(emu) as client:
        assert client.describe_object_type_list().ObjectTypeList
        library = client.describe_action_library_list(1, limit=10)
        assert library.Total and library.Results
        fields = client.describe_action_field_config_list([466], 1)
        assert {f.Field for f in fields.Results[0].ConfigDetail} >= {"duration", "domain", "ip"}
        templates = client.describe_template_list(limit=5)
        assert any(t.TemplateId == 626 for t in templates.TemplateList)
        assert client.describe_template(626).Template.TemplateGroups

        task_id = create_626(client)
        action_task = client.create_task_from_action(
            462, ["ins-bbbbbbbb"], custom_configuration={"interfaces": "eth0"}).TaskId
        multi_task = client.create_task_from_multi_action(
            ["ins-cccccccc"], [{"TaskActionId": 462, "TaskActionCustomConfiguration": {"interfaces": "eth0"}}],
            title="multi",
        ).TaskId
        assert len({task_id, action_task, multi_task}) == 3
        listing = client.describe_task_list(task_ids=[task_id, action_task])
        assert sorted(item.TaskId for item in listing.TaskList) == sorted([task_id, action_task])

        client.execute_task(task_id)
        task = client.describe_task(task_id).Task
        assert task.TaskStatus == TaskStatus.RUNNING
        group, fault = next(task.iter_actions())
        client.execute_task_instance(task_id, group.TaskGroupId, fault.TaskGroupActionId, 2, fault.instance_ids())
        wait_finished(client, task_id, fault.TaskGroupActionId)
        assert client.describe_task_execute_logs(task_id, limit=50).LogMessage

        assert client.pause_task(task_id).RequestId
        assert client.describe_task(task_id).Task.TaskStatus == TaskStatus.PAUSED
        client.resume_task(task_id)
        result = client.trigger_policy(task_id, "test", "probe breached", TriggerType.TRIGGER)
        assert result.Success is True
        logs = client.describe_task_policy_trigger_log(task_id).TriggerLogs
        assert [log.Name for log in logs] == ["test"]
        client.end_task(task_id, summary="done", is_expect=False, issue="none")
        ended = client.describe_task(task_id).Task
        assert ended.TaskStatus == TaskStatus.ENDED and ended.TaskSummary == "done"
        client.delete_task(multi_task)
        with pytest.raises(CfgApiError) as err:
            client.describe_task(multi_task)
        assert err.value.code == "ResourceNotFound"
        assert client.call("DescribeTask", {"TaskId": task_id})["Task"]["TaskId"] == task_id


def test_async_client_has_the_same_surface(emu):
    async def run() -> tuple[int, int]:
        async with AsyncCfgClient(emu.secret_id, emu.secret_key, endpoint=emu.endpoint,
                                  limiters=RateLimiterRegistry()) as client:
            task_id = (await client.create_task_from_template(
                626, {"TaskGroupsConfig": [{"TaskGroupInstances": ["ins-aaaaaaaa"]}]}
            )).TaskId
            await client.execute_task(task_id)
            task = (await client.describe_task(task_id)).Task
            raw = await client.call("DescribeTask", {"TaskId": task_id})
            return task.TaskStatus, raw["Task"]["TaskStatus"]

    assert asyncio.run(run()) == (TaskStatus.RUNNING, 1002)


def test_api_error_is_typed_with_request_id(emu):
    with make_client(emu) as client, pytest.raises(CfgApiError) as err:
        client.describe_task(999999)
    assert err.value.code == "ResourceNotFound"
    assert err.value.action == "DescribeTask"
    assert err.value.request_id and err.value.request_id in str(err.value)
    assert err.value.kind is ErrorKind.PERMANENT


def test_wrong_key_is_an_auth_error_not_retried(emu):
    transport = CountingTransport()
    with (
        CfgClient(emu.secret_id, "wrong-key", endpoint=emu.endpoint, transport=transport, backoff=0.01) as client,
        pytest.raises(CfgApiError) as err,
    ):
        client.describe_task(1)
    assert err.value.code == "AuthFailure.SignatureFailure"
    assert err.value.kind is ErrorKind.AUTH
    assert transport.sent == ["DescribeTask"]


def test_reads_retry_transient_errors_until_they_pass(emu):
    transport = CountingTransport()
    with make_client(emu, transport=transport, max_attempts=12) as client:
        task_id = create_626(client)
        chaos(emu, error_rate=0.3, error_codes=["InternalError", "RequestLimitExceeded", "ServiceUnavailable"], seed=7)
        for _ in range(10):
            assert client.describe_task(task_id).Task.TaskId == task_id
    assert transport.sent.count("DescribeTask") > 10  # some calls needed more than one attempt


def test_reads_give_up_after_max_attempts(emu):
    transport = CountingTransport()
    chaos(emu, error_rate=1.0, error_codes=["InternalError"])
    with make_client(emu, transport=transport, max_attempts=3) as client, pytest.raises(CfgApiError) as err:
        client.describe_template(626)
    assert err.value.code == "InternalError" and err.value.is_transient
    assert transport.sent == ["DescribeTemplate"] * 3


def test_mutating_call_after_internal_error_is_not_retried(emu):
    transport = CountingTransport()
    with make_client(emu, transport=transport) as client:
        chaos(emu, error_rate=1.0, error_codes=["InternalError"])
        with pytest.raises(CfgOutcomeUnknownError) as err:
            create_626(client)
        assert "outcome is unknown" in str(err.value)
    assert transport.sent == ["CreateTaskFromTemplate"]


def test_mutating_call_after_rate_limit_is_retried(emu):
    transport = CountingTransport()
    with make_client(emu, transport=transport, max_attempts=10) as client:
        chaos(emu, error_rate=0.6, error_codes=["RequestLimitExceeded"], seed=3)
        task_id = create_626(client)
        chaos(emu)
        assert client.describe_task_list(task_ids=[task_id]).Total == 1  # created exactly once
    assert transport.sent.count("CreateTaskFromTemplate") > 1


def test_dropped_answer_after_commit(emu):
    """The server applied the change and closed the connection: mutating → unknown (and it did
    happen); read → retried."""
    transport = CountingTransport()
    with make_client(emu, transport=transport) as client:
        chaos(emu, drop_after_commit_rate=1.0)
        with pytest.raises(CfgOutcomeUnknownError):
            create_626(client)
        assert transport.sent == ["CreateTaskFromTemplate"]
        chaos(emu)
        listing = client.describe_task_list(title="client test")
        assert listing.Total == 1  # the change was applied although the answer was lost


def test_read_timeout_read_vs_mutating(emu):
    chaos(emu, latency_ms=400)
    transport = CountingTransport()
    with make_client(emu, transport=transport, timeout=0.1, max_attempts=2) as client:
        with pytest.raises(CfgTransportError) as err:
            client.describe_template(626)
        assert err.value.sent and "Timeout" in err.value.detail
        assert transport.sent == ["DescribeTemplate"] * 2
        transport.sent.clear()
        with pytest.raises(CfgOutcomeUnknownError):
            client.execute_task(3256)
        assert transport.sent == ["ExecuteTask"]


def test_connection_refused_is_retried_even_for_mutating_calls():
    with (
        CfgClient("AKIDx1234567", "k", endpoint="127.0.0.1:9", max_attempts=3, backoff=0.01) as client,
        pytest.raises(CfgTransportError) as err,
    ):
        client.execute_task(1)
    assert err.value.sent is False  # never reached a server, so retrying was safe


def test_response_error_detected_whatever_the_content_type():
    """The official SDK misses errors sent with a charset in the content type; we never trust it."""
    body = b'{"Response": {"Error": {"Code": "ResourceNotFound", "Message": "no"}, "RequestId": "r-1"}}'

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"Content-Type": "text/html; charset=utf-8"})

    with (
        CfgClient("AKIDx1234567", "k", endpoint="127.0.0.1:1", transport=httpx.MockTransport(handler)) as client,
        pytest.raises(CfgApiError) as err,
    ):
        client.describe_task(1)
    assert (err.value.code, err.value.request_id) == ("ResourceNotFound", "r-1")


def test_client_side_rate_limit_keeps_the_emulator_happy(emu):
    """30 concurrent DescribeTask calls from two threads and an event loop, limit 20/s: none refused."""
    registry = RateLimiterRegistry()
    errors: list[BaseException] = []
    with make_client(emu, limiters=registry, max_attempts=1) as client:
        task_id = create_626(client)

        def burst() -> None:
            try:
                for _ in range(10):
                    client.describe_task(task_id)
            except BaseException as exc:  # collected and checked below
                errors.append(exc)

        async def async_burst() -> None:
            async with AsyncCfgClient(emu.secret_id, emu.secret_key, endpoint=emu.endpoint, limiters=registry,
                                      max_attempts=1) as aclient:
                for _ in range(10):
                    await aclient.describe_task(task_id)

        threads = [threading.Thread(target=burst) for _ in range(2)]
        for thread in threads:
            thread.start()
        asyncio.run(async_burst())
        for thread in threads:
            thread.join()
    assert errors == []


def test_without_client_limiter_the_emulator_refuses(emu):
    with make_client(emu, rate_limit=False, max_attempts=1) as client:
        task_id = create_626(client)
        with pytest.raises(CfgApiError) as err:
            for _ in range(60):
                client.describe_task(task_id)
    assert err.value.code == "RequestLimitExceeded" and err.value.rejected_before_processing


@pytest.mark.parametrize(
    ("call", "field", "hint"),
    [
        (lambda c: c.describe_task("abc"), "TaskId", "valid integer"),
        (lambda c: c.execute_task_instance(1, 2, 3, action_type=4), "ActionType", "5 (retry)"),
        (lambda c: c.modify_task_run_status(1, 1005), "Status", "1004 (ended)"),
        (lambda c: c.end_task(1, summary="", is_expect=True), "Summary", "required"),
        (lambda c: c.modify_task_run_status(1, 1004, summary="x"), "IsExpect", "required"),
        (lambda c: c.trigger_policy(1, "n", "c", trigger_type=2), "TriggerType", "1 (recover)"),
        (lambda c: c.create_task_from_template(626, {"TaskTitle": "no groups"}),
         "TaskConfig.TaskGroupsConfig", "required"),
        (lambda c: c.describe_action_library_list(1, limit=500), "Limit", "less than or equal to 100"),
    ],
)
def test_bad_input_refused_before_sending(emu, call, field, hint):
    transport = CountingTransport()
    with make_client(emu, transport=transport) as client, pytest.raises(CfgValidationError) as err:
        call(client)
    assert err.value.field == field
    assert hint in str(err.value)
    assert transport.sent == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"endpoint": "http://cfg.example.com"}, "endpoint"),
        ({"endpoint": "ftp://127.0.0.1"}, "endpoint"),
        ({"endpoint": "https://cfg.tencentcloudapi.com/path"}, "endpoint"),
        ({"language": "fr-FR"}, "language"),
        ({"region": ""}, "region"),
        ({"max_attempts": 0}, "max_attempts"),
    ],
)
def test_bad_configuration_refused(kwargs, field):
    with pytest.raises(CfgValidationError) as err:
        CfgClient("AKIDx1234567", "key", **kwargs)
    assert err.value.field == field


def test_endpoints():
    assert CfgClient("AKIDx1234567", "k").config.endpoint == "https://cfg.tencentcloudapi.com"
    assert CfgClient("AKIDx1234567", "k", endpoint="cfg.ap-shanghai.tencentcloudapi.com").config.endpoint == "https://cfg.ap-shanghai.tencentcloudapi.com"
    assert CfgClient("AKIDx1234567", "k", endpoint="127.0.0.1:8999").config.endpoint == "http://127.0.0.1:8999"
    # a name is not an address: ``localhost`` gets https like any other host (issue 12, finding 5)
    assert CfgClient("AKIDx1234567", "k", endpoint="localhost:8999").config.endpoint == "https://localhost:8999"
    assert CfgClient("AKIDx1234567", "k", endpoint="[::1]:8999").config.endpoint == "http://[::1]:8999"
    assert CfgClient("AKIDx", "k", endpoint="http://10.0.0.1:80", allow_insecure_http=True).config.endpoint == "http://10.0.0.1:80"


def test_secrets_never_leak(emu, caplog):
    """Key and token appear in no log record, repr or error, across successes, retries and failures."""
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    token_emu = EmulatorServer(secret_id=SECRET_ID, secret_key=CANARY_KEY, token=CANARY_TOKEN, action_seconds=0.05)
    with token_emu:
        client = CfgClient(SECRET_ID, CANARY_KEY, endpoint=token_emu.endpoint, token=CANARY_TOKEN, backoff=0.01,
                           max_attempts=2)
        texts.append(repr(client))
        with client:
            create_626(client)
            token_emu.http().post("/_emulator/chaos", json={"error_rate": 1.0, "error_codes": ["InternalError"]})
            for call in (lambda: client.describe_task(3256), lambda: client.execute_task(3256)):
                with pytest.raises(Exception) as err:
                    call()
                texts += [str(err.value), repr(err.value)]
        bad = CfgClient(SECRET_ID, "wrong-" + CANARY_KEY, endpoint=token_emu.endpoint, token=CANARY_TOKEN)
        with bad, pytest.raises(CfgApiError) as err:
            bad.describe_task(1)
        texts += [str(err.value), repr(bad)]
    texts += [record.getMessage() for record in caplog.records]
    assert any("retrying" in text for text in texts)  # the retry path was logged
    for text in texts:
        assert CANARY_KEY not in text and CANARY_TOKEN not in text


def test_oversized_body_refused_before_sending(emu):
    transport = CountingTransport()
    with make_client(emu, transport=transport) as client:
        with pytest.raises(CfgValidationError) as err:
            client.trigger_policy(1, "n", "x" * (10 * 1024 * 1024 + 1))
        with pytest.raises(CfgValidationError):
            client.call("TriggerPolicy",
                        {"TaskId": 1, "Name": "n", "Content": "x" * (10 * 1024 * 1024), "TriggerType": 0})
    assert err.value.field == "(body)" and "at most 10,485,760" in str(err.value)
    assert transport.sent == []
