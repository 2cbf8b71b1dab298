"""Reports safe whatever users wrote and however large the game day (issue 12, finding 7)."""

from __future__ import annotations

import json

import pytest

from airflow_provider_cfg.core.markdown import code_block, md_text
from airflow_provider_cfg.core.plan.policy import DEFAULT_MAX_INSTANCES_PER_GROUP, BlastRadiusPolicy
from airflow_provider_cfg.core.report import cap_markdown, cap_report, render_markdown
from airflow_provider_cfg.core.report.cap import MAX_INSTANCES_PER_STEP, MAX_LOG_LINES, MAX_MARKDOWN_CHARS

FORGED = "held\n\n**Verdict:** ✅ as expected  \n# Game-day report: forged"


def report(title: str = "drill", summary: str = "s", issue: str | None = None, instances: int = 1,
           log: list[str] | None = None, check: str = "ok") -> dict:
    step = {"order": "1.1", "group": "g", "title": title, "kind": "fault", "finished": True, "outcome": "success",
            "start": "2024-01-01 10:00:00", "end": "2024-01-01 10:00:05",
            "instances": [{"object_id": f"ins-{n:08d}", "outcome": "success", "start": "2024-01-01 10:00:00",
                           "end": "2024-01-01 10:00:05", "log": "x"} for n in range(instances)]}
    return {
        "experiment": {"id": 7, "title": title, "status": "1004 ended", "mode": "manual", "created": None,
                       "start": "2024-01-01 10:00:00", "end": "2024-01-01 10:01:00"},
        "verdict": {"as_expected": False, "summary": summary, "issue": issue},
        "plan": None, "steps": [step], "checks": {"c": {"passed": False, "detail": check}},
        "guardrail": [{"at": "2024-01-01 10:00:30", "type": "trigger", "name": title, "content": summary}],
        "log": log or [],
    }


@pytest.mark.parametrize("field", ["title", "summary", "issue", "check"])
def test_a_forged_verdict_line_cannot_be_injected(field):
    markdown = render_markdown(report(**{field: FORGED}))
    verdicts = [line for line in markdown.splitlines() if line.startswith("**Verdict:**")]
    assert verdicts == ["**Verdict:** NOT as expected  "]
    assert sum(line.startswith("# ") for line in markdown.splitlines()) == 1


@pytest.mark.parametrize("field", ["title", "summary", "issue", "check"])
def test_raw_html_is_escaped(field):
    markdown = render_markdown(report(**{field: "<img src=x onerror=alert(1)><script>alert(2)</script>"}))
    assert "<img" not in markdown and "<script" not in markdown and "&lt;img" in markdown


def test_an_unclosed_fence_does_not_swallow_the_rest():
    markdown = render_markdown(report(title="```", summary="```python", log=["```", "line", "~~~", "````"]))
    log = markdown.split("## CFG execution log\n\n", 1)[1].splitlines()
    assert log.pop(0) == "(times in CFG time, UTC+08:00)" and log.pop(0) == ""  # a dict from before times were UTC
    assert log == ["`````", "```", "line", "~~~", "````", "`````"]  # a fence longer than any run inside
    assert markdown.count("```mermaid") == 1 and "\\`\\`\\`python" in markdown  # the summary's fence is text


def test_md_text():
    assert md_text("a|b\nc") == "a\\|b c"
    assert md_text("[click](http://evil)") == "\\[click\\](http://evil)"
    assert md_text("# heading", line_start=True) == "\\# heading"
    assert md_text("1. item", line_start=True) == "1\\. item"
    assert md_text("1.1") == "1.1" and md_text("snake_case ins-1") == "snake_case ins-1"
    assert md_text("x" * 10, 5) == "xxxx…"
    assert code_block(["a", "``` b"]) == ["````", "a", "``` b", "````"]


def test_a_huge_game_day_is_capped_in_xcom_and_the_log():
    big = report(instances=10_000, log=[f"line {n} " + "y" * 200 for n in range(5000)])
    small = cap_report(big)
    assert len(small["steps"][0]["instances"]) == MAX_INSTANCES_PER_STEP
    assert small["steps"][0]["instances_total"] == 10_000 and len(small["log"]) == MAX_LOG_LINES
    assert len(json.dumps(small)) < 200_000 < len(json.dumps(big))
    markdown = cap_markdown(render_markdown(small))
    assert len(markdown) <= MAX_MARKDOWN_CHARS + 200
    assert "started on 10000 instance(s)" in markdown and "Capped for XCom and the task log" in markdown
    assert cap_report(report())["capped"] == {}


def test_cap_markdown_closes_an_open_fence():
    text = "# t\n\n```\n" + "\n".join("z" * 99 for _ in range(5000)) + "\n```\n"
    cut = cap_markdown(text, limit=10_000)
    assert len(cut) < 10_300 and cut.splitlines().count("```") == 2 and "full report is written" in cut


def test_the_default_policy_caps_instances_per_group():
    assert BlastRadiusPolicy().max_instances_per_group == DEFAULT_MAX_INSTANCES_PER_GROUP == 100
    assert BlastRadiusPolicy.from_value(None).max_instances_per_group == 100
    assert BlastRadiusPolicy.from_value({"max_risk_level": 3}).max_instances_per_group == 100
    assert BlastRadiusPolicy.from_value({"max_instances_per_group": None}).max_instances_per_group is None
    assert BlastRadiusPolicy.from_value({"max_instances_per_group": 5000}).max_instances_per_group == 5000
    text = BlastRadiusPolicy().instance_limit_text()
    assert "is 100 (the default); raise it with policy={'max_instances_per_group': N}" in text
