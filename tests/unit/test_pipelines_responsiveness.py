"""Unit tests of response rate and response time, with a hand-computed example."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pipelines.responsiveness import (
    DEFAULT_TARGETS,
    SPAM_MARK_WINDOW_HOURS,
    RequestState,
    RequestTiming,
    ResponsivenessFigures,
    at_risk,
    by_category,
    can_mark_spam,
    classify,
    figures,
    nearest_rank,
    public_response_time,
    respond_by,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
WINDOW_DAYS = 60


def ago(hours):
    return NOW - timedelta(hours=hours)


def timing(*, started_hours_ago, answered_after=None, category="general", spam=False, deal_id=1):
    start = ago(started_hours_ago)
    answer = None if answered_after is None else start + timedelta(hours=answered_after)
    return RequestTiming(deal_id, category, start, answer, spam)


def judge(item, now=NOW, window_days=WINDOW_DAYS, targets=DEFAULT_TARGETS):
    return classify(item, now, window_days, targets)


# ---------------------------------------------------------------------------------------------------
# One request at a time


def test_an_answer_within_the_target_meets_it():
    outcome = judge(timing(started_hours_ago=50, answered_after=3))

    assert outcome.state is RequestState.MET
    assert (outcome.counted, outcome.met_target, outcome.response_hours) == (True, True, 3.0)
    assert outcome.target_hours == 24
    assert outcome.respond_by == ago(26)


def test_an_answer_at_the_exact_deadline_meets_the_target():
    assert judge(timing(started_hours_ago=50, answered_after=24)).state is RequestState.MET


def test_an_answer_after_the_deadline_is_late_but_counted_with_its_time():
    outcome = judge(timing(started_hours_ago=50, answered_after=24.5))

    assert outcome.state is RequestState.LATE
    assert (outcome.counted, outcome.met_target, outcome.response_hours) == (True, False, 24.5)


def test_an_unanswered_request_counts_against_the_rate_from_its_deadline():
    outcome = judge(timing(started_hours_ago=24))

    assert outcome.state is RequestState.UNANSWERED
    assert (outcome.counted, outcome.met_target, outcome.response_hours) == (True, False, None)


def test_a_younger_unanswered_request_is_pending():
    outcome = judge(timing(started_hours_ago=24 - 1 / 3600))

    assert outcome.state is RequestState.PENDING
    assert (outcome.counted, outcome.met_target, outcome.response_hours) == (False, None, None)


def test_a_refund_request_has_48_hours():
    pending = judge(timing(started_hours_ago=40, category="refund"))
    met = judge(timing(started_hours_ago=60, answered_after=47, category="refund"))

    assert (pending.state, pending.target_hours) == (RequestState.PENDING, 48)
    assert met.state is RequestState.MET


def test_an_unknown_category_gets_the_general_target():
    outcome = judge(timing(started_hours_ago=30, answered_after=25, category="shipping"))

    assert (outcome.state, outcome.target_hours, outcome.category) == (RequestState.LATE, 24, "shipping")


def test_targets_are_data_the_caller_can_override():
    targets = {"general": 8, "refund": 48, "urgent": 1}

    general = judge(timing(started_hours_ago=30, answered_after=9), targets=targets)
    urgent = judge(timing(started_hours_ago=30, answered_after=0.5, category="urgent"), targets=targets)

    assert (general.state, urgent.state) == (RequestState.LATE, RequestState.MET)


def test_spam_counts_nowhere_even_when_answered():
    outcome = judge(timing(started_hours_ago=50, answered_after=1, spam=True))

    assert outcome.state is RequestState.SPAM
    assert (outcome.counted, outcome.met_target, outcome.response_hours) == (False, None, None)


def test_a_request_older_than_the_window_counts_nowhere():
    outcome = judge(timing(started_hours_ago=WINDOW_DAYS * 24 + 1, answered_after=1))

    assert outcome.state is RequestState.OUTSIDE_WINDOW
    assert outcome.counted is False


def test_the_window_start_itself_is_inside():
    outcome = judge(timing(started_hours_ago=WINDOW_DAYS * 24, answered_after=1))

    assert outcome.state is RequestState.MET


def test_old_spam_is_reported_as_outside_the_window():
    outcome = judge(timing(started_hours_ago=WINDOW_DAYS * 24 + 1, spam=True))

    assert outcome.state is RequestState.OUTSIDE_WINDOW


def test_unmarking_spam_restarts_the_clock():
    created = ago(60)
    unmarked = ago(20)

    from_creation = judge(RequestTiming(1, "general", created, None))
    from_unmarking = judge(RequestTiming(1, "general", unmarked, None))

    assert from_creation.state is RequestState.UNANSWERED
    assert from_unmarking.state is RequestState.PENDING
    assert from_unmarking.respond_by == unmarked + timedelta(hours=24)


def test_a_response_before_the_restarted_clock_counts_as_immediate():
    outcome = judge(RequestTiming(1, "general", ago(20), ago(30)))

    assert (outcome.state, outcome.response_hours) == (RequestState.MET, 0.0)


def test_a_response_after_now_has_not_happened_yet():
    outcome = judge(RequestTiming(1, "general", ago(10), NOW + timedelta(hours=1)))

    assert outcome.state is RequestState.PENDING


def test_zoned_inputs_are_judged_as_instants():
    berlin = ZoneInfo("Europe/Berlin")
    item = RequestTiming(7, "general", ago(30).astimezone(berlin), ago(10).astimezone(berlin))

    outcome = judge(item, now=NOW.astimezone(ZoneInfo("America/New_York")))

    assert (outcome.state, outcome.response_hours) == (RequestState.MET, 20.0)
    assert outcome.clock_start == ago(30)


def test_a_naive_time_is_rejected():
    with pytest.raises(ValueError):
        judge(RequestTiming(1, "general", datetime(2026, 5, 1, 8, 0), None))


# ---------------------------------------------------------------------------------------------------
# Hand-computed example: 25 requests judged at NOW = 2026-05-01 12:00 UTC, window 60 days,
# targets general 24 h, refund 48 h ("shipping" is unknown, so it gets 24 h).
#
#  id category  clock started  answered after  state           counted  in time  hours
#   1 general   100 h ago        2 h            met             yes      yes       2
#   2 general   200 h ago        5 h            met             yes      yes       5
#   3 general   300 h ago        1 h            met             yes      yes       1
#   4 general   400 h ago       12 h            met             yes      yes      12
#   5 general   500 h ago       24 h            met (deadline)  yes      yes      24
#   6 general   600 h ago       30 h            late            yes      no       30
#   7 general   700 h ago       50 h            late            yes      no       50
#   8 general   800 h ago        -              unanswered      yes      no        -
#   9 general   900 h ago        -              unanswered      yes      no        -
#  10 general    10 h ago        -              pending         no
#  11 general    23 h ago        -              pending         no
#  12 refund     40 h ago        -              pending (48 h)  no
#  13 refund    100 h ago       36 h            met (48 h)      yes      yes      36
#  14 refund    150 h ago       47.5 h          met             yes      yes      47.5
#  15 refund    200 h ago       60 h            late            yes      no       60
#  16 refund    300 h ago        -              unanswered      yes      no        -
#  17 general    50 h ago        -              spam            no
#  18 refund     80 h ago        1 h            spam            no
#  19 general   created 60 h ago, unmarked 20 h ago, unanswered: pending from the restart
#  20 general   created 100 h ago, unmarked 30 h ago, answered 6 h later: met, 6
#  21 general   61 days ago      1 h            outside window  no
#  22 refund    70 days ago      -              outside window  no
#  23 general   60 days ago      3 h            met (boundary)  yes      yes       3
#  24 shipping  100 h ago       20 h            met (24 h)      yes      yes      20
#  25 shipping   90 h ago       25 h            late            yes      no       25
#
# Counted 17 (met 10 + late 4 + unanswered 3); pending 4 (10, 11, 12, 19); spam 2; outside 2.
# Rate = 10 / 17 = 0.588235... -> 0.5882.
# Answered hours, sorted (14): 1 2 3 5 6 12 20 24 25 30 36 47.5 50 60; sum 321.5.
# Mean = 321.5 / 14 = 22.9642... -> 22.96.  Median = (20 + 24) / 2 = 22.0.
# p90, nearest rank: rank = ceil(0.9 * 14) = ceil(12.6) = 13 -> 50.0.
#
# general: counted 11 (met 1-5, 20, 23 = 7; late 6, 7; unanswered 8, 9), pending 3 (10, 11, 19);
#   rate 7 / 11 = 0.6364; hours 1 2 3 5 6 12 24 30 50 (sum 133): mean 14.78, median 6.0,
#   p90 rank ceil(8.1) = 9 -> 50.0.
# refund: counted 4 (13, 14 met; 15 late; 16 unanswered), pending 1 (12); rate 0.5;
#   hours 36 47.5 60: mean 143.5 / 3 = 47.83, median 47.5, p90 rank ceil(2.7) = 3 -> 60.0.
# shipping: counted 2 (24 met, 25 late), rate 0.5; hours 20 25: mean 22.5, median 22.5,
#   p90 rank ceil(1.8) = 2 -> 25.0; only 2 answers, so no public response time.

EXAMPLE = [
    timing(deal_id=1, started_hours_ago=100, answered_after=2),
    timing(deal_id=2, started_hours_ago=200, answered_after=5),
    timing(deal_id=3, started_hours_ago=300, answered_after=1),
    timing(deal_id=4, started_hours_ago=400, answered_after=12),
    timing(deal_id=5, started_hours_ago=500, answered_after=24),
    timing(deal_id=6, started_hours_ago=600, answered_after=30),
    timing(deal_id=7, started_hours_ago=700, answered_after=50),
    timing(deal_id=8, started_hours_ago=800),
    timing(deal_id=9, started_hours_ago=900),
    timing(deal_id=10, started_hours_ago=10),
    timing(deal_id=11, started_hours_ago=23),
    timing(deal_id=12, started_hours_ago=40, category="refund"),
    timing(deal_id=13, started_hours_ago=100, answered_after=36, category="refund"),
    timing(deal_id=14, started_hours_ago=150, answered_after=47.5, category="refund"),
    timing(deal_id=15, started_hours_ago=200, answered_after=60, category="refund"),
    timing(deal_id=16, started_hours_ago=300, category="refund"),
    timing(deal_id=17, started_hours_ago=50, spam=True),
    timing(deal_id=18, started_hours_ago=80, answered_after=1, category="refund", spam=True),
    timing(deal_id=19, started_hours_ago=20),  # created 60 h ago, unmarked as spam 20 h ago
    timing(deal_id=20, started_hours_ago=30, answered_after=6),  # created 100 h ago, unmarked 30 h ago
    timing(deal_id=21, started_hours_ago=61 * 24, answered_after=1),
    timing(deal_id=22, started_hours_ago=70 * 24, category="refund"),
    timing(deal_id=23, started_hours_ago=60 * 24, answered_after=3),
    timing(deal_id=24, started_hours_ago=100, answered_after=20, category="shipping"),
    timing(deal_id=25, started_hours_ago=90, answered_after=25, category="shipping"),
]
EXPECTED_STATES = {
    "met": [1, 2, 3, 4, 5, 13, 14, 20, 23, 24],
    "late": [6, 7, 15, 25],
    "unanswered": [8, 9, 16],
    "pending": [10, 11, 12, 19],
    "spam": [17, 18],
    "outside_window": [21, 22],
}


def example_outcomes():
    return [judge(item) for item in EXAMPLE]


def test_the_example_requests_fall_in_the_hand_computed_states():
    states = {}
    for outcome in example_outcomes():
        states.setdefault(outcome.state.value, []).append(outcome.deal_id)

    assert states == EXPECTED_STATES


def test_the_example_figures_match_the_hand_computation():
    assert figures(example_outcomes()) == ResponsivenessFigures(
        counted_requests=17,
        answered_in_time=10,
        answered=14,
        pending=4,
        response_rate=0.5882,
        mean_hours=22.96,
        median_hours=22.0,
        p90_hours=50.0,
    )


def test_the_example_per_category_figures_match_the_hand_computation():
    assert by_category(example_outcomes()) == {
        "general": ResponsivenessFigures(11, 7, 9, 3, 0.6364, 14.78, 6.0, 50.0),
        "refund": ResponsivenessFigures(4, 2, 3, 1, 0.5, 47.83, 47.5, 60.0),
        "shipping": ResponsivenessFigures(2, 1, 2, 0, 0.5, 22.5, 22.5, 25.0),
    }


def test_the_example_public_response_time_is_the_median():
    per_category = by_category(example_outcomes())

    assert public_response_time(figures(example_outcomes())) == 22.0
    assert public_response_time(per_category["shipping"]) is None


def test_the_example_does_not_depend_on_order():
    assert figures(reversed(example_outcomes())) == figures(example_outcomes())


# ---------------------------------------------------------------------------------------------------
# Figures


def test_no_requests_give_no_rate_and_no_times():
    assert figures([]) == ResponsivenessFigures(0, 0, 0, 0, None, None, None, None)


def test_only_pending_requests_give_no_rate_yet():
    figs = figures([judge(timing(started_hours_ago=1)), judge(timing(started_hours_ago=2))])

    assert (figs.counted_requests, figs.pending, figs.response_rate) == (0, 2, None)


def test_only_unanswered_requests_give_a_zero_rate_and_no_times():
    figs = figures([judge(timing(started_hours_ago=48))])

    assert (figs.response_rate, figs.mean_hours, figs.median_hours, figs.p90_hours) == (0.0, None, None, None)


def test_times_are_rounded_to_two_decimals():
    figs = figures([judge(timing(started_hours_ago=30, answered_after=1 / 3))])

    assert (figs.mean_hours, figs.median_hours, figs.p90_hours) == (0.33, 0.33, 0.33)


def test_by_category_leaves_out_categories_with_nothing_counted_or_pending():
    outcomes = [
        judge(timing(started_hours_ago=30, spam=True, category="refund")),
        judge(timing(started_hours_ago=90 * 24, category="shipping")),
        judge(timing(started_hours_ago=30, answered_after=1)),
    ]

    assert list(by_category(outcomes)) == ["general"]


def test_by_category_lists_categories_alphabetically():
    outcomes = [judge(timing(started_hours_ago=1, category=name)) for name in ("zeta", "alpha", "mid")]

    assert list(by_category(outcomes)) == ["alpha", "mid", "zeta"]


@pytest.mark.parametrize(("answers", "expected"), [(2, None), (3, 2.0), (4, 2.5)])
def test_the_public_response_time_needs_three_answers(answers, expected):
    outcomes = [judge(timing(started_hours_ago=100, answered_after=hours)) for hours in range(1, answers + 1)]

    assert public_response_time(figures(outcomes)) == expected


def test_the_public_minimum_is_a_parameter():
    figs = figures([judge(timing(started_hours_ago=100, answered_after=5))])

    assert public_response_time(figs, minimum_answered=1) == 5.0


def test_late_answers_count_towards_the_public_time_but_not_unanswered_ones():
    outcomes = [
        judge(timing(started_hours_ago=100, answered_after=1)),
        judge(timing(started_hours_ago=100, answered_after=2)),
        judge(timing(started_hours_ago=100, answered_after=40)),
        judge(timing(started_hours_ago=100)),
    ]

    assert public_response_time(figures(outcomes)) == 2.0


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [
        ([7.0], 90, 7.0),
        ([float(n) for n in range(1, 11)], 90, 9.0),
        ([float(n) for n in range(1, 21)], 90, 18.0),
        ([float(n) for n in range(1, 71)], 90, 63.0),  # 0.9 * 70 in floats would round up to rank 64
        ([1.0, 2.0], 50, 1.0),
        ([1.0, 2.0, 3.0], 100, 3.0),
    ],
)
def test_nearest_rank_percentile(values, percent, expected):
    assert nearest_rank(values, percent) == expected


# ---------------------------------------------------------------------------------------------------
# Deadlines, risk and spam marking


def test_respond_by_adds_the_category_target():
    start = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)

    assert respond_by(start, "general", DEFAULT_TARGETS) == datetime(2026, 3, 29, 12, 0, tzinfo=UTC)
    assert respond_by(start, "refund", DEFAULT_TARGETS) == datetime(2026, 3, 30, 12, 0, tzinfo=UTC)
    assert respond_by(start, "other", DEFAULT_TARGETS) == datetime(2026, 3, 29, 12, 0, tzinfo=UTC)


def test_respond_by_counts_elapsed_hours_across_a_dst_change():
    start = datetime(2026, 3, 28, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # 11:00 UTC

    assert respond_by(start, "general", DEFAULT_TARGETS) == datetime(2026, 3, 29, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("elapsed_hours", "category", "expected"),
    [
        (17.9, "general", False),
        (18.0, "general", False),  # exactly a quarter (6 h) left is not less than a quarter
        (18.1, "general", True),
        (23.99, "general", True),
        (24.0, "general", False),  # past due: late, no longer at risk
        (30.0, "general", False),
        (35.0, "refund", False),
        (37.0, "refund", True),  # 11 h of 48 left
    ],
)
def test_at_risk_when_less_than_a_quarter_of_the_target_is_left(elapsed_hours, category, expected):
    start = datetime(2026, 5, 1, 0, 0, tzinfo=UTC)

    assert at_risk(start + timedelta(hours=elapsed_hours), start, category, DEFAULT_TARGETS) is expected


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [
        (timedelta(0), True),
        (timedelta(hours=23, minutes=59), True),
        (timedelta(hours=SPAM_MARK_WINDOW_HOURS), True),
        (timedelta(hours=24, seconds=1), False),
        (timedelta(days=3), False),
    ],
)
def test_spam_can_be_marked_within_24_hours_of_creation(elapsed, expected):
    created = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)

    assert can_mark_spam(created, created + elapsed) is expected


def test_next_change_is_the_earliest_pending_deadline_or_window_exit():
    from pipelines.responsiveness import next_change

    now = datetime(2026, 5, 10, 12, tzinfo=UTC)
    pending = classify(RequestTiming(1, "general", now - timedelta(hours=2), None), now, 60)
    answered = classify(RequestTiming(2, "general", now - timedelta(days=59, hours=23), now - timedelta(days=59)),
                        now, 60)
    assert next_change([pending], 60) == now + timedelta(hours=22)
    assert next_change([pending, answered], 60) == now + timedelta(hours=1)
    assert next_change([], 60) is None
