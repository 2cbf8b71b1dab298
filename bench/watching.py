"""Watching at scale: many experiment triggers on one event loop, as in a triggerer.

The emulator runs in another process **with the documented rate limits on** (``DescribeTask``
20/s, ``DescribeTaskList`` 100/s, ``ModifyTaskRunStatus`` 10/s… per credential and region) and
counts every call it receives by action, with the most calls seen in any 1 s window and the
``RequestLimitExceeded`` answers of its limiter (``GET /_emulator/stats``).

Set-up (not measured): ``experiments`` experiments are created from template 626 (two instances)
and started, paced below ``CreateTaskFromTemplate``'s and ``ExecuteTask``'s 10/s (creating 1,000
takes about 105 s). The runs then reuse them.

One run = ``watchers`` ``CfgExperimentTrigger`` s, one per experiment, all started at once on one
asyncio loop in this process, ``poll_interval`` s apart, the connection read from an
``AIRFLOW_CONN_*`` variable. Each waits for its experiment to leave its current status: a
running one for paused (``target_statuses=[1003]``), a paused one for running (``[1002]``), so
that the same experiments serve every run. After one interval (every trigger has read once), a
helper process changes the status of a random sample of the watched experiments
(``ModifyTaskRunStatus`` pause or resume, 9.5/s, at most ``max_changes`` per run) and notes the
time each call returned. The run ends when every changed experiment's trigger has fired, or at a
time-out; the other triggers are then cancelled.

Measured per run:

* API calls per second by action (the emulator's counts over the run; the changes'
  ``ModifyTaskRunStatus`` apart), the most calls in any 1 s window, and ``RequestLimitExceeded``;
* detection delay: the time a trigger yielded its event minus the time the change call returned,
  p50 / p95 / max over the changed experiments (a change missed by the time-out is counted);
* CPU of this process (``resource.getrusage``, user + system: the trigger loop and any helper
  thread) over the run's wall time, as cores; the emulator and the changing process are separate.

Contenders: ``shared`` — the triggers as shipped (the shared poller: batched ``DescribeTaskList``,
jittered reads); ``private`` — the same triggers polling privately (``bench/private.py``): each
trigger its own client and one ``DescribeTask`` per interval, no jitter, as the triggers did
before (and as most providers' triggers do). Both go through the process-wide client limiter.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import multiprocessing
import os
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

import httpx

from bench.emulator import EmulatorProcess

PLACEHOLDER = False

REGION = "ap-guangzhou"
TEMPLATE_ID = 626
INSTANCES = ["ins-bench001", "ins-bench002"]
CONN_ID = "cfg_bench_watching"
RUNNING, PAUSED = 1002, 1003
SETUP_PER_SECOND = 9.5
"""Pace of the set-up and of the changes (the actions' limit is 10/s)."""
POLLING_ACTIONS = ("DescribeTask", "DescribeTaskList")
LIMITS = {"DescribeTask": 20, "DescribeTaskList": 100, "ModifyTaskRunStatus": 10,
          "CreateTaskFromTemplate": 10, "ExecuteTask": 10}

FULL = {"interval": 30.0, "experiments": 1000, "max_changes": 500,
        "plan": [("shared", 10), ("shared", 100), ("shared", 1000), ("private", 100), ("private", 1000)]}
QUICK = {"interval": 1.5, "experiments": 50, "max_changes": 20,
         "plan": [("shared", 10), ("shared", 50), ("private", 50)]}
TARGET_RUN = ("shared", 1000)
"""The run the issue's targets are about (in ``--quick``, the largest shared run stands in)."""
TARGET_DELAY_SLACK = 2.0
TARGET_CORES = 1.0


def _percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (``q`` in 0-100)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(q) - 1] if 1 <= q <= 99 else ordered[-1]


# -- the emulator side: set-up and the changes (another process) ----------------------------------------


