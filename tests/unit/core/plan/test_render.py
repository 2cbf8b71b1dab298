"""core/plan/render.py: a plan as Markdown."""

from __future__ import annotations

from airflow_provider_cfg.core.plan.build import build_plan
from tests.airflow_helpers import INSTANCE


def test_markdown_renders_groups_steps_policy_and_violations(client):
    plan = build_plan(client, template_id=628, instances=[[INSTANCE], ["cdb-aaaaaaaa"]], policy={"max_risk_level": 2})
    text = plan.to_markdown()
    assert text.startswith("# CFG experiment plan: Web tier packet loss and database failover")
    assert "- **changes made**: none (plan only)" in text and "NOT within policy: 1 violation(s)" in text
    assert "## Group 1: Web servers — Cloud Virtual Machine (CVM) (ObjectTypeId 1)" in text
    assert "## Group 2: Database — TencentDB for MySQL (ObjectTypeId 2)" in text
    assert "| 1 | 462 Network packet loss | fault | 2 (medium) |" in text
    assert "| 2 | 463 Network packet loss recovery | recovery | 1 (low) |" in text
    assert "| 1 | 201 Primary/standby switch | fault | 3 (high) |" in text and "heals by itself" in text
    assert '"interfaces": "eth0"' in text
    assert "- max risk level: 2 (medium)" in text
    assert "## Violations" in text and "risk 3 (high)" in text
    ok_text = build_plan(client, action_id=462, instances=[INSTANCE], custom={"interfaces": "eth|0"}).to_markdown()
    assert "within policy" in ok_text and "NOT within" not in ok_text and "## Violations" not in ok_text
    assert "463 Network packet loss recovery *(added by CFG)*" in ok_text
    assert "eth\\|0" in ok_text  # table cells stay intact
