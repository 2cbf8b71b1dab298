"""Helpers for the emulator tests: a signed httpx caller and polling."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from airflow_provider_cfg.api.actions import API_VERSION
from airflow_provider_cfg.api.signing import Credentials, Tc3Auth

INSTANCES = ["ins-aaaaaaaa", "ins-bbbbbbbb"]
POLL_INTERVAL = 0.02


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(POLL_INTERVAL)


class Cfg:
    """Signed CFG calls over real loopback HTTP."""

    def __init__(self, server: Any, credentials: Credentials | None = None, region: str | None = "ap-guangzhou",
                 auth: httpx.Auth | None = None) -> None:
        self.server = server
        self.region = region
        self.http = httpx.Client(base_url=server.url, auth=auth or Tc3Auth(credentials or server.credentials),
                                 timeout=30.0)

    def close(self) -> None:
        self.http.close()

    def headers(self, action: str | None, **extra: str) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "X-TC-Version": API_VERSION}
        if action is not None:
            headers["X-TC-Action"] = action
        if self.region is not None:
            headers["X-TC-Region"] = self.region
        headers.update(extra)
        return headers

    def send(self, action: str | None, content: bytes, **headers: str) -> httpx.Response:
        return self.http.post("/", content=content, headers=self.headers(action, **headers))

    def call(self, action: str, params: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        response = self.http.post("/", json={**(params or {}), **kwargs}, headers=self.headers(action))
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        return response.json()["Response"]

    def ok(self, action: str, params: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        result = self.call(action, params, **kwargs)
        assert "Error" not in result, result
        return result

    def err(self, action: str, params: dict[str, Any] | None = None, **kwargs: Any) -> tuple[str, str]:
        result = self.call(action, params, **kwargs)
        assert "Error" in result, result
        return result["Error"]["Code"], result["Error"]["Message"]

    # -- shortcuts ------------------------------------------------------------------------

    def task(self, task_id: int) -> dict[str, Any]:
        return self.ok("DescribeTask", TaskId=task_id)["Task"]

    def actions(self, task_id: int) -> list[dict[str, Any]]:
        return [a for g in self.task(task_id)["TaskGroups"] for a in g["TaskGroupActions"]]

    def action(self, task_id: int, index: int) -> dict[str, Any]:
        return self.actions(task_id)[index]

    def create(self, template_id: int = 626, instances: list[str] | None = None, **config: Any) -> int:
        groups = config.pop("groups", None) or [{"TaskGroupInstances": instances or INSTANCES}]
        body = {"TemplateId": template_id, "TaskConfig": {"TaskGroupsConfig": groups, **config}}
        return self.ok("CreateTaskFromTemplate", body)["TaskId"]

    def start(self, template_id: int = 626, instances: list[str] | None = None, **config: Any) -> int:
        task_id = self.create(template_id, instances, **config)
        self.ok("ExecuteTask", TaskId=task_id)
        return task_id

    def run(self, task_id: int, index: int, action_type: int = 2, instance_ids: list[int] | None = None) -> dict:
        pairs = [(g, a) for g in self.task(task_id)["TaskGroups"] for a in g["TaskGroupActions"]]
        group, action = pairs[index]
        group_id = group["TaskGroupId"]
        return self.call("ExecuteTaskInstance", TaskId=task_id, TaskGroupId=group_id,
                         TaskActionId=action["TaskGroupActionId"], ActionType=action_type,
                         IsOperateAll=instance_ids is None, TaskInstanceIds=instance_ids or [])

    def run_ok(self, task_id: int, index: int, action_type: int = 2, instance_ids: list[int] | None = None) -> None:
        result = self.run(task_id, index, action_type, instance_ids)
        assert "Error" not in result, result

    def wait_action(self, task_id: int, index: int, status: int = 2004, timeout: float = 5.0) -> dict[str, Any]:
        return wait_for(lambda: (a := self.action(task_id, index))["TaskGroupActionStatus"] == status and a,
                        timeout, f"action {index} of task {task_id} to reach {status}")

    def wait_task(self, task_id: int, status: int, timeout: float = 5.0) -> dict[str, Any]:
        return wait_for(lambda: (t := self.task(task_id))["TaskStatus"] == status and t,
                        timeout, f"task {task_id} to reach {status}")

    def end(self, task_id: int, expect: bool = True, summary: str = "done") -> None:
        self.ok("ModifyTaskRunStatus", TaskId=task_id, Status=1004, IsExpect=expect, Summary=summary)

    # -- out of band ----------------------------------------------------------------------

    def faults(self) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.server.url}/_emulator/faults")
        response.raise_for_status()
        return response.json()

    def chaos(self, **config: Any) -> dict[str, Any]:
        response = httpx.post(f"{self.server.url}/_emulator/chaos", json=config)
        response.raise_for_status()
        return response.json()

    def rate_limits(self, enabled: bool) -> None:
        httpx.post(f"{self.server.url}/_emulator/rate-limits", json={"enabled": enabled}).raise_for_status()
