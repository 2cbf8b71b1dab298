"""Operators creating a CFG experiment: from a template, from one library action, or from several.

Creation is exactly-once per Airflow task instance: the experiment is marked with the Airflow
identity, looked up before creating, and looked up again after a create call whose outcome is
unknown — a retry, a cleared task or a lost response reattaches instead of creating a second
experiment. The experiment id is returned (``return_value``) and pushed with the console URL to
XCom before the operator returns.

Before anything is created, the experiment is planned and checked (:mod:`airflow_provider_cfg.core.plan`,
read-only calls): instance-id formats, required and well-typed action parameters, a template in
use, and the blast-radius ``policy`` (instances per group, risk level, object types, a recovery for
every fault). A violation fails the task before any mutating call. With ``dry_run=True`` the plan is
pushed to XCom (``plan``, ``plan_markdown``) and logged, and nothing is created.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.operators.base import CfgBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_cfg.api.client import CfgClient
    from airflow_provider_cfg.core.identity import AirflowIdentity
    from airflow_provider_cfg.core.plan import BlastRadiusPolicy

MODES = {"manual": 1, "automatic": 2}
POLICY_DEAL_TYPES = {"rollback": 1, "pause": 2}


def _code(value: Any, names: Mapping[str, int], field: str) -> int | None:
    """Map ``"manual"`` / ``1`` style values to the wire code, naming the allowed values on error."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() in names:
        return names[value.strip().lower()]
    if isinstance(value, int) and not isinstance(value, bool) and value in names.values():
        return value
    allowed = ", ".join(f"{name!r} ({code})" for name, code in names.items())
    raise ValueError(f"{field} must be one of {allowed}; got {value!r}")


def _with_marker(description: str | None, identity: AirflowIdentity) -> str:
    text = (description or "").strip()
    return f"{text} {identity.marker}".strip()


def _tag_list(tags: Mapping[str, object]) -> list[dict[str, str]]:
    return [{"TagKey": str(k), "TagValue": str(v)} for k, v in tags.items()]


def _object_ids(value: Any, field: str) -> list[Any]:
    """A list of object ids; a bare string (``"ins-a"`` instead of ``["ins-a"]``) is refused, not split."""
    if value is None or isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise ValueError(f"{field} must be a list of object ids such as ['ins-xxxxxxxx']; got {_shown(value)}")
    return list(value)


