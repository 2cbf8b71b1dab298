"""Every CFG enum value and helper."""

from __future__ import annotations

import pytest

from airflow_provider_cfg.api import enums as e

# (enum, code, member name) for every documented value (cfg-api.md §3).
VALUES = [
    (e.TaskStatus, 1001, "NOT_STARTED"),
    (e.TaskStatus, 1002, "RUNNING"),
    (e.TaskStatus, 1003, "PAUSED"),
    (e.TaskStatus, 1004, "ENDED"),
    (e.TaskStatusType, 0, "NOT_ENDED"),
    (e.TaskStatusType, 1, "SUCCESS"),
    (e.TaskStatusType, 2, "FAILED"),
    (e.TaskStatusType, 3, "TERMINATED"),
    (e.ActionStatus, 2001, "NOT_STARTED"),
    (e.ActionStatus, 2002, "PENDING"),
    (e.ActionStatus, 2003, "RUNNING"),
    (e.ActionStatus, 2004, "FINISHED"),
    (e.ActionStatusType, 0, "NONE"),
    (e.ActionStatusType, 1, "SUCCESS"),
    (e.ActionStatusType, 2, "FAILED"),
    (e.ActionStatusType, 3, "TERMINATED"),
    (e.ActionStatusType, 4, "SKIPPED"),
    (e.InstanceStatus, 3001, "NOT_STARTED"),
    (e.InstanceStatus, 3002, "RUNNING"),
    (e.InstanceStatus, 3003, "FINISHED"),
    (e.InstanceStatus, 3004, "PREPARING"),
    (e.InstanceStatusType, 0, "NONE"),
    (e.InstanceStatusType, 1, "SUCCESS"),
    (e.InstanceStatusType, 2, "FAILED"),
    (e.InstanceStatusType, 3, "TERMINATED"),
    (e.InstanceStatusType, 4, "SKIPPED"),
    (e.ExecuteActionType, 1, "START"),
    (e.ExecuteActionType, 2, "EXECUTE"),
    (e.ExecuteActionType, 3, "SKIP"),
    (e.ExecuteActionType, 5, "RETRY"),
    (e.TaskMode, 1, "MANUAL"),
    (e.TaskMode, 2, "AUTOMATIC"),
    (e.GroupMode, 1, "SEQUENTIAL"),
    (e.GroupMode, 2, "STAGED"),
    (e.PolicyDealType, 1, "SEQUENTIAL_ROLLBACK"),
    (e.PolicyDealType, 2, "PAUSE"),
    (e.TriggerType, 0, "TRIGGER"),
    (e.TriggerType, 1, "RECOVER"),
    (e.ActionAttribute, 1, "FAULT"),
    (e.ActionAttribute, 2, "RECOVERY"),
    (e.ActionApiType, 0, "TAT"),
    (e.ActionApiType, 1, "CLOUD_API"),
    (e.TaskExpect, 1, "MET"),
    (e.TaskExpect, 2, "NOT_MET"),
    (e.InstancesExecuteMode, 1, "ALL"),
    (e.InstancesExecuteMode, 2, "PERCENT"),
    (e.InstancesExecuteMode, 3, "COUNT"),
    (e.TemplateIsUsed, 1, "IN_USE"),
    (e.TemplateIsUsed, 2, "DISABLED"),
    (e.TemplateSource, 0, "SELF_BUILT"),
    (e.TemplateSource, 1, "EXPERT"),
    (e.ReportStage, 0, "NOT_STARTED"),
    (e.ReportStage, 1, "EXPORTING"),
    (e.ReportStage, 2, "SUCCEEDED"),
    (e.ReportStage, 3, "FAILED"),
    (e.ArchiveStage, 0, "NOT_STARTED"),
    (e.ArchiveStage, 1, "ARCHIVING"),
    (e.ArchiveStage, 2, "SUCCEEDED"),
    (e.ArchiveStage, 3, "FAILED"),
    (e.PreCheckStatus, 0, "NOT_STARTED"),
    (e.PreCheckStatus, 1, "RUNNING"),
    (e.PreCheckStatus, 2, "COMPLETED"),
    (e.FieldRequired, 0, "NO"),
    (e.FieldRequired, 1, "YES"),
]
ENUMS = sorted({cls for cls, _, _ in VALUES}, key=lambda cls: cls.__name__)


def _id(value):
    return value.__name__ if isinstance(value, type) else str(value)


