"""The readings of what CFG leaves undocumented, each playable (``cfg-emulator --variant NAME=VALUE``).

Every variant names one row of ``cfg-undocumented.md``; its first value is the default, the reading
Tencent's published material (API definition, official examples) points to. They are set at start
(``--variant``, repeatable; ``CFG_EMULATOR_VARIANTS="a=b,c=d"``; ``create_app(variants=...)``),
read with ``GET /_emulator/variants`` and changed at run time with ``POST /_emulator/variants``; a
reset goes back to the start-up values. BEHAVIOUR.md §12 says what each value does.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields

ENV_VAR = "CFG_EMULATOR_VARIANTS"

CHOICES: dict[str, tuple[str, ...]] = {
    "instances": ("at_start", "at_creation"),
    "operate_all": ("action", "task"),
    "start_type": ("run", "pending"),
    "unknown_id": ("documented", "ResourceNotFound", "InvalidParameterValue", "InvalidParameter", "FailedOperation"),
    "illegal_state": ("documented", "FailedOperation", "UnsupportedOperation", "OperationDenied",
                      "InvalidParameterValue"),
    "conclusion_after_end": ("accepted", "refused"),
    "language": ("header", "zh-CN", "en-US"),
    "end_recovers": ("no", "yes"),
    "auto_pause": ("off", "on"),
}
"""Each variant's values, the default first."""

DESCRIPTIONS: dict[str, str] = {
    "instances": "row 1: when an action's TaskGroupInstances exist (ExecuteTask, or CreateTask*)",
    "operate_all": "row 2: what ExecuteTaskInstance IsOperateAll=true operates (this action, or the whole task)",
    "start_type": "row 3: ExecuteTaskInstance ActionType 1 runs the action, or only makes it pending (2002)",
    "unknown_id": "row 4: the code for an unknown or foreign id (documented: the action's own documented list)",
    "illegal_state": "row 4: the code for an illegal state change (documented: the action's own documented list)",
    "conclusion_after_end": "row 5: ModifyTaskRunStatus 1004 with a conclusion on a task CFG ended itself",
    "language": "row 6: display values (header: X-TC-Language, zh-CN when absent)",
    "end_recovers": "row 7: whether ending a task (1004) recovers the faults still injected",
    "auto_pause": "row 8: automatic mode pauses (1003) by itself after each fault, for TaskPauseDuration",
}


class VariantError(ValueError):
    """An unknown variant or value; the message lists the allowed ones."""


@dataclass
class Variants:
    """The reading played for each undocumented behaviour (defaults: the first of :data:`CHOICES`)."""

    instances: str = "at_start"
    operate_all: str = "action"
    start_type: str = "run"
    unknown_id: str = "documented"
    illegal_state: str = "documented"
    conclusion_after_end: str = "accepted"
    language: str = "header"
    end_recovers: str = "no"
    auto_pause: str = "off"

    def __post_init__(self) -> None:
        for f in fields(self):
            check(f.name, getattr(self, f.name))

    def update(self, changes: Mapping[str, str]) -> None:
        """Apply ``{name: value}`` (all checked before any is applied).

        :param changes: variant names and values.
        :raises VariantError: an unknown name or value.
        """
        for name, value in changes.items():
            check(name, value)
        for name, value in changes.items():
            setattr(self, name, value)

    def copy(self) -> Variants:
        return Variants(**self.as_dict())

    def as_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def listing(self) -> dict[str, dict[str, object]]:
        """What ``GET /_emulator/variants`` shows: each variant, its values, the current one."""
        return {name: {"values": list(values), "default": values[0], "current": getattr(self, name),
                       "reading": DESCRIPTIONS[name]} for name, values in CHOICES.items()}

    @classmethod
    def parse(cls, items: Iterable[str]) -> Variants:
        """``["instances=at_creation", ...]`` (each item may hold several, comma-separated).

        :param items: ``NAME=VALUE`` texts.
        :raises VariantError: a malformed item, an unknown name or value.
        """
        variants = cls()
        variants.update(parse_pairs(items))
        return variants

    @classmethod
    def from_env(cls, extra: Iterable[str] = ()) -> Variants:
        """The variants of :data:`ENV_VAR`, then ``extra`` (``NAME=VALUE``) on top."""
        return cls.parse([os.environ.get(ENV_VAR, ""), *extra])


def check(name: str, value: str) -> None:
    """Refuse an unknown variant or value, listing what is allowed."""
    if name not in CHOICES:
        raise VariantError(f"unknown variant {name!r}; variants: {', '.join(CHOICES)}")
    if value not in CHOICES[name]:
        raise VariantError(f"variant {name} must be one of {', '.join(CHOICES[name])}; got {value!r}")


def parse_pairs(items: Iterable[str]) -> dict[str, str]:
    """``NAME=VALUE`` texts (comma-separated allowed, blanks ignored) as a dict."""
    pairs: dict[str, str] = {}
    for item in items:
        for part in item.split(","):
            part = part.strip()
            if not part:
                continue
            name, sep, value = part.partition("=")
            if not sep:
                raise VariantError(f"a variant is NAME=VALUE; got {part!r}")
            pairs[name.strip()] = value.strip()
    return pairs
