"""The create calls' wire parameters, built from what a DAG author writes.

An operator's arguments (``template_id``, ``instances``, ``actions``, ``mode``…) become the
parameters of ``CreateTaskFromTemplate``, ``CreateTaskFromAction`` or ``CreateTaskFromMultiAction``:
the Airflow identity is added (tags and a description marker, see :mod:`.identity`), configurations
are serialised the way CFG types them (JSON strings), and malformed input raises ``ValueError``
before anything is sent. The plan (:mod:`.plan`) reads these same parameters and uses the same
instance grouping and action-list check, so an argument means one thing in both.

The names of the wire codes (``mode="manual"``, ``policy_deal_type="pause"``) come from
:mod:`airflow_provider_cfg.api.enums`, in both directions.

:func:`create_experiment` sends a create call exactly once per Airflow task instance.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pydantic

from airflow_provider_cfg.api.actions import ACTIONS
from airflow_provider_cfg.api.client import validation_error
from airflow_provider_cfg.api.errors import CfgValidationError
from airflow_provider_cfg.core.exclusivity import ensure_exclusive, request_targets
from airflow_provider_cfg.core.identity import find_experiment
from airflow_provider_cfg.core.inputs import ascii_id
from airflow_provider_cfg.core.names import shown
from airflow_provider_cfg.core.settle import settle_mutation

if TYPE_CHECKING:
    from airflow_provider_cfg.api.client import CfgClient
    from airflow_provider_cfg.core.identity import AirflowIdentity

log = logging.getLogger(__name__)

_SHOWN_IN_REQUEST_ERRORS = 80  # the request builders have always quoted a little more
_ACTION_KEYS = ("action_id", "general", "custom")  # the keys of one entry of ``actions``
_WIRE_ACTION_KEYS = {
    "TaskActionId": "action_id",
    "TaskActionGeneralConfiguration": "general",
    "TaskActionCustomConfiguration": "custom",
}


def object_ids(value: Any, field: str) -> list[Any]:
    """A list of object ids; a bare string (``"ins-a"`` instead of ``["ins-a"]``) is refused, not split.

    :raises ValueError: ``value`` is not a list (``None`` included).
    """
    if value is None or isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise ValueError(
            f"{field} must be a list of object ids such as ['ins-xxxxxxxx']; "
            f"got {shown(value, _SHOWN_IN_REQUEST_ERRORS)}"
        )
    return list(value)


def as_groups(instances: Sequence[Any]) -> list[Any]:
    """The grouping rule of a template experiment's ``instances``: a flat list of ids is one group,
    anything else one entry per group (the entries are not checked here)."""
    items = list(instances)
    return [items] if all(isinstance(item, str) for item in items) else items


def group_instances(instances: Sequence[Sequence[str]] | Sequence[str] | None) -> list[list[str]] | None:
    """``instances`` of a template experiment as one checked list of ids per group.

    :raises ValueError: not a list of ids nor a list of such lists.
    """
    if instances is None:
        return None
    groups = as_groups(object_ids(instances, "instances"))
    if not all(isinstance(group, (list, tuple)) and all(isinstance(i, str) for i in group) for group in groups):
        raise ValueError(
            "instances must be a list of object ids or a list of such lists (one per group); "
            f"got {shown(instances, _SHOWN_IN_REQUEST_ERRORS)}"
        )
    return [list(group) for group in groups]


def action_entries(actions: Any, *, wire_form: bool = False) -> list[dict[str, Any]]:
    """``actions`` checked: a list of ``{"action_id", "general", "custom"}`` dicts (``action_id`` required).

    :param actions: the entries as a DAG author writes them.
    :param wire_form: also accept ``CreateTaskFromMultiAction``'s ``TaskAction`` entries
        (``TaskActionId``…), as the plan of a request reads them; they are returned as author entries.
    :raises ValueError: not a list, or an entry without ``action_id`` or with another key.
    """
    if actions is None or isinstance(actions, (str, bytes, Mapping)) or not isinstance(actions, Sequence):
        raise ValueError(
            f"actions must be a list of {{'action_id', 'general', 'custom'}} dicts; "
            f"got {shown(actions, _SHOWN_IN_REQUEST_ERRORS)}"
        )
    entries = []
    for index, item in enumerate(actions):
        if not isinstance(item, Mapping):
            raise ValueError(
                f"actions[{index}] needs 'action_id' and may have 'general' and 'custom'; "
                f"got {shown(item, _SHOWN_IN_REQUEST_ERRORS)}"
            )
        if wire_form and "TaskActionId" in item:
            item = {name: item.get(wire) for wire, name in _WIRE_ACTION_KEYS.items()}
        if "action_id" not in item or set(item) - set(_ACTION_KEYS):
            raise ValueError(
                f"actions[{index}] needs 'action_id' and may have 'general' and 'custom'; "
                f"got keys {sorted(item, key=str)}"
            )
        entries.append(dict(item))
    return entries


def template_request(
    client: CfgClient,
    identity: AirflowIdentity,
    *,
    template_id: int | str,
    instances: Sequence[Sequence[str]] | Sequence[str] | None = None,
    task_config: Mapping[str, Any] | None = None,
    action_parameters: Mapping[str, Mapping[str, Any]] | None = None,
    mode: int | None = None,
    pause_duration: int | None = None,
    policy_deal_type: int | None = None,
    title: str | None = None,
    description: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The ``CreateTaskFromTemplate`` parameters (reads the template: a wrong group count fails here).

    :param task_config: raw ``TaskConfig`` fields; the named arguments take precedence.
    :param action_parameters: per-action overrides keyed ``"group.action"`` (1-based orders).
    :raises ValueError: a malformed argument, or not one instance list per template group.
    """
    template_id = ascii_id(template_id, "template_id", "TemplateId")
    template = client.describe_template(template_id).Template
    group_count = len(template.TemplateGroups or []) if template else 0
    config = dict(task_config or {})
    groups_config = _groups_config(config, instances)
    if len(groups_config) != group_count:
        raise ValueError(
            f"template {template_id} has {group_count} action group(s) but {len(groups_config)} instance list(s) "
            f"were given (instances / TaskGroupsConfig must have one entry per group)"
        )
    _add_action_overrides(groups_config, action_parameters or {})
    template_tags = {t.TagKey: t.TagValue for t in (template.Tags or []) if t.TagKey} if template else {}
    template_description = template.TemplateDescription if template else None
    config.update(
        {
            "TaskGroupsConfig": groups_config,
            "TaskTitle": title or config.get("TaskTitle"),
            "TaskDescription": _with_marker(
                description or config.get("TaskDescription") or template_description, identity
            ),
            "TaskMode": mode or config.get("TaskMode"),
            "TaskPauseDuration": pause_duration or config.get("TaskPauseDuration"),
            "PolicyDealType": policy_deal_type or config.get("PolicyDealType"),
            "Tags": _tag_list({**template_tags, **dict(tags or {}), **identity.tags()}),
        }
    )
    return {"TemplateId": template_id, "TaskConfig": {k: v for k, v in config.items() if v is not None}}


