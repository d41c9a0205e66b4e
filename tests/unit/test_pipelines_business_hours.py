"""Unit tests of opening hours and auto-reply rules, across daylight-saving changes."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from pipelines.business_hours import (
    WeeklyHours,
    describe_next_opening,
    is_open,
    next_opening,
    should_auto_reply,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
NINE_TO_FIVE = ((time(9), time(17)),)
OFFICE = WeeklyHours("Europe/Berlin", {day: NINE_TO_FIVE for day in range(5)})
WEDNESDAY_OPEN = datetime(2026, 6, 10, 10, 0, tzinfo=BERLIN)
SATURDAY_CLOSED = datetime(2026, 6, 13, 12, 0, tzinfo=BERLIN)


def berlin(*args):
    return datetime(*args, tzinfo=BERLIN)


def auto_reply(*, now, hours=OFFICE, away=False, last_auto_reply_at=None, last_partner_reply_at=None):
    return should_auto_reply(
        hours=hours,
        now=now,
        away=away,
        last_auto_reply_at=last_auto_reply_at,
        last_partner_reply_at=last_partner_reply_at,
    )


# ---------------------------------------------------------------------------------------------------
# Opening hours


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (berlin(2026, 6, 8, 8, 59), False),
        (berlin(2026, 6, 8, 9, 0), True),  # opening is inclusive
        (berlin(2026, 6, 8, 16, 59, 59), True),
        (berlin(2026, 6, 8, 17, 0), False),  # closing is exclusive
        (berlin(2026, 6, 12, 12, 0), True),  # Friday
        (berlin(2026, 6, 13, 12, 0), False),  # Saturday
        (berlin(2026, 6, 14, 12, 0), False),  # Sunday
    ],
)
def test_is_open_inside_the_local_spans(local, expected):
    assert is_open(OFFICE, local.astimezone(UTC)) is expected


def test_hours_are_read_in_the_partners_zone_not_utc():
    # Monday 08:30 UTC is 10:30 in Berlin (open) but 04:30 in New York (closed).
    now = datetime(2026, 6, 8, 8, 30, tzinfo=UTC)
    new_york_office = WeeklyHours("America/New_York", {day: NINE_TO_FIVE for day in range(5)})

    assert (is_open(OFFICE, now), is_open(new_york_office, now)) == (True, False)


def test_several_spans_in_one_day():
    split = WeeklyHours("Europe/Berlin", {0: ((time(9), time(12)), (time(14), time(18)))})

    assert [is_open(split, berlin(2026, 6, 8, hour, 0)) for hour in (10, 13, 15, 18)] == [
        True,
        False,
        True,
        False,
    ]


def test_an_overnight_span_runs_into_the_next_day():
    late = WeeklyHours("Europe/Berlin", {4: ((time(22), time(2)),)})  # Friday 22:00-02:00

    assert is_open(late, berlin(2026, 6, 12, 23, 0)) is True
    assert is_open(late, berlin(2026, 6, 13, 1, 59)) is True
    assert is_open(late, berlin(2026, 6, 13, 2, 0)) is False
    assert is_open(late, berlin(2026, 6, 12, 1, 0)) is False  # Friday early hours: Thursday has none


def test_a_sunday_overnight_span_wraps_into_monday():
    late = WeeklyHours("Europe/Berlin", {6: ((time(22), time(2)),)})

    assert is_open(late, berlin(2026, 6, 8, 1, 0)) is True


def test_a_span_ending_at_midnight_covers_the_rest_of_the_day():
    evening = WeeklyHours("Europe/Berlin", {0: ((time(18), time(0)),)})

    assert is_open(evening, berlin(2026, 6, 8, 23, 59)) is True
    assert is_open(evening, berlin(2026, 6, 9, 0, 0)) is False


def test_a_span_ending_where_it_starts_lasts_a_whole_day():
    around_the_clock = WeeklyHours("Europe/Berlin", {0: ((time(8), time(8)),)})

    assert is_open(around_the_clock, berlin(2026, 6, 9, 7, 59)) is True
    assert is_open(around_the_clock, berlin(2026, 6, 9, 8, 0)) is False


def test_no_spans_means_always_closed():
    assert is_open(WeeklyHours("Europe/Berlin", {}), WEDNESDAY_OPEN) is False


def test_opening_follows_local_time_across_the_spring_change():
    # Monday 09:00 is 08:00 UTC in winter (23 March) and 07:00 UTC in summer (30 March).
    assert is_open(OFFICE, datetime(2026, 3, 23, 8, 0, tzinfo=UTC)) is True
    assert is_open(OFFICE, datetime(2026, 3, 30, 7, 0, tzinfo=UTC)) is True
    assert is_open(OFFICE, datetime(2026, 3, 23, 7, 30, tzinfo=UTC)) is False


def test_an_overnight_span_across_the_spring_change_lasts_one_hour_less():
    night = WeeklyHours("Europe/Berlin", {5: ((time(22), time(6)),)})  # Sat 28 -> Sun 29 March

    assert is_open(night, datetime(2026, 3, 28, 21, 0, tzinfo=UTC)) is True  # 22:00 CET
    assert is_open(night, datetime(2026, 3, 29, 3, 59, tzinfo=UTC)) is True  # 05:59 CEST
    assert is_open(night, datetime(2026, 3, 29, 4, 0, tzinfo=UTC)) is False  # 06:00 CEST


def test_a_start_inside_the_spring_gap_opens_after_the_gap():
    gap = WeeklyHours("Europe/Berlin", {6: ((time(2, 30), time(5)),)})  # 02:30 does not exist on 29 March

    assert is_open(gap, datetime(2026, 3, 29, 1, 29, tzinfo=UTC)) is False  # 03:29 CEST
    assert is_open(gap, datetime(2026, 3, 29, 1, 30, tzinfo=UTC)) is True  # 03:30 CEST


def test_opening_follows_local_time_across_the_autumn_change_in_new_york():
    office = WeeklyHours("America/New_York", {0: NINE_TO_FIVE})

    assert is_open(office, datetime(2026, 10, 26, 13, 0, tzinfo=UTC)) is True  # 09:00 EDT
    assert is_open(office, datetime(2026, 11, 2, 13, 30, tzinfo=UTC)) is False  # 08:30 EST
    assert is_open(office, datetime(2026, 11, 2, 14, 0, tzinfo=UTC)) is True  # 09:00 EST


def test_next_opening_from_the_weekend_is_monday_morning_in_utc():
    opening = next_opening(OFFICE, SATURDAY_CLOSED)

    assert opening == datetime(2026, 6, 15, 7, 0, tzinfo=UTC)
    assert opening.utcoffset() == timedelta(0)


def test_next_opening_after_closing_is_the_next_morning():
    assert next_opening(OFFICE, berlin(2026, 6, 10, 18, 0)) == berlin(2026, 6, 11, 9, 0)


def test_next_opening_before_opening_is_the_same_morning():
    assert next_opening(OFFICE, berlin(2026, 6, 10, 7, 0)) == berlin(2026, 6, 10, 9, 0)


def test_next_opening_while_open_is_the_following_span():
    assert next_opening(OFFICE, WEDNESDAY_OPEN) == berlin(2026, 6, 11, 9, 0)


def test_next_opening_of_a_weekly_span_can_be_a_week_ahead():
    mondays = WeeklyHours("Europe/Berlin", {0: NINE_TO_FIVE})

    assert next_opening(mondays, berlin(2026, 6, 8, 9, 30)) == berlin(2026, 6, 15, 9, 0)


def test_next_opening_across_the_spring_change():
    assert next_opening(OFFICE, datetime(2026, 3, 28, 12, 0, tzinfo=UTC)) == datetime(
        2026, 3, 30, 7, 0, tzinfo=UTC
    )


@pytest.mark.parametrize("spans", [{}, {0: (), 3: ()}])
def test_next_opening_without_spans_is_none(spans):
    assert next_opening(WeeklyHours("Europe/Berlin", spans), SATURDAY_CLOSED) is None


def test_an_unknown_zone_is_rejected():
    with pytest.raises(ValueError):
        WeeklyHours("Europe/Atlantis", {0: NINE_TO_FIVE})


@pytest.mark.parametrize("weekday", [-1, 7])
def test_a_weekday_outside_monday_to_sunday_is_rejected(weekday):
    with pytest.raises(ValueError):
        WeeklyHours("Europe/Berlin", {weekday: NINE_TO_FIVE})


def test_a_naive_now_is_rejected():
    with pytest.raises(ValueError):
        is_open(OFFICE, datetime(2026, 6, 10, 10, 0))


# ---------------------------------------------------------------------------------------------------
# Auto replies


def test_no_auto_reply_inside_hours():
    assert auto_reply(now=WEDNESDAY_OPEN) is False


def test_auto_reply_outside_hours():
    assert auto_reply(now=SATURDAY_CLOSED) is True


def test_auto_reply_when_away_even_inside_hours():
    assert auto_reply(now=WEDNESDAY_OPEN, away=True) is True


def test_without_hours_only_away_triggers_an_auto_reply():
    assert auto_reply(now=SATURDAY_CLOSED, hours=None) is False
    assert auto_reply(now=SATURDAY_CLOSED, hours=None, away=True) is True


@pytest.mark.parametrize(("hours_ago", "expected"), [(1, False), (23.99, False), (24, True), (30, True)])
def test_at_most_one_auto_reply_per_deal_in_24_hours(hours_ago, expected):
    last = SATURDAY_CLOSED - timedelta(hours=hours_ago)

    assert auto_reply(now=SATURDAY_CLOSED, last_auto_reply_at=last) is expected


@pytest.mark.parametrize(("minutes_ago", "expected"), [(0, False), (4.9, False), (5, True), (60, True)])
def test_no_auto_reply_right_after_the_partner_answered(minutes_ago, expected):
    last = SATURDAY_CLOSED - timedelta(minutes=minutes_ago)

    assert auto_reply(now=SATURDAY_CLOSED, away=True, last_partner_reply_at=last) is expected


def test_the_24_hours_are_elapsed_time_across_a_dst_change():
    now = datetime(2026, 3, 29, 12, 0, tzinfo=BERLIN)  # Sunday, CEST
    local_same_time_yesterday = datetime(2026, 3, 28, 12, 0, tzinfo=BERLIN)  # only 23 h earlier

    # Arithmetic on a zoned datetime is wall-clock arithmetic, so go through UTC for elapsed hours.
    a_day_ago = now.astimezone(UTC) - timedelta(hours=24)

    assert auto_reply(now=now, last_auto_reply_at=local_same_time_yesterday) is False
    assert auto_reply(now=now, last_auto_reply_at=a_day_ago) is True


# ---------------------------------------------------------------------------------------------------
# Wording the next opening for the client

MONDAY_MORNING_BERLIN = datetime(2026, 6, 8, 7, 0, tzinfo=UTC)  # 09:00 CEST


@pytest.mark.parametrize(
    ("client_timezone", "expected"),
    [
        ("Europe/Berlin", "Monday 09:00 (Europe/Berlin)"),
        ("America/New_York", "Monday 03:00 (America/New_York)"),
        ("Pacific/Auckland", "Monday 19:00 (Pacific/Auckland)"),
        ("Pacific/Honolulu", "Sunday 21:00 (Pacific/Honolulu)"),
        (None, "Monday 07:00 (UTC)"),
        ("", "Monday 07:00 (UTC)"),
        ("Mars/Olympus_Mons", "Monday 07:00 (UTC)"),
        ("../etc/passwd", "Monday 07:00 (UTC)"),
    ],
)
def test_the_next_opening_is_worded_in_the_clients_zone(client_timezone, expected):
    assert describe_next_opening(MONDAY_MORNING_BERLIN, client_timezone) == expected


def test_next_opening_and_its_wording_together():
    opening = next_opening(OFFICE, SATURDAY_CLOSED)

    assert describe_next_opening(opening, "Europe/Berlin") == "Monday 09:00 (Europe/Berlin)"
