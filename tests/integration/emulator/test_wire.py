"""Wire protocol: envelope, TC3 signature checks, headers, body, parameter validation."""

from __future__ import annotations

import json
import time
import uuid

import httpx
import pytest

from airflow_provider_cfg.api.signing import (
    Credentials,
    Tc3Auth,
    authorization_header,
    canonical_request,
    derive_signing_key,
    request_signature,
    sha256_hex,
    signature,
    string_to_sign,
    utc_date,
)
from airflow_provider_cfg.emulator.server import EmulatorServer
from tests.emu_helpers import Cfg


class ManualAuth(httpx.Auth):
    """Signs like Tc3Auth but lets a test break one part of the result."""

    requires_request_body = True

    def __init__(self, credentials: Credentials, *, timestamp: int | None = None, scope_date: str | None = None,
                 signed_headers: tuple[str, ...] = ("content-type", "host"), drop_timestamp: bool = False,
                 authorization: str | None = None) -> None:
        self.credentials = credentials
        self.timestamp = timestamp
        self.scope_date = scope_date
        self.signed_headers = signed_headers
        self.drop_timestamp = drop_timestamp
        self.authorization = authorization

    def auth_flow(self, request: httpx.Request):
        timestamp = self.timestamp or int(time.time())
        scope, sig = request_signature(request, self.credentials.secret_key, timestamp, "cfg", self.signed_headers)
        if self.scope_date:
            scope = f"{self.scope_date}/cfg/tc3_request"
        if not self.drop_timestamp:
            request.headers["X-TC-Timestamp"] = str(timestamp)
        request.headers["Authorization"] = self.authorization or authorization_header(
            self.credentials.secret_id, scope, self.signed_headers, sig)
        yield request


def test_success_envelope(cfg: Cfg) -> None:
    response = cfg.http.post("/", json={"TemplateId": 626}, headers=cfg.headers("DescribeTemplate"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"Response"}
    assert uuid.UUID(body["Response"]["RequestId"]).version == 4
    assert body["Response"]["Template"]["TemplateId"] == 626


def test_error_envelope_is_http_200_json(cfg: Cfg) -> None:
    response = cfg.http.post("/", json={"TemplateId": 1}, headers=cfg.headers("DescribeTemplate"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    inner = response.json()["Response"]
    assert set(inner) == {"Error", "RequestId"}
    assert inner["Error"]["Code"] == "InvalidParameterValue"
    assert "626" not in inner["Error"]["Message"] and "template 1" in inner["Error"]["Message"]


# -- signature ----------------------------------------------------------------------------------


def _code(caller: Cfg, action: str = "DescribeTemplate", body: dict | None = None) -> str:
    result = caller.call(action, body or {"TemplateId": 626})
    return result.get("Error", {}).get("Code", "OK")


def test_wrong_key_is_signature_failure(cfg_emulator: EmulatorServer) -> None:
    caller = Cfg(cfg_emulator, Credentials(cfg_emulator.secret_id, "not-the-key"))
    assert _code(caller) == "AuthFailure.SignatureFailure"


def test_unknown_secret_id(cfg_emulator: EmulatorServer) -> None:
    caller = Cfg(cfg_emulator, Credentials("AKIDunknown0000000000", cfg_emulator.secret_key))
    result = caller.call("DescribeTemplate", TemplateId=626)
    assert result["Error"]["Code"] == "AuthFailure.SecretIdNotFound"
    assert cfg_emulator.secret_key not in result["Error"]["Message"]


@pytest.mark.parametrize("offset", [-301, 301, -3600])
def test_timestamp_skew_is_signature_expire(cfg_emulator: EmulatorServer, offset: int) -> None:
    auth = Tc3Auth(cfg_emulator.credentials, clock=lambda: time.time() + offset)
    assert _code(Cfg(cfg_emulator, auth=auth)) == "AuthFailure.SignatureExpire"


def test_timestamp_within_300_s_is_accepted(cfg_emulator: EmulatorServer) -> None:
    auth = Tc3Auth(cfg_emulator.credentials, clock=lambda: time.time() - 250)
    assert _code(Cfg(cfg_emulator, auth=auth)) == "OK"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"authorization": ""},  # missing
        {"authorization": "Bearer abc"},
        {"authorization": "TC3-HMAC-SHA256 Credential=AKID/2024-01-01/cfg/tc3_request, Signature=zz"},
        {"drop_timestamp": True},
        {"signed_headers": ("content-type",)},
        {"signed_headers": ("host",)},
        {"scope_date": "2001-01-01"},
    ],
    ids=["missing", "not-tc3", "malformed", "no-timestamp", "no-host", "no-content-type", "scope-date"],
)
def test_invalid_authorization(cfg_emulator: EmulatorServer, kwargs: dict) -> None:
    caller = Cfg(cfg_emulator, auth=ManualAuth(cfg_emulator.credentials, **kwargs))
    if kwargs.get("authorization") == "":  # no Authorization header at all
        response = httpx.post(cfg_emulator.url + "/", json={"TemplateId": 626},
                              headers=caller.headers("DescribeTemplate", **{"X-TC-Timestamp": str(int(time.time()))}))
        assert response.json()["Response"]["Error"]["Code"] == "AuthFailure.InvalidAuthorization"
        return
    assert _code(caller) == "AuthFailure.InvalidAuthorization"