class _Pace:
    """At most ``per_second`` starts a second, evenly spaced (measured after each sleep)."""

    def __init__(self, per_second: float) -> None:
        self.spacing = 1.0 / per_second
        self.last = -math.inf

    def wait(self) -> None:
        delay = self.last + self.spacing - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self.last = time.monotonic()

    async def wait_async(self) -> None:
        delay = self.last + self.spacing - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self.last = time.monotonic()


async def _set_up(emu: EmulatorProcess, count: int, log: Callable[[str], None]) -> list[int]:
    """``count`` started experiments; creates and starts run as two paced pipelines."""
    from airflow_provider_cfg.api import AsyncCfgClient
    from airflow_provider_cfg.api.ratelimit import RateLimiterRegistry

    created: asyncio.Queue[int | None] = asyncio.Queue()
    ids: list[int] = []
    began = time.monotonic()
    async with AsyncCfgClient(emu.secret_id, emu.secret_key, REGION, endpoint=emu.endpoint,
                              limiters=RateLimiterRegistry()) as client:

        async def create() -> None:
            pace = _Pace(SETUP_PER_SECOND)
            for i in range(count):
                await pace.wait_async()
                answer = await client.create_task_from_template(TEMPLATE_ID, {
                    "TaskTitle": f"bench: watching {i}", "TaskGroupsConfig": [{"TaskGroupInstances": INSTANCES}]})
                await created.put(int(answer.TaskId))
            await created.put(None)

        async def start() -> None:
            pace = _Pace(SETUP_PER_SECOND)
            while (experiment_id := await created.get()) is not None:
                await pace.wait_async()
                await client.execute_task(experiment_id)
                ids.append(experiment_id)
                if len(ids) % 100 == 0:
                    log(f"  watching: {len(ids)}/{count} experiments created and started "
                        f"({time.monotonic() - began:.0f} s)")

        await asyncio.gather(create(), start())
    return ids


def _change(endpoint: str, secret_id: str, secret_key: str, plan: list[tuple[int, int]], start_at: float,
            per_second: float, results: Any) -> None:
    """In a helper process: from ``start_at`` (Unix time), set each ``(experiment_id, status)`` of ``plan``
    with ``ModifyTaskRunStatus``, paced; sends back ``[(experiment_id, returned_at, error)]``."""
    from airflow_provider_cfg.api import CfgClient
    from airflow_provider_cfg.api.ratelimit import RateLimiterRegistry

    done: list[tuple[int, float, str | None]] = []
    with CfgClient(secret_id, secret_key, REGION, endpoint=endpoint, limiters=RateLimiterRegistry()) as client:
        time.sleep(max(0.0, start_at - time.time()))
        pace = _Pace(per_second)
        for experiment_id, status in plan:
            pace.wait()
            try:
                client.modify_task_run_status(experiment_id, status)
                done.append((experiment_id, time.time(), None))
            except Exception as exc:  # reported, not raised
                done.append((experiment_id, time.time(), f"{type(exc).__name__}: {exc}"))
    results.send(done)
    results.close()


# -- one run ------------------------------------------------------------------------------------------------


