"""Status codes and enumerations of the CFG API (version 2021-08-20).

Values come from the API reference (cfg-api.md §3, i.e. the docstrings of the official SDK).
Every enum member carries a short English ``text``; ``member.label`` gives ``"1004 ended"`` and
``Enum.describe(value)`` does the same for any value, including codes Tencent may add later
(``"1999 unknown TaskStatus"``), which makes them convenient in log lines.
"""

from __future__ import annotations

import enum
from typing import Any, TypeVar


class CfgIntEnum(enum.IntEnum):
    """Base of the CFG enums: an ``IntEnum`` whose members also carry a human ``text``.

    Members are declared as ``NAME = code, "text"``.
    """

    text: str

    def __new__(cls, value: int, text: str = "") -> CfgIntEnum:
        obj = int.__new__(cls, value)
        obj._value_ = value
        obj.text = text
        return obj

    def __str__(self) -> str:  # f"{status}" shows the code, as on the wire
        return str(self.value)

    @property
    def label(self) -> str:
        """Code and text, e.g. ``"1004 ended"``."""
        return f"{self.value} {self.text}"

    @classmethod
    def describe(cls, value: Any) -> str:
        """Human text for ``value`` (a member, a code or ``None``); never raises."""
        if value is None:
            return f"no {cls.__name__}"
        try:
            return cls(int(value)).label
        except (TypeError, ValueError):
            return f"{value} unknown {cls.__name__}"

    @classmethod
    def words(cls, value: Any) -> str:
        """The text alone, for people (``"running"``); a code Tencent may add later stays a code
        (``"TaskStatus 1999"``); never raises."""
        try:
            return cls(int(value)).text
        except (TypeError, ValueError):
            return f"{cls.__name__} {value}"


class TaskStatus(CfgIntEnum):
    """Experiment (task) run status: ``Task.TaskStatus``, ``ModifyTaskRunStatus.Status``."""

    NOT_STARTED = 1001, "not started"
    RUNNING = 1002, "running"
    PAUSED = 1003, "paused"
    ENDED = 1004, "ended"

    @property
    def is_terminal(self) -> bool:
        """Only ``ENDED`` is final."""
        return self is TaskStatus.ENDED

    @property
    def is_active(self) -> bool:
        """Started and not ended (running or paused)."""
        return self in (TaskStatus.RUNNING, TaskStatus.PAUSED)


class TaskStatusType(CfgIntEnum):
    """How a task ended: ``Task.TaskStatusType`` (0 while it has not ended)."""

    NOT_ENDED = 0, "not ended"
    SUCCESS = 1, "success"
    FAILED = 2, "failed"
    TERMINATED = 3, "terminated"

    @property
    def is_success(self) -> bool:
        return self is TaskStatusType.SUCCESS

    @property
    def is_failure(self) -> bool:
        """Failed or terminated."""
        return self in (TaskStatusType.FAILED, TaskStatusType.TERMINATED)


class ActionStatus(CfgIntEnum):
    """Status of an action in a task: ``TaskGroupAction.TaskGroupActionStatus``."""

    NOT_STARTED = 2001, "not started"
    PENDING = 2002, "pending (waiting to be executed)"
    RUNNING = 2003, "running"
    FINISHED = 2004, "finished"

    @property
    def is_terminal(self) -> bool:
        return self is ActionStatus.FINISHED


class _Outcome(CfgIntEnum):
    """Shared helpers of the action/instance outcome codes (0 none … 4 skipped)."""

    @property
    def is_success(self) -> bool:
        """Only 1 (success); a skip is not a success, see ``is_skipped``."""
        return self.value == 1

    @property
    def is_failure(self) -> bool:
        """2 (failed) or 3 (terminated)."""
        return self.value in (2, 3)

    @property
    def is_skipped(self) -> bool:
        return self.value == 4


class ActionStatusType(_Outcome):
    """Outcome of an action: ``TaskGroupAction.TaskGroupActionStatusType``."""

    NONE = 0, "no status"
    SUCCESS = 1, "success"
    FAILED = 2, "failed"
    TERMINATED = 3, "terminated"
    SKIPPED = 4, "skipped"


class InstanceStatus(CfgIntEnum):
    """Status of an action on one instance: ``TaskGroupInstance.TaskGroupInstanceStatus``.

    Note the numbering: 3004 (preparing) comes before 3002 (running) in time.
    """

    NOT_STARTED = 3001, "not started"
    RUNNING = 3002, "running"
    FINISHED = 3003, "finished"
    PREPARING = 3004, "preparing"

    @property
    def is_terminal(self) -> bool:
        return self is InstanceStatus.FINISHED


class InstanceStatusType(_Outcome):
    """Outcome of an action on one instance: ``TaskGroupInstance.TaskGroupInstanceStatusType``."""

    NONE = 0, "no status"
    SUCCESS = 1, "success"
    FAILED = 2, "failed"
    TERMINATED = 3, "terminated"
    SKIPPED = 4, "skipped"


class ExecuteActionType(CfgIntEnum):
    """``ExecuteTaskInstance.ActionType`` (4 is not defined by the API)."""

    START = 1, "start"
    EXECUTE = 2, "execute"
    SKIP = 3, "skip"
    RETRY = 5, "retry"


class TaskMode(CfgIntEnum):
    """Execution mode of a task or template: ``Task.TaskMode``, ``Template.TemplateMode``."""

    MANUAL = 1, "manual execution"
    AUTOMATIC = 2, "automatic execution"


