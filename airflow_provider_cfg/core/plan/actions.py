"""The plan of an experiment from library actions (``CreateTaskFromAction``, ``CreateTaskFromMultiAction``):
one group on the given instances, each fault followed by its recovery (the library's, which CFG adds
when the caller did not list it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.api.enums import ActionAttribute, InstancesExecuteMode, TaskMode
from airflow_provider_cfg.core.names import MODE_NAMES
from airflow_provider_cfg.core.plan.groups import affected, check_instances, group_checks
from airflow_provider_cfg.core.plan.ids import id_format_for
from airflow_provider_cfg.core.plan.model import STEP_KINDS, ExperimentPlan, PlanGroup, PlanStep
from airflow_provider_cfg.core.plan.parameters import resolve_parameters
from airflow_provider_cfg.core.plan.policy import PlanError, as_int, risk_level

if TYPE_CHECKING:
    from airflow_provider_cfg.api import models as m
    from airflow_provider_cfg.core.plan.catalogue import Catalogue, SchemaPair
    from airflow_provider_cfg.core.plan.policy import BlastRadiusPolicy

# One step before numbering: (library entry, general, custom, added by CFG).
_Step = tuple["m.ActionLibraryListResult", dict[str, Any], dict[str, Any], bool]
_INSTANCES_FIELD = "TaskInstances"


def actions_plan(
    catalogue: Catalogue, policy: BlastRadiusPolicy, entries: list[dict[str, Any]], instances: Any,
    title: str | None, *, single: bool,
) -> ExperimentPlan:
    """Resolve and check an experiment from library actions (see :func:`~.build.build_plan`).

    :param entries: ``{"action_id", "general", "custom"}`` dicts, in order.
    :param single: one action (``CreateTaskFromAction``: its fields are named as that call's arguments).
    :raises PlanError: an action id is malformed or not in the library.
    """
    ids = [as_int(e["action_id"], "action_id" if single else f"actions[{i}].action_id", minimum=1)
           for i, e in enumerate(entries)]
    found = _find_actions(catalogue, ids, single=single)
    first = found[ids[0]]
    type_id = int(first.ObjectTypeId) if first.ObjectTypeId is not None else None
    source: dict[str, Any] = (
        {"kind": "action", "action_id": ids[0]} if single else {"kind": "actions", "action_ids": ids}
    )
    plan = ExperimentPlan(source=source, title=str(title or first.ActionName or f"action {ids[0]}"),
                          mode=MODE_NAMES[TaskMode.MANUAL], groups=[], policy=policy)
    plan.object_type_titles = {k: v.ObjectTypeTitle for k, v in catalogue.object_types().items()}
    _check_one_object_type(plan, catalogue, ids, found, type_id)
    library, schemas = _library_and_schemas(catalogue, ids, found, type_id)
    group = _instances_group(plan, catalogue, type_id, instances)
    steps = _with_cfg_recoveries(plan, _caller_steps(plan, ids, entries, library, schemas, single=single),
                                 library, schemas)
    for order, (entry, general, custom, added) in enumerate(steps, start=1):
        attribute = int(entry.AttributeId) if entry.AttributeId is not None else 0
        group.steps.append(PlanStep(order=order, action_id=entry.ActionId,
                                    title=str(entry.ActionName or entry.ActionId),
                                    kind=STEP_KINDS.get(attribute, "unknown"), risk=risk_level(entry.RiskDesc),
                                    general=general, custom=custom, added_by_cfg=added))
    _pair_actions(group.steps, library)
    plan.groups.append(group)
    group_checks(plan, group, _INSTANCES_FIELD)
    return plan


def _instances_group(plan: ExperimentPlan, catalogue: Catalogue, type_id: int | None, instances: Any) -> PlanGroup:
    """The one group of the experiment: every given instance (checked), no steps yet."""
    obj = catalogue.object_types().get(type_id) if type_id is not None else None
    fmt = id_format_for(type_id, obj)
    if fmt is None:
        plan.notes.append(f"no known instance-id format for object type {type_id}; ids not checked")
    given = check_instances(plan, _INSTANCES_FIELD, instances if instances is not None else [], fmt, type_id,
                            obj.ObjectTypeTitle if obj else None)
    count, selection = affected(None, len(given), known_all=True)
    return PlanGroup(order=1, title=plan.title, object_type_id=type_id,
                     object_type_title=obj.ObjectTypeTitle if obj else None, instances=given,
                     execute_rule={"mode": int(InstancesExecuteMode.ALL)}, affected=count, selection=selection)


def _find_actions(catalogue: Catalogue, ids: list[int], *, single: bool) -> dict[int, m.ActionLibraryListResult]:
    """The library entries of ``ids``, whatever their object type.

    :raises PlanError: one is not in the library.
    """
    found = catalogue.find(ids)
    missing = [a for a in ids if a not in found]
    if missing:
        searched = len(catalogue.object_types())
        raise PlanError(
            f"{'TaskActionId' if single else 'TaskAction'}: action(s) {', '.join(map(str, missing))} "
            f"do not exist in the action library (searched {searched} object type(s) with DescribeActionLibraryList)")
    return found


def _check_one_object_type(
    plan: ExperimentPlan, catalogue: Catalogue, ids: list[int], found: Mapping[int, m.ActionLibraryListResult],
    type_id: int | None,
) -> None:
    """All actions share the same instances, so they must target the first action's object type."""
    for index, aid in enumerate(ids):
        other = found[aid].ObjectTypeId
        if other is not None and type_id is not None and int(other) != type_id:
            plan.violate("mixed_object_types", f"actions[{index}].action_id",
                         f"action {aid} ({found[aid].ActionName}) targets object type {other} "
                         f"({catalogue.object_type_title(int(other)) or 'unknown'}) "
                         f"but action {ids[0]} targets {type_id} "
                         f"({catalogue.object_type_title(type_id) or 'unknown'}); "
                         "all actions share the same instances and must target one object type")


def _library_and_schemas(
    catalogue: Catalogue, ids: list[int], found: Mapping[int, m.ActionLibraryListResult], type_id: int | None,
) -> tuple[dict[int, m.ActionLibraryListResult], dict[int, SchemaPair]]:
    """The library entries of the actions and of their recoveries, and the parameter schemas of those
    that target ``type_id``."""
    relations = {relation for a in ids if (relation := found[a].RelationActionId)}
    library = catalogue.library(type_id, [*ids, *relations]) if type_id is not None else dict(found)
    library = {**library, **found}
    if type_id is None:
        return library, {}
    wanted = [a for a in dict.fromkeys([*ids, *relations])
              if library.get(a) is not None and library[a].ObjectTypeId == type_id]
    return library, catalogue.schemas(type_id, wanted)


def _caller_steps(
    plan: ExperimentPlan, ids: list[int], entries: list[dict[str, Any]],
    library: Mapping[int, m.ActionLibraryListResult], schemas: Mapping[int, SchemaPair], *, single: bool,
) -> list[_Step]:
    """The actions the caller listed, with their parameters resolved and checked."""
    steps: list[_Step] = []
    for index, (aid, entry_input) in enumerate(zip(ids, entries, strict=True)):  # one id per entry
        entry = library[aid]
        fields = ("general_configuration", "custom_configuration") if single else (
            f"actions[{index}].general", f"actions[{index}].custom")
        general, custom = resolve_parameters(
            plan, f"action {aid} ({entry.ActionName})", schemas.get(aid, (None, None)), ({}, {}),
            (entry_input.get("general"), entry_input.get("custom")), fields,
        )
        steps.append((entry, general, custom, False))
    return steps


def _with_cfg_recoveries(
    plan: ExperimentPlan, steps: list[_Step], library: Mapping[int, m.ActionLibraryListResult],
    schemas: Mapping[int, SchemaPair],
) -> list[_Step]:
    """``steps`` with the library recovery CFG adds right after each fault that has none later in the list."""
    pairs: dict[int, int] = {}  # fault position -> position of its recovery, later in the list
    for i, (entry, *_rest) in enumerate(steps):
        if entry.AttributeId == ActionAttribute.FAULT and entry.RelationActionId:
            for j in range(i + 1, len(steps)):
                if j not in pairs.values() and steps[j][0].ActionId == entry.RelationActionId:
                    pairs[i] = j
                    break
    final: list[_Step] = []
    for i, item in enumerate(steps):
        final.append(item)
        entry = item[0]
        if entry.AttributeId == ActionAttribute.FAULT and entry.RelationActionId and i not in pairs:
            relation = int(entry.RelationActionId)
            recovery = library.get(relation)  # the library is keyed by ActionId
            if recovery is not None:
                general, custom = resolve_parameters(
                    plan, f"recovery action {recovery.ActionId}", schemas.get(relation, (None, None)),
                    ({}, {}), (None, None), ("recovery.general", "recovery.custom"))
                final.append((recovery, general, custom, True))
    return final


def _pair_actions(steps: list[PlanStep], library: Mapping[int, m.ActionLibraryListResult]) -> None:
    """Pair each fault with the first later unpaired recovery of its library partner."""
    for i, step in enumerate(steps):
        if step.kind != "fault":
            continue
        entry = library.get(step.action_id) if step.action_id is not None else None
        relation = int(entry.RelationActionId) if entry is not None and entry.RelationActionId else 0
        if not relation:
            step.heals_by_itself = entry is not None
            if entry is not None:
                step.recovery = "heals by itself (no recovery action in the library)"
            else:
                step.recovery = "NOT recovered"
            continue
        for later in steps[i + 1:]:
            if later.action_id == relation and later.kind == "recovery" and later.paired_with is None:
                step.paired_with, later.paired_with = later.order, step.order
                added = " (added by CFG)" if later.added_by_cfg else ""
                step.recovery = f"recovered by step {later.order} ({later.title}){added}"
                later.recovery = f"recovers step {step.order} ({step.title})"
                break
        else:
            step.recovery = f"NOT recovered: the library pairs it with action {relation}, which is not in the library"