async def _watch(mode: str, ids: list[int], status: dict[int, int], interval: float, max_changes: int,
                 emu: EmulatorProcess, rng: random.Random, log: Callable[[str], None]) -> dict[str, Any]:
    from airflow_provider_cfg.triggers.experiment import CfgExperimentTrigger
    from airflow_provider_cfg.triggers.poller import live_pollers
    from bench.private import TRIGGERS

    trigger_class = TRIGGERS[mode]
    changed = rng.sample(ids, min(max_changes, len(ids)))
    plan = [(experiment_id, PAUSED if status[experiment_id] == RUNNING else RUNNING) for experiment_id in changed]
    events: dict[int, tuple[float, dict[str, Any]]] = {}
    fired = asyncio.Event()
    waiting_for = set(changed)

    async def watch(trigger: CfgExperimentTrigger) -> None:
        async for event in trigger.run():
            events[trigger.experiment_id] = (time.time(), event.payload)
            waiting_for.discard(trigger.experiment_id)
            if not waiting_for:
                fired.set()

    with httpx.Client(base_url=emu.url, timeout=30) as http:
        http.post("/_emulator/stats").raise_for_status()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        wall = time.monotonic()
        started = time.time()
        watchers = [asyncio.create_task(watch(trigger_class(
            target_statuses=[PAUSED if status[experiment_id] == RUNNING else RUNNING], experiment_id=experiment_id,
            cfg_conn_id=CONN_ID, poll_interval=interval))) for experiment_id in ids]
        # The changes start once every trigger has read at least once (shared: the first read is at
        # a random point of the first interval) and run in another process, off this one's CPU.
        receiver, sender = multiprocessing.get_context("spawn").Pipe(duplex=False)
        changer = multiprocessing.get_context("spawn").Process(
            target=_change, args=(emu.endpoint, emu.secret_id, emu.secret_key, plan, started + interval + 1.0,
                                  SETUP_PER_SECOND, sender), daemon=True)
        changer.start()
        sender.close()
        changes: list[tuple[int, float, str | None]] = await asyncio.to_thread(receiver.recv)
        await asyncio.to_thread(changer.join)
        receiver.close()
        # Wait for the changed ones to fire: a reader can lag by about one interval, more when the
        # reads queue behind the rate limit (private: one DescribeTask per watcher per interval).
        per_interval = max(interval, len(ids) / LIMITS["DescribeTask"] * 1.05)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(fired.wait(), 2 * per_interval + 5)
        wall = time.monotonic() - wall
        after = resource.getrusage(resource.RUSAGE_SELF)
        stats = http.get("/_emulator/stats").json()
    for watcher in watchers:
        watcher.cancel()
    await asyncio.gather(*watchers, return_exceptions=True)
    assert not live_pollers(), "a shared poller outlived its triggers"

    changed_at = {experiment_id: at for experiment_id, at, error in changes if error is None}
    for experiment_id, target in plan:
        if experiment_id in changed_at:
            status[experiment_id] = target
    delays = [events[experiment_id][0] - at for experiment_id, at in changed_at.items() if experiment_id in events]
    unexpected = [payload for experiment_id, (_, payload) in events.items()
                  if experiment_id not in changed_at or payload.get("status") != "success"]
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    seconds = stats["seconds"]
    result = {
        "mode": mode,
        "watchers": len(ids),
        "interval": interval,
        "wall_s": wall,
        "cpu_s": cpu,
        "cores": cpu / wall,
        "changes": len(changed_at),
        "change_errors": [error for _, _, error in changes if error is not None],
        "detected": len(delays),
        "missed": len(changed_at) - len(delays),
        "unexpected_events": unexpected[:5],
        "unexpected_count": len(unexpected),
        "delay_s": {"p50": _percentile(delays, 50), "p95": _percentile(delays, 95),
                    "max": max(delays) if delays else math.nan, "min": min(delays) if delays else math.nan},
        "calls": stats["calls"],
        "calls_per_s": {action: count / seconds for action, count in stats["calls"].items()},
        "peak_per_s": stats["peak_per_second"],
        "request_limit_exceeded": stats["request_limit_exceeded"],
    }
    # ruff: ignore[ambiguous-unicode-character-string] - the multiplication sign, as in the report
    log(f"  watching: {mode} × {len(ids)}: " + ", ".join(
        f"{a} {result['calls_per_s'].get(a, 0):.2f}/s (peak {result['peak_per_s'].get(a, 0)})" for a in POLLING_ACTIONS)
        + f", RequestLimitExceeded {sum(result['request_limit_exceeded'].values())}, delay p50 "
          f"{result['delay_s']['p50']:.1f} s p95 {result['delay_s']['p95']:.1f} s ({len(delays)}/{len(changed_at)}), "
          f"{result['cores']:.3f} cores")
    return result


# -- the benchmark ------------------------------------------------------------------------------------------


