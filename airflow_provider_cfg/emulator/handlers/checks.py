"""Checks and helpers the handlers share: allowed values, paging, instance ids, filters and tags."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from airflow_provider_cfg.api import models as m
from airflow_provider_cfg.api.enums import ActionKind, RiskLevel
from airflow_provider_cfg.emulator.answers import localise
from airflow_provider_cfg.emulator.definitions import ObjectTypeDef, object_key
from airflow_provider_cfg.emulator.errors import bad_value

MAX_LIST_LIMIT = 100


def choice(value: int | None, allowed: dict[int, str], param: str) -> int | None:
    if value is not None and value not in allowed:
        listing = ", ".join(f"{k} ({v})" for k, v in allowed.items())
        raise bad_value(f"{param} must be one of {listing}; got {value}")
    return value


def non_negative(value: int | None, param: str) -> None:
    if value is not None and value < 0:
        raise bad_value(f"{param} must be >= 0; got {value}")


def page_slice(limit: int, offset: int, max_limit: int | None = MAX_LIST_LIMIT) -> slice:
    if limit < 0 or (max_limit is not None and limit > max_limit):
        bound = f"between 0 and {max_limit}" if max_limit is not None else ">= 0"
        raise bad_value(f"Limit must be {bound}; got {limit}")
    non_negative(offset, "Offset")
    return slice(offset, offset + limit)


def checked_instances(values: Sequence[str], otype: ObjectTypeDef, param: str) -> list[str]:
    if not values:
        raise bad_value(f"{param} must list at least one instance ({otype.title}: {otype.id_format})")
    seen: set[str] = set()
    for i, value in enumerate(values):
        otype.check_instance(value, f"{param}.{i}")
        key = object_key(value)
        if key in seen:
            raise bad_value(f"{param}.{i}: instance {value!r} is listed twice")
        seen.add(key)
    return list(values)


def tag_dicts(tags: Iterable[Any] | None) -> list[dict[str, str]]:
    return [{"TagKey": t.TagKey, "TagValue": t.TagValue} for t in tags or []]


def matches_filters(item: m.CfgModel, filters: list[m.ActionFilter] | None, fields: dict[str, str]) -> bool:
    """``fields`` maps a filter keyword to an attribute; a value matches as a case-insensitive substring
    of the attribute, or (an action type or risk) its code, or its text in either language."""
    for f in filters or []:
        attr = fields.get(f.Keyword)
        if attr is None:
            raise bad_value(f"Filters.Keyword {f.Keyword!r} is not supported; supported: {', '.join(fields)}")
        texts = _shown_as(attr, getattr(item, attr))
        if f.Values and not any(v.lower() in text for v in f.Values for text in texts):
            return False
    return True


_CODED: dict[str, type[ActionKind] | type[RiskLevel]] = {
    "ActionType": ActionKind, "ActionRisk": RiskLevel, "RiskDesc": RiskLevel,
}


def _shown_as(attr: str, value: Any) -> list[str]:
    """The ways a filter may name ``value``: as shown, and for a coded value its code and zh-CN text."""
    text = str(value or "").lower()
    kind = _CODED.get(attr)
    member = kind.from_text(value) if kind is not None else None
    if member is None:
        return [text]
    return [text, str(member.value), localise({attr: value}, "zh-CN")[attr]]


def tags_match(tags: list[m.TagWithDescribe] | None, wanted: list[m.TagWithDescribe] | None) -> bool:
    """Every wanted pair must be present (a pair without value matches any value of the key)."""
    have = [(t.TagKey, t.TagValue) for t in tags or []]
    for want in wanted or []:
        if not any(k == want.TagKey and (want.TagValue in (None, "") or v == want.TagValue) for k, v in have):
            return False
    return True


def has_tag_key(tags: list[m.TagWithDescribe] | None, tag: str | None, wanted: list[str]) -> bool:
    """One of the ``wanted`` keys is a tag key or the plain tag (``TaskTag``/``TemplateTag``) of the item."""
    keys = {t.TagKey for t in tags or []} | ({tag} if tag else set())
    return bool(keys & set(wanted))
