"""``make ui-check``: look at the provider the way a person does, in Airflow's own web UI.

Starts the CFG emulator (in this process) and a real ``airflow standalone`` (scheduler,
dag-processor, triggerer, api-server; ``tests/system/standalone/harness.py``) with the provider and the
example DAGs, triggers ``cfg_game_day`` through the real scheduler and triggerer, and drives
Debian's headless Chromium with Playwright to check that

1. **connection form**: Admin → Connections → Add Connection, type "Tencent Cloud CFG", shows our
   relabelled standard fields (SecretId, SecretKey as a password, Endpoint (optional); no Schema or
   Port) and our extra fields (Region, Session token as a password, Language);
2. **dag run**: the run is green (Success) on its page, and so is every task instance;
3. **console link**: the "CFG experiment" extra link of ``create_experiment`` and
   ``inject_fault_1`` points at the emulator's ``/_emulator/tasks/<TaskId>`` page, which opens and
   shows this run's experiment, ended;
4. **game-day report**: the run wrote its report (``report_path``), and its Markdown renders as a
   reader sees it (``scripts/report_render.py``: tables, and the Mermaid Gantt chart drawn by
   mermaid.js with one bar per step).

Screenshots go to ``docs/img/`` (``--screenshots DIR`` to change). Exits 1 with one line per
failed check; whatever it started (emulator, the standalone's process group, Chromium) is stopped
on every exit path, SIGTERM included. The standalone's home is removed on success and kept (its
path printed, with the failure screenshots in it) on failure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Imported only once the checkout's root is on sys.path (run as a script, ``tests`` is not importable before).
# ruff: disable[module-import-not-at-top-of-file]
import httpx
from report_render import CHROMIUM, CHROMIUM_FLAGS, RenderError, render_report  # scripts/, beside this file

import tests.airflow_setup  # imported by the harness: it makes an empty home for pytest, unused here
from airflow_provider_cfg.emulator.server import EmulatorServer
from tests.system.standalone.harness import Standalone

# ruff: enable[module-import-not-at-top-of-file]

shutil.rmtree(tests.airflow_setup.AIRFLOW_HOME, ignore_errors=True)

DAG_ID = "cfg_game_day"
LINK_NAME = "CFG experiment"
LINK_TASKS = ("create_experiment", "inject_fault_1")
STEP_TIMEOUT_MS = 30_000  # one click or assertion
PAGE_TIMEOUT_MS = 60_000  # one page load: the first ones, while the scheduler is busy, are slow

_started = time.monotonic()


def say(message: str) -> None:
    print(f"[ui-check {time.monotonic() - _started:5.0f}s] {message}", flush=True)


class CheckFailed(Exception):
    pass


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop everything


# -- the stack ------------------------------------------------------------------------------------


def wait_for_api(airflow: Standalone, base_url: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        airflow._check_alive()
        try:
            if httpx.get(f"{base_url}/api/v2/monitor/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise TimeoutError(f"the api-server at {base_url} did not answer in {timeout} s\n{airflow.log()[-4000:]}")


def stop_airflow(airflow: Standalone) -> None:
    if not airflow.stop():
        say("warning: the process group of airflow standalone is still there after SIGKILL")


def trigger(airflow: Standalone, emulator: EmulatorServer, reports: Path) -> str:
    run_id = f"ui_check__{time.strftime('%Y%m%dT%H%M%S')}"
    airflow.airflow("dags", "unpause", DAG_ID)
    conf = {"steady_state_url": f"{emulator.url}/_emulator/health", "watch_seconds": 4, "report_path": f"file://{reports}"}
    airflow.airflow("dags", "trigger", DAG_ID, "--run-id", run_id, "--conf", json.dumps(conf))
    return run_id


def experiment_of(emulator: EmulatorServer, run_id: str) -> int:
    tasks = emulator.call("DescribeTaskList", Limit=100, Offset=0)["TaskList"] or []
    ids = [t["TaskId"] for t in tasks if run_id in (t.get("TaskTitle") or "")]
    if len(ids) != 1:
        raise CheckFailed(f"expected one experiment titled with {run_id} in the emulator, found {ids}")
    return ids[0]


# -- the checks -----------------------------------------------------------------------------------


def _settle(page, timeout_ms: float = 10_000) -> None:
    """Let the page finish its requests before a screenshot (best effort: the UI polls while runs go)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_load_state("networkidle", timeout=timeout_ms)


def _field(dialog, label: str):
    """The form field (Chakra ``role=group``) whose label reads ``label``.

    Airflow 3.3 ties the labels of *extra* fields to the wrong id (``for`` ≠ the input's id), so
    ``get_by_label`` only works for the standard fields; this works for both.
    """
    text = re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$")
    return dialog.locator("label").filter(has_text=text).locator("xpath=ancestor::*[@role='group'][1]")


