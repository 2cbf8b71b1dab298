"""How an answer reads under the variants: the error code an action gives, the language of display values.

The state raises ``ResourceNotFound`` for an unknown or foreign id and ``FailedOperation`` for an
illegal state change; :func:`answer_code` turns them into the code the ``unknown_id`` /
``illegal_state`` variant plays — by default the first plausible code in the action's own
documented list (``cfg-official/error-codes-by-action.md``). State is kept in English;
:func:`localise` turns the display values of an answer into the language asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_cfg.emulator.variants import Variants

_COMMON = ("AuthFailure", "InternalError", "InvalidParameter", "InvalidParameterValue")
DOCUMENTED: dict[str, frozenset[str]] = {
    "CreateTaskFromTemplate": frozenset({*_COMMON, "AuthFailure.UnauthorizedOperation", "LimitExceeded",
                                         "UnknownParameter", "UnsupportedOperation"}),
    "DeleteTask": frozenset({*_COMMON, "FailedOperation"}),
    "DescribeActionFieldConfigList": frozenset({*_COMMON, "MissingParameter"}),
    "DescribeActionLibraryList": frozenset({*_COMMON, "MissingParameter", "UnsupportedOperation"}),
    "DescribeObjectTypeList": frozenset({*_COMMON, "MissingParameter", "UnsupportedOperation"}),
    "DescribeTask": frozenset({*_COMMON, "DryRunOperation", "FailedOperation", "LimitExceeded", "MissingParameter",
                               "OperationDenied", "RequestLimitExceeded", "ResourceInUse", "ResourceInsufficient",
                               "ResourceNotFound", "ResourceUnavailable", "ResourcesSoldOut",
                               "UnauthorizedOperation", "UnknownParameter", "UnsupportedOperation"}),
    "DescribeTaskExecuteLogs": frozenset({*_COMMON, "AuthFailure.UnauthorizedOperation", "OperationDenied"}),
    "DescribeTaskList": frozenset({*_COMMON, "MissingParameter", "UnknownParameter", "UnsupportedOperation"}),
    "DescribeTaskPolicyTriggerLog": frozenset({*_COMMON, "AuthFailure.UnauthorizedOperation", "FailedOperation",
                                               "MissingParameter", "RequestLimitExceeded", "UnauthorizedOperation",
                                               "UnknownParameter", "UnsupportedOperation"}),
    "DescribeTemplate": frozenset({*_COMMON, "FailedOperation", "LimitExceeded", "MissingParameter",
                                   "OperationDenied", "ResourceInUse", "ResourceInsufficient", "UnknownParameter",
                                   "UnsupportedOperation"}),
    "DescribeTemplateList": frozenset({*_COMMON, "MissingParameter", "UnknownParameter", "UnsupportedOperation"}),
    "ExecuteTask": frozenset({"AuthFailure", "FailedOperation", "InternalError", "InvalidParameter",
                              "UnsupportedOperation"}),
    "ExecuteTaskInstance": frozenset({*_COMMON, "AuthFailure.UnauthorizedOperation", "MissingParameter",
                                      "OperationDenied", "ResourceInsufficient", "ResourceNotFound",
                                      "ResourceUnavailable", "UnauthorizedOperation", "UnsupportedOperation"}),
    "ModifyTaskRunStatus": frozenset({*_COMMON, "FailedOperation", "MissingParameter", "OperationDenied",
                                      "ResourceInUse", "UnsupportedOperation"}),
    "TriggerPolicy": frozenset({*_COMMON, "MissingParameter", "RequestLimitExceeded", "UnauthorizedOperation",
                                "UnsupportedOperation"}),
}
"""The business codes each action documents (none are published for the ``CreateTaskFrom*Action`` pair)."""

_PREFERENCE = {
    "ResourceNotFound": ("ResourceNotFound", "InvalidParameterValue", "InvalidParameter"),
    "FailedOperation": ("FailedOperation", "UnsupportedOperation", "OperationDenied", "InvalidParameterValue"),
}
_VARIANT_OF = {"ResourceNotFound": "unknown_id", "FailedOperation": "illegal_state"}


def answer_code(action: str, code: str, variants: Variants) -> str:
    """The code ``action`` answers with, for the emulator's natural ``code``.

    :param action: the CFG action called.
    :param code: what the state raised.
    :param variants: the readings played.
    """
    variant = _VARIANT_OF.get(code)
    if variant is None:
        return code
    chosen = getattr(variants, variant)
    if chosen != "documented":
        return str(chosen)
    documented = DOCUMENTED.get(action)
    if documented is None:
        return code
    return next((c for c in _PREFERENCE[code] if c in documented), code)


ZH_CN: dict[str, dict[str, str]] = {
    "ActionType": {"Platform": "平台", "Custom": "自定义"},
    "ActionRisk": {"Low risk": "低风险", "Medium risk": "中风险", "High risk": "高风险",
                   "1": "低风险", "2": "中风险", "3": "高风险"},
    "RiskDesc": {"Low risk": "低风险", "Medium risk": "中风险", "High risk": "高风险"},
    "Creator": {"system": "系统"},
}
"""English display values → the zh-CN ones of the official examples, by field."""
EN_US: dict[str, dict[str, str]] = {}
"""en-US values are the state's own."""


def language_of(headers: Mapping[str, str], variants: Variants) -> str:
    """``zh-CN`` or ``en-US``: the variant's, or ``X-TC-Language`` (zh-CN when absent, as CFG)."""
    if variants.language != "header":
        return variants.language
    wanted = headers.get("x-tc-language", "").strip()
    return "en-US" if wanted.lower() == "en-us" else "zh-CN"


def localise(content: Any, language: str) -> Any:
    """``content`` (a JSON answer) with its display values in ``language``."""
    table = ZH_CN if language == "zh-CN" else EN_US
    return _walk(content, table)


def _walk(value: Any, table: dict[str, dict[str, str]]) -> Any:
    if isinstance(value, dict):
        return {k: (table[k].get(v, v) if k in table and isinstance(v, str) else _walk(v, table))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(item, table) for item in value]
    return value
