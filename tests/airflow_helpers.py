"""Helpers for the tests of the Airflow surface (operators, sensors, triggers, links, rollback).

Everything that crosses the wire goes to the session's CFG emulator over loopback HTTP; only the
Airflow task-instance context is faked (:class:`FakeTI`).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from typing import Any

from airflow_provider_cfg.api.client import CfgClient
from airflow_provider_cfg.api.ratelimit import RateLimiterRegistry
from tests.emu_helpers import wait_for

CONN_ENV = "AIRFLOW_CONN_TENCENTCLOUD_CFG_DEFAULT"
INSTANCE = "ins-aaaaaaaa"
INSTANCES = ["ins-aaaaaaaa", "ins-bbbbbbbb"]
POLL = 0.05


class FakeTI:
    """The part of an Airflow task instance the CFG operators use: identity and XCom."""

    def __init__(
        self,
        dag_id: str = "cfg_test_dag",
        task_id: str = "cfg_test_task",
        run_id: str = "manual__2026-01-07T10:00:00+00:00",
        map_index: int = -1,
        pulls: dict[str, Any] | None = None,
    ) -> None:
        self.dag_id = dag_id
        self.task_id = task_id
        self.run_id = run_id
        self.map_index = map_index
        self.try_number = 1
        self.pushed: dict[str, Any] = {}
        self.push_order: list[str] = []
        self.pulls = dict(pulls or {})
        self.pulled: list[Any] = []

    def xcom_push(self, key: str, value: Any) -> None:
        json.dumps(value)  # XComs must be JSON-serialisable
        self.pushed[key] = value
        self.push_order.append(key)

    def xcom_pull(self, task_ids: Any = None, key: str = "return_value", **_: Any) -> Any:
        self.pulled.append(task_ids)
        return self.pulls.get(task_ids)


def context_for(ti: FakeTI | None = None) -> dict[str, Any]:
    ti = ti or FakeTI()
    return {"ti": ti, "task_instance": ti}


def use_emulator(monkeypatch, emu, conn_id: str = "tencentcloud_cfg_default", **extra: Any) -> None:
    """Point the Airflow connection ``conn_id`` at the emulator (an ``AIRFLOW_CONN_*`` env var)."""
    conn: dict[str, Any] = {
        "conn_type": "tencentcloud_cfg",
        "login": emu.secret_id,
        "password": emu.secret_key,
        "host": emu.endpoint,
    }
    if extra:
        conn["extra"] = extra
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))


def make_client(emu, **kwargs: Any) -> CfgClient:
    """A plain client on the emulator (fast retries, its own rate-limit registry)."""
    kwargs.setdefault("backoff", 0.01)
    kwargs.setdefault("backoff_max", 0.05)
    kwargs.setdefault("limiters", RateLimiterRegistry())
    return CfgClient(emu.secret_id, emu.secret_key, endpoint=emu.endpoint, **kwargs)


def chaos(emu, **config: Any) -> None:
    emu.http().post("/_emulator/chaos", json=config).raise_for_status()


def clear_chaos_after(emu, seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, lambda: chaos(emu))
    timer.daemon = True
    timer.start()
    return timer


def faults(emu) -> list[dict[str, Any]]:
    return emu.http().get("/_emulator/faults").json()


def ok(emu, action: str, **params: Any) -> dict[str, Any]:
    """A signed raw call that must succeed."""
    result = emu.call(action, **params)
    assert "Error" not in result, result
    return result


def task_of(emu, task_id: int) -> dict[str, Any]:
    return ok(emu, "DescribeTask", TaskId=task_id)["Task"]


def actions_of(emu, task_id: int) -> list[dict[str, Any]]:
    task = task_of(emu, task_id)
    groups = sorted(task["TaskGroups"], key=lambda g: g["TaskGroupOrder"])
    return [a for g in groups for a in sorted(g["TaskGroupActions"], key=lambda a: a["TaskGroupActionOrder"])]


def group_of(emu, task_id: int, action_id: int) -> int:
    for group in task_of(emu, task_id)["TaskGroups"]:
        if any(a["TaskGroupActionId"] == action_id for a in group["TaskGroupActions"]):
            return group["TaskGroupId"]
    raise AssertionError(f"no action {action_id} in task {task_id}")


def task_list(emu) -> list[dict[str, Any]]:
    return ok(emu, "DescribeTaskList", Limit=100, Offset=0)["TaskList"] or []


def log_lines(emu, task_id: int) -> list[str]:
    return ok(emu, "DescribeTaskExecuteLogs", TaskId=task_id, Limit=10000, Offset=0)["LogMessage"] or []


def trigger_logs(emu, task_id: int) -> list[dict[str, Any]]:
    return ok(emu, "DescribeTaskPolicyTriggerLog", TaskId=task_id, Page=1, PageSize=100)["TriggerLogs"] or []


def create_626(emu, instances: list[str] | None = None, title: str = "unit test") -> int:
    """An experiment from template 626 (Empty Operation 1.1 + its rollback 1.2), manual mode."""
    return ok(
        emu, "CreateTaskFromTemplate", TemplateId=626,
        TaskConfig={"TaskTitle": title, "TaskGroupsConfig": [{"TaskGroupInstances": instances or [INSTANCE]}]},
    )["TaskId"]


def create_managed_626(emu, title: str, instance: str = INSTANCE) -> int:
    """A 626 experiment tagged the way the provider's create operators tag (``managed-by``, ``airflow-dag``)."""
    from airflow_provider_cfg.core.identity import AirflowIdentity

    tags = AirflowIdentity("cfg_game_day", "create_experiment", f"manual__{title}").tags()
    return ok(emu, "CreateTaskFromTemplate", TemplateId=626, TaskConfig={
        "TaskTitle": title, "TaskGroupsConfig": [{"TaskGroupInstances": [instance]}],
        "Tags": [{"TagKey": k, "TagValue": v} for k, v in tags.items()],
    })["TaskId"]


