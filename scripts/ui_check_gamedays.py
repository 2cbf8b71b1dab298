"""``make ui-check`` (second part): the provider's "Game days" page in Airflow's web UI.

Runs two game days of ``cfg_game_day`` in a real ``airflow standalone`` against the emulator — one
healthy, one whose steady-state probe fails (the guard trips CFG's guardrail, the run fails) — and
drives Debian's headless Chromium (Playwright) like a person:

1. **browse**: Browse → Game days opens the plugin's page inside Airflow's UI; it lists both runs
   (date, DAG, experiment with its console link, verdict, faults, times), and its trend chart has
   a verdict dot per game day and the failed one's time to detect;
2. **report**: the row's "report" link opens the rendered game-day report of that run (tables, the
   "Resilience metrics" section);
3. **auth**: Airflow runs with a real login (SimpleAuthManager, one user); without its token the
   plugin's pages answer 401 (the per-DAG denial is tested with a denying auth manager in
   tests/unit/plugins: SimpleAuthManager's roles cannot deny one DAG).

Reuses the harness of ``scripts/ui_check.py`` (stack start/stop, messages, Chromium flags).
Screenshots: ``docs/img/game-days.png`` and ``docs/img/report-page.png``.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # scripts/: ui_check, report_render
import httpx
from ui_check import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    PAGE_TIMEOUT_MS,
    ROOT,
    STEP_TIMEOUT_MS,
    CheckFailed,
    _settle,
    _terminate,
    outcome,
    say,
    stop_airflow,
)

from airflow_provider_cfg.emulator.server import EmulatorServer
from tests.system.standalone.harness import Standalone

DAG_ID = "cfg_game_day"
USER = "sre"
AUTH_ENV = {  # a real login (not every visitor an admin), so that the plugin's pages can refuse one without it
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
}


def log_in(airflow: Standalone, base_url: str) -> str:
    """Airflow's JWT for :data:`USER` (its password is in the file SimpleAuthManager generates)."""
    import json

    passwords = json.loads((airflow.home / "simple_auth_manager_passwords.json.generated").read_text())
    answer = httpx.post(f"{base_url}/auth/token", json={"username": USER, "password": passwords[USER]}, timeout=30)
    answer.raise_for_status()
    return answer.json()["access_token"]


def run_game_days(airflow: Standalone, emulator: EmulatorServer) -> dict[str, str]:
    """A healthy game day, then one whose probe fails; one after the other (one experiment at a
    time on the same instances). :return: run id → final state."""
    runs = {}
    for url in (f"{emulator.url}/_emulator/health", f"{emulator.url}/_emulator/no-such-service"):
        run_id = airflow.trigger(DAG_ID, {"steady_state_url": url, "watch_seconds": 4})
        say(f"triggered {run_id} probing {url}")
        runs[run_id] = airflow.wait_for_run(DAG_ID, run_id, timeout=300)
        say(f"run {run_id}: {runs[run_id]} {airflow.task_states(DAG_ID, run_id)}")
    return runs


def experiment_urls(emulator: EmulatorServer, runs: dict[str, str]) -> dict[str, str]:
    """run id → the console URL of its experiment (the emulator's page)."""
    tasks = emulator.call("DescribeTaskList", Limit=100, Offset=0)["TaskList"] or []
    urls = {}
    for run_id in runs:
        ids = [t["TaskId"] for t in tasks if run_id in (t.get("TaskTitle") or "")]
        if len(ids) != 1:
            raise CheckFailed(f"expected one experiment titled with {run_id}, found {ids}")
        urls[run_id] = f"{emulator.url}/_emulator/tasks/{ids[0]}"
    return urls


def check_browse(page, base_url: str, runs: dict[str, str], urls: dict[str, str], shots: Path):
    """Browse → Game days; the rows, links and chart. :return: the page's frame."""
    from playwright.sync_api import expect

    page.goto(f"{base_url}/")
    page.get_by_role("button", name="Browse", exact=True).click()
    page.get_by_role("menuitem", name="Game days", exact=True).click()
    frame = page.frame_locator("iframe").first
    expect(frame.get_by_role("heading", name="Game days", exact=True)).to_be_visible()
    rows = frame.locator("tr.game-day")
    expect(rows).to_have_count(len(runs))
    problems = []
    for run_id, state in runs.items():
        row = rows.filter(has_text=run_id)
        if row.count() != 1:
            problems.append(f"{run_id}: {row.count()} row(s)")
            continue
        text = row.inner_text()
        verdict = "as expected" if state == "success" else "NOT as expected"
        if f"\t{verdict}\t" not in f"\t{text}\t".replace("\n", "\t"):
            problems.append(f"{run_id} ended {state} but its row reads {text!r}")
        console = row.get_by_role("link", name=run_id)
        if console.get_attribute("href") != urls[run_id]:
            problems.append(f"{run_id}: the experiment links to {console.get_attribute('href')}, not {urls[run_id]}")
        if row.get_by_role("link", name="report", exact=True).count() != 1:
            problems.append(f"{run_id}: no report link")
    failed = [run_id for run_id, state in runs.items() if state != "success"]
    for run_id in failed:  # its probe failed: the guard tripped CFG's guardrail, a time to detect
        detect = rows.filter(has_text=run_id).locator("td").nth(5).inner_text()
        if not detect.endswith(" s"):
            problems.append(f"{run_id}: time to detect {detect!r}")
    chart = frame.locator("svg#trend")
    if chart.locator("circle.verdict").count() != len(runs):
        problems.append(f"the chart has {chart.locator('circle.verdict').count()} verdict dot(s) for {len(runs)} runs")
    if failed and chart.locator("rect.detect").count() < len(failed):
        problems.append("the chart draws no time to detect for the failed game day")
    _settle(page)
    page.screenshot(path=str(shots / "game-days.png"), full_page=True)
    if problems:
        raise CheckFailed("; ".join(problems))
    return frame