def test_malformed_timestamp(cfg_emulator: EmulatorServer) -> None:
    caller = Cfg(cfg_emulator)
    request = caller.http.build_request("POST", "/", json={"TemplateId": 626},
                                        headers=caller.headers("DescribeTemplate"))
    Tc3Auth(cfg_emulator.credentials).sign(request)
    request.headers["X-TC-Timestamp"] = "yesterday"
    response = httpx.Client().send(request)
    assert response.json()["Response"]["Error"]["Code"] == "AuthFailure.InvalidAuthorization"


def test_other_service_in_scope(cfg_emulator: EmulatorServer) -> None:
    auth = Tc3Auth(cfg_emulator.credentials, service="cvm")
    assert _code(Cfg(cfg_emulator, auth=auth)) == "AuthFailure.InvalidAuthorization"


def test_body_changed_after_signing(cfg_emulator: EmulatorServer) -> None:
    caller = Cfg(cfg_emulator)
    request = caller.http.build_request("POST", "/", content=b'{"TemplateId": 626}',
                                        headers=caller.headers("DescribeTemplate"))
    Tc3Auth(cfg_emulator.credentials).sign(request)
    tampered = httpx.Request("POST", request.url, headers=request.headers, content=b'{"TemplateId": 627}')
    response = httpx.Client().send(tampered)
    assert response.json()["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"


def test_extra_signed_headers_and_query_are_verified(cfg_emulator: EmulatorServer) -> None:
    auth = Tc3Auth(cfg_emulator.credentials, signed_headers=("content-type", "host", "x-tc-action"))
    caller = Cfg(cfg_emulator, auth=auth)
    assert _code(caller) == "OK"
    response = caller.http.post("/?x=1", json={"TemplateId": 626}, headers=caller.headers("DescribeTemplate"))
    assert "Error" not in response.json()["Response"]


def test_unsigned_payload(cfg_emulator: EmulatorServer) -> None:
    caller = Cfg(cfg_emulator)
    request = caller.http.build_request("POST", "/", json={"TemplateId": 626},
                                        headers=caller.headers("DescribeTemplate",
                                                               **{"X-TC-Content-SHA256": "UNSIGNED-PAYLOAD"}))
    timestamp = int(time.time())
    headers = {"content-type": "application/json", "host": request.headers["host"]}
    canonical = canonical_request("POST", "/", "", headers, ("content-type", "host"), sha256_hex("UNSIGNED-PAYLOAD"))
    scope = f"{utc_date(timestamp)}/cfg/tc3_request"
    sig = signature(derive_signing_key(cfg_emulator.secret_key, utc_date(timestamp), "cfg"),
                    string_to_sign(timestamp, scope, canonical))
    request.headers["X-TC-Timestamp"] = str(timestamp)
    request.headers["Authorization"] = authorization_header(cfg_emulator.secret_id, scope, ("content-type", "host"),
                                                            sig)
    assert "Error" not in httpx.Client().send(request).json()["Response"]


def test_several_credential_pairs_and_token() -> None:
    pairs = {"AKIDfirst00000000000": "key-one", "AKIDsecond0000000000": "key-two"}
    with EmulatorServer(credentials=pairs, token="sts-token", action_seconds=0.05) as server:
        for secret_id, key in pairs.items():
            ok = Cfg(server, Credentials(secret_id, key, "sts-token"))
            assert _code(ok) == "OK"
            assert _code(Cfg(server, Credentials(secret_id, key))) == "AuthFailure.TokenFailure"
            assert _code(Cfg(server, Credentials(secret_id, key, "other"))) == "AuthFailure.TokenFailure"
        crossed = Cfg(server, Credentials("AKIDfirst00000000000", "key-two", "sts-token"))
        assert _code(crossed) == "AuthFailure.SignatureFailure"


# -- headers and body -------------------------------------------------------------------------


def test_version_and_action_headers(cfg: Cfg) -> None:
    body = b'{"TemplateId": 626}'
    missing_version = cfg.send("DescribeTemplate", body, **{"X-TC-Version": ""}).json()["Response"]["Error"]
    assert missing_version["Code"] == "MissingParameter" and "X-TC-Version" in missing_version["Message"]
    wrong = cfg.send("DescribeTemplate", body, **{"X-TC-Version": "2017-03-12"}).json()["Response"]["Error"]
    assert wrong["Code"] == "NoSuchVersion"
    missing_action = cfg.send(None, body).json()["Response"]["Error"]
    assert missing_action["Code"] == "MissingParameter" and "X-TC-Action" in missing_action["Message"]
    unknown = cfg.send("DescribeInstances", body).json()["Response"]["Error"]
    assert unknown["Code"] == "InvalidAction" and "DescribeInstances" in unknown["Message"]


def test_regions(cfg_emulator: EmulatorServer) -> None:
    default = Cfg(cfg_emulator, region=None)
    task_id = default.create()
    assert default.task(task_id)["TaskRegionId"] == 1  # no X-TC-Region: ap-guangzhou
    for region in ("ap-shanghai", "ap-hongkong", "ap-singapore", "ap-bangkok", "na-siliconvalley", "eu-frankfurt"):
        assert _code(Cfg(cfg_emulator, region=region)) == "OK"
    bad = Cfg(cfg_emulator, region="mars-north-1").call("DescribeTemplate", TemplateId=626)
    assert bad["Error"]["Code"] == "UnsupportedRegion" and "mars-north-1" in bad["Error"]["Message"]
    # tasks are regional: the Guangzhou task is not visible from Shanghai
    shanghai = Cfg(cfg_emulator, region="ap-shanghai")
    assert shanghai.err("DescribeTask", TaskId=task_id)[0] == "ResourceNotFound"
    assert shanghai.ok("DescribeTaskList", Limit=10, Offset=0)["Total"] == 0
    other = shanghai.create()
    assert shanghai.task(other)["TaskRegionName"] == "上海"


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b'"text"', b"42"])
def test_body_must_be_a_json_object(cfg: Cfg, content: bytes) -> None:
    error = cfg.send("DescribeTemplate", content).json()["Response"]["Error"]
    assert error["Code"] == "InvalidParameter"


