"""Provider metadata read by Airflow through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any


def get_provider_info() -> dict[str, Any]:
    from airflow_provider_cfg import __version__

    return {
        "package-name": "airflow-provider-cfg",
        "name": "Tencent Cloud CFG",
        "description": "Chaos game-days on Tencent Cloud Chaos Fault Generator (CFG) from Apache Airflow.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "Tencent Cloud CFG",
                "external-doc-url": "https://www.tencentcloud.com/document/product/1235",
                "how-to-guide": [
                    "/docs/connection.md",
                    "/docs/operators/experiment.md",
                    "/docs/operators/step.md",
                    "/docs/operators/guard.md",
                    "/docs/operators/plan.md",
                    "/docs/operators/rollback.md",
                    "/docs/sensors-and-triggers.md",
                ],
                "logo": "/docs/img/cfg-logo.svg",
                "tags": ["service"],
            }
        ],
        "hooks": [{"integration-name": "Tencent Cloud CFG", "python-modules": ["airflow_provider_cfg.hooks.cfg"]}],
        "operators": [
            {
                "integration-name": "Tencent Cloud CFG",
                "python-modules": [
                    "airflow_provider_cfg.operators.create",
                    "airflow_provider_cfg.operators.experiment",
                    "airflow_provider_cfg.operators.step",
                    "airflow_provider_cfg.operators.rollback",
                    "airflow_provider_cfg.operators.report_experiment",
                    "airflow_provider_cfg.operators.guard",
                    "airflow_provider_cfg.operators.plan",
                ],
                "how-to-guide": [
                    "/docs/operators/experiment.md",
                    "/docs/operators/step.md",
                    "/docs/operators/guard.md",
                    "/docs/operators/plan.md",
                    "/docs/operators/rollback.md",
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": "Tencent Cloud CFG",
                "python-modules": ["airflow_provider_cfg.sensors.experiment", "airflow_provider_cfg.sensors.step"],
                "how-to-guide": ["/docs/sensors-and-triggers.md"],
            }
        ],
        "triggers": [
            {
                "integration-name": "Tencent Cloud CFG",
                "python-modules": [
                    "airflow_provider_cfg.triggers.experiment",
                    "airflow_provider_cfg.triggers.step",
                    "airflow_provider_cfg.triggers.guard",
                    "airflow_provider_cfg.triggers.experiment_events",
                ],
            }
        ],
        "extra-links": [
            "airflow_provider_cfg.links.console.CfgConsoleLink",
            "airflow_provider_cfg.links.report.CfgReportLink",
        ],
        "connection-types": [
            {
                "connection-type": "tencentcloud_cfg",
                "hook-class-name": "airflow_provider_cfg.hooks.cfg.CfgHook",
                "hook-name": "Tencent Cloud CFG",
                "ui-field-behaviour": {
                    # Port stays in the form: Airflow 3.3's Test button sends port 0 for a stored
                    # empty port and refuses the test as "a different destination" (docs/connection.md).
                    "hidden-fields": ["schema"],
                    "relabeling": {"login": "SecretId", "password": "SecretKey", "host": "Endpoint (optional)"},
                    "placeholders": {
                        "login": "AKID…",
                        "host": "cfg.tencentcloudapi.com (default) or 127.0.0.1 for the emulator",
                        "port": "443 (the emulator: its port, 8999)",
                    },
                },
                "conn-fields": {
                    "region": {
                        "label": "Region",
                        "description": "CFG region, sent as X-TC-Region.",
                        "schema": {"type": ["string", "null"], "default": "ap-guangzhou"},
                    },
                    "token": {
                        "label": "Session token",
                        "description": "STS token of temporary credentials (X-TC-Token).",
                        "schema": {"type": ["string", "null"], "format": "password"},
                    },
                    "language": {
                        "label": "Language",
                        "description": "Language of server messages.",
                        "schema": {"type": ["string", "null"], "enum": ["en-US", "zh-CN"], "default": "en-US"},
                    },
                },
            }
        ],
    }
