"""Machine information and the Markdown report (``BENCHMARKS.md``)."""

from __future__ import annotations

import os
import platform
import re
import shlex
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import client_cost, components, guard_reaction, import_cost, watching

ROOT = Path(__file__).resolve().parent.parent
NOTES = Path(__file__).resolve().parent / "optimisations.md"

PACKAGES = ["apache-airflow", "httpx", "httpcore", "h11", "pydantic", "pydantic-core", "tenacity",
            "tencentcloud-sdk-python-common", "tencentcloud-sdk-python-cfg", "requests", "uvicorn"]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except (OSError, ValueError):
        pass
    return None


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_info() -> dict[str, Any]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "usable_cpus": usable,
        "memory_gib": _memory_gib(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "commit": f"{commit}{' + uncommitted changes' if dirty else ''}" if commit else "unknown",
        "versions": versions,
    }


# -- rendering -------------------------------------------------------------------------------

# The sections below write the report's own typography (the times and micro signs and en-dash ranges of
# BENCHMARKS.md), so RUF001 is off for them.
# ruff: disable[ambiguous-unicode-character-string]


def _f(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _met(flag: bool) -> str:
    return "✅ yes" if flag else "❌ no"


def _machine_section(machine: dict[str, Any], load_after: list[float] | None) -> list[str]:
    load = machine.get("load_average")
    mem = machine.get("memory_gib")
    rows = [
        ("date", machine["date"]),
        ("commit", machine["commit"]),
        ("platform", machine["platform"]),
        ("python", machine["python"]),
        ("CPU", f"{machine['cpu']} — {machine['cpus']} logical CPUs, {machine['usable_cpus']} usable"),
        ("memory", f"{mem:.1f} GiB" if mem else "unknown"),
        ("load average (1/5/15 min)",
         (" / ".join(f"{x:.2f}" for x in load) if load else "unknown")
         + (f" at start; {' / '.join(f'{x:.2f}' for x in load_after)} at the end" if load_after else "")),
        ("packages", ", ".join(f"{name} {version}" for name, version in machine["versions"].items())),
    ]
    return ["| | |", "|---|---|", *[f"| {name} | {value} |" for name, value in rows]]


def _client_section(result: dict[str, Any]) -> list[str]:
    lines = [
        f"{result['rounds']} rounds × {result['calls']} calls per contender (after {result['warmup']} warm-up "
        f"calls each), order shuffled every round (seed {result['seed']}); the `DescribeTask` answer is "
        f"{_f(result['response_bytes'])} bytes (a started experiment from template {client_cost.TEMPLATE_ID}, "
        f"{len(client_cost.INSTANCES)} instances). Threads in the client process: "
        f"{result['threads_in_client_process']}.",
        "",
        "| contender | CPU µs/call, median | IQR | wall µs/call, median |",
        "|---|---:|---:|---:|",
    ]
    for data in result["contenders"].values():
        cpu = data["cpu_us_per_call"]
        lines.append(f"| {data['label']} | **{_f(cpu['median'])}** | {_f(cpu['q1'])}–{_f(cpu['q3'])} "
                     f"| {_f(data['wall_us_per_call'])} |")
    lines += [
        "",
        "| ratio (CPU, median of the per-round ratios) | measured | IQR | target | met |",
        "|---|---:|---:|---:|:---:|",
    ]
    for ratio in result["ratios"].values():
        target = "—" if ratio["target"] is None else f"≤ {ratio['target']:.1f}"
        met = "(reference)" if ratio["met"] is None else _met(ratio["met"])
        lines.append(f"| {ratio['what']} | **{ratio['median']:.2f}** | {ratio['q1']:.2f}–{ratio['q3']:.2f} "
                     f"| {target} | {met} |")
    paced = result.get("paced")
    if paced:
        lines += [
            "",
            f"**Paced calls**: {paced['cycles']} cycles, one call per contender per cycle after an idle "
            f"{paced['gap_s'] * 1000:.0f} ms, order shuffled every cycle.",
            "",
            "| contender | paced: CPU µs/call, median | IQR | back to back (above), median | paced / back to back |",
            "|---|---:|---:|---:|---:|",
        ]
        for key, data in paced["contenders"].items():
            cpu = data["cpu_us_per_call"]
            hot = result["contenders"][key]["cpu_us_per_call"]["median"]
            lines.append(f"| {data['label']} | **{_f(cpu['median'])}** | {_f(cpu['q1'])}–{_f(cpu['q3'])} "
                         f"| {_f(hot)} | {cpu['median'] / hot:.1f}× |")
        lines += [
            "",
            "| ratio (CPU, paced, median of the per-cycle ratios) | measured | IQR | target | met |",
            "|---|---:|---:|---:|:---:|",
        ]
        for ratio in paced["ratios"].values():
            target = "—" if ratio["target"] is None else f"≤ {ratio['target']:.1f}"
            met = "(reference)" if ratio["met"] is None else _met(ratio["met"])
            lines.append(f"| {ratio['what']} | **{ratio['median']:.2f}** | {ratio['q1']:.2f}–{ratio['q3']:.2f} "
                         f"| {target} | {met} |")
    return lines


def _components_section(result: dict[str, Any]) -> list[str]:
    lines = [
        f"{result['rounds']} rounds × {result['ops']:,} operations per way; the `DescribeTask` answer is "
        f"{_f(result['answer_bytes'])} bytes.",
        "",
        "| step | public-API way, µs | fast path, µs | fast / public (median of rounds) |",
        "|---|---:|---:|---:|",
    ]
    for row in result["rows"]:
        if row["same_code"]:
            lines.append(f"| {row['step']} | {row['public_us']['median']:.1f} | (same code) | — |")
        else:
            lines.append(f"| {row['step']} | {row['public_us']['median']:.1f} | {row['fast_us']['median']:.1f} "
                         f"| **{row['ratio']['median']:.2f}** |")
    return lines


def _import_section(result: dict[str, Any]) -> list[str]:
    added, cpu = result["added_wall_ms"], result["added_cpu_ms"]
    base = result["baseline_sdk_wall_ms"]
    lines = [
        f"{result['runs']} runs of each kind, alternating; {result['importtime_runs']} `-X importtime` runs of each.",
        "",
        "| | median | IQR |",
        "|---|---:|---:|",
        f"| `import airflow.sdk` (baseline), wall ms | {_f(base['median'], 0)} | "
        f"{_f(base['q1'], 0)}–{_f(base['q3'], 0)} |",
        f"| **added by our modules**, wall ms (measured in-process) | **{_f(added['median'], 1)}** | "
        f"{_f(added['q1'], 1)}–{_f(added['q3'], 1)} |",
        f"| added by our modules, CPU ms | {_f(cpu['median'], 1)} | {_f(cpu['q1'], 1)}–{_f(cpu['q3'], 1)} |",
        f"| difference of the medians of the totals, wall ms (noisy) | "
        f"{_f(result['added_wall_ms_difference_of_medians'], 1)} | |",
        "",
        f"Target: added ≤ {result['target_ms']:.0f} ms — {_met(result['met'])}. Modules loaded: "
        f"{_f(result['modules_loaded']['baseline'])} by the baseline, "
        f"{_f(result['modules_loaded']['with_provider'])} with the provider "
        f"({result['added_modules']} added, {result['added_own_modules']} of them ours; "
        f"their self times add up to {_f(result['added_self_ms_total'], 1)} ms under `-X importtime`).",
        "",
        "Heaviest added modules by self time (`-X importtime`, median ms):",
        "",
        "| module | self ms | cumulative ms |",
        "|---|---:|---:|",
        *[f"| `{row['module']}` | {row['self_ms']:.2f} | {row['cumulative_ms']:.2f} |"
          for row in result["top_by_self"]],
        "",
    ]
    outside = result["top_outside_by_cumulative"]
    if outside:
        lines += [
            "",
            "Heaviest added modules outside our package, by cumulative time (what our imports pull in):",
            "",
            "| module | self ms | cumulative ms |",
            "|---|---:|---:|",
            *[f"| `{row['module']}` | {row['self_ms']:.2f} | {row['cumulative_ms']:.2f} |" for row in outside],
        ]
    else:
        lines += ["Every added module is one of ours: `airflow.sdk` already imports everything they need "
                      "(httpx, pydantic, tenacity, …)."]
    return lines


def _watching_section(result: dict[str, Any] | None) -> list[str]:
    if result is None:
        return ["*Placeholder — not implemented yet* (`bench/watching.py`, to be filled with the shared "
                "trigger poller)."]
    if "runs" not in result:  # the minimal contract: a method and name/value rows
        lines = [result.get("method", ""), "", "| | |", "|---|---|"]
        lines += [f"| {row['name']} | {row['value']} |" for row in result.get("rows", [])]
        return lines
    actions = watching.POLLING_ACTIONS
    lines = [
        "### Method", "", _doc(watching.__doc__), "",
        "### Results", "",
        f"{result['experiments']:,} experiments, a {result['interval']:g} s poll interval, at most "
        f"{result['max_changes']:,} status changes per run (seed {result['seed']}); set-up "
        f"{result['setup_s']:.0f} s, whole benchmark {result['total_s'] / 60:.1f} min.",
        "",
        "| poller | watchers | " + " | ".join(f"`{a}` calls/s (peak in 1 s)" for a in actions)
        + " | RequestLimitExceeded | changes seen | delay p50 | delay p95 | delay max | CPU (cores) |",
        "|---|---:|" + "---:|" * len(actions) + "---:|---:|---:|---:|---:|---:|",
    ]
    for run in result["runs"]:
        calls = " | ".join(f"{run['calls_per_s'].get(a, 0):.2f} ({run['peak_per_s'].get(a, 0)})" for a in actions)
        delay = run["delay_s"]
        seen = f"{run['detected']:,}/{run['changes']:,}"
        lines.append(
            f"| {run['mode']} | {run['watchers']:,} | {calls} | {sum(run['request_limit_exceeded'].values()):,} "
            f"| {seen} | {delay['p50']:.1f} s | {delay['p95']:.1f} s | {delay['max']:.1f} s | {run['cores']:.3f} |"
        )
    limits = ", ".join(f"`{a}` {watching.LIMITS[a]}/s" for a in actions)
    lines += [
        "",
        f"Limits per credential and region: {limits}. \"peak in 1 s\": the most calls the emulator "
        "received in any 1 s window. Each run also made its own `ModifyTaskRunStatus` changes (≤ 9.5/s).",
    ]
    odd = [run for run in result["runs"] if run["unexpected_count"] or run["change_errors"] or run["missed"]]
    for run in odd:
        lines.append(f"* {run['mode']} × {run['watchers']:,}: {run['missed']} change(s) not seen before the "
                     f"time-out, {run['unexpected_count']} unexpected event(s) {run['unexpected_events'][:2]}, "
                     f"{len(run['change_errors'])} failed change(s) {run['change_errors'][:2]}.")
    lines += [
        "",
        "Reading the table: *shared* triggers read at a random point of their first interval and then "
        "every interval ±5 %, so a change falls anywhere in a reader's interval and the delays spread "
        "evenly up to about one interval (p50 ≈ half of it, p95 ≈ 95 % of it). *private* triggers all "
        "read at once every interval (no jitter), so their delays depend on where the changes fall "
        "between those rounds, and each round is a burst that the process-wide limiter spreads over "
        "`watchers / 20` s (1,000 watchers: one read every ~50 s, over the interval). Each private "
        "trigger also builds its own client (an httpx client with its own SSL context, tens of ms of "
        "CPU each): the event loop stalls while 1,000 are built. Callers that wake after their booked "
        "slot book the next free one instead of sending at once (`api/ratelimit.py`), so what the "
        "emulator still counts as peaks and `RequestLimitExceeded` (retried by the client) are requests "
        "caught by a stall between signing and arriving. The shared poller builds one client and starts "
        "its calls evenly spaced in real time, after any stall.",
        "",
        f"Targets ({result['target_run']} watchers, shared poller):",
        "",
        "| target | measured | wanted | met |",
        "|---|---:|---:|:---:|",
        *[f"| {t['what']} | {t['measured']} | {t['target']} | {_met(t['met'])} |" for t in result["targets"]],
    ]
    return lines


def _history_section(history: list[dict[str, Any]]) -> list[str]:
    if not history:
        return ["No recorded runs (`python -m bench --record LABEL` records one in `bench/history.json`)."]
    keys = [f"{num}/{den}" for num, den, target, _ in client_cost.RATIOS if target is not None]
    paced_keys = [f"{num}/{den}" for num, den, target, _ in client_cost.PACED_RATIOS if target is not None]
    lines = [
        "Each row is a separate run recorded with `--record`; the ratios are within-run (so comparable "
        "across runs), the µs are not (different load).",
        "",
        "| run | date | commit | ours sync µs | ours async µs | " + " | ".join(keys) + " | "
        + "".join(f"paced {key} | " for key in paced_keys) + "import added ms |",
        "|---|---|---|---:|---:|" + "---:|" * (len(keys) + len(paced_keys)) + "---:|",
    ]
    for entry in history:
        client = entry.get("client") or {}
        ratios = client.get("ratios", {})
        paced = client.get("paced_ratios", {})
        cells = [f"{ratios[k]:.2f}" if k in ratios else "–" for k in keys]
        cells += [f"{paced[k]:.2f}" if k in paced else "–" for k in paced_keys]
        imported = entry.get("import_added_ms")
        lines.append(
            f"| {entry['label']} | {entry['date']} | {entry['commit']} | "
            f"{_f(client['ours_sync_us']) if 'ours_sync_us' in client else '–'} | "
            f"{_f(client['ours_async_us']) if 'ours_async_us' in client else '–'} | "
            + " | ".join(cells) + f" | {_f(imported, 1) if imported is not None else '–'} |"
        )
    notes = [entry for entry in history if entry.get("notes")]
    if notes:
        lines.append("")
        for entry in notes:
            lines.append(f"* **{entry['label']}**: {entry['notes']}")
    return lines


# ruff: enable[ambiguous-unicode-character-string]


def history_entry(label: str, notes: str, machine: dict[str, Any], results: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"label": label, "date": machine["date"], "commit": machine["commit"], "notes": notes}
    client = results.get("client")
    if client:
        entry["client"] = {
            "ours_sync_us": client["contenders"]["ours_sync"]["cpu_us_per_call"]["median"],
            "ours_async_us": client["contenders"]["ours_async"]["cpu_us_per_call"]["median"],
            "ratios": {key: value["median"] for key, value in client["ratios"].items()},
            "paced_ratios": {key: value["median"] for key, value in client.get("paced", {}).get("ratios", {}).items()},
        }
    imported = results.get("import")
    if imported:
        entry["import_added_ms"] = imported["added_wall_ms"]["median"]
    return entry


def render(
    results: dict[str, Any],
    machine: dict[str, Any],
    command: str,
    history: list[dict[str, Any]],
    load_after: list[float] | None = None,
) -> str:
    """The whole ``BENCHMARKS.md``."""
    quick = results.get("quick", False)
    lines = [
        "# Benchmarks",
        "",
        f"<!-- Generated by `python -m bench` ({machine['date']}); rerun `make bench` instead of editing. -->",
        "",
    ]
    if quick:
        lines += ["> **Quick (smoke) run**: too few rounds for the numbers to mean anything.", ""]
    lines += [
        "Every benchmark runs its contenders side by side in one run, interleaved, and reports medians over "
        "repeated rounds and ratios between contenders: the machine is shared and noisy, so absolute times are "
        "only indicative, and no test asserts any timing.",
        "",
        "## Command",
        "",
        "```bash",
        command,
        "```",
        "",
        "(`make bench` runs `.venv/bin/python -m bench` after `make setup`; `--record LABEL` also adds the run to "
        "the Before / after table; `make bench-smoke` runs `--quick`, which exercises every path with a few rounds "
        "and leaves this file alone.)",
        "",
        "## Machine",
        "",
        *_machine_section(machine, load_after),
        "",
    ]
    summary_rows = []
    client = results.get("client")
    imported = results.get("import")
    if client:
        for ratio in [*client["ratios"].values(), *client.get("paced", {}).get("ratios", {}).values()]:
            if ratio["target"] is None:
                continue
            summary_rows.append(f"| client cost: {ratio['what']} | {ratio['median']:.2f} | ≤ {ratio['target']:.1f} "
                                f"| {_met(ratio['met'])} |")
    if imported:
        summary_rows.append(f"| import cost: added to `import airflow.sdk` "
                            f"| {imported['added_wall_ms']['median']:.1f} ms "
                            f"| ≤ {imported['target_ms']:.0f} ms | {_met(imported['met'])} |")
    watched = results.get("watching")
    if watched and watched.get("targets"):
        for target in watched["targets"]:
            summary_rows.append(f"| watching, {watched['target_run']} watchers: {target['what']} "
                                f"| {target['measured']} | {target['target']} | {_met(target['met'])} |")
    summary_rows += guard_reaction.summary_rows(results.get("guard"))
    if summary_rows:
        lines += ["## Summary", "", "| benchmark | measured (median) | target | met |", "|---|---:|---:|:---:|",
                  *summary_rows, ""]

    lines += ["## 1. Client cost per `DescribeTask` round trip", "", "### Method", "",
              _doc(client_cost.__doc__), ""]
    lines += ["### Results", "", *(_client_section(client) if client else ["Not run in this invocation."]), ""]
    parts = results.get("components")
    lines += ["### Where a round trip's client work goes (no network)", "", _doc(components.__doc__), "",
              *(_components_section(parts) if parts else ["Not run in this invocation."]), ""]
    lines += ["## 2. Import cost", "", "### Method", "", _doc(import_cost.__doc__), "",
              f"Our modules: {', '.join(f'`{m}`' for m in import_cost.PROVIDER_MODULES)}.", ""]
    lines += ["### Results", "", *(_import_section(imported) if imported else ["Not run in this invocation."]), ""]
    lines += ["## 3. Watching at scale", "", *_watching_section(results.get("watching")), ""]
    lines += ["## 4. Guard reaction time", "", *guard_reaction.section(results.get("guard"), _doc), ""]
    lines += ["## Before / after", "", *_history_section(history), ""]
    if NOTES.exists():
        lines += [NOTES.read_text().strip(), ""]
    return "\n".join(lines)


_ROLE = re.compile(r":(?:class|func|mod|data|meth|attr):`(~?)([^`]+)`")


def _doc(doc: str | None) -> str:
    """A module docstring as Markdown: without its first line (the title), dedented, with the
    reStructuredText roles and double backquotes turned into code spans."""
    if not doc:
        return ""
    body = textwrap.dedent(doc.split("\n", 1)[1] if "\n" in doc else "").strip()
    body = _ROLE.sub(lambda m: f"`{m[2].rsplit('.', 1)[-1] if m[1] else m[2]}`", body)
    return body.replace("``", "`")


def command_line(argv: list[str]) -> str:
    exe = Path(sys.executable)
    try:
        shown = str(exe.relative_to(ROOT))
    except ValueError:
        shown = str(exe)
    return shlex.join([shown, "-m", "bench", *argv])