def _airflow_environment(emu: EmulatorProcess) -> None:
    """A throw-away Airflow home (unless one is set) and the connection as an environment variable."""
    if "AIRFLOW_HOME" not in os.environ:
        os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="cfg-bench-airflow-")
        os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = json.dumps({
        "conn_type": "tencentcloud_cfg", "login": emu.secret_id, "password": emu.secret_key,
        "host": emu.endpoint, "extra": {"region": REGION},
    })


def _targets(run: dict[str, Any]) -> list[dict[str, Any]]:
    rle = sum(run["request_limit_exceeded"].values())
    worst = max((run["peak_per_s"].get(a, 0) / LIMITS[a] for a in POLLING_ACTIONS), default=0.0)
    p95_limit = run["interval"] + TARGET_DELAY_SLACK
    p95 = run["delay_s"]["p95"]
    return [
        {"what": "RequestLimitExceeded", "measured": f"{rle:,}", "target": "0", "met": rle == 0},
        {"what": "calls/s within the limits (most calls in any 1 s ÷ limit, worst action)",
         "measured": f"{worst:.2f}", "target": "≤ 1.00", "met": worst <= 1.0},
        {"what": f"p95 detection delay at a {run['interval']:g} s interval", "measured": f"{p95:.1f} s",
         "target": f"≤ {p95_limit:g} s", "met": bool(p95 <= p95_limit) and run["missed"] == 0},
        {"what": "process CPU", "measured": f"{run['cores']:.3f} cores", "target": f"≤ {TARGET_CORES:g}",
         "met": run["cores"] <= TARGET_CORES},
    ]


def run_watching_at_scale(
    quick: bool = False,
    log: Callable[[str], None] = lambda message: None,
    seed: int = 0,
) -> dict[str, Any]:
    """Set up the experiments once, then run each (mode, watchers) of the plan in turn."""
    preset = QUICK if quick else FULL
    interval, plan = preset["interval"], preset["plan"]
    count = max(n for _, n in plan)
    rng = random.Random(seed)
    began = time.monotonic()
    with EmulatorProcess(rate_limits=True, action_seconds=2.0) as emu:
        _airflow_environment(emu)
        log(f"watching: creating and starting {count} experiments "
            f"(paced under 10/s, ~{count / SETUP_PER_SECOND:.0f} s)")
        ids = asyncio.run(_set_up(emu, count, log))
        status = dict.fromkeys(ids, RUNNING)
        setup_s = time.monotonic() - began
        runs = []
        for mode, watchers in plan:
            log(f"watching: {mode} poller, {watchers} watchers, {interval:g} s interval")
            runs.append(asyncio.run(
                _watch(mode, ids[:watchers], status, interval, preset["max_changes"], emu, rng, log)))
    target_mode, target_n = TARGET_RUN if not quick else ("shared", max(n for m, n in plan if m == "shared"))
    target_run = next(r for r in runs if r["mode"] == target_mode and r["watchers"] == target_n)
    targets = _targets(target_run)
    # ruff: ignore[ambiguous-unicode-character-string] - the multiplication sign of the report
    rows = [{"name": f"{r['mode']} × {r['watchers']:,}",
             "value": f"{sum(r['calls_per_s'].get(a, 0) for a in POLLING_ACTIONS):.2f} polling calls/s, "
                      f"RequestLimitExceeded {sum(r['request_limit_exceeded'].values())}, "
                      f"delay p95 {r['delay_s']['p95']:.1f} s, {r['cores']:.3f} cores"} for r in runs]
    return {
        "method": __doc__.split("\n", 1)[1].strip() if __doc__ else "",
        "rows": rows,
        "runs": runs,
        "interval": interval,
        "experiments": count,
        "max_changes": preset["max_changes"],
        "setup_s": setup_s,
        "total_s": time.monotonic() - began,
        "seed": seed,
        # ruff: ignore[ambiguous-unicode-character-string] - the multiplication sign of the report
        "target_run": f"{target_mode} × {target_n:,}",
        "targets": targets,
        "quick": quick,
    }