def _groups_config(config: Mapping[str, Any], instances: Any) -> list[dict[str, Any]]:
    """``TaskGroupsConfig`` with ``instances`` (when given) as each group's ``TaskGroupInstances``."""
    groups_config = [dict(g) for g in config.get("TaskGroupsConfig", [])]
    grouped = group_instances(instances)
    if grouped is None:
        return groups_config
    return [
        {**(groups_config[i] if i < len(groups_config) else {}), "TaskGroupInstances": group}
        for i, group in enumerate(grouped)
    ]


def _add_action_overrides(
    groups_config: list[dict[str, Any]], action_parameters: Mapping[str, Mapping[str, Any]]
) -> None:
    """Put each ``"group.action"`` override into its group's ``TaskGroupActionsConfig``."""
    for key, override in action_parameters.items():
        # ASCII digits only: Arabic-Indic digits or "1_0" would pass ``int``
        group_order, action_order = (int(t) if t.isascii() and t.isdigit() else 0 for t in str(key).partition(".")[::2])
        if not (action_order >= 1 and 1 <= group_order <= len(groups_config)):
            raise ValueError(
                f"action_parameters key {key!r} must be 'group.action' with a group between 1 and {len(groups_config)}"
            )
        if not isinstance(override, Mapping):
            raise ValueError(
                f"action_parameters[{key!r}] must be a dict with 'general' and/or 'custom'; "
                f"got {shown(override, _SHOWN_IN_REQUEST_ERRORS)}"
            )
        unknown = set(override) - {"general", "custom"}
        if unknown:
            raise ValueError(f"action_parameters[{key!r}] accepts 'general' and 'custom', not {sorted(unknown)}")
        entry = {"TaskGroupActionOrder": action_order}
        # CFG types these as JSON strings (like CreateTaskFromAction's configurations)
        if "general" in override:
            entry["TaskGroupActionGeneralConfiguration"] = json_text(override["general"])
        if "custom" in override:
            entry["TaskGroupActionCustomConfiguration"] = json_text(override["custom"])
        groups_config[group_order - 1].setdefault("TaskGroupActionsConfig", []).append(entry)