def check_connection_form(page, base_url: str, shots: Path) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    page.goto(f"{base_url}/")
    page.get_by_role("button", name="Admin", exact=True).click()
    page.get_by_role("menuitem", name="Connections", exact=True).click()
    expect(page).to_have_url(re.compile(r"/connections/?$"))
    page.get_by_role("button", name="Add Connection").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Add Connection")).to_be_visible()

    dialog.get_by_label("Connection Type").fill("Tencent Cloud CFG")
    option = page.get_by_role("option", name="Tencent Cloud CFG", exact=True)
    try:
        option.wait_for()
    except PlaywrightTimeout:
        raise CheckFailed("connection type 'Tencent Cloud CFG' is not offered: is the provider installed?") from None
    option.click()

    problems: list[str] = []
    # Standard fields: relabelled, the unused ones hidden.
    expect(dialog.get_by_role("button", name="Standard Fields", exact=True)).to_be_visible()
    for label, kind in (("SecretId", "text"), ("SecretKey", "password"), ("Endpoint (optional)", "text")):
        box = _field(dialog, label).locator("input")
        if box.count() != 1 or not box.is_visible():
            problems.append(f"standard field {label!r} is not shown")
        elif box.get_attribute("type") != kind:
            problems.append(f"standard field {label!r} is a {box.get_attribute('type')!r} input, not {kind!r}")
    for label in ("Login", "Password", "Host", "Schema", "Port"):
        if _field(dialog, label).count():
            problems.append(f"standard field {label!r} should be relabelled or hidden")
    page.screenshot(path=str(shots / "connection-form.png"))

    # Extra fields: ours, from conn-fields.
    dialog.get_by_role("button", name="Extra Fields", exact=True).click()
    region = _field(dialog, "Region")
    expect(region).to_be_visible()
    region_box = region.locator("input")
    if region_box.count() != 1:
        problems.append("extra field 'Region' has no text input")
    elif region_box.input_value() != "ap-guangzhou":
        problems.append(f"extra field 'Region' defaults to {region_box.input_value()!r}, not 'ap-guangzhou'")
    token = _field(dialog, "Session token")
    if token.count() != 1 or not token.is_visible():
        problems.append("extra field 'Session token' is not shown")
    elif token.locator("input[type=password]").count() != 1:
        problems.append("extra field 'Session token' is not a password input")
    language = _field(dialog, "Language")
    if language.count() != 1 or not language.is_visible():
        problems.append("extra field 'Language' is not shown")
    elif "en-US" not in language.inner_text():
        problems.append(f"extra field 'Language' does not default to en-US: {language.inner_text()!r}")
    page.screenshot(path=str(shots / "connection-form-extra.png"))
    if language.count() == 1:
        language.get_by_role("combobox").click()
        offered = page.get_by_role("option").all_inner_texts()
        if not {"en-US", "zh-CN"} <= set(offered):
            problems.append(f"extra field 'Language' offers {offered}, not en-US and zh-CN")
    if problems:
        raise CheckFailed("; ".join(problems))


def check_dag_run(page, base_url: str, run_id: str, db_state: str, task_states: dict[str, str], shots: Path) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base_url}/dags/{DAG_ID}/runs/{run_id}")
    heading = page.get_by_role("heading", name=run_id, exact=True)
    badge = heading.locator("xpath=..").get_by_test_id("state-badge")
    try:
        expect(badge).to_have_text("Success")
    finally:
        _settle(page)
        page.screenshot(path=str(shots / "dag-run.png"))
    if db_state != "success":
        raise CheckFailed(f"the run ended {db_state}: {task_states}")
    for task_id in task_states:
        row = page.get_by_role("row").filter(has=page.get_by_role("link", name=task_id, exact=True))
        expect(row).to_contain_text("Success")


def check_console_link(page, base_url: str, run_id: str, expected: str, experiment_id: int, shots: Path) -> None:
    from playwright.sync_api import expect

    link = page.get_by_role("link", name=LINK_NAME, exact=True)
    for task_id in LINK_TASKS:
        page.goto(f"{base_url}/dags/{DAG_ID}/runs/{run_id}/tasks/{task_id}")
        page.get_by_role("link", name="Details", exact=True).click()
        expect(page.get_by_text("Extra Links", exact=True)).to_be_visible()
        try:
            expect(link).to_have_attribute("href", expected)
        except AssertionError:
            hrefs = link.evaluate_all("els => els.map(e => e.href)")
            raise CheckFailed(f"{task_id}: link {LINK_NAME!r} points at {hrefs or 'nothing'}, not {expected}") from None
    _settle(page)
    page.screenshot(path=str(shots / "console-link.png"))

    with page.expect_popup() as popup_info:
        link.click()
    console = popup_info.value
    console.wait_for_load_state()
    try:
        if console.url != expected:
            raise CheckFailed(f"the link opened {console.url}, not {expected}")
        title = console.get_by_role("heading", level=1)
        expect(title).to_contain_text(f"Experiment {experiment_id}:")
        expect(title).to_contain_text(run_id)
        expect(console.locator("body")).to_contain_text("1004 ended")
    finally:
        console.screenshot(path=str(shots / "console-page.png"), full_page=True)
        console.close()


