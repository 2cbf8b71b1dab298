"""``make ui-check``: look at the provider the way a person does, in Airflow's own web UI.

Starts the CFG emulator (in this process) and a real ``airflow standalone`` (scheduler,
dag-processor, triggerer, api-server; ``tests/system/standalone/harness.py``, as ``make ui`` does)
with the provider, the example DAGs and the connection stored in the metadata database, and drives
Debian's headless Chromium with Playwright, clicking as a person would, to check that

1. **connection form**: Admin → Connections → Add Connection, type "Tencent Cloud CFG", shows our
   relabelled standard fields (SecretId, SecretKey as a password, Endpoint (optional), Port with its
   hint; no Schema) and our extra fields (Region, Session token as a password, Language: en-US and
   zh-CN, no "null");
2. **test connection**: the Test icon of ``tencentcloud_cfg_default`` turns green; the one of a
   connection with a wrong key turns red, with CFG's message (``AuthFailure.SignatureFailure``);
3. **trigger form refuses bad values**: ``cfg_game_day``'s form with a steady-state URL that is not
   one, then with a negative watch duration, creates no run;
4. **game day from its form**: ``cfg_game_day`` triggered by pressing Trigger in its form with the
   defaults; the run is green (Success) on its page, and so is every task instance;
5. **console link**: the "CFG experiment" extra link of ``create_experiment`` and
   ``inject_fault_1`` opens the emulator's page of this run's experiment, ended;
6. **game-day report**: the run's report (XCom ``report_markdown``) renders as a reader sees it
   (``scripts/report_render.py``: tables, and the Mermaid Gantt chart, one bar per step);
7. **halt from its form**: ``cfg_halt_all`` triggered by pressing Trigger in its form with the
   defaults (halt for real); green, and its summary's result readable on the run page (XCom tab);
8. **run note** and 9. **report link**: the game day's run note (set by the provider's listener)
   holds the verdict, and its "Game-day report" extra link opens the rendered report (served by the
   provider's plugin), which holds the verdict.

Screenshots go to ``docs/img/`` (``--screenshots DIR`` to change), ``after-*.png`` being the
closing shots of issue 17 (``before-*.png`` are main's). Exits 1 with one line per failed check;
whatever it started (emulator, the standalone's process group, Chromium) is stopped on every exit
path, SIGTERM included. The standalone's home is removed on success and kept (its path printed,
with the failure screenshots in it) on failure.
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
from report_render import CHROMIUM, CHROMIUM_FLAGS, RenderError, render_report  # scripts/, beside this file

import tests.airflow_setup  # imported by the harness: it makes an empty home for pytest, unused here
from airflow_provider_cfg.emulator.server import EmulatorServer
from tests.system.standalone.harness import Standalone

# ruff: enable[module-import-not-at-top-of-file]

shutil.rmtree(tests.airflow_setup.AIRFLOW_HOME, ignore_errors=True)

DAG_ID = "cfg_game_day"
HALT_DAG_ID = "cfg_halt_all"
CONN_ID = "tencentcloud_cfg_default"
WRONG_KEY_CONN_ID = "tencentcloud_cfg_wrong_key"
REPORT_LINK_NAME = "Game-day report"
VERDICT = re.compile(r"as expected", re.IGNORECASE)
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


def outcome(name: str, airflow: Standalone, passed: list[str], failures: list[str], took: float, shots: Path) -> int:
    """Print the result; the exit code. The standalone's home is kept (and named) on failure."""
    if failures:
        print(f"\n{name} FAILED ({len(failures)} of {len(failures) + len(passed)} checks, {took:.0f} s); "
              f"airflow home kept: {airflow.home}", file=sys.stderr)
        for line in failures:
            print(f"  - {line}", file=sys.stderr)
        return 1
    shutil.rmtree(airflow.home, ignore_errors=True)
    print(f"\n{name}: all {len(passed)} checks passed in {took:.0f} s; screenshots in {shots}")
    return 0


def stop_airflow(airflow: Standalone) -> None:
    if not airflow.stop():
        say("warning: the process group of airflow standalone is still there after SIGKILL")


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
    for label in ("Login", "Password", "Host", "Schema"):
        if _field(dialog, label).count():
            problems.append(f"standard field {label!r} should be relabelled or hidden")
    # Kept for Airflow 3.3's Test button, which needs a stored port (docs/connection.md).
    port = _field(dialog, "Port").locator("input")
    if port.count() != 1 or not port.is_visible():
        problems.append("standard field 'Port' is not shown")
    elif "443" not in (port.get_attribute("placeholder") or ""):
        problems.append(f"standard field 'Port' hints {port.get_attribute('placeholder')!r}, not 443")
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
        if sorted(offered) != ["en-US", "zh-CN"]:
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
        page.screenshot(path=str(shots / "after-run-page.png"))
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
        expect(console.locator("body")).to_contain_text("Status: ended")
    finally:
        console.screenshot(path=str(shots / "console-page.png"), full_page=True)
        console.close()


