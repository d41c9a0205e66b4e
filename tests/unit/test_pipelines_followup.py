"""Unit tests of the follow-up clock, across daylight-saving changes."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pipelines.followup import DealReply, follow_up_due_at, follow_up_outcome, needs_follow_up

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
CREATED = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


def check(*, now, answered=False, spam=False, already_sent=False, after_hours=72):
    return needs_follow_up(
        created_at=CREATED,
        now=now,
        after_hours=after_hours,
        answered=answered,
        spam=spam,
        already_sent=already_sent,
    )


def test_due_is_exactly_the_elapsed_hours_later():
    assert follow_up_due_at(CREATED, 72) == datetime(2026, 5, 7, 8, 0, tzinfo=UTC)


# 2026: Europe/Berlin springs forward on 29 March and falls back on 25 October;
# America/New_York springs forward on 8 March and falls back on 1 November.
@pytest.mark.parametrize(
    ("created_local", "due_utc", "due_local_wall_time"),
    [
        # Friday 10:00 CET (09:00 UTC) + 72 h = Monday 09:00 UTC = 11:00 CEST.
        (datetime(2026, 3, 27, 10, 0, tzinfo=BERLIN), datetime(2026, 3, 30, 9, 0, tzinfo=UTC), "11:00"),
        # Friday 10:00 CEST (08:00 UTC) + 72 h = Monday 08:00 UTC = 09:00 CET.
        (datetime(2026, 10, 23, 10, 0, tzinfo=BERLIN), datetime(2026, 10, 26, 8, 0, tzinfo=UTC), "09:00"),
        # Friday 10:00 EST (15:00 UTC) + 72 h = Monday 15:00 UTC = 11:00 EDT.
        (datetime(2026, 3, 6, 10, 0, tzinfo=NEW_YORK), datetime(2026, 3, 9, 15, 0, tzinfo=UTC), "11:00"),
        # Friday 10:00 EDT (14:00 UTC) + 72 h = Monday 14:00 UTC = 09:00 EST.
        (datetime(2026, 10, 30, 10, 0, tzinfo=NEW_YORK), datetime(2026, 11, 2, 14, 0, tzinfo=UTC), "09:00"),
    ],
)
def test_a_dst_change_never_shifts_the_elapsed_time(created_local, due_utc, due_local_wall_time):
    due = follow_up_due_at(created_local, 72)

    assert due == due_utc
    assert due - created_local.astimezone(UTC) == timedelta(hours=72)
    assert due.utcoffset() == timedelta(0)
    assert f"{due.astimezone(created_local.tzinfo):%H:%M}" == due_local_wall_time


@pytest.mark.parametrize(
    ("fold", "due_utc"),
    [(0, datetime(2026, 10, 26, 0, 30, tzinfo=UTC)), (1, datetime(2026, 10, 26, 1, 30, tzinfo=UTC))],
)
def test_the_repeated_autumn_hour_is_told_apart_by_its_offset(fold, due_utc):
    created = datetime(2026, 10, 25, 2, 30, fold=fold, tzinfo=BERLIN)

    assert follow_up_due_at(created, 24) == due_utc


def test_a_creation_right_after_the_spring_gap_counts_real_hours():
    created = datetime(2026, 3, 8, 3, 0, tzinfo=NEW_YORK)  # first minute of EDT, 07:00 UTC

    assert follow_up_due_at(created, 1) == datetime(2026, 3, 8, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("after_hours", [0, -1])
def test_the_delay_must_be_positive(after_hours):
    with pytest.raises(ValueError):
        follow_up_due_at(CREATED, after_hours)


def test_a_naive_creation_time_is_rejected():
    with pytest.raises(ValueError):
        follow_up_due_at(datetime(2026, 5, 4, 8, 0), 72)


def test_not_due_one_second_early():
    assert check(now=CREATED + timedelta(hours=72, seconds=-1)) is False


def test_due_at_the_exact_moment():
    assert check(now=CREATED + timedelta(hours=72)) is True


def test_still_due_long_after():
    assert check(now=CREATED + timedelta(days=30)) is True


def test_the_configured_delay_is_used():
    assert check(now=CREATED + timedelta(hours=24), after_hours=24) is True


@pytest.mark.parametrize("flag", ["answered", "spam", "already_sent"])
def test_no_follow_up_when_answered_spam_or_already_sent(flag):
    assert check(now=CREATED + timedelta(hours=100), **{flag: True}) is False


def test_now_in_another_zone_is_compared_as_an_instant():
    now = (CREATED + timedelta(hours=72)).astimezone(NEW_YORK)

    assert check(now=now) is True


DUE = CREATED + timedelta(hours=72)
QUIET = DealReply(first_response_at=None, spam_marked_at=None)


def outcome(*deals: DealReply, now: datetime = DUE) -> str:
    return follow_up_outcome(created_at=CREATED, due_at=DUE, now=now, after_hours=72, deals=deals)


def test_a_request_without_deals_is_unmatched():
    assert outcome() == "unmatched"


def test_unanswered_deals_are_due_at_the_due_time_and_not_before():
    assert outcome(QUIET, QUIET) == "due"
    assert outcome(QUIET, now=DUE - timedelta(seconds=1)) == "not_due"


def test_one_answer_by_the_due_time_is_enough():
    answered = DealReply(first_response_at=DUE, spam_marked_at=None)
    assert outcome(QUIET, answered, now=DUE + timedelta(days=2)) == "answered"


def test_an_answer_after_the_due_time_comes_too_late():
    late = DealReply(first_response_at=DUE + timedelta(seconds=1), spam_marked_at=None)
    assert outcome(late, now=DUE + timedelta(days=1)) == "due"


def test_spam_only_when_every_deal_was_marked():
    spam = DealReply(first_response_at=None, spam_marked_at=CREATED + timedelta(hours=1))
    assert outcome(spam, spam) == "spam"
    assert outcome(spam, QUIET) == "due"
