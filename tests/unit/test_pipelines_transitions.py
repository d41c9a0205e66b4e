"""Unit tests of the deal state machine."""

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from pipelines.transitions import (
    CLIENT_CHOSE_OTHER,
    NOT_INTERESTED,
    OPEN_STATUSES,
    TRANSITIONS,
    AmountRequired,
    InvalidTransition,
    LostReasonRequired,
    Status,
    StatusChanged,
    TransitionError,
    advance,
)

NOW = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)
ALLOWED = {
    (Status.NEW, Status.IN_PROGRESS),
    (Status.NEW, Status.WON),
    (Status.NEW, Status.LOST),
    (Status.IN_PROGRESS, Status.WON),
    (Status.IN_PROGRESS, Status.LOST),
    (Status.WON, Status.IN_PROGRESS),
    (Status.LOST, Status.IN_PROGRESS),
}
ALL_PAIRS = [(current, target) for current in Status for target in Status]


def move(current, target, *, amount=Decimal("1500.00"), lost_reason=NOT_INTERESTED, ever_won=False, now=NOW):
    return advance(current, target, now=now, amount=amount, lost_reason=lost_reason, ever_won=ever_won)


def test_transition_table_is_the_documented_graph():
    table = {(current, target) for current, targets in TRANSITIONS.items() for target in targets}

    assert table == ALLOWED
    assert set(TRANSITIONS) == set(Status)


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_every_allowed_transition_returns_an_event(current, target):
    event = move(current, target)

    assert (event.from_status, event.to_status, event.at) == (current, target, NOW)


@pytest.mark.parametrize(("current", "target"), [pair for pair in ALL_PAIRS if pair not in ALLOWED])
def test_every_other_transition_is_invalid(current, target):
    with pytest.raises(InvalidTransition) as caught:
        move(current, target)

    assert caught.value.current is current
    assert caught.value.target is target
    assert caught.value.code == "invalid_transition"


@pytest.mark.parametrize("status", list(Status))
def test_same_status_is_not_a_transition(status):
    with pytest.raises(InvalidTransition):
        move(status, status)


def test_invalid_transition_names_the_allowed_targets_in_lifecycle_order():
    with pytest.raises(InvalidTransition) as caught:
        move(Status.NEW, Status.NEW)

    assert caught.value.allowed == ("in_progress", "won", "lost")
    assert caught.value.message == ("a deal cannot go from 'new' to 'new'; allowed: in_progress, won, lost")
    assert str(caught.value) == caught.value.message


def test_won_without_an_amount_is_refused():
    with pytest.raises(AmountRequired) as caught:
        move(Status.IN_PROGRESS, Status.WON, amount=None)

    assert caught.value.code == "amount_required"
    assert "amount" in caught.value.message


def test_won_carries_the_effective_amount():
    event = move(Status.NEW, Status.WON, amount=Decimal("800.00"))

    assert event.amount == Decimal("800.00")


@pytest.mark.parametrize("reason", [None, "", "   ", "\n\t"])
def test_lost_without_a_reason_is_refused(reason):
    with pytest.raises(LostReasonRequired) as caught:
        move(Status.IN_PROGRESS, Status.LOST, lost_reason=reason)

    assert caught.value.code == "lost_reason_required"


def test_lost_keeps_the_reason_stripped():
    event = move(Status.NEW, Status.LOST, lost_reason="  too expensive ")

    assert event.lost_reason == "too expensive"


def test_lost_needs_no_amount():
    event = move(Status.NEW, Status.LOST, amount=None, lost_reason=CLIENT_CHOSE_OTHER)

    assert event.lost_reason == "client_chose_another_partner"


def test_a_lost_reason_is_dropped_when_the_deal_is_not_lost():
    event = move(Status.LOST, Status.IN_PROGRESS, lost_reason=NOT_INTERESTED)

    assert event.lost_reason is None


def test_the_first_win_is_flagged():
    assert move(Status.NEW, Status.WON, ever_won=False).first_win is True


def test_a_re_win_is_not_a_first_win():
    reopened = move(Status.WON, Status.IN_PROGRESS, ever_won=True)
    rewon = move(reopened.to_status, Status.WON, ever_won=True)

    assert (reopened.first_win, rewon.first_win) == (False, False)


@pytest.mark.parametrize("target", [Status.IN_PROGRESS, Status.LOST])
def test_only_a_win_can_be_a_first_win(target):
    assert move(Status.NEW, target, ever_won=False).first_win is False


def test_plain_status_strings_are_accepted():
    event = move("in_progress", "won")

    assert (event.from_status, event.to_status) == (Status.IN_PROGRESS, Status.WON)


def test_an_unknown_status_string_is_rejected():
    with pytest.raises(ValueError):
        move("new", "archived")


def test_the_event_time_is_normalised_to_utc():
    local = datetime(2026, 4, 1, 11, 30, tzinfo=ZoneInfo("Europe/Berlin"))

    event = move(Status.NEW, Status.IN_PROGRESS, now=local)

    assert event.at == NOW
    assert event.at.utcoffset().total_seconds() == 0


def test_a_naive_time_is_rejected():
    with pytest.raises(ValueError):
        move(Status.NEW, Status.IN_PROGRESS, now=datetime(2026, 4, 1, 9, 30))


def test_the_event_is_immutable():
    event = move(Status.NEW, Status.IN_PROGRESS)

    with pytest.raises(dataclasses.FrozenInstanceError):
        event.to_status = Status.WON  # type: ignore[misc]
    assert isinstance(event, StatusChanged)


def test_every_refusal_is_a_transition_error():
    assert issubclass(InvalidTransition, TransitionError)
    assert issubclass(AmountRequired, TransitionError)
    assert issubclass(LostReasonRequired, TransitionError)


def test_open_statuses_are_new_and_in_progress():
    assert OPEN_STATUSES == {Status.NEW, Status.IN_PROGRESS}


def test_statuses_and_reasons_are_their_wire_strings():
    assert [status.value for status in Status] == ["new", "in_progress", "won", "lost"]
    assert Status.WON == "won"
    assert (NOT_INTERESTED, CLIENT_CHOSE_OTHER) == ("not_interested", "client_chose_another_partner")