def test_body_over_10_mb(cfg: Cfg) -> None:
    content = json.dumps({"TemplateId": 626, "Padding": "x" * (10 * 1024 * 1024)}).encode()
    error = cfg.send("DescribeTemplate", content).json()["Response"]["Error"]
    assert error["Code"] == "RequestSizeLimitExceeded"


# -- parameters -------------------------------------------------------------------------------


def test_missing_parameter_names_the_field(cfg: Cfg) -> None:
    code, message = cfg.err("DescribeTask")
    assert code == "MissingParameter" and "TaskId" in message
    code, message = cfg.err("CreateTaskFromTemplate", TemplateId=626, TaskConfig={})
    assert code == "MissingParameter" and "TaskConfig.TaskGroupsConfig" in message
    code, message = cfg.err("CreateTaskFromTemplate", TemplateId=626, TaskConfig={"TaskGroupsConfig": [{}]})
    assert code == "MissingParameter" and "TaskConfig.TaskGroupsConfig.0.TaskGroupInstances" in message
    code, message = cfg.err("ExecuteTaskInstance", TaskId=1, TaskActionId=1, IsOperateAll=False, ActionType=2,
                            TaskGroupId=1)
    assert code == "MissingParameter" and "TaskInstanceIds" in message


def test_wrong_type_names_field_and_type(cfg: Cfg) -> None:
    code, message = cfg.err("DescribeTask", TaskId="abc")
    assert code == "InvalidParameter" and "TaskId" in message and "Integer" in message
    code, message = cfg.err("CreateTaskFromTemplate", TemplateId=626, TaskConfig={"TaskGroupsConfig": "x"})
    assert code == "InvalidParameter" and "TaskConfig.TaskGroupsConfig" in message and "Array" in message
    code, message = cfg.err("ExecuteTaskInstance", TaskId=1, TaskActionId=1, IsOperateAll=False, ActionType=2,
                            TaskGroupId=1, TaskInstanceIds=["x"])
    assert code == "InvalidParameter" and "TaskInstanceIds.0" in message