@pytest.mark.parametrize(("enum_cls", "code", "name"), VALUES, ids=_id)
def test_value_name_and_label(enum_cls, code, name):
    member = enum_cls(code)
    assert member.name == name
    assert member == code and isinstance(member, int)
    assert member.text and member.label == f"{code} {member.text}"
    assert enum_cls.describe(code) == member.label
    assert enum_cls.describe(str(code)) == member.label
    assert enum_cls.describe(member) == member.label
    assert str(member) == str(code)


@pytest.mark.parametrize("enum_cls", ENUMS, ids=_id)
def test_enum_has_exactly_the_documented_values(enum_cls):
    documented = {(code, name) for cls, code, name in VALUES if cls is enum_cls}
    assert {(m.value, m.name) for m in enum_cls} == documented
    assert enum_cls.__doc__


@pytest.mark.parametrize("enum_cls", ENUMS, ids=_id)
def test_describe_unknown_and_none(enum_cls):
    assert enum_cls.describe(1999) == f"1999 unknown {enum_cls.__name__}"
    assert enum_cls.describe("nonsense") == f"nonsense unknown {enum_cls.__name__}"
    assert enum_cls.describe(None) == f"no {enum_cls.__name__}"
    with pytest.raises(ValueError):
        enum_cls(1999)


def test_examples_of_labels():
    assert e.TaskStatus.ENDED.label == "1004 ended"
    assert e.ActionStatus.describe(2002) == "2002 pending (waiting to be executed)"


@pytest.mark.parametrize(
    ("member", "terminal", "active"),
    [
        (e.TaskStatus.NOT_STARTED, False, False),
        (e.TaskStatus.RUNNING, False, True),
        (e.TaskStatus.PAUSED, False, True),
        (e.TaskStatus.ENDED, True, False),
    ],
    ids=_id,
)
def test_task_status_helpers(member, terminal, active):
    assert member.is_terminal is terminal
    assert member.is_active is active


@pytest.mark.parametrize(
    ("member", "success", "failure"),
    [
        (e.TaskStatusType.NOT_ENDED, False, False),
        (e.TaskStatusType.SUCCESS, True, False),
        (e.TaskStatusType.FAILED, False, True),
        (e.TaskStatusType.TERMINATED, False, True),
    ],
    ids=_id,
)
def test_task_status_type_helpers(member, success, failure):
    assert member.is_success is success
    assert member.is_failure is failure


@pytest.mark.parametrize(
    ("member", "terminal"),
    [
        (e.ActionStatus.NOT_STARTED, False),
        (e.ActionStatus.PENDING, False),
        (e.ActionStatus.RUNNING, False),
        (e.ActionStatus.FINISHED, True),
        (e.InstanceStatus.NOT_STARTED, False),
        (e.InstanceStatus.RUNNING, False),
        (e.InstanceStatus.FINISHED, True),
        (e.InstanceStatus.PREPARING, False),
    ],
    ids=_id,
)
def test_action_and_instance_status_is_terminal(member, terminal):
    assert member.is_terminal is terminal


OUTCOMES = [
    # (code, is_success, is_failure, is_skipped)
    (0, False, False, False),
    (1, True, False, False),
    (2, False, True, False),
    (3, False, True, False),
    (4, False, False, True),
]


@pytest.mark.parametrize("enum_cls", [e.ActionStatusType, e.InstanceStatusType], ids=_id)
@pytest.mark.parametrize(("code", "success", "failure", "skipped"), OUTCOMES)
def test_outcome_helpers(enum_cls, code, success, failure, skipped):
    member = enum_cls(code)
    assert (member.is_success, member.is_failure, member.is_skipped) == (success, failure, skipped)


def test_action_and_instance_outcomes_are_separate_classes():
    assert e.ActionStatusType is not e.InstanceStatusType
    assert e.ActionStatusType(2) is not e.InstanceStatusType(2)
    assert e.ActionStatusType(2) == e.InstanceStatusType(2) == 2


def test_display_values_are_understood_in_both_languages_and_by_code():
    from airflow_provider_cfg.api.enums import ActionKind, RiskLevel

    for text in ("平台", "Platform", "1"):
        assert ActionKind.from_text(text) is ActionKind.PLATFORM
    for text in ("自定义", "Custom", "2"):
        assert ActionKind.from_text(text) is ActionKind.CUSTOM
    for texts, level in ((("高风险", "High risk", "3"), RiskLevel.HIGH),
                         (("中风险", "Medium risk", "2"), RiskLevel.MEDIUM),
                         (("低风险", "Low risk", "1"), RiskLevel.LOW)):
        assert {RiskLevel.from_text(t) for t in texts} == {level}
    assert ActionKind.from_text("9") is None and RiskLevel.from_text(None) is None and RiskLevel.from_text("?") is None
