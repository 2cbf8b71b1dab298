"""Naming steps (StepSelector), finding them (resolve_step), reading how they went (step_outcome), and
deciding what to send (select_instances, call_not_needed, instances_to_operate)."""

from __future__ import annotations

import pytest

from airflow_provider_cfg.core.steps import (
    StepNotFoundError,
    StepSelector,
    all_steps,
    call_not_needed,
    instances_to_operate,
    resolve_step,
    select_instances,
    step_outcome,
)
from tests.airflow_helpers import build_action, build_instance, build_task

# -- parsing ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.2", StepSelector(group=1, action=2)),
        (" 2.10 ", StepSelector(group=2, action=10)),
        ([1, 2], StepSelector(group=1, action=2)),
        ((3, 1), StepSelector(group=3, action=1)),
        (11395, StepSelector(task_action_id=11395)),
        ("Empty Operation", StepSelector(title="Empty Operation")),
        ("  CPU high load ", StepSelector(title="CPU high load")),
        ("1.2.3", StepSelector(title="1.2.3")),
        ("v1.2", StepSelector(title="v1.2")),
        ({"group": 2, "action": 1}, StepSelector(group=2, action=1)),
        ({"title": "Shutdown", "group": 2}, StepSelector(title="Shutdown", group=2)),
        ({"task_action_id": 7, "task_group_id": 3}, StepSelector(task_action_id=7, task_group_id=3)),
    ],
)
def test_parse(value, expected):
    assert StepSelector.parse(value) == expected


def test_parse_passes_a_selector_through():
    selector = StepSelector(title="x")
    assert StepSelector.parse(selector) is selector


def test_float_is_refused():
    """'1.10' rendered natively becomes 1.1: refusing is the only safe answer."""
    with pytest.raises(ValueError, match=r"step 1\.1 is a number.*write \[1, 2\] or \{'group': 1, 'action': 2\}"):
        StepSelector.parse(1.10)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "not a step selector"),
        ([1], "not a step selector"),
        ([1, 2, 3], "not a step selector"),
        (["1", "2"], "not a step selector"),
        (None, "not a step selector"),
        ({"grp": 1, "action": 2}, r"unknown step selector keys \['grp'\]"),
        ({"group": 1}, "needs exactly one of"),
        ({"action": 2}, "needs both 'group' and 'action'"),
        ({"title": "x", "task_action_id": 5}, "needs exactly one of"),
        ([0, 1], "'group' must be a positive integer, got 0"),
        ("0.1", "'group' must be a positive integer, got 0"),
        ([True, 1], "'group' must be a positive integer, got True"),
        (-4, "'task_action_id' must be a positive integer"),
    ],
)
def test_bad_selectors(value, message):
    with pytest.raises(ValueError, match=message):
        StepSelector.parse(value)


def test_describe():
    assert StepSelector(group=1, action=2).describe() == "group=1, action=2"
    assert StepSelector(title="x", group=2).describe() == "group=2, title='x'"


# -- resolving ----------------------------------------------------------------------------------------------


def two_group_task():
    web = [
        build_action(12, 2, "Network packet loss recovery", fault=False),
        build_action(11, 1, "Network packet loss",
                     instances=[build_instance(501, "ins-aaaaaaaa"), build_instance(502, "ins-bbbbbbbb")]),
        build_action(13, 3, "Shared title"),
    ]
    db = [build_action(21, 1, "Primary/standby switch", instances=[build_instance(601, "cdb-aaaaaaaa")]),
          build_action(22, 2, "Shared title")]
    return build_task([(900, 2, db), (800, 1, web)])  # listed out of order on purpose


def test_all_steps_in_execution_order():
    steps = all_steps(two_group_task())
    assert [(s.group_order, s.action_order, s.task_action_id) for s in steps] == [
        (1, 1, 11), (1, 2, 12), (1, 3, 13), (2, 1, 21), (2, 2, 22)]


@pytest.mark.parametrize(
    ("selector", "action_id"),
    [
        (StepSelector(group=1, action=2), 12),
        (StepSelector(group=2, action=1), 21),
        (StepSelector(title="network PACKET loss"), 11),
        (StepSelector(title="Shared title", group=2), 22),
        (StepSelector(task_action_id=13), 13),
        (StepSelector(task_action_id=21, task_group_id=900), 21),
    ],
)
def test_resolve(selector, action_id):
    assert resolve_step(two_group_task(), selector).task_action_id == action_id