def _shown(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def group_instances(instances: Sequence[Sequence[str]] | Sequence[str] | None) -> list[list[str]] | None:
    """``instances`` of a template experiment as one list per group (a flat list is one group)."""
    if instances is None:
        return None
    items = _object_ids(instances, "instances")
    if all(isinstance(item, str) for item in items):
        return [list(items)]
    if not all(isinstance(item, (list, tuple)) and all(isinstance(i, str) for i in item) for item in items):
        raise ValueError(
            f"instances must be a list of object ids or a list of such lists (one per group); got {_shown(instances)}"
        )
    return [list(item) for item in items]


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
    """The ``CreateTaskFromTemplate`` parameters (reads the template: a wrong group count fails here)."""
    try:
        template_id = int(str(template_id).strip())
    except (TypeError, ValueError):
        raise ValueError(f"template_id must be a CFG TemplateId (an integer); got {_shown(template_id)}") from None
    template = client.describe_template(template_id).Template
    groups = (template.TemplateGroups or []) if template else []
    config = dict(task_config or {})
    groups_config = [dict(g) for g in config.get("TaskGroupsConfig", [])]
    grouped = group_instances(instances)
    if grouped is not None:
        groups_config = [
            {**(groups_config[i] if i < len(groups_config) else {}), "TaskGroupInstances": group}
            for i, group in enumerate(grouped)
        ]
    if len(groups_config) != len(groups):
        raise ValueError(
            f"template {template_id} has {len(groups)} action group(s) but {len(groups_config)} instance list(s) "
            f"were given (instances / TaskGroupsConfig must have one entry per group)"
        )
    for key, override in (action_parameters or {}).items():
        group_order, _, action_order = str(key).partition(".")
        if not (group_order.isdigit() and action_order.isdigit()) or not 1 <= int(group_order) <= len(groups_config):
            raise ValueError(
                f"action_parameters key {key!r} must be 'group.action' with a group between 1 and {len(groups_config)}"
            )
        if not isinstance(override, Mapping):
            raise ValueError(
                f"action_parameters[{key!r}] must be a dict with 'general' and/or 'custom'; got {_shown(override)}"
            )
        unknown = set(override) - {"general", "custom"}
        if unknown:
            raise ValueError(f"action_parameters[{key!r}] accepts 'general' and 'custom', not {sorted(unknown)}")
        entry = {"TaskGroupActionOrder": int(action_order)}
        # CFG types these as JSON strings (like CreateTaskFromAction's configurations)
        if "general" in override:
            entry["TaskGroupActionGeneralConfiguration"] = _json(override["general"])
        if "custom" in override:
            entry["TaskGroupActionCustomConfiguration"] = _json(override["custom"])
        groups_config[int(group_order) - 1].setdefault("TaskGroupActionsConfig", []).append(entry)
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

    ``instances`` is checked here (it may come from a template): anything but a list of object ids,
    ``None`` included, raises ``ValueError``.
    """
    return {
        key: value
        for key, value in {
            "TaskActionId": action_id,
            "TaskInstances": _object_ids(instances, "instances"),
            "TaskTitle": title,
            "TaskDescription": _with_marker(description, identity),
            "TaskActionGeneralConfiguration": _json(general_configuration),
            "TaskActionCustomConfiguration": _json(custom_configuration),
            "TaskPauseDuration": pause_duration,
            "TaskTags": _tag_list({**dict(tags or {}), **identity.tags()}),
        }.items()
        if value is not None
    }


def actions_request(
    identity: AirflowIdentity,
    *,
    instances: Sequence[str] | None,
    actions: Sequence[Mapping[str, Any]] | None,
    pause_duration: int | None = None,
    title: str | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    """The ``CreateTaskFromMultiAction`` parameters.

    ``instances`` and ``actions`` are checked here (they may come from templates): anything but a
    list, ``None`` included, raises ``ValueError``.
    """
    if actions is None or isinstance(actions, (str, bytes, Mapping)) or not isinstance(actions, Sequence):
        raise ValueError(f"actions must be a list of {{'action_id', 'general', 'custom'}} dicts; got {_shown(actions)}")
    entries = []
    for index, item in enumerate(actions):
        if not isinstance(item, Mapping):
            raise ValueError(
                f"actions[{index}] needs 'action_id' and may have 'general' and 'custom'; got {_shown(item)}"
            )
        unknown = set(item) - {"action_id", "general", "custom"}
        if "action_id" not in item or unknown:
            raise ValueError(
                f"actions[{index}] needs 'action_id' and may have 'general' and 'custom'; got {dict(item)!r}"
            )
        entry: dict[str, Any] = {"TaskActionId": item["action_id"]}
        if item.get("general") is not None:
            entry["TaskActionGeneralConfiguration"] = _json(item["general"])
        if item.get("custom") is not None:
            entry["TaskActionCustomConfiguration"] = _json(item["custom"])
        entries.append(entry)
    return {
        key: value
        for key, value in {
            "TaskInstances": _object_ids(instances, "instances"),
            "TaskAction": entries,
            "TaskTitle": title,
            "TaskDescription": _with_marker(description, identity),
            "TaskPauseDuration": pause_duration,
        }.items()
        if value is not None
    }


class _CfgCreateExperimentOperator(CfgBaseOperator):
    """Shared create / reattach / publish flow.

    :param title: experiment title (templated).
    :param description: experiment description (templated); the Airflow identity marker is appended.
    :param tags: tags to add, as ``{"key": "value"}`` (templated).
    :param reattach: look for an experiment this task instance already created before creating one.
    :param dry_run: plan and check only: push the plan (``plan``, ``plan_markdown``) to XCom, log it and
        return ``None`` without creating anything (fails after pushing if the plan has violations).
    :param policy: the blast-radius policy as a dict (:class:`~airflow_provider_cfg.core.plan.BlastRadiusPolicy`
        fields: ``max_instances_per_group``, ``max_risk_level``, ``allowed_object_types``,
        ``require_recovery``); ``None``: the default policy (every fault needs a recovery).
    """

    action: str = ""
    template_fields: Sequence[str] = (*CfgBaseOperator.template_fields, "title", "description", "tags")

    def __init__(
        self,
        *,
        title: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        reattach: bool = True,
        dry_run: bool = False,
        policy: Mapping[str, Any] | BlastRadiusPolicy | None = None,
        **kwargs: Any,
    ) -> None:
        from airflow_provider_cfg.core.plan import BlastRadiusPolicy

        super().__init__(**kwargs)
        self.title = title
        self.description = description
        self.tags = tags
        self.reattach = reattach
        # Not ``self.dry_run``: that is BaseOperator.dry_run(), the method rendering the template fields.
        self.plan_only = dry_run
        # a bad policy fails when the DAG is parsed; kept as a plain dict
        self.policy = BlastRadiusPolicy.from_value(policy).to_dict() if policy is not None else None

    # subclasses: the wire parameters of the create call
    def build_params(self, client: CfgClient, identity: AirflowIdentity) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    #: the title used for lookups when the create call takes no tags (None: look up by tag)
    def lookup_title(self, params: Mapping[str, Any]) -> str | None:
        return None

    def check_plan(self, context: Context, client: CfgClient, params: Mapping[str, Any]) -> None:
        """Plan ``params`` (read-only calls) and enforce the checks and the policy.

        The plan is pushed to XCom (``plan``; the game-day report shows it); its Markdown too, and
        to the log, when this is a dry run or when it is violated (then the task fails, before any
        mutating call)."""
        from airflow_provider_cfg.core.plan import XCOM_PLAN, XCOM_PLAN_MARKDOWN, plan_for_request

        plan = plan_for_request(client, self.action, params, self.policy)
        ti = context["ti"]
        ti.xcom_push(key=XCOM_PLAN, value=plan.to_dict())
        if self.plan_only or not plan.ok:
            markdown = plan.to_markdown()
            ti.xcom_push(key=XCOM_PLAN_MARKDOWN, value=markdown)
            self.log.info("Plan of %s (nothing created):\n%s", self.action, markdown)
        plan.raise_for_violations()
        self.log.info("Plan checked: %s, %d group(s), %d step(s), within policy",
                      plan.describe_source(), len(plan.groups), sum(len(g.steps) for g in plan.groups))

    def execute(self, context: Context) -> int | None:
        import pydantic

        from airflow_provider_cfg.api.actions import ACTIONS
        from airflow_provider_cfg.api.client import validation_error
        from airflow_provider_cfg.api.errors import CfgOutcomeUnknownError
        from airflow_provider_cfg.core.identity import AirflowIdentity, find_experiment

        ti = context["ti"]
        map_index = getattr(ti, "map_index", None)
        identity = AirflowIdentity(ti.dag_id, ti.task_id, ti.run_id, -1 if map_index is None else int(map_index))
        with self.client() as client:
            params = self.build_params(client, identity)
            try:  # bad input fails here, before anything is changed remotely
                ACTIONS[self.action].request.model_validate(params)
            except pydantic.ValidationError as exc:
                raise validation_error(self.action, exc) from None
            self.check_plan(context, client, params)  # policy and plan checks, before any mutating call
            if self.plan_only:
                self.log.info("Dry run: %s was not sent; nothing was created", self.action)
                return None
            title = self.lookup_title(params)
            task_id = find_experiment(client, identity, title=title) if self.reattach else None
            if task_id is not None:
                self.log.info("Reattaching to experiment %s, created earlier by %s", task_id, identity.describe())
            else:
                try:
                    task_id = int(client.call(self.action, params)["TaskId"])
                except CfgOutcomeUnknownError as exc:
                    self.log.warning("%s outcome unknown (%s); looking the experiment up", self.action, exc.cause)
                    task_id = find_experiment(client, identity, title=title, attempts=3)
                    if task_id is None:
                        # Confirmed absent: sending again cannot create a duplicate.
                        self.log.info("No experiment was created; sending %s again", self.action)
                        task_id = int(client.call(self.action, params)["TaskId"])
                self.log.info("Created experiment %s (%s)", task_id, self.action)
            self.publish_experiment(context, client, task_id)
        return task_id


class CfgCreateExperimentFromTemplateOperator(_CfgCreateExperimentOperator):
    """Create an experiment from a CFG template (``CreateTaskFromTemplate``).

    The template is read first, so a wrong group count is refused before anything is created.

    :param template_id: the template (experience library) id (templated).
    :param instances: target object ids per action group, e.g. ``[["ins-a", "ins-b"]]``; a flat list
        means one group (templated).
    :param mode: ``"manual"`` (each step driven by Airflow) or ``"automatic"`` (CFG advances by
        itself); default: the template's mode.
    :param pause_duration: CFG's automatic pause time, in minutes.
    :param action_parameters: per-action overrides keyed ``"group.action"`` (1-based orders), e.g.
        ``{"1.1": {"custom": {"duration": 120}, "general": {"ActionTimeout": 600}}}`` (templated).
    :param policy_deal_type: guardrail behaviour: ``"rollback"`` (sequential rollback) or ``"pause"``.
    :param task_config: raw ``TaskConfig`` fields; the named arguments above take precedence (templated).
    """

    action = "CreateTaskFromTemplate"
    template_fields: Sequence[str] = (
        *_CfgCreateExperimentOperator.template_fields,
        "template_id",
        "instances",
        "action_parameters",
        "task_config",
    )

    def __init__(
        self,
        *,
        template_id: int | str,
        instances: Sequence[Sequence[str]] | Sequence[str] | None = None,
        mode: str | int | None = None,
        pause_duration: int | None = None,
        action_parameters: Mapping[str, Mapping[str, Any]] | None = None,
        policy_deal_type: str | int | None = None,
        task_config: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.template_id = template_id
        self.instances = instances
        self.mode = _code(mode, MODES, "mode")
        self.pause_duration = pause_duration
        self.action_parameters = action_parameters
        self.policy_deal_type = _code(policy_deal_type, POLICY_DEAL_TYPES, "policy_deal_type")
        self.task_config = task_config

    def group_instances(self) -> list[list[str]] | None:
        return group_instances(self.instances)

    def build_params(self, client: CfgClient, identity: AirflowIdentity) -> dict[str, Any]:
        return template_request(
            client, identity, template_id=self.template_id, instances=self.instances, task_config=self.task_config,
            action_parameters=self.action_parameters, mode=self.mode, pause_duration=self.pause_duration,
            policy_deal_type=self.policy_deal_type, title=self.title, description=self.description, tags=self.tags,
        )


class CfgCreateExperimentFromActionOperator(_CfgCreateExperimentOperator):
    """Create an experiment from one library action (``CreateTaskFromAction``).

    :param action_id: the library ``ActionId``, e.g. 462 (network packet loss) (templated).
    :param instances: target object ids, e.g. ``["ins-xxxxxxxx"]`` (templated).
    :param general_configuration: general parameters as a dict (``ActionTimeout``…) (templated).
    :param custom_configuration: the action's own parameters as a dict (templated).
    :param pause_duration: CFG's automatic pause time, in minutes.
    """

    action = "CreateTaskFromAction"
    template_fields: Sequence[str] = (
        *_CfgCreateExperimentOperator.template_fields,
        "action_id",
        "instances",
        "general_configuration",
        "custom_configuration",
    )

    def __init__(
        self,
        *,
        action_id: int | str,
        instances: Sequence[str],
        general_configuration: Mapping[str, Any] | None = None,
        custom_configuration: Mapping[str, Any] | None = None,
        pause_duration: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.action_id = action_id
        self.instances = instances
        self.general_configuration = general_configuration
        self.custom_configuration = custom_configuration
        self.pause_duration = pause_duration

    def build_params(self, client: CfgClient, identity: AirflowIdentity) -> dict[str, Any]:
        return action_request(
            identity, action_id=self.action_id, instances=self.instances,
            general_configuration=self.general_configuration, custom_configuration=self.custom_configuration,
            pause_duration=self.pause_duration, title=self.title, description=self.description, tags=self.tags,
        )


class CfgCreateExperimentFromActionsOperator(_CfgCreateExperimentOperator):
    """Create an experiment from several library actions on the same instances
    (``CreateTaskFromMultiAction``).

    CFG takes no tags on this call, so the experiment is found again by its title and the identity
    marker in its description; a ``title`` is therefore required.

    :param instances: target object ids (templated).
    :param actions: ``[{"action_id": 462, "custom": {...}, "general": {...}}, ...]`` (templated).
    :param pause_duration: CFG's automatic pause time, in minutes.
    """

    action = "CreateTaskFromMultiAction"
    template_fields: Sequence[str] = (*_CfgCreateExperimentOperator.template_fields, "instances", "actions")

    def __init__(
        self,
        *,
        instances: Sequence[str],
        actions: Sequence[Mapping[str, Any]],
        pause_duration: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not self.title:
            raise ValueError(
                "CfgCreateExperimentFromActionsOperator needs a title (it is how a retry finds the experiment again)"
            )
        self.instances = instances
        self.actions = actions
        self.pause_duration = pause_duration

    def build_params(self, client: CfgClient, identity: AirflowIdentity) -> dict[str, Any]:
        return actions_request(
            identity, instances=self.instances, actions=self.actions, pause_duration=self.pause_duration,
            title=self.title, description=self.description,
        )

    def lookup_title(self, params: Mapping[str, Any]) -> str | None:
        return str(params["TaskTitle"])


def _json(value: Any) -> Any:
    import json

    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