class GroupMode(CfgIntEnum):
    """Execution mode of an action group: ``TaskGroup.TaskGroupMode``, ``TemplateGroup.Mode``."""

    SEQUENTIAL = 1, "sequential execution"
    STAGED = 2, "execution by stage"


class PolicyDealType(CfgIntEnum):
    """What the guardrail does when triggered: ``PolicyDealType`` / ``TaskPolicyDealType``."""

    SEQUENTIAL_ROLLBACK = 1, "sequential rollback"
    PAUSE = 2, "pause experiment"


class TriggerType(CfgIntEnum):
    """Guardrail trigger direction: ``TriggerPolicy``/``PolicyTriggerLog`` ``TriggerType``."""

    TRIGGER = 0, "trigger"
    RECOVER = 1, "recover"


class ActionAttribute(CfgIntEnum):
    """Fault or recovery action: ``ActionAttribute``, ``ActionLibraryListResult.AttributeId``."""

    FAULT = 1, "fault"
    RECOVERY = 2, "recovery"


class ActionApiType(CfgIntEnum):
    """How an action runs: ``ActionApiType``, ``ActionLibraryListResult.ActionCommandType``."""

    TAT = 0, "TAT command"
    CLOUD_API = 1, "cloud API"


class TaskExpect(CfgIntEnum):
    """Whether the experiment met expectations: ``Task.TaskExpect``."""

    MET = 1, "met expectations"
    NOT_MET = 2, "did not meet expectations"


class InstancesExecuteMode(CfgIntEnum):
    """Instance selection: ``TaskGroupInstancesExecuteRules.TaskGroupInstancesExecuteMode``."""

    ALL = 1, "all instances"
    PERCENT = 2, "random percentage of instances"
    COUNT = 3, "random number of instances"


class TemplateIsUsed(CfgIntEnum):
    """Template state: ``TemplateIsUsed``, ``DescribeTemplateList.IsUsed``."""

    IN_USE = 1, "in use"
    DISABLED = 2, "disabled"


class TemplateSource(CfgIntEnum):
    """Template origin: ``TemplateSource``."""

    SELF_BUILT = 0, "self-built"
    EXPERT = 1, "recommended by experts"


class ReportStage(CfgIntEnum):
    """Report export stage: ``TaskReportInfo.Stage``."""

    NOT_STARTED = 0, "not started"
    EXPORTING = 1, "exporting"
    SUCCEEDED = 2, "export succeeded"
    FAILED = 3, "export failed"


class ArchiveStage(CfgIntEnum):
    """Report archiving stage: ``TaskReportInfo.ArchiveStage`` (same codes as ``ReportStage``)."""

    NOT_STARTED = 0, "not started"
    ARCHIVING = 1, "archiving"
    SUCCEEDED = 2, "archive succeeded"
    FAILED = 3, "archive failed"


class PreCheckStatus(CfgIntEnum):
    """Environment pre-check progress: ``TaskListItem.TaskPreCheckStatus``."""

    NOT_STARTED = 0, "not started"
    RUNNING = 1, "running"
    COMPLETED = 2, "completed"


class FieldRequired(CfgIntEnum):
    """Whether an action parameter must be given: ``ActionFieldConfigDetail.Required``."""

    NO = 0, "optional"
    YES = 1, "required"


class ActionKind(CfgIntEnum):
    """What ``ActionType`` shows as text (``"平台"``/``"Platform"``); the ``a_type`` filter takes the code."""

    PLATFORM = 1, "platform"
    CUSTOM = 2, "custom"

    @classmethod
    def from_text(cls, text: object) -> ActionKind | None:
        """The kind of a display value in zh-CN or en-US (or its code); ``None`` when unknown."""
        return _from_text(cls, text, _KIND_WORDS)


class RiskLevel(CfgIntEnum):
    """An action's risk (``ActionRisk``/``RiskDesc``: "高风险" in zh-CN, "High risk" in en-US, or "3")."""

    LOW = 1, "low"
    MEDIUM = 2, "medium"
    HIGH = 3, "high"

    @classmethod
    def from_text(cls, text: object) -> RiskLevel | None:
        """The level of a display value in zh-CN or en-US (or its code); ``None`` when unknown."""
        return _from_text(cls, text, _RISK_WORDS)


_KIND_WORDS = ((1, ("platform", "平台")), (2, ("custom", "自定义")))
_RISK_WORDS = ((3, ("high", "高")), (2, ("medium", "middle", "moderate", "中")), (1, ("low", "低")))
_E = TypeVar("_E", bound=CfgIntEnum)


def _from_text(cls: type[_E], text: object, words: tuple[tuple[int, tuple[str, ...]], ...]) -> _E | None:
    """The member whose code is ``text`` or one of whose words (either language) ``text`` contains."""
    if text is None or isinstance(text, bool):
        return None
    value = str(text).strip().lower()
    if value.isdigit():
        return next((member for member in cls if member.value == int(value)), None)
    return next((cls(code) for code, options in words if any(word in value for word in options)), None)


__all__ = [
    "ActionApiType",
    "ActionAttribute",
    "ActionKind",
    "ActionStatus",
    "ActionStatusType",
    "ArchiveStage",
    "CfgIntEnum",
    "ExecuteActionType",
    "FieldRequired",
    "GroupMode",
    "InstanceStatus",
    "InstanceStatusType",
    "InstancesExecuteMode",
    "PolicyDealType",
    "PreCheckStatus",
    "ReportStage",
    "RiskLevel",
    "TaskExpect",
    "TaskMode",
    "TaskStatus",
    "TaskStatusType",
    "TemplateIsUsed",
    "TemplateSource",
    "TriggerType",
]