def test_resolved_ref_carries_the_ids():
    ref = resolve_step(two_group_task(), StepSelector.parse("1.1"))
    assert (ref.experiment_id, ref.task_group_id, ref.task_action_id, ref.group_order, ref.action_order) == (
        3256, 800, 11, 1, 1)
    assert ref.is_fault and ref.instance_ids == (501, 502)
    assert ref.label == "step 1.1 'Network packet loss' (TaskActionId 11)"
    assert resolve_step(two_group_task(), StepSelector.parse("1.2")).is_fault is False


@pytest.mark.parametrize(
    ("selector", "problem"),
    [
        (StepSelector(group=3, action=1), "matches no step"),
        (StepSelector(title="Shutdown"), "matches no step"),
        (StepSelector(title="Shared title"), "matches 2 steps"),
        (StepSelector(task_action_id=21, task_group_id=800), "matches no step"),
    ],
)
def test_not_found_lists_the_steps(selector, problem):
    with pytest.raises(StepNotFoundError) as info:
        resolve_step(two_group_task(), selector)
    message = str(info.value)
    assert problem in message and "of experiment 3256" in message
    assert message.endswith(
        "steps: 1.1 'Network packet loss' (id 11); 1.2 'Network packet loss recovery' (id 12); "
        "1.3 'Shared title' (id 13); "
        "2.1 'Primary/standby switch' (id 21); 2.2 'Shared title' (id 22)"
    )
    assert isinstance(info.value, LookupError)


def test_not_found_in_an_empty_task():
    with pytest.raises(StepNotFoundError, match="steps: none"):
        resolve_step(build_task([]), StepSelector(group=1, action=1))


# -- outcome ------------------------------------------------------------------------------------------------


def outcome_of(**kwargs):
    return step_outcome(build_task([(1, 1, [build_action(11, 1, "Shutdown", **kwargs)])]).find_action(11))


@pytest.mark.parametrize(
    ("status", "status_type", "started", "finished", "succeeded", "failed"),
    [
        (2001, 0, False, False, False, False),
        (2002, 0, False, False, False, False),
        (2003, 0, True, False, False, False),
        (2004, 1, True, True, True, False),
        (2004, 4, True, True, True, False),  # skipped counts as done well
        (2004, 2, True, True, False, True),
        (2004, 3, True, True, False, True),
    ],
)
def test_outcome_flags(status, status_type, started, finished, succeeded, failed):
    outcome = outcome_of(status=status, status_type=status_type)
    assert (outcome.started, outcome.finished, outcome.succeeded, outcome.failed) == (
        started, finished, succeeded, failed)


def test_outcome_failed_instances_and_summary():
    outcome = outcome_of(status=2004, status_type=2, instances=[
        build_instance(1, "ins-aaaaaaaa", 3003, 1, "ok"),
        build_instance(2, "ins-bbbbbbbb", 3003, 2, "agent unreachable"),
        build_instance(3, "ins-cccccccc", 3003, 3, None),
    ])
    assert [i.object_id for i in outcome.failed_instances] == ["ins-bbbbbbbb", "ins-cccccccc"]
    assert outcome.summary() == (
        "'Shutdown' (TaskActionId 11) finished: failed; 3 of 3 instance(s) done: 1 succeeded, 1 failed, 1 terminated"
        "\n  instance ins-bbbbbbbb (2) failed: agent unreachable"
        "\n  instance ins-cccccccc (3) terminated: no log"
    )


def test_outcome_counts_unfinished_instances():
    outcome = outcome_of(status=2003, instances=[build_instance(1, "ins-aaaaaaaa", 3002),
                                                 build_instance(2, "ins-bbbbbbbb", 3003, 1)])
    assert outcome.summary() == "'Shutdown' (TaskActionId 11) running; 1 of 2 instance(s) done: 1 succeeded"
    assert outcome.failed_instances == ()