def create_multi(emu, action_ids: list[int], instances: list[str] | None = None, title: str = "multi") -> int:
    """One group with every action of ``action_ids``, each followed by its library recovery."""
    return ok(
        emu, "CreateTaskFromMultiAction", TaskInstances=instances or [INSTANCE], TaskTitle=title,
        TaskAction=[{"TaskActionId": a} for a in action_ids],
    )["TaskId"]


def start(emu, task_id: int) -> None:
    ok(emu, "ExecuteTask", TaskId=task_id)


def execute_action(emu, task_id: int, action_id: int, action_type: int = 2) -> None:
    ok(emu, "ExecuteTaskInstance", TaskId=task_id, TaskGroupId=group_of(emu, task_id, action_id),
       TaskActionId=action_id, ActionType=action_type, IsOperateAll=True, TaskInstanceIds=[])


def action_state(emu, task_id: int, action_id: int) -> dict[str, Any]:
    (action,) = [a for a in actions_of(emu, task_id) if a["TaskGroupActionId"] == action_id]
    return action


def run_action(emu, task_id: int, action_id: int, action_type: int = 2) -> dict[str, Any]:
    """Execute one action and wait until it has finished (2004)."""
    execute_action(emu, task_id, action_id, action_type)
    return wait_for(lambda: (a := action_state(emu, task_id, action_id))["TaskGroupActionStatus"] == 2004 and a,
                    what=f"action {action_id} to finish")


def end(emu, task_id: int, summary: str = "done", is_expect: bool = True) -> None:
    ok(emu, "ModifyTaskRunStatus", TaskId=task_id, Status=1004, Summary=summary, IsExpect=is_expect)


class RecordingTransport:
    """A real loopback HTTP transport that keeps each request's action and JSON body."""

    def __init__(self) -> None:
        import httpx

        self._inner = httpx.HTTPTransport()
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def handle_request(self, request):
        body = json.loads(request.read() or b"{}")
        self.sent.append((request.headers["X-TC-Action"], body))
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()

    def bodies(self, action: str) -> list[dict[str, Any]]:
        return [body for name, body in self.sent if name == action]


def record_wire(monkeypatch, operator, emu) -> RecordingTransport:
    """Make ``operator`` talk to the emulator through a :class:`RecordingTransport`."""
    import httpx

    recorder = RecordingTransport()
    transport = type("_Recording", (httpx.BaseTransport,), {
        "handle_request": lambda self, request: recorder.handle_request(request),
        "close": lambda self: None,
    })()
    monkeypatch.setattr(operator, "client", lambda: make_client(emu, transport=transport))
    return recorder


