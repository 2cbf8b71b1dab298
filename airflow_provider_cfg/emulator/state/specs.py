"""Creation specs: what the handlers validated, in the shape :meth:`EmulatorState.create_task` builds from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from airflow_provider_cfg.emulator.definitions import ActionDef, ObjectTypeDef, pair_faults


@dataclass
class ActionSpec:
    """An action to create, its parameters resolved; ``*_json`` keep a template's text as written."""

    definition: ActionDef
    general: dict[str, Any]
    custom: dict[str, Any]
    general_json: str | None = None
    custom_json: str | None = None
    pair: int | None = None  # index of the paired action in the same group


@dataclass
class GroupSpec:
    """An action group to create."""

    title: str
    description: str | None
    mode: int
    object_type: ObjectTypeDef
    instances: list[str]
    execute_rule: dict[str, int]
    actions: list[ActionSpec]


@dataclass
class TaskSpec:
    """A task to create; ``origin`` says where it came from in the creation log line."""

    title: str
    description: str
    mode: int
    pause_duration: int
    tags: list[dict[str, str]]
    policy_deal_type: int | None
    groups: list[GroupSpec]
    tag: str = ""
    template_id: int | None = None
    alarm_policy: list[str] = field(default_factory=list)
    policy_ids: list[str] | None = None
    policy_rule: str = "or"
    monitors: list[dict[str, Any]] = field(default_factory=list)
    origin: str = ""


def pair_actions(actions: list[ActionSpec]) -> list[ActionSpec]:
    """Pair each fault with the first later unpaired recovery of its library partner (sets every ``pair``)."""
    pairs = pair_faults([spec.definition for spec in actions])
    for i, spec in enumerate(actions):
        spec.pair = pairs.get(i)
    return actions