def check_report(page, base_url: str, runs: dict[str, str], shots: Path) -> None:
    from playwright.sync_api import expect

    run_id = next(run_id for run_id, state in runs.items() if state != "success")
    frame = page.frame_locator("iframe").first
    frame.locator("tr.game-day").filter(has_text=run_id).get_by_role("link", name="report", exact=True).click()
    expect(frame.get_by_role("heading", name="Resilience metrics")).to_be_visible()
    expect(frame.get_by_role("heading", level=1)).to_contain_text("Game-day report")
    report = page.context.new_page()  # the report on its own page, as the run's extra link opens it
    try:
        report.goto(f"{base_url}/cfg/report/{DAG_ID}/{run_id}")
        expect(report.get_by_role("heading", name="Resilience metrics")).to_be_visible()
        expect(report.locator("body")).to_contain_text("NOT as expected")
        tables = report.locator("table").count()
        if tables < 3:
            raise CheckFailed(f"the report page has {tables} table(s)")
        report.screenshot(path=str(shots / "report-page.png"), full_page=True)
    finally:
        report.close()


def check_auth(base_url: str) -> None:
    for path in ("/cfg/game-days", f"/cfg/report/{DAG_ID}/any"):
        answer = httpx.get(f"{base_url}{path}", timeout=30)
        if answer.status_code != 401:
            raise CheckFailed(f"{path} without a token answered {answer.status_code}, not 401")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--screenshots", type=Path, default=ROOT / "docs" / "img", help="where the PNGs go")
    args = parser.parse_args(argv)
    shots: Path = args.screenshots
    shots.mkdir(parents=True, exist_ok=True)
    if not Path(CHROMIUM).exists():
        print(f"ui-check: {CHROMIUM} is missing (`make ui-check` installs it)", file=sys.stderr)
        return 2
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    started = time.monotonic()
    failures: list[str] = []
    passed: list[str] = []
    emulator = EmulatorServer(action_seconds=1.0, rate_limits=True).start()
    airflow = Standalone(emulator, extra_env=AUTH_ENV)
    try:
        say(f"game days: emulator on {emulator.url}; airflow standalone in {airflow.home}")
        airflow.start()
        base_url = airflow.base_url
        airflow.wait_for_dag(DAG_ID)
        airflow.wait_for_api()
        token = log_in(airflow, base_url)
        runs = run_game_days(airflow, emulator)
        urls = experiment_urls(emulator, runs)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
            try:
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                context.add_cookies([{"name": "_token", "value": token, "url": base_url}])  # logged in as USER
                page = context.new_page()
                page.set_default_timeout(STEP_TIMEOUT_MS)
                page.set_default_navigation_timeout(PAGE_TIMEOUT_MS)
                for name, check in (("game days page", lambda: check_browse(page, base_url, runs, urls, shots)),
                                    ("report page", lambda: check_report(page, base_url, runs, shots)),
                                    ("auth", lambda: check_auth(base_url))):
                    say(f"check: {name}")
                    try:
                        check()
                    except (CheckFailed, AssertionError, PlaywrightError, httpx.HTTPError) as exc:
                        failures.append(f"{name}: {str(exc).split('Call log:')[0].strip()}")
                        say(f"FAILED {name}: {failures[-1]}")
                        with contextlib.suppress(PlaywrightError):
                            page.screenshot(path=str(airflow.home / f"failed-{name.replace(' ', '-')}.png"))
                    else:
                        passed.append(name)
                        say(f"ok: {name}")
            finally:
                browser.close()
    except (TimeoutError, RuntimeError, CheckFailed) as exc:
        failures.append(f"stack: {exc}")
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        say("stopping airflow standalone and the emulator")
        stop_airflow(airflow)
        emulator.stop()
    return outcome("ui-check (game days)", airflow, passed, failures, time.monotonic() - started, shots)


if __name__ == "__main__":
    sys.exit(main())