# -- main -----------------------------------------------------------------------------------------


def check_report(page, reports: Path, experiment_id: int, shots: Path) -> None:
    markdown_file = reports / f"cfg-experiment-{experiment_id}.md"
    if not markdown_file.is_file():
        raise CheckFailed(f"the run wrote no report at {markdown_file}")
    steps = json.loads(markdown_file.with_suffix(".json").read_text())["steps"]
    try:
        counts = render_report(page, markdown_file.read_text(), shots / "report.png", steps=len(steps))
    except RenderError as exc:
        raise CheckFailed(str(exc)) from None
    say(f"report renders: {counts}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--screenshots", type=Path, default=ROOT / "docs" / "img", help="where the PNGs go")
    args = parser.parse_args(argv)
    shots: Path = args.screenshots
    shots.mkdir(parents=True, exist_ok=True)
    if not Path(CHROMIUM).exists():
        print(f"ui-check: {CHROMIUM} is missing (apt-get install -y chromium; `make ui-check` does it)",
              file=sys.stderr)
        return 2
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        print("ui-check: the playwright package is missing (`make ui-check` installs it)", file=sys.stderr)
        return 2
    expect.set_options(timeout=STEP_TIMEOUT_MS)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)

    failures: list[str] = []
    passed: list[str] = []
    emulator = EmulatorServer(action_seconds=1.0, rate_limits=True).start()
    airflow = Standalone(emulator)
    page = None

    def check(name: str, fn: Callable[..., None], *fn_args: object) -> None:
        say(f"check: {name}")
        try:
            fn(page, *fn_args)
        except (CheckFailed, AssertionError, PlaywrightError) as exc:
            message = str(exc).split("Call log:")[0].strip()
            failures.append(f"{name}: {message}")
            say(f"FAILED {name}: {message}")
            with contextlib.suppress(PlaywrightError):
                page.screenshot(path=str(airflow.home / f"failed-{name.replace(' ', '-')}.png"))
        else:
            passed.append(name)
            say(f"ok: {name}")

    try:
        say(f"emulator on {emulator.url}; airflow standalone in {airflow.home}")
        airflow.start()
        base_url = airflow.env["AIRFLOW__API__BASE_URL"]
        airflow.wait_for_dag(DAG_ID)
        reports = airflow.home / "reports"
        run_id = trigger(airflow, emulator, reports)
        say(f"triggered {DAG_ID} run {run_id}")
        wait_for_api(airflow, base_url)
        say(f"api-server up at {base_url}")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.set_default_timeout(STEP_TIMEOUT_MS)
                page.set_default_navigation_timeout(PAGE_TIMEOUT_MS)
                check("connection form", check_connection_form, base_url, shots)  # while the run goes
                say("waiting for the run to finish")
                state = airflow.wait_for_run(DAG_ID, run_id, timeout=300)
                states = airflow.task_states(DAG_ID, run_id)
                say(f"run {run_id}: {state} {states}")
                check("dag run", check_dag_run, base_url, run_id, state, states, shots)
                try:
                    experiment_id = experiment_of(emulator, run_id)
                except CheckFailed as exc:
                    failures.append(f"console link: {exc}")
                else:
                    expected = f"{emulator.url}/_emulator/tasks/{experiment_id}"
                    check("console link", check_console_link, base_url, run_id, expected, experiment_id, shots)
                    check("game-day report", check_report, reports, experiment_id, shots)
            finally:
                browser.close()
    except (TimeoutError, RuntimeError) as exc:
        failures.append(f"stack: {exc}")
    except (KeyboardInterrupt, SystemExit):
        say(f"interrupted; airflow home kept: {airflow.home}")
        raise
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # let the clean-up finish
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        say("stopping airflow standalone and the emulator")
        stop_airflow(airflow)
        emulator.stop()
        say("stopped")

    took = time.monotonic() - _started
    if failures:
        print(f"\nui-check FAILED ({len(failures)} of {len(failures) + len(passed)} checks, {took:.0f} s); "
              f"airflow home kept: {airflow.home}", file=sys.stderr)
        for line in failures:
            print(f"  - {line}", file=sys.stderr)
        return 1
    shutil.rmtree(airflow.home, ignore_errors=True)
    print(f"\nui-check: all {len(passed)} checks passed in {took:.0f} s; screenshots in {shots}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