def test_outcome_restricted_to_some_instances():
    outcome = outcome_of(status=2002, instances=[
        build_instance(1, "ins-aaaaaaaa", 3001),
        build_instance(2, "ins-bbbbbbbb", 3003, 1, "ok"),
        build_instance(3, "ins-cccccccc", 3003, 2, "boom"),
    ])
    assert outcome.finished is False  # CFG keeps the step open while an instance has not run
    done = outcome.restricted_to([2])
    assert (done.finished, done.succeeded, [i.object_id for i in done.instances]) == (True, True, ["ins-bbbbbbbb"])
    failed = outcome.restricted_to(["2", 3])
    assert (failed.finished, failed.succeeded, failed.failed) == (True, False, True)
    assert [i.object_id for i in failed.failed_instances] == ["ins-cccccccc"]
    waiting = outcome.restricted_to([1, 2])
    assert waiting.finished is False and waiting.succeeded is False
    assert outcome.restricted_to([99]).finished is False  # not an instance of the step: never done


# -- operating a step: which instances, and whether the call is still needed -------------------------------


def one_step(status: int = 2001, status_type: int = 0, instances=None):
    """A task with one fault step (TaskActionId 11) on two instances, in the given state."""
    if instances is None:
        instances = [build_instance(501, "ins-aaaaaaaa"), build_instance(502, "ins-bbbbbbbb")]
    task = build_task([(800, 1, [build_action(11, 1, "Packet loss", status=status, status_type=status_type,
                                              instances=instances)])])
    return task, resolve_step(task, StepSelector.parse("1.1"))


def test_select_instances_by_object_id_or_instance_id():
    task, ref = one_step()
    assert select_instances(task, ref, None) is None
    assert select_instances(task, ref, ["ins-bbbbbbbb", 501]) == [502, 501]
    with pytest.raises(ValueError, match=r"instance 'ins-zzzzzzzz' is not in step 1\.1 .*ins-aaaaaaaa \(501\)"):
        select_instances(task, ref, ["ins-zzzzzzzz"])
    with pytest.raises(ValueError, match="instance 999 is not in"):
        select_instances(task, ref, [999])


@pytest.mark.parametrize("operation", ["execute", "start", "skip"])
def test_a_step_that_ran_needs_no_call(operation):
    task, ref = one_step()
    assert call_not_needed(task, ref, operation) is None
    for status in (2003, 2004):
        task, ref = one_step(status=status, status_type=1 if status == 2004 else 0)
        assert "already ran" in call_not_needed(task, ref, operation)


def test_only_the_chosen_instances_decide():
    task, ref = one_step(status=2002, instances=[build_instance(501, "ins-aaaaaaaa", 3003, 1),
                                                 build_instance(502, "ins-bbbbbbbb", 3001)])
    assert "already ran" in call_not_needed(task, ref, "execute", [501])
    assert call_not_needed(task, ref, "execute", [502]) is None


def test_retry_needs_a_failed_step():
    task, ref = one_step()
    with pytest.raises(ValueError, match="it has not run yet"):
        call_not_needed(task, ref, "retry")
    task, ref = one_step(status=2003)
    assert "is running; waiting instead of retrying" in call_not_needed(task, ref, "retry")
    task, ref = one_step(status=2004, status_type=1)
    assert "already succeeded; nothing to retry" in call_not_needed(task, ref, "retry")
    task, ref = one_step(status=2004, status_type=2)
    assert call_not_needed(task, ref, "retry") is None


def test_instances_to_operate():
    task, ref = one_step(status=2004, status_type=2, instances=[build_instance(501, "ins-aaaaaaaa", 3003, 1),
                                                                build_instance(502, "ins-bbbbbbbb", 3003, 2)])
    assert instances_to_operate(task, ref, "retry") == [502]  # a retry runs the failed instances only
    assert instances_to_operate(task, ref, "retry", [501, 502]) == [501, 502]
    assert instances_to_operate(task, ref, "execute") == [501, 502]  # named, never IsOperateAll
    assert instances_to_operate(task, ref, "execute", [501]) == [501]
    task, ref = one_step(status=2001, status_type=0, instances=[build_instance(501, "ins-aaaaaaaa", 3003, 1),
                                                                build_instance(502, "ins-bbbbbbbb", 3001, 0)])
    assert instances_to_operate(task, ref, "execute") == [502]  # those not run yet
    task, ref = one_step(status=2001, status_type=0, instances=[])  # not started: CFG has no instances yet
    with pytest.raises(ValueError, match="no instances yet"):
        instances_to_operate(task, ref, "execute")
