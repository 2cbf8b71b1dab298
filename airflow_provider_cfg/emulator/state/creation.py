"""Creating a task from a validated :class:`.TaskSpec`: the models of the task, its groups,
actions and instances, with fresh ids and each group's instance selection."""

from __future__ import annotations

from airflow_provider_cfg.api import models as m
from airflow_provider_cfg.api.enums import (
    ActionStatus,
    ActionStatusType,
    InstanceStatus,
    InstanceStatusType,
    TaskMode,
    TaskStatus,
    TaskStatusType,
)
from airflow_provider_cfg.emulator import catalogue_data as data
from airflow_provider_cfg.emulator.definitions import dumps
from airflow_provider_cfg.emulator.state.core import StateCore
from airflow_provider_cfg.emulator.state.records import (
    DEFAULT_POLICY_DEAL_TYPE,
    ActionRec,
    GroupRec,
    InstanceRec,
    TaskRec,
)
from airflow_provider_cfg.emulator.state.specs import ActionSpec, GroupSpec, TaskSpec


class CreationMixin(StateCore):
    """Build and store new tasks (``CreateTaskFrom*``)."""

    def create_task(self, region: str, spec: TaskSpec) -> TaskRec:
        """Create, store and return a task that has not started (1001).

        :param region: the region the task lives in (a key of ``catalogue_data.REGIONS``).
        :param spec: the validated task, as the handlers built it.
        """
        t = self.t
        ts = self.fmt(t)
        region_id, region_name = data.REGIONS[region]
        task_id = next(self._task_ids)
        explicit_policy = spec.policy_deal_type is not None
        model = m.Task(
            TaskId=task_id,
            TaskTitle=spec.title,
            TaskDescription=spec.description,
            TaskTag=spec.tag,
            TaskStatus=TaskStatus.NOT_STARTED,
            TaskStatusType=TaskStatusType.NOT_ENDED,
            TaskProtectStrategy=None,
            TaskCreateTime=ts,
            TaskUpdateTime=ts,
            TaskGroups=[],
            TaskStartTime=None,
            TaskEndTime=None,
            TaskExpect=None,
            TaskSummary=None,
            TaskMode=spec.mode,
            TaskPauseDuration=spec.pause_duration,
            TaskOwnerUin=data.OWNER_UIN,
            TaskRegionId=region_id,
            TaskMonitors=[],
            TaskPolicy=m.DescribePolicy(
                TaskPolicyIdList=list(spec.policy_ids or []),
                TaskPolicyStatus=m.POLICY_NOT_TRIGGERED,
                TaskPolicyRule=spec.policy_rule,
                TaskPolicyDealType=spec.policy_deal_type,
            ) if explicit_policy else None,
            Tags=[m.TagWithDescribe(TagKey=tag["TagKey"], TagValue=tag["TagValue"]) for tag in spec.tags],
            TaskPlanId=None,
            TaskPlanTitle=None,
            ApplicationId=None,
            ApplicationName=None,
            AlarmPolicy=list(spec.alarm_policy),
            ApmServiceList=[],
            VerifyId=None,
            PolicyDealType=spec.policy_deal_type if explicit_policy else DEFAULT_POLICY_DEAL_TYPE,
            TaskPlanStartTime=None,
            TaskPlanEndTime=None,
            TaskOrg=[],
            TaskIssue=None,
            TaskRegionName=region_name,
            TaskArchId="",
            TaskScenario=[],
            TaskPurpose=[],
        )
        task = TaskRec(model=model, region=region, created_at=t, updated_at=t)
        for order, gspec in enumerate(spec.groups, start=1):
            group = self._create_group(task, gspec, order, ts)
            task.groups.append(group)
            task.actions.extend(group.actions)
        # The records' own models (assignment is not validated, so nothing is copied).
        model.TaskGroups = [group.model for group in task.groups]
        model.TaskMonitors = self._monitors(task, spec)
        self.tasks[task_id] = task
        if spec.template_id is not None:
            self.template_used[spec.template_id] += 1
        self._log(task, t, f"Task {task_id} created ({spec.origin}): {len(task.groups)} action group(s), "
                           f"{len(task.actions)} action(s), mode {TaskMode.describe(spec.mode)}")
        return task

    def _create_group(self, task: TaskRec, spec: GroupSpec, order: int, ts: str) -> GroupRec:
        """An action group with its actions, each on the group's selected instances.

        :param task: the task being created.
        :param spec: the validated group.
        :param order: the group's 1-based position in the task.
        :param ts: the creation time as CFG shows it.
        """
        selected, discarded = self._select(spec.instances, spec.execute_rule)
        now = self.variants.instances == "at_creation"  # else they appear when the task starts
        group_model = m.TaskGroup(
            TaskGroupId=next(self._group_ids),
            TaskGroupTitle=spec.title,
            TaskGroupDescription=spec.description,
            TaskGroupOrder=order,
            ObjectTypeId=spec.object_type.id,
            TaskGroupCreateTime=ts,
            TaskGroupUpdateTime=ts,
            TaskGroupActions=[],
            TaskGroupInstanceList=list(spec.instances),
            TaskGroupMode=spec.mode,
            TaskGroupDiscardInstanceList=discarded if now else [],
            TaskGroupSelectedInstanceList=selected if now else [],
            TaskGroupInstancesExecuteRule=[m.TaskGroupInstancesExecuteRules(**spec.execute_rule)],
        )
        group = GroupRec(model=group_model, object_type=spec.object_type, selected=selected, discarded=discarded)
        random_ids = [self._random_id() for _ in spec.actions]
        for a_order, aspec in enumerate(spec.actions, start=1):
            group.actions.append(self._create_action(group, aspec, a_order, random_ids, selected if now else [], ts))
        group_model.TaskGroupActions = [action.model for action in group.actions]  # the same models, not copies
        for aspec, action in zip(spec.actions, group.actions, strict=True):  # one action per spec, built above
            if aspec.pair is not None:
                action.pair = group.actions[aspec.pair]
        return group

    def _create_action(
        self, group: GroupRec, aspec: ActionSpec, a_order: int, random_ids: list[int], selected: list[str], ts: str,
    ) -> ActionRec:
        """One action of ``group`` with a not-started instance per selected object.

        :param group: the group being created.
        :param aspec: the validated action.
        :param a_order: the action's 1-based position in the group.
        :param random_ids: the group's ``TaskGroupActionRandomId`` values, one per action, by position
            (a fault names its recovery's random id and the other way round).
        :param selected: the objects to create instances on now (none when they appear at start).
        :param ts: the creation time as CFG shows it.
        """
        definition = aspec.definition
        action_id = next(self._action_ids)
        instances = [self._create_instance(object_id, ts) for object_id in selected]
        partner = random_ids[aspec.pair] if aspec.pair is not None else None
        alias = aspec.general.get("AliasTitle")
        action_model = m.TaskGroupAction(
            TaskGroupActionId=action_id,
            TaskGroupInstances=[i.model for i in instances],
            ActionId=definition.id,
            TaskGroupActionOrder=a_order,
            TaskGroupActionGeneralConfiguration=aspec.general_json or dumps(aspec.general),
            TaskGroupActionCustomConfiguration=aspec.custom_json or dumps(aspec.custom),
            TaskGroupActionStatus=ActionStatus.NOT_STARTED,
            TaskGroupActionCreateTime=ts,
            TaskGroupActionUpdateTime=ts,
            ActionTitle=alias if isinstance(alias, str) and alias else definition.name,
            TaskGroupActionStatusType=ActionStatusType.NONE,
            TaskGroupActionRandomId=random_ids[a_order - 1],
            TaskGroupActionRecoverId=partner if definition.is_fault else None,
            TaskGroupActionExecuteId=partner if not definition.is_fault else None,
            ActionApiType=definition.api_type,
            ActionAttribute=definition.attribute,
            ActionType="Platform",
            IsExecuteRedo=False,
            ActionRisk=definition.risk_text,
            TaskGroupActionExecuteTime=None,
            TaskGroupActionStartTime=None,
        )
        return ActionRec(action_model, group, definition, dict(aspec.general), dict(aspec.custom), instances)

    @staticmethod
    def _monitors(task: TaskRec, spec: TaskSpec) -> list[m.TaskMonitor]:
        """The task's metric monitors, each watching the selected instances of its object type."""
        monitors: list[m.TaskMonitor] = []
        for monitor_id, mon in enumerate(spec.monitors, start=1):
            instances = [i for g in task.groups if g.object_type.id == mon.get("ObjectTypeId", g.object_type.id)
                         for i in g.selected]
            monitors.append(m.TaskMonitor(
                TaskMonitorId=monitor_id, MetricId=mon.get("MetricId"),
                TaskMonitorObjectTypeId=task.groups[0].object_type.id, MetricName=mon.get("MetricName"),
                InstancesIds=instances, MetricChineseName=mon.get("MetricChineseName"), Unit="%"))
        return monitors

    def _materialise_instances(self, task: TaskRec, ts: str) -> None:
        """Create the instances of every action on its group's selected objects, unless they exist
        (variant ``instances``: at start, the default, or already at creation).

        :param task: the task being started.
        :param ts: the start time as CFG shows it.
        """
        for group in task.groups:
            group.model.TaskGroupSelectedInstanceList = list(group.selected)
            group.model.TaskGroupDiscardInstanceList = list(group.discarded)
            for action in group.actions:
                if action.instances:
                    continue
                action.instances = [self._create_instance(object_id, ts) for object_id in group.selected]
                action.model.TaskGroupInstances = [i.model for i in action.instances]

    def _create_instance(self, object_id: str, ts: str) -> InstanceRec:
        """A not-started instance of an action on ``object_id``, created at ``ts``."""
        return InstanceRec(
            model=m.TaskGroupInstance(
                TaskGroupInstanceId=next(self._instance_ids),
                TaskGroupInstanceObjectId=object_id,
                TaskGroupInstanceStatus=InstanceStatus.NOT_STARTED,
                TaskGroupInstanceStatusType=InstanceStatusType.NONE,
                TaskGroupInstanceExecuteLog=None,
                TaskGroupInstanceStartTime=None,
                TaskGroupInstanceEndTime=None,
                TaskGroupInstanceCreateTime=ts,
                TaskGroupInstanceUpdateTime=ts,
                TaskGroupInstanceIsRedo=False,
                TaskGroupInstanceExecuteTime=None,
            ),
            object_id=object_id,
        )

    def _select(self, instances: list[str], rule: dict[str, int]) -> tuple[list[str], list[str]]:
        """The instances a group runs on (selected) and the rest (discarded), by its execute rule:
        all (1), a percentage rounded up (2) or a count (3), chosen at random."""
        mode = rule.get("TaskGroupInstancesExecuteMode", 1)
        count = len(instances)
        if mode == 2:
            count = max(1, -(-len(instances) * int(rule.get("TaskGroupInstancesExecutePercent") or 100) // 100))
        elif mode == 3:
            count = max(1, min(len(instances), int(rule.get("TaskGroupInstancesExecuteNum") or len(instances))))
        chosen = set(self.rng.sample(range(len(instances)), min(count, len(instances))))
        selected = [obj for i, obj in enumerate(instances) if i in chosen]
        discarded = [obj for i, obj in enumerate(instances) if i not in chosen]
        return selected, discarded
