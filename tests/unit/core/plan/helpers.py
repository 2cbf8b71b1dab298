"""What the plan tests share: a recording transport, a client with edited answers, violation lookups."""

from __future__ import annotations

import json
from typing import Any

import httpx

from airflow_provider_cfg.api import models as m
from airflow_provider_cfg.core.plan.model import ExperimentPlan

POD = json.dumps({"ClusterId": "cls-aaaaaaaa", "PodName": "web-1", "NodeName": "10.0.0.1", "NameSpace": "prod",
                  "Workload": "web"})


class Recorder(httpx.BaseTransport):
    """Loopback transport keeping the action of every request."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.actions: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.actions.append(request.headers["X-TC-Action"])
        return self.inner.handle_request(request)


def codes(plan: ExperimentPlan) -> list[str]:
    return [v.code for v in plan.violations]


def only(plan: ExperimentPlan, code: str):
    found = [v for v in plan.violations if v.code == code]
    assert len(found) == 1, plan.violations
    return found[0]


class PatchedClient:
    """The real client, with ``DescribeTemplate`` answers edited by ``edit`` (for shapes the
    emulator's catalogue does not have)."""

    def __init__(self, client, edit, edit_library=None) -> None:
        self._client = client
        self._edit = edit
        self._edit_library = edit_library

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def describe_template(self, template_id: int) -> m.DescribeTemplateResponse:
        answer = self._client.describe_template(template_id)
        data = answer.Template.model_dump(mode="json")
        self._edit(data)
        return m.DescribeTemplateResponse(Template=m.Template.model_validate(data))

    def describe_action_library_list(self, *args: Any, **kwargs: Any) -> m.DescribeActionLibraryListResponse:
        answer = self._client.describe_action_library_list(*args, **kwargs)
        if self._edit_library is not None:
            for item in answer.Results or []:
                self._edit_library(item)
        return answer