def test_unknown_parameters_anywhere(cfg: Cfg) -> None:
    code, message = cfg.err("DescribeTask", TaskId=1, Verbose=True)
    assert code == "UnknownParameter" and "Verbose" in message
    code, message = cfg.err("CreateTaskFromTemplate", TemplateId=626,
                            TaskConfig={"TaskGroupsConfig": [{"TaskGroupInstances": ["ins-aaaaaaaa"]}], "Extra": 1})
    assert code == "UnknownParameter" and "TaskConfig.Extra" in message
    code, message = cfg.err("CreateTaskFromTemplate", TemplateId=626, TaskConfig={"TaskGroupsConfig": [
        {"TaskGroupInstances": ["ins-aaaaaaaa"], "TaskGroupActionsConfig": [{"TaskGroupActionOrder": 1, "Typo": 2}]}]})
    assert code == "UnknownParameter" and "TaskConfig.TaskGroupsConfig.0.TaskGroupActionsConfig.0.Typo" in message


def test_range_checked_by_model(cfg: Cfg) -> None:
    code, message = cfg.err("DescribeTemplateList", Limit=101, Offset=0)
    assert code == "InvalidParameterValue" and "Limit" in message


def test_numeric_strings_and_request_id_are_accepted(cfg: Cfg) -> None:
    task_id = cfg.create()
    result = cfg.ok("DescribeTask", RequestId="02185fc4-0e8f-49ed-a8d5-6d0788d0e60c", TaskId=str(task_id))
    assert result["Task"]["TaskId"] == task_id
    assert result["RequestId"] != "02185fc4-0e8f-49ed-a8d5-6d0788d0e60c"


def test_configuration_must_be_a_json_string_on_the_wire(cfg_emulator):
    """CFG types the …Configuration fields as serialised JSON strings; an object is refused."""
    bad = cfg_emulator.call("CreateTaskFromAction", TaskActionId=462, TaskInstances=["ins-aaaaaaaa"],
                            TaskActionCustomConfiguration={"interfaces": "eth0"})
    assert bad["Error"]["Code"] == "InvalidParameter"
    assert "TaskActionCustomConfiguration" in bad["Error"]["Message"] and "String" in bad["Error"]["Message"]
    nested = cfg_emulator.call("CreateTaskFromTemplate", TemplateId=626, TaskConfig={"TaskGroupsConfig": [{
        "TaskGroupInstances": ["ins-aaaaaaaa"],
        "TaskGroupActionsConfig": [
            {"TaskGroupActionOrder": 1, "TaskGroupActionGeneralConfiguration": {"ActionTimeout": 60}}]}]})
    assert nested["Error"]["Code"] == "InvalidParameter"
    assert ("TaskConfig.TaskGroupsConfig.0.TaskGroupActionsConfig.0.TaskGroupActionGeneralConfiguration"
            in nested["Error"]["Message"])
    good = cfg_emulator.call("CreateTaskFromAction", TaskActionId=462, TaskInstances=["ins-aaaaaaaa"],
                             TaskActionCustomConfiguration='{"interfaces": "eth0"}')
    assert "TaskId" in good
    assert cfg_emulator.call("DescribeTaskList", Limit=10, Offset=0)["Total"] == 1