def action_request(
    identity: AirflowIdentity,
    *,
    action_id: int | str,
    instances: Sequence[str] | None,
    general_configuration: Mapping[str, Any] | str | None = None,
    custom_configuration: Mapping[str, Any] | str | None = None,
    pause_duration: int | None = None,
    title: str | None = None,
    description: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The ``CreateTaskFromAction`` parameters.

    :param instances: checked here (it may come from a template): anything but a list of object
        ids, ``None`` included, raises ``ValueError``.
    """
    return _without_none(
        {
            "TaskActionId": action_id,
            "TaskInstances": object_ids(instances, "instances"),
            "TaskTitle": title,
            "TaskDescription": _with_marker(description, identity),
            "TaskActionGeneralConfiguration": json_text(general_configuration),
            "TaskActionCustomConfiguration": json_text(custom_configuration),
            "TaskPauseDuration": pause_duration,
            "TaskTags": _tag_list({**dict(tags or {}), **identity.tags()}),
        }
    )


def actions_request(
    identity: AirflowIdentity,
    *,
    instances: Sequence[str] | None,
    actions: Sequence[Mapping[str, Any]] | None,
    pause_duration: int | None = None,
    title: str | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    """The ``CreateTaskFromMultiAction`` parameters (CFG takes no tags on this call).

    :param instances: checked here, as ``actions`` (:func:`action_entries`) is: they may come from
        templates; anything but a list, ``None`` included, raises ``ValueError``.
    """
    wire_actions = [
        _without_none(
            {
                "TaskActionId": entry["action_id"],
                "TaskActionGeneralConfiguration": json_text(entry.get("general")),
                "TaskActionCustomConfiguration": json_text(entry.get("custom")),
            }
        )
        for entry in action_entries(actions)
    ]
    return _without_none(
        {
            "TaskInstances": object_ids(instances, "instances"),
            "TaskAction": wire_actions,
            "TaskTitle": title,
            "TaskDescription": _with_marker(description, identity),
            "TaskPauseDuration": pause_duration,
        }
    )


def validate_request(action: str, params: Mapping[str, Any]) -> None:
    """Check ``params`` against the create call's request model: bad input fails here, before
    anything is sent.

    :raises CfgValidationError: naming each bad field.
    """
    try:
        ACTIONS[action].request.model_validate(params)
    except pydantic.ValidationError as exc:
        raise validation_error(action, exc) from None


def create_experiment(
    client: CfgClient,
    action: str,
    params: Mapping[str, Any],
    identity: AirflowIdentity,
    *,
    title: str | None = None,
    reattach: bool = True,
    exclusive_targets: bool = True,
) -> int:
    """Create the experiment exactly once for the task instance ``identity``; its ``TaskId``.

    With ``reattach``, an experiment this task instance created earlier (a retry, a cleared task)
    is returned instead of creating a second one. A create call that fails in any way is settled by
    :func:`~.settle.settle_mutation`: the experiment is looked up (a few reads) and the call is sent
    again only when it is confirmed absent, so a lost answer cannot make a duplicate.

    :param action: the create call (``CreateTaskFromTemplate``…) with its ``params``.
    :param title: look the experiment up by title and description marker instead of by tag (the
        call takes no tags).
    :param exclusive_targets: refuse (:class:`~.exclusivity.TargetInUseError`, nothing created) when a
        target instance belongs to another live experiment of the account.
    """
    refuse_unoffered(action, client.config.endpoint)
    if reattach:
        experiment_id = find_experiment(client, identity, title=title)
        if experiment_id is not None:
            log.info("Reattaching to experiment %s, created earlier by %s", experiment_id, identity.describe())
            return experiment_id
    if exclusive_targets:
        ensure_exclusive(client, request_targets(params))
    experiment_id = settle_mutation(
        lambda: int(client.call(action, params)["TaskId"]),
        lambda: find_experiment(client, identity, title=title, attempts=3),
        what=action,
        logger=log,
    )
    log.info("Created experiment %s (%s)", experiment_id, action)
    return experiment_id


INTERNATIONAL_HOST_SUFFIX = ".intl.tencentcloudapi.com"
NOT_INTERNATIONAL = frozenset({"CreateTaskFromMultiAction"})
"""Actions the international API (``api.en-US.json``, 16 actions) does not offer."""


def refuse_unoffered(action: str, endpoint: str) -> None:
    """Refuse, before sending, an action the endpoint's site does not offer (it would answer ``InvalidAction``).

    :param action: the CFG action about to be called.
    :param endpoint: the client's endpoint (``https://cfg.intl.tencentcloudapi.com`` is the international site).
    :raises CfgValidationError: saying why and what to use instead.
    """
    host = endpoint.split("://", 1)[-1].split(":", 1)[0].lower()
    if action in NOT_INTERNATIONAL and host.endswith(INTERNATIONAL_HOST_SUFFIX):
        raise CfgValidationError(
            f"{action} is not offered by the international CFG API ({host}): it would answer InvalidAction. "
            "Create the experiment from one action (CfgCreateExperimentFromActionOperator, CreateTaskFromAction) "
            "or from a template holding the actions (CfgCreateExperimentFromTemplateOperator, "
            "CreateTaskFromTemplate) instead, or use the China site endpoint (cfg.tencentcloudapi.com)",
            field="endpoint",
        )


def json_text(value: Any) -> Any:
    """A configuration as CFG types it: a JSON string (a string or ``None`` is kept as it is)."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _with_marker(description: str | None, identity: AirflowIdentity) -> str:
    """The description with the identity marker a retry finds the experiment by."""
    text = (description or "").strip()
    return f"{text} {identity.marker}".strip()


def _tag_list(tags: Mapping[str, object]) -> list[dict[str, str]]:
    return [{"TagKey": str(k), "TagValue": str(v)} for k, v in tags.items()]


def _without_none(params: Mapping[str, Any]) -> dict[str, Any]:
    """Leave out what was not given, so that CFG's defaults apply."""
    return {key: value for key, value in params.items() if value is not None}