def check_test_connection(page, base_url: str, shots: Path) -> None:
    """Admin → Connections: the Test icon of a connection with a wrong key turns red and the toast
    carries CFG's message; the one of the emulator's connection turns green. (The wrong one, the
    lower row, first: an icon's tooltip stays under it and would cover the row below.)"""
    from playwright.sync_api import expect

    page.goto(f"{base_url}/connections")
    wrong = page.get_by_role("row").filter(has_text=WRONG_KEY_CONN_ID).get_by_role("button", name="Test Connection")
    good = page.get_by_role("row").filter(has_text=CONN_ID).get_by_role("button", name="Test Connection")
    expect(page.get_by_role("row").nth(1)).to_contain_text(CONN_ID)  # sorted by id: ours, then the wrong key
    wrong.click()
    expect(wrong.locator("svg[color=red]")).to_have_count(1)
    toast = page.get_by_role("status").filter(has_text="Test Connection Failed")
    expect(toast).to_contain_text("AuthFailure.SignatureFailure")
    good.click()
    try:
        expect(good.locator("svg[color=green]")).to_have_count(1)
    except AssertionError:
        toasts = page.get_by_role("status").all_inner_texts()
        raise CheckFailed(f"testing {CONN_ID} did not turn green: {toasts}") from None
    page.screenshot(path=str(shots / "after-test-connection.png"))


