"""The names a DAG author writes for CFG's codes, both ways, and how a bad value is quoted.

Kept apart from :mod:`.requests` so that an operator checks ``mode="manual"`` when the DAG is
parsed without loading the API models (DAG-parse cost: ``bench/import_cost.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_cfg.api.enums import PolicyDealType, TaskMode

MODES: dict[str, int] = {member.name.lower(): int(member) for member in TaskMode}
"""``mode`` names to ``TaskMode`` codes: ``{"manual": 1, "automatic": 2}``."""
MODE_NAMES: dict[int, str] = {code: name for name, code in MODES.items()}
"""``TaskMode`` codes to names: ``{1: "manual", 2: "automatic"}``."""
POLICY_DEAL_TYPES: dict[str, int] = {
    "rollback": int(PolicyDealType.SEQUENTIAL_ROLLBACK),
    "pause": int(PolicyDealType.PAUSE),
}
"""``policy_deal_type`` names to ``PolicyDealType`` codes: what the guardrail does when triggered."""

_SHOWN_IN_MESSAGES = 60  # characters of a bad value quoted in a message


def shown(value: Any, limit: int = _SHOWN_IN_MESSAGES) -> str:
    """``value`` as quoted in an error message: its ``repr``, cut to ``limit`` characters so that a
    huge bad value is never copied into a message or a log.

    :param value: the offending value.
    :param limit: characters kept before the cut.
    """
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}…' ({len(text)} characters)"


def wire_code(value: Any, names: Mapping[str, int], field: str) -> int | None:
    """The wire code of ``"manual"`` / ``1`` style values, naming the allowed values on error.

    :param value: a name (any case), a code, or ``None`` (kept: CFG's default applies).
    :param names: name to code, e.g. :data:`MODES`.
    :param field: the argument, for the message.
    :raises ValueError: neither a known name nor a known code.
    """
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() in names:
        return names[value.strip().lower()]
    if isinstance(value, int) and not isinstance(value, bool) and value in names.values():
        return value
    allowed = ", ".join(f"{name!r} ({code})" for name, code in names.items())
    raise ValueError(f"{field} must be one of {allowed}; got {value!r}")