def starts(emu, task_id: int, action_id: int) -> int:
    """How many times the emulator started ``action_id`` (its "... started on N instance(s)" log lines)."""
    return sum(1 for line in log_lines(emu, task_id) if f"action {action_id} '" in line and "started on" in line)


def fast_rollback(monkeypatch, poll_interval: float = 0.05) -> None:
    """The operators' and triggers' rollback polls every 2 s by default; poll fast in tests."""
    import airflow_provider_cfg.core.rollback as rollback

    original = rollback.rollback_experiment

    def quick(client, experiment_id, reason, **options):
        return original(client, experiment_id, reason, **{"poll_interval": poll_interval, **options})

    monkeypatch.setattr(rollback, "rollback_experiment", quick)


def landed_then_refused(mocker, method: str):
    """Make ``CfgClient.<method>`` do its work, then answer with a refusal (FailedOperation)."""
    from airflow_provider_cfg.api.errors import CfgApiError

    real = getattr(CfgClient, method)

    def call(self, *args, **kwargs):
        real(self, *args, **kwargs)
        raise CfgApiError("FailedOperation", "refused, yet done", None, method)

    return mocker.patch.object(CfgClient, method, autospec=True, side_effect=call)


def started_626(emu, instances: list[str] | None = None) -> tuple[int, int, int]:
    """A running 626 experiment: ``(task_id, fault action id, recovery action id)``."""
    task_id = create_626(emu, instances)
    start(emu, task_id)
    fault, recovery = actions_of(emu, task_id)
    return task_id, fault["TaskGroupActionId"], recovery["TaskGroupActionId"]


def run_626_cleanly(emu) -> tuple[int, int, int]:
    """A running 626 experiment whose fault was injected and then recovered."""
    task_id, fault, recovery = started_626(emu)
    run_action(emu, task_id, fault)
    run_action(emu, task_id, recovery)
    return task_id, fault, recovery


# -- hand-built DescribeTask results, for the pure modules -------------------------------------------------


def build_instance(instance_id: int, object_id: str, status: int = 3001, status_type: int = 0,
                   log: str | None = None) -> dict[str, Any]:
    return {"TaskGroupInstanceId": instance_id, "TaskGroupInstanceObjectId": object_id,
            "TaskGroupInstanceStatus": status, "TaskGroupInstanceStatusType": status_type,
            "TaskGroupInstanceExecuteLog": log}


def build_action(action_id: int, order: int, title: str, *, fault: bool = True, status: int = 2001,
                 status_type: int = 0, instances: list[dict[str, Any]] | None = None, start_time: str | None = None,
                 seconds: int | None = None, random_id: int | None = None, recover_id: int | None = None,
                 execute_id: int | None = None) -> dict[str, Any]:
    return {"TaskGroupActionId": action_id, "TaskGroupActionOrder": order, "ActionTitle": title,
            "ActionAttribute": 1 if fault else 2,
            "TaskGroupActionStatus": status, "TaskGroupActionStatusType": status_type,
            "TaskGroupInstances": instances or [],
            "TaskGroupActionStartTime": start_time, "TaskGroupActionExecuteTime": seconds,
            "TaskGroupActionRandomId": random_id, "TaskGroupActionRecoverId": recover_id,
            "TaskGroupActionExecuteId": execute_id}


def build_task(groups: list[tuple[int, int, list[dict[str, Any]]]], *, task_id: int = 3256, status: int = 1002,
               mode: int = 1, expect: int | None = None):
    """A :class:`Task` from ``[(TaskGroupId, TaskGroupOrder, [action dicts]), ...]``."""
    from airflow_provider_cfg.api.models import Task

    return Task.model_validate({
        "TaskId": task_id, "TaskStatus": status, "TaskMode": mode, "TaskExpect": expect, "TaskStatusType": 0,
        "TaskGroups": [{"TaskGroupId": gid, "TaskGroupOrder": order, "TaskGroupActions": actions}
                       for gid, order, actions in groups],
    })


@contextlib.contextmanager
def json_service(answer: Callable[[], tuple[int, Any]], path: str = "/health"):
    """A tiny HTTP service on a free loopback port answering every GET with ``answer()`` →
    ``(status, JSON body)``; yields its URL. Stands in for the system a steady-state probe watches."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # name fixed by the http.server API
            status, document = answer()
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{path}"
    finally:
        server.shutdown()
        server.server_close()