def open_trigger_form(page, base_url: str, dag_id: str):
    """The DAG's Trigger dialog, its Run Parameters open; returns (dialog, its Trigger button)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    page.goto(f"{base_url}/dags/{dag_id}")
    page.get_by_role("button", name="Trigger").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name=re.compile(f"Trigger Dag - {dag_id}"))).to_be_visible()
    first_field = dialog.locator("input[name^=element_]").first
    with contextlib.suppress(PlaywrightTimeout):
        first_field.wait_for(state="visible", timeout=3_000)  # open by default; closed when a field is missing
    if not first_field.is_visible():
        dialog.get_by_role("button", name="Run Parameters").click()
    expect(first_field).to_be_visible()
    return dialog, dialog.get_by_role("button", name="Trigger", exact=True)


def _run_ids(airflow: Standalone, dag_id: str) -> list[str]:
    return [row[0] for row in airflow.query("select run_id from dag_run where dag_id = ? order by id", dag_id)]


def check_form_refuses(page, base_url: str, airflow: Standalone, shots: Path) -> None:
    """A steady-state URL that is not one, then a negative watch duration: Trigger creates no run,
    the form says it failed, and Airflow's answer names the field (Airflow 3.3's toast itself only
    says "Bad Request")."""
    from playwright.sync_api import expect

    problems: list[str] = []
    for name, value in (("steady_state_url", "not a url"), ("watch_seconds", "-5")):
        before = _run_ids(airflow, DAG_ID)
        dialog, trigger_button = open_trigger_form(page, base_url, DAG_ID)
        box = dialog.locator(f"input[name=element_{name}]")
        box.fill(value)
        box.blur()
        if box.input_value() != value:
            problems.append(f"{name}: the form replaced {value!r} by {box.input_value()!r} instead of refusing it")
        elif trigger_button.is_enabled():
            with page.expect_response(lambda r: r.request.method == "POST" and "/dagRuns" in r.url) as answer:
                trigger_button.click()
            response = answer.value
            if response.status < 400 or f"param {name}" not in response.text():
                problems.append(f"{name}={value!r}: Airflow answered {response.status} {response.text()[:300]}")
            expect(page.get_by_role("status").filter(has_text="Failed to Trigger")).to_be_visible()
        page.screenshot(path=str(shots / f"after-trigger-form-refuses-{name}.png"))
        created = [run_id for run_id in _run_ids(airflow, DAG_ID) if run_id not in before]
        if created:
            problems.append(f"{name}={value!r} was accepted: run {created} created")
        page.keyboard.press("Escape")
    if problems:
        raise CheckFailed("; ".join(problems))


def trigger_from_form(page, base_url: str, airflow: Standalone, dag_id: str, shot: Path) -> str:
    """Press Trigger in the DAG's form without touching a field; the new run's id."""
    from playwright.sync_api import expect

    before = _run_ids(airflow, dag_id)
    dialog, trigger_button = open_trigger_form(page, base_url, dag_id)
    _settle(page, 3_000)
    page.screenshot(path=str(shot), full_page=True)
    if not trigger_button.is_enabled():
        raise CheckFailed(f"{dag_id}: Trigger is greyed out with the defaults: {dialog.inner_text()[-800:]}")
    trigger_button.click()
    expect(dialog).to_be_hidden()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        created = [run_id for run_id in _run_ids(airflow, dag_id) if run_id not in before]
        if created:
            return created[-1]
        time.sleep(1)
    raise CheckFailed(f"{dag_id}: pressing Trigger created no run")


def seed_live_experiment(emulator: EmulatorServer) -> int:
    """A game day left behind with its fault injected (as if its DAG run had died): what the
    big red button is for. Tagged the way the provider's create operators tag; polled once a
    second (the emulator enforces CFG's rate limits here)."""
    from tests.airflow_helpers import actions_of, create_managed_626, execute_action, start

    try:
        experiment_id = create_managed_626(emulator, "left behind by ui-check")
        start(emulator, experiment_id)
        fault = actions_of(emulator, experiment_id)[0]["TaskGroupActionId"]
        execute_action(emulator, experiment_id, fault)
        deadline = time.monotonic() + 120
        while actions_of(emulator, experiment_id)[0]["TaskGroupActionStatus"] != 2004:
            if time.monotonic() > deadline:
                raise CheckFailed(f"the fault of experiment {experiment_id} was not injected in 120 s")
            time.sleep(1)
    except AssertionError as exc:  # the helpers assert on CFG errors
        raise CheckFailed(f"could not leave an experiment behind for the halt button: {exc}") from None
    return experiment_id


def check_halt_run(page, base_url: str, emulator: EmulatorServer, run_id: str, db_state: str, experiment_id: int,
                   shots: Path) -> None:
    """cfg_halt_all's run is green, the experiment left behind is recovered and ended, and the
    summary's result is readable on the run's page (the summary task's log)."""
    from playwright.sync_api import expect

    if db_state != "success":
        raise CheckFailed(f"the {HALT_DAG_ID} run ended {db_state}")
    status = emulator.call("DescribeTask", TaskId=experiment_id)["Task"]["TaskStatus"]
    left = emulator.state.faults()
    if status != 1004 or left:
        raise CheckFailed(f"experiment {experiment_id} is in status {status} with faults still injected: {left}")
    page.goto(f"{base_url}/dags/{HALT_DAG_ID}/runs/{run_id}/tasks/summary")
    try:
        expect(page.get_by_text(f"Halted 1 of 1 experiment(s): [{experiment_id}]").first).to_be_visible()
    finally:
        _settle(page)
        page.screenshot(path=str(shots / "after-halt-all-result.png"))


# -- the run note and the "Game-day report" link ----------------------------------------------------


def check_run_note(page, base_url: str, run_id: str, shots: Path) -> None:
    """The game day's run note (Markdown, on the run page) holds the verdict."""
    from playwright.sync_api import expect

    page.goto(f"{base_url}/dags/{DAG_ID}/runs/{run_id}")
    heading = page.get_by_role("heading", name=run_id, exact=True)
    expect(heading).to_be_visible()
    note = page.get_by_text(VERDICT).first
    try:
        expect(note).to_be_visible()
    except AssertionError:
        raise CheckFailed("the run page shows no note with the verdict ('as expected')") from None
    finally:
        _settle(page)
        page.screenshot(path=str(shots / "after-run-page.png"))


def check_report_link(page, base_url: str, run_id: str, shots: Path) -> None:
    """The "Game-day report" extra link of conclude_experiment opens a page holding the verdict."""
    from playwright.sync_api import expect

    page.goto(f"{base_url}/dags/{DAG_ID}/runs/{run_id}/tasks/conclude_experiment")
    page.get_by_role("link", name="Details", exact=True).click()
    link = page.get_by_role("link", name=REPORT_LINK_NAME, exact=True)
    try:
        expect(link).to_be_visible()
    except AssertionError:
        raise CheckFailed(f"conclude_experiment has no {REPORT_LINK_NAME!r} extra link") from None
    href = link.get_attribute("href") or ""
    if "/cfg/report/" not in href:
        raise CheckFailed(f"the {REPORT_LINK_NAME!r} link points at {href!r}, not the provider's /cfg/report/ page")
    # Airflow opens a link to its own host in the same tab, and any other in a new one.
    pages = len(page.context.pages)
    link.click()
    page.wait_for_timeout(1000)
    report = page.context.pages[-1] if len(page.context.pages) > pages else page
    report.wait_for_url("**/cfg/report/**")
    report.wait_for_load_state()
    try:
        expect(report.get_by_role("heading", level=1)).to_contain_text("Game-day report")
        expect(report.locator("body")).to_contain_text(re.compile(r"Verdict:\s*as expected"))
    finally:
        report.screenshot(path=str(shots / "after-report-page.png"), full_page=True)
        if report is not page:
            report.close()


# -- main -----------------------------------------------------------------------------------------


def _xcom(airflow: Standalone, dag_id: str, run_id: str, task_id: str, key: str):
    rows = airflow.query("select value from xcom where dag_id = ? and run_id = ? and task_id = ? and key = ?",
                         dag_id, run_id, task_id, key)
    if not rows:
        return None
    value = rows[0][0]
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def check_report(page, airflow: Standalone, run_id: str, shots: Path) -> None:
    """The report the run pushed (XCom ``report_markdown``, no ``report_path`` with the defaults)."""
    markdown = _xcom(airflow, DAG_ID, run_id, "conclude_experiment", "report_markdown")
    report = _xcom(airflow, DAG_ID, run_id, "conclude_experiment", "report")
    if not markdown or not report:
        raise CheckFailed("conclude_experiment pushed no report (XCom report_markdown and report)")
    try:
        counts = render_report(page, markdown, shots / "report.png", steps=len(report["steps"]))
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
    airflow = Standalone(emulator, connection_in_db=True)
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
        wrong_key = dict(airflow.connection, password="wrong-" + emulator.secret_key)
        airflow.airflow("connections", "add", WRONG_KEY_CONN_ID, "--conn-json", json.dumps(wrong_key))
        base_url = airflow.base_url
        airflow.wait_for_dag(DAG_ID)
        airflow.wait_for_dag(HALT_DAG_ID)
        airflow.wait_for_api()
        say(f"api-server up at {base_url}")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.set_default_timeout(STEP_TIMEOUT_MS)
                page.set_default_navigation_timeout(PAGE_TIMEOUT_MS)
                check("connection form", check_connection_form, base_url, shots)
                check("test connection", check_test_connection, base_url, shots)
                check("trigger form refuses bad values", check_form_refuses, base_url, airflow, shots)
                say(f"check: {DAG_ID} from its form")
                run_id = trigger_from_form(page, base_url, airflow, DAG_ID, shots / "after-trigger-form.png")
                say(f"triggered {DAG_ID} run {run_id} from its form; waiting for it to finish")
                state = airflow.wait_for_run(DAG_ID, run_id, timeout=600)
                states = airflow.task_states(DAG_ID, run_id)
                say(f"run {run_id}: {state} {states}")
                check("game day from its form", check_dag_run, base_url, run_id, state, states, shots)
                try:
                    experiment_id = experiment_of(emulator, run_id)
                except CheckFailed as exc:
                    failures.append(f"console link: {exc}")
                else:
                    expected = f"{emulator.url}/_emulator/tasks/{experiment_id}"
                    check("console link", check_console_link, base_url, run_id, expected, experiment_id, shots)
                check("game-day report", check_report, airflow, run_id, shots)
                check("run note", check_run_note, base_url, run_id, shots)
                check("report link", check_report_link, base_url, run_id, shots)
                left_behind = seed_live_experiment(emulator)
                say(f"check: {HALT_DAG_ID} from its form (experiment {left_behind} left behind, fault injected)")
                halt_run = trigger_from_form(page, base_url, airflow, HALT_DAG_ID,
                                             shots / "after-trigger-form-halt.png")
                halt_state = airflow.wait_for_run(HALT_DAG_ID, halt_run, timeout=300)
                say(f"run {halt_run}: {halt_state} {airflow.task_states(HALT_DAG_ID, halt_run)}")
                check("halt from its form", check_halt_run, base_url, emulator, halt_run, halt_state, left_behind,
                      shots)
            finally:
                browser.close()
    except (TimeoutError, RuntimeError, CheckFailed) as exc:
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

    return outcome("ui-check", airflow, passed, failures, time.monotonic() - _started, shots)


if __name__ == "__main__":
    sys.exit(main())
