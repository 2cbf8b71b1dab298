"""The playable readings (emulator/variants.py), the per-action codes and the display language (emulator/answers.py)."""

from __future__ import annotations

import httpx
import pytest

from airflow_provider_cfg.emulator.__main__ import build_parser
from airflow_provider_cfg.emulator.answers import DOCUMENTED, answer_code, language_of, localise
from airflow_provider_cfg.emulator.variants import CHOICES, ENV_VAR, VariantError, Variants
from tests.emu_helpers import Cfg


def test_defaults_are_the_first_values_and_parse_checks_names_and_values(monkeypatch) -> None:
    assert Variants().as_dict() == {name: values[0] for name, values in CHOICES.items()}
    assert Variants.parse(["instances=at_creation, language=en-US", "auto_pause=on"]).as_dict() == {
        **Variants().as_dict(), "instances": "at_creation", "language": "en-US", "auto_pause": "on"}
    with pytest.raises(VariantError, match="variants: instances"):
        Variants.parse(["nope=1"])
    with pytest.raises(VariantError, match="at_start, at_creation"):
        Variants.parse(["instances=later"])
    with pytest.raises(VariantError, match="NAME=VALUE"):
        Variants.parse(["instances"])
    monkeypatch.setenv(ENV_VAR, "start_type=pending")
    assert Variants.from_env(["operate_all=task"]).start_type == "pending"
    assert Variants.from_env(["operate_all=task"]).operate_all == "task"


def test_rows_one_to_eight_are_all_playable() -> None:
    assert set(CHOICES) >= {"instances", "operate_all", "start_type", "unknown_id", "illegal_state",
                            "conclusion_after_end", "language", "end_recovers", "auto_pause"}
    assert all(len(values) >= 2 for values in CHOICES.values())


def test_cli_takes_repeatable_variants() -> None:
    args = build_parser().parse_args(["--variant", "instances=at_creation", "--variant", "language=en-US"])
    assert args.variant == ["instances=at_creation", "language=en-US"]
    assert Variants.parse(args.variant).instances == "at_creation"


def test_each_action_answers_with_a_code_of_its_own_documented_list() -> None:
    default = Variants()
    for action, codes in DOCUMENTED.items():
        assert answer_code(action, "ResourceNotFound", default) in codes, action
        assert answer_code(action, "FailedOperation", default) in codes, action
    assert answer_code("DescribeTask", "ResourceNotFound", default) == "ResourceNotFound"
    assert answer_code("DeleteTask", "ResourceNotFound", default) == "InvalidParameterValue"
    assert answer_code("ExecuteTask", "ResourceNotFound", default) == "InvalidParameter"
    assert answer_code("ExecuteTaskInstance", "FailedOperation", default) == "UnsupportedOperation"
    assert answer_code("DeleteTask", "InvalidParameter", default) == "InvalidParameter"  # other codes kept
    chosen = Variants(unknown_id="FailedOperation", illegal_state="OperationDenied")
    assert answer_code("DescribeTask", "ResourceNotFound", chosen) == "FailedOperation"
    assert answer_code("ModifyTaskRunStatus", "FailedOperation", chosen) == "OperationDenied"


def test_language_follows_the_header_zh_cn_when_absent() -> None:
    assert language_of({}, Variants()) == "zh-CN"
    assert language_of({"x-tc-language": "en-US"}, Variants()) == "en-US"
    assert language_of({"x-tc-language": "en-US"}, Variants(language="zh-CN")) == "zh-CN"
    answer = {"Results": [{"ActionType": "Platform", "RiskDesc": "High risk", "Creator": "system", "Desc": "x"}]}
    assert localise(answer, "zh-CN") == {"Results": [{"ActionType": "平台", "RiskDesc": "高风险", "Creator": "系统",
                                                      "Desc": "x"}]}
    assert localise(answer, "en-US") == answer


def test_variants_route_lists_changes_and_resets(cfg: Cfg) -> None:
    url = f"{cfg.server.url}/_emulator/variants"
    listing = httpx.get(url).json()
    assert listing["instances"] == {"values": ["at_start", "at_creation"], "default": "at_start",
                                    "current": "at_start", "reading": listing["instances"]["reading"]}
    assert httpx.post(url, json={"instances": "at_creation"}).json()["instances"]["current"] == "at_creation"
    refused = httpx.post(url, json={"instances": "at_creation", "language": "fr"})
    assert refused.status_code == 400 and "zh-CN" in refused.json()["error"]
    assert httpx.post(url, content=b"[1]").status_code == 400
    httpx.post(f"{cfg.server.url}/_emulator/reset").raise_for_status()
    assert httpx.get(url).json()["instances"]["current"] == "at_start"
