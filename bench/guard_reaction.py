"""Guard reaction time (a safety figure): from the watched service's breach to the guardrail call and to recovery.

From the moment the watched service breaches to the guardrail call, and to every fault recovered.

The emulator runs in another process (``action_seconds`` 0.1: a recovery takes 0.1 s) and a tiny
HTTP service in this one answers 200 while healthy and 500 once broken. Per round, an experiment
from template 626 (two instances) is started and its fault (1.1) injected; the steady-state
guard's trigger (``CfgSteadyStateGuardTrigger``, as in a triggerer) watches the service every
``poll_interval`` s and trips after ``failures_to_trip`` (2) failed probes in a row. At a random
point between one and two intervals after the watch starts, the service breaks; the moment it
does is noted (``time.time()``). The trigger's ``breached`` event goes straight to the guard
operator's handler (``execute_complete``: ``TriggerPolicy``, then the provider's rollback) in this
process: the time Airflow takes to resume a deferred task on a worker (scheduler and executor
latency) is not included.

The client's ``TriggerPolicy`` and ``ExecuteTaskInstance`` calls are timed as they are sent, and
a helper thread reads the emulator's fault ledger every 10 ms. Measured per round, from the
breach:

* **trip**: the guardrail call (``TriggerPolicy`` sent). Bound: ``failures_to_trip *
  poll_interval + 1 s`` — the failed probes the rule needs (the first falls anywhere in the first
  interval after the breach) plus at most 1 s of the provider's own work;
* **trip overhead**: the guardrail call minus the end of the last failed probe (target ≤ 1 s);
* **recovery under way**: the first recovery sent (``ExecuteTaskInstance`` by the provider's
  rollback) or the first fault leaving the ledger (CFG's guardrail may start the sequential
  rollback itself), whichever comes first, minus the trip (target ≤ 2 s);
* **all recovered**: the fault ledger empty.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import threading
import time
from collections.abc import Callable, Generator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from bench.emulator import EmulatorProcess
from bench.stats import summary

FAILURES_TO_TRIP = 2
TRIP_SLACK = 1.0
"""Seconds the provider may add to the failed probes before the guardrail call."""
UNDER_WAY_TARGET = 2.0
"""Seconds from the trip to the first recovery under way."""
FULL = {"poll_intervals": (1.0, 2.0), "rounds": 5}
QUICK = {"poll_intervals": (0.5,), "rounds": 1}
CONN_ENV = "AIRFLOW_CONN_TENCENTCLOUD_CFG_DEFAULT"


class Service(ThreadingHTTPServer):
    """The watched service: 200 while :attr:`healthy`, 500 after :meth:`breach`."""

    def __init__(self) -> None:
        self.healthy = True
        self.breached_at: float | None = None

        class Handler(BaseHTTPRequestHandler):
            def do_GET(handler) -> None:
                handler.send_response(200 if self.healthy else 500)
                handler.end_headers()

            def log_message(handler, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/health"

    def breach(self) -> None:
        self.breached_at = time.time()
        self.healthy = False


class Calls:
    """The client's ``TriggerPolicy`` and ``ExecuteTaskInstance`` calls, timed as they are sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, float, dict[str, Any]]] = []

    @contextmanager
    def timing(self) -> Generator[Calls]:
        from airflow_provider_cfg.api.client import CfgClient

        originals = {name: getattr(CfgClient, name) for name in ("trigger_policy", "execute_task_instance")}

        def timed(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
            def call(client: Any, *args: Any, **kwargs: Any) -> Any:
                self.sent.append((name, time.time(), kwargs))
                return original(client, *args, **kwargs)

            return call

        for name, original in originals.items():
            setattr(CfgClient, name, timed(name, original))
        try:
            yield self
        finally:
            for name, original in originals.items():
                setattr(CfgClient, name, original)

    def first(self, name: str, after: float = 0.0) -> float | None:
        return next((at for sent, at, _ in self.sent if sent == name and at >= after), None)


class Ledger(threading.Thread):
    """Reads the emulator's fault ledger every 10 ms: when a fault first left it, when it emptied."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.stop, self.ready = url, threading.Event(), threading.Event()
        self.first_gone: float | None = None
        self.empty_at: float | None = None

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=5.0) as http:
            start = len(http.get("/_emulator/faults").json())
            self.ready.set()
            while not self.stop.is_set():
                count, at = len(http.get("/_emulator/faults").json()), time.time()
                if count < start and self.first_gone is None:
                    self.first_gone = at
                if count == 0:
                    self.empty_at = at
                    return
                time.sleep(0.01)


def _experiment(emu: EmulatorProcess) -> int:
    """A started 626 experiment (two instances) with its fault injected."""
    from airflow_provider_cfg.api.client import CfgClient

    with CfgClient(emu.secret_id, emu.secret_key, endpoint=emu.endpoint) as client:
        created = client.call("CreateTaskFromTemplate", {
            "TemplateId": 626, "TaskConfig": {"TaskTitle": "guard reaction", "TaskGroupsConfig": [
                {"TaskGroupInstances": ["ins-bench001", "ins-bench002"]}]}})
        experiment_id = int(created["TaskId"])
        client.execute_task(experiment_id)
        group = (client.describe_task(experiment_id).require_task().TaskGroups or [])[0]
        fault = (group.TaskGroupActions or [])[0]
        client.call("ExecuteTaskInstance", {
            "TaskId": experiment_id, "TaskGroupId": group.TaskGroupId, "TaskActionId": fault.TaskGroupActionId,
            "ActionType": 2, "IsOperateAll": False,
            "TaskInstanceIds": [i.TaskGroupInstanceId for i in fault.TaskGroupInstances or []]})
    with httpx.Client(base_url=emu.url, timeout=5.0) as http:
        while len(http.get("/_emulator/faults").json()) < 2:
            time.sleep(0.02)
    return experiment_id


def _round(emu: EmulatorProcess, service: Service, poll_interval: float) -> dict[str, Any]:
    from types import SimpleNamespace

    from airflow_provider_cfg.operators.guard import CfgSteadyStateBreachError, CfgSteadyStateGuardOperator
    from airflow_provider_cfg.triggers.guard import CfgSteadyStateGuardTrigger

    experiment_id = _experiment(emu)
    service.healthy, service.breached_at = True, None
    started = time.time()
    trigger = CfgSteadyStateGuardTrigger(
        experiment_id=experiment_id, deadline=started + 60, started_at=started, poll_interval=poll_interval,
        failures_to_trip=FAILURES_TO_TRIP, probe_url=service.url, probe_timeout=2.0,
    )
    timer = threading.Timer(random.uniform(poll_interval, 2 * poll_interval), service.breach)
    timer.start()

    async def first_event() -> dict[str, Any]:
        async for event in trigger.run():
            return dict(event.payload)
        raise RuntimeError("the guard trigger ended without an event")

    event = asyncio.run(first_event())
    timer.cancel()
    if event["status"] != "breached" or service.breached_at is None:
        raise RuntimeError(f"the guard did not trip: {event}")
    ledger = Ledger(emu.url)
    ledger.start()
    ledger.ready.wait(5)
    calls = Calls()
    operator = CfgSteadyStateGuardOperator(task_id="guard", experiment_id=experiment_id, probe_url=service.url,
                                           poll_interval=poll_interval, failures_to_trip=FAILURES_TO_TRIP)
    context: Any = {"ti": SimpleNamespace(dag_id="guard_reaction", task_id="guard")}
    with calls.timing(), suppress(CfgSteadyStateBreachError):
        operator.execute_complete(context, event)
    ledger.join(30)
    ledger.stop.set()
    breach = service.breached_at
    trip = calls.first("trigger_policy")
    if trip is None or ledger.empty_at is None:
        raise RuntimeError(f"no guardrail call or faults left (experiment {experiment_id})")
    recovery_sent = calls.first("execute_task_instance", after=trip)
    under_way = min(at for at in (recovery_sent, ledger.first_gone) if at is not None)
    return {
        "trip_s": trip - breach,
        "trip_overhead_s": trip - float(event["failures"][-1]["at"]),
        "under_way_s": under_way - trip,
        "recovered_s": ledger.empty_at - breach,
    }


def run_guard_reaction(quick: bool = False, log: Callable[[str], None] = lambda message: None) -> dict[str, Any]:
    """Run the rounds; returns per poll interval the samples and their summaries, and the targets."""
    preset = QUICK if quick else FULL
    previous = os.environ.get(CONN_ENV)
    results: dict[str, Any] = {"failures_to_trip": FAILURES_TO_TRIP, "rounds": preset["rounds"], "intervals": {}}
    service = Service()
    threading.Thread(target=service.serve_forever, daemon=True).start()
    try:
        with EmulatorProcess(action_seconds=0.1) as emu:
            os.environ[CONN_ENV] = json.dumps({"conn_type": "tencentcloud_cfg", "login": emu.secret_id,
                                               "password": emu.secret_key, "host": emu.endpoint})
            for poll_interval in preset["poll_intervals"]:
                samples = []
                for number in range(preset["rounds"]):
                    log(f"guard reaction: poll_interval {poll_interval:g} s, round {number + 1}/{preset['rounds']}")
                    samples.append(_round(emu, service, poll_interval))
                results["intervals"][f"{poll_interval:g}"] = _summarise(samples, poll_interval)
    finally:
        service.shutdown()
        service.server_close()
        if previous is None:
            os.environ.pop(CONN_ENV, None)
        else:
            os.environ[CONN_ENV] = previous
    return results


def _summarise(samples: list[dict[str, Any]], poll_interval: float) -> dict[str, Any]:
    keys = ("trip_s", "trip_overhead_s", "under_way_s", "recovered_s")
    data: dict[str, Any] = {"samples": samples, **{key: summary([s[key] for s in samples]) for key in keys}}
    data["trip_bound_s"] = FAILURES_TO_TRIP * poll_interval + TRIP_SLACK
    data["met"] = {
        "trip": data["trip_s"]["max"] <= data["trip_bound_s"],
        "trip_overhead": data["trip_overhead_s"]["max"] <= TRIP_SLACK,
        "under_way": data["under_way_s"]["max"] <= UNDER_WAY_TARGET,
    }
    return data


def section(result: dict[str, Any] | None, doc: Callable[[str | None], str]) -> list[str]:
    """The report's section: the method (this module's docstring) and the results table."""
    if not result:
        return ["*Not run* (`python -m bench --only guard`)."]
    lines = ["### Method", "", doc(__doc__), "", "### Results", "",
             f"{result['rounds']} round(s) per poll interval, `failures_to_trip` {result['failures_to_trip']}; "
             "seconds, median [max].", "",
             "| poll interval | trip (bound) | trip overhead (≤ 1 s) | recovery under way after the trip (≤ 2 s) "
             "| all recovered | met |", "|---:|---:|---:|---:|---:|:---:|"]
    for interval, data in result["intervals"].items():
        def cell(key: str, data: dict[str, Any] = data) -> str:
            return f"{data[key]['median']:.2f} [{data[key]['max']:.2f}]"

        met = "✅ yes" if all(data["met"].values()) else "❌ no"
        lines.append(f"| {interval} s | {cell('trip_s')} (≤ {data['trip_bound_s']:g}) | {cell('trip_overhead_s')} "
                     f"| {cell('under_way_s')} | {cell('recovered_s')} | {met} |")
    return lines


def summary_rows(result: dict[str, Any] | None) -> list[str]:
    """The report's summary rows (the worst round of each poll interval against its target)."""
    rows: list[str] = []
    for interval, data in ((result or {}).get("intervals") or {}).items():
        rows += [
            f"| guard reaction at {interval} s: breach → guardrail call (max) | {data['trip_s']['max']:.2f} s "
            f"| ≤ {data['trip_bound_s']:g} s | {'✅ yes' if data['met']['trip'] else '❌ no'} |",
            f"| guard reaction at {interval} s: trip → recovery under way (max) | {data['under_way_s']['max']:.2f} s "
            f"| ≤ {UNDER_WAY_TARGET:g} s | {'✅ yes' if data['met']['under_way'] else '❌ no'} |",
        ]
    return rows


if __name__ == "__main__":
    print(json.dumps(run_guard_reaction(quick=True, log=print), indent=2))
