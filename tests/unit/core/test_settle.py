"""core/settle.py: the one way to settle an ambiguous change, tolerate errors, and poll."""

from __future__ import annotations

import pytest

from airflow_provider_cfg.api.errors import CfgApiError, CfgOutcomeUnknownError, CfgTransportError
from airflow_provider_cfg.core.settle import ErrorPatience, poll_until, settle_mutation, waitable


def unknown() -> CfgOutcomeUnknownError:
    return CfgOutcomeUnknownError("ExecuteTask", "timeout")


def refused(code: str = "FailedOperation") -> CfgApiError:
    return CfgApiError(code, "no", "r-1", "ExecuteTask")


def test_a_clear_answer_is_returned_and_the_state_is_not_read(mocker):
    send = mocker.Mock(return_value="sent")
    landed = mocker.Mock(return_value=None)
    assert settle_mutation(send, landed, what="ExecuteTask") == "sent"
    landed.assert_not_called()


def test_check_first_never_sends_a_change_already_made(mocker):
    send = mocker.Mock()
    assert settle_mutation(send, lambda: "already", what="ExecuteTask", check_first=True) == "already"
    send.assert_not_called()


def test_unknown_outcome_that_landed_is_not_sent_again(mocker):
    send = mocker.Mock(side_effect=[unknown()])
    assert settle_mutation(send, lambda: "it landed", what="ExecuteTask") == "it landed"
    assert send.call_count == 1


def test_unknown_outcome_that_did_not_land_is_sent_exactly_once_more(mocker):
    send = mocker.Mock(side_effect=[unknown(), "second"])
    assert settle_mutation(send, lambda: None, what="ExecuteTask") == "second"
    assert send.call_count == 2


def test_the_second_send_is_the_last(mocker):
    send = mocker.Mock(side_effect=[unknown(), unknown(), "never"])
    with pytest.raises(CfgOutcomeUnknownError):
        settle_mutation(send, lambda: None, what="ExecuteTask")
    assert send.call_count == 2


def test_a_refusal_is_explained_by_the_state_not_by_its_code(mocker):
    # CFG refused (any code) because the change had already been made: the state says so.
    assert settle_mutation(mocker.Mock(side_effect=[refused("ResourceInUse")]), lambda: 7, what="x") == 7
    # refused and the state unchanged: the refusal stands, nothing is resent
    send = mocker.Mock(side_effect=[refused("InvalidParameter"), "never"])
    with pytest.raises(CfgApiError, match="InvalidParameter"):
        settle_mutation(send, lambda: None, what="x")
    assert send.call_count == 1


def test_a_transient_refusal_with_no_effect_is_sent_once_more(mocker):
    send = mocker.Mock(side_effect=[refused("InternalError"), "ok"])
    assert settle_mutation(send, lambda: None, what="x") == "ok"


def test_error_patience_tolerates_waitable_errors_for_its_patience():
    now = [0.0]
    patience = ErrorPatience(10, clock=lambda: now[0])
    transport = CfgTransportError("DescribeTask", "reset", sent=True)
    assert waitable(transport) and patience.tolerate(transport)
    now[0] = 9.9
    assert patience.tolerate(transport)
    now[0] = 10.0
    assert not patience.tolerate(transport)
    patience.ok()
    assert patience.tolerate(transport)  # a success starts a new count
    assert not patience.tolerate(refused("AuthFailure.SignatureFailure"))  # never waited out


def test_poll_until_returns_the_first_decision_and_reports_waits(mocker):
    readings = iter([1, 2, 3])
    waits = []
    sleep = mocker.Mock()
    result = poll_until(lambda: next(readings), lambda v: "done" if v == 3 else None,
                        interval=5, on_wait=waits.append, sleep=sleep)
    assert result == "done" and waits == [1, 2]
    sleep.assert_has_calls([mocker.call(5), mocker.call(5)])


def test_poll_until_gives_none_at_the_deadline(mocker):
    mocker.patch("airflow_provider_cfg.core.settle.time.time", side_effect=[100.0, 100.0, 101.0])
    sleep = mocker.Mock()
    assert poll_until(lambda: 0, lambda v: None, interval=5, deadline=101.0, sleep=sleep) is None
    sleep.assert_called_once_with(1.0)


def test_poll_until_waits_out_errors_only_with_patience(mocker):
    error = CfgTransportError("DescribeTask", "reset", sent=True)
    reads = mocker.Mock(side_effect=[error, 4])
    assert poll_until(reads, lambda v: v, interval=0, patience=ErrorPatience(60), sleep=lambda s: None) == 4
    with pytest.raises(CfgTransportError):
        poll_until(mocker.Mock(side_effect=[error]), lambda v: v, interval=0, sleep=lambda s: None)
