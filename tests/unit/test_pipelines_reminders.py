"""Unit tests of the payment-reminder rule chain: each rule, their order, slots and DST."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from pipelines.reminders import (
    DEFAULT_SLOTS,
    MAX_REMINDERS_PER_OFFER,
    RULES,
    Decision,
    OfferFacts,
    Reason,
    ReminderContext,
    Segment,
    Slot,
    decide,
    local_day_start,
    next_send_time,
    reminder_dedupe_key,
    segment,
    still_due_at_send,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def berlin(*args):
    return datetime(*args, tzinfo=BERLIN)


NOW = berlin(2026, 6, 10, 10, 30)  # Wednesday, inside the 10:00-11:00 slot


def make_offer(**overrides):
    facts = {
        "offer_id": 31,
        "partner_id": 5,
        "client_id": 9,
        "source": "direct",
        "created_at": berlin(2026, 6, 10, 7, 0),
        "paid_at": None,
        "reminders_sent": 0,
    }
    return OfferFacts(**{**facts, **overrides})


def make_context(**overrides):
    facts = {
        "partner_timezone": "Europe/Berlin",
        "client_paid_offers": 0,
        "last_client_payment_at": None,
        "reminders_to_client_today": 0,
        "newer_unpaid_offer_exists": False,
    }
    return ReminderContext(**{**facts, **overrides})


def run(now=NOW, offer=None, context=None):
    return decide(offer or make_offer(), context or make_context(), now)


# ---------------------------------------------------------------------------------------------------
# The happy path and the shape of a decision


def test_a_due_reminder_is_sent_with_its_wording_key_and_sequence():
    assert run() == Decision(
        offer_id=31,
        send=True,
        reason=Reason.DUE,
        segment=Segment.NEW_CLIENT,
        dedupe_key="payment-reminder:partner-5:client-9:2026-06-10",
        sequence=1,
        wait_until=None,
    )


def test_the_rule_order_is_data():
    assert [rule.__name__ for rule in RULES] == [
        "_unpaid",
        "_not_platform",
        "_no_payment_today",
        "_newest_offer",
        "_past_delay",
        "_in_slot",
        "_within_offer_limit",
        "_within_client_daily_limit",
    ]


def test_a_skip_carries_no_wording_key_or_sequence():
    decision = run(offer=make_offer(source="platform"))

    assert (decision.send, decision.segment, decision.dedupe_key, decision.sequence) == (
        False,
        None,
        None,
        None,
    )


# ---------------------------------------------------------------------------------------------------
# Each rule on its own


def test_a_paid_offer_is_not_chased():
    decision = run(offer=make_offer(paid_at=berlin(2026, 6, 10, 8, 0)))

    assert (decision.send, decision.reason, decision.wait_until) == (False, Reason.ALREADY_PAID, None)


def test_a_platform_offer_is_never_chased():
    decision = run(offer=make_offer(source="platform"))

    assert (decision.send, decision.reason, decision.wait_until) == (False, Reason.PLATFORM_OFFER, None)


def test_a_client_who_paid_this_partner_today_is_not_chased():
    context = make_context(last_client_payment_at=berlin(2026, 6, 10, 0, 0))

    assert run(context=context).reason is Reason.CLIENT_PAID_TODAY


def test_a_payment_before_local_midnight_does_not_block():
    context = make_context(last_client_payment_at=berlin(2026, 6, 9, 23, 59, 59))

    assert run(context=context).send is True


def test_today_starts_at_the_partners_midnight_not_utcs():
    # New York partner, Wednesday 10:30 EDT (14:30 UTC). A payment at 02:00 UTC the same UTC day
    # was Tuesday 22:00 in New York: yesterday for the partner, so the reminder goes out.
    now = datetime(2026, 6, 10, 10, 30, tzinfo=NEW_YORK)
    offer = make_offer(created_at=now - timedelta(hours=5))
    yesterday_local = make_context(
        partner_timezone="America/New_York",
        last_client_payment_at=datetime(2026, 6, 10, 2, 0, tzinfo=UTC),
    )
    today_local = replace(yesterday_local, last_client_payment_at=datetime(2026, 6, 10, 4, 0, tzinfo=UTC))

    assert run(now, offer, yesterday_local).send is True
    assert run(now, offer, today_local).reason is Reason.CLIENT_PAID_TODAY


def test_only_the_newest_unpaid_offer_is_chased():
    assert run(context=make_context(newer_unpaid_offer_exists=True)).reason is Reason.NEWER_OFFER


def test_a_sweep_over_several_offers_reminds_only_the_newest():
    offers = [
        make_offer(offer_id=1, created_at=berlin(2026, 6, 10, 6, 0)),
        make_offer(offer_id=2, created_at=berlin(2026, 6, 10, 7, 0)),
        make_offer(offer_id=3, created_at=berlin(2026, 6, 10, 8, 0)),
    ]
    newest = max(offers, key=lambda offer: (offer.created_at, offer.offer_id))

    decisions = [
        decide(offer, make_context(newer_unpaid_offer_exists=offer is not newest), NOW) for offer in offers
    ]

    assert [(d.offer_id, d.send, d.reason) for d in decisions] == [
        (1, False, Reason.NEWER_OFFER),
        (2, False, Reason.NEWER_OFFER),
        (3, True, Reason.DUE),
    ]


def test_a_fresh_offer_waits_for_the_delay_and_then_the_next_slot():
    # Created 09:30: eligible at 11:30, after the morning slot; so it waits for 16:00.
    decision = run(offer=make_offer(created_at=berlin(2026, 6, 10, 9, 30)))

    assert (decision.send, decision.reason) == (False, Reason.TOO_EARLY)
    assert decision.wait_until == berlin(2026, 6, 10, 16, 0)


def test_a_delay_ending_inside_a_slot_waits_only_until_it_ends():
    # Created 08:15: eligible at 10:15, inside the morning slot.
    decision = run(now=berlin(2026, 6, 10, 10, 5), offer=make_offer(created_at=berlin(2026, 6, 10, 8, 15)))

    assert (decision.reason, decision.wait_until) == (Reason.TOO_EARLY, berlin(2026, 6, 10, 10, 15))


def test_the_delay_is_inclusive():
    assert run(offer=make_offer(created_at=NOW - timedelta(hours=2))).send is True


def test_the_delay_is_elapsed_hours_across_the_spring_change():
    # Sunday 29 March: created 00:30 CET (23:30 UTC on the 28th); 2 h later is 03:30 CEST (01:30 UTC).
    context = make_context(slots=(Slot(time(0), time(23, 59)),))
    offer = make_offer(created_at=datetime(2026, 3, 28, 23, 30, tzinfo=UTC))

    assert decide(offer, context, datetime(2026, 3, 29, 1, 29, tzinfo=UTC)).reason is Reason.TOO_EARLY
    assert decide(offer, context, datetime(2026, 3, 29, 1, 30, tzinfo=UTC)).send is True


def test_the_delay_is_configurable():
    context = make_context(delay_hours=4)

    assert run(context=context).reason is Reason.TOO_EARLY  # created 07:00, eligible 11:00


@pytest.mark.parametrize(
    ("local_now", "expected_wait"),
    [
        (berlin(2026, 6, 10, 9, 59), berlin(2026, 6, 10, 10, 0)),
        (berlin(2026, 6, 10, 11, 0), berlin(2026, 6, 10, 16, 0)),  # slot end is exclusive
        (berlin(2026, 6, 10, 11, 30), berlin(2026, 6, 10, 16, 0)),  # missed slot is not made up
        (berlin(2026, 6, 10, 17, 30), berlin(2026, 6, 11, 10, 0)),
        (berlin(2026, 6, 10, 23, 59), berlin(2026, 6, 11, 10, 0)),
    ],
)
def test_outside_the_slots_the_reminder_waits_for_the_next_slot(local_now, expected_wait):
    decision = run(now=local_now, offer=make_offer(created_at=berlin(2026, 6, 9, 12, 0)))

    assert (decision.send, decision.reason, decision.wait_until) == (
        False,
        Reason.OUTSIDE_SLOT,
        expected_wait,
    )


@pytest.mark.parametrize(
    "local_now",
    [berlin(2026, 6, 10, 10, 0), berlin(2026, 6, 10, 10, 59, 59), berlin(2026, 6, 10, 16, 0)],
)
def test_inside_either_slot_the_reminder_goes_out(local_now):
    assert run(now=local_now, offer=make_offer(created_at=berlin(2026, 6, 9, 12, 0))).send is True


def test_the_slots_are_the_partners():
    context = make_context(slots=(Slot(time(8), time(9)),))

    assert decide(make_offer(created_at=berlin(2026, 6, 9, 12, 0)), context, berlin(2026, 6, 10, 8, 30)).send
    assert run(context=context).wait_until == berlin(2026, 6, 11, 8, 0)


def test_without_slots_nothing_is_ever_sent():
    decision = run(context=make_context(slots=()))

    assert (decision.reason, decision.wait_until) == (Reason.OUTSIDE_SLOT, None)


def test_an_offer_gets_at_most_three_reminders():
    last = run(offer=make_offer(reminders_sent=MAX_REMINDERS_PER_OFFER - 1))
    over = run(offer=make_offer(reminders_sent=MAX_REMINDERS_PER_OFFER))

    assert (last.send, last.sequence) == (True, 3)
    assert (over.send, over.reason, over.wait_until) == (False, Reason.OFFER_LIMIT, None)


def test_a_client_gets_at_most_one_reminder_a_day_and_waits_for_tomorrows_first_slot():
    decision = run(context=make_context(reminders_to_client_today=1))

    assert (decision.send, decision.reason) == (False, Reason.CLIENT_DAILY_LIMIT)
    assert decision.wait_until == berlin(2026, 6, 11, 10, 0)


@pytest.mark.parametrize(
    ("paid_offers", "expected"),
    [
        (0, Segment.NEW_CLIENT),
        (1, Segment.SECOND_PURCHASE),
        (2, Segment.REPEAT_CLIENT),
        (7, Segment.REPEAT_CLIENT),
    ],
)
def test_the_wording_follows_the_clients_paid_offers(paid_offers, expected):
    assert segment(paid_offers) is expected
    assert run(context=make_context(client_paid_offers=paid_offers)).segment is expected


def test_the_segments_are_their_wire_strings():
    assert [item.value for item in Segment] == ["new_client", "second_purchase", "repeat_client"]


# ---------------------------------------------------------------------------------------------------
# Combinations: the first rule in RULES decides

PAID = {"offer": {"paid_at": berlin(2026, 6, 10, 9, 0)}}
PLATFORM = {"offer": {"source": "platform"}}
PAID_TODAY = {"context": {"last_client_payment_at": berlin(2026, 6, 10, 9, 0)}}
NEWER = {"context": {"newer_unpaid_offer_exists": True}}
FRESH = {"offer": {"created_at": berlin(2026, 6, 10, 9, 45)}}
LATE_SWEEP = {"now": berlin(2026, 6, 10, 12, 0)}
THREE_SENT = {"offer": {"reminders_sent": 3}}
REMINDED_TODAY = {"context": {"reminders_to_client_today": 1}}


def combine(*parts):
    merged = {"offer": {}, "context": {}, "now": NOW}
    for part in parts:
        merged["offer"] = {**merged["offer"], **part.get("offer", {})}
        merged["context"] = {**merged["context"], **part.get("context", {})}
        merged["now"] = part.get("now", merged["now"])
    return run(merged["now"], make_offer(**merged["offer"]), make_context(**merged["context"]))


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ((PAID, PLATFORM, PAID_TODAY, NEWER, FRESH, THREE_SENT, REMINDED_TODAY), Reason.ALREADY_PAID),
        ((PLATFORM, PAID_TODAY, NEWER, FRESH, THREE_SENT, REMINDED_TODAY), Reason.PLATFORM_OFFER),
        ((PAID_TODAY, NEWER, FRESH, THREE_SENT, REMINDED_TODAY), Reason.CLIENT_PAID_TODAY),
        ((NEWER, FRESH, THREE_SENT, REMINDED_TODAY), Reason.NEWER_OFFER),
        ((FRESH, THREE_SENT, REMINDED_TODAY), Reason.TOO_EARLY),
        ((LATE_SWEEP, THREE_SENT, REMINDED_TODAY), Reason.OUTSIDE_SLOT),
        ((THREE_SENT, REMINDED_TODAY), Reason.OFFER_LIMIT),
        ((REMINDED_TODAY,), Reason.CLIENT_DAILY_LIMIT),
        ((PLATFORM, LATE_SWEEP), Reason.PLATFORM_OFFER),
        ((NEWER, LATE_SWEEP), Reason.NEWER_OFFER),
        ((PAID_TODAY, REMINDED_TODAY), Reason.CLIENT_PAID_TODAY),
    ],
)
def test_the_earliest_objecting_rule_gives_the_reason(parts, expected):
    decision = combine(*parts)

    assert (decision.send, decision.reason) == (False, expected)


def test_a_late_sweep_in_a_fresh_offer_waits_for_the_later_of_delay_and_slot():
    # Created 15:00, swept at 15:30: the delay ends at 17:00, after the afternoon slot.
    decision = run(now=berlin(2026, 6, 10, 15, 30), offer=make_offer(created_at=berlin(2026, 6, 10, 15, 0)))

    assert (decision.reason, decision.wait_until) == (Reason.TOO_EARLY, berlin(2026, 6, 11, 10, 0))


# ---------------------------------------------------------------------------------------------------
# Slots and days across daylight-saving changes


def test_slots_follow_local_time_across_the_spring_change():
    # Saturday 28 March is CET (10:00 = 09:00 UTC); Sunday 29 March is CEST (10:00 = 08:00 UTC).
    context = make_context()
    offer = make_offer(created_at=datetime(2026, 3, 27, 12, 0, tzinfo=UTC))

    assert decide(offer, context, datetime(2026, 3, 28, 9, 0, tzinfo=UTC)).send is True
    saturday_evening = decide(offer, context, datetime(2026, 3, 28, 16, 30, tzinfo=UTC))  # 17:30 CET
    assert saturday_evening.wait_until == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    assert decide(offer, context, datetime(2026, 3, 29, 8, 0, tzinfo=UTC)).send is True


def test_slots_follow_local_time_across_the_autumn_change_in_new_york():
    context = make_context(partner_timezone="America/New_York")
    offer = make_offer(created_at=datetime(2026, 10, 30, 12, 0, tzinfo=UTC))

    assert decide(offer, context, datetime(2026, 10, 31, 14, 0, tzinfo=UTC)).send is True  # 10:00 EDT
    sunday = decide(offer, context, datetime(2026, 11, 1, 14, 30, tzinfo=UTC))  # 09:30 EST
    assert (sunday.reason, sunday.wait_until) == (
        Reason.OUTSIDE_SLOT,
        datetime(2026, 11, 1, 15, 0, tzinfo=UTC),
    )


def test_the_local_day_starts_at_local_midnight_on_a_dst_day():
    assert local_day_start(datetime(2026, 3, 29, 12, 0, tzinfo=UTC), BERLIN) == datetime(
        2026, 3, 28, 23, 0, tzinfo=UTC
    )
    assert local_day_start(datetime(2026, 3, 29, 22, 30, tzinfo=UTC), BERLIN) == datetime(
        2026, 3, 29, 22, 0, tzinfo=UTC
    )


def test_the_dedupe_key_uses_the_partners_local_date():
    # 23:30 UTC on 9 June is already 10 June in Berlin.
    decision = decide(
        make_offer(created_at=datetime(2026, 6, 9, 12, 0, tzinfo=UTC)),
        make_context(slots=(Slot(time(1), time(2)),)),
        datetime(2026, 6, 9, 23, 30, tzinfo=UTC),
    )

    assert decision.dedupe_key == "payment-reminder:partner-5:client-9:2026-06-10"


def test_next_send_time_is_now_inside_a_slot():
    assert next_send_time(make_context(), NOW) == NOW


def test_slots_are_taken_in_time_order_whatever_the_given_order():
    context = make_context(slots=tuple(reversed(DEFAULT_SLOTS)))

    assert next_send_time(context, berlin(2026, 6, 10, 7, 0)) == berlin(2026, 6, 10, 10, 0)


# ---------------------------------------------------------------------------------------------------
# The send-time check and the dedupe key


def test_a_queued_reminder_still_goes_out_for_an_unpaid_offer():
    assert still_due_at_send(make_offer(), make_context(), NOW) is True


def test_a_queued_reminder_is_dropped_once_the_offer_is_paid():
    assert still_due_at_send(make_offer(paid_at=NOW), make_context(), NOW) is False


def test_a_queued_reminder_is_dropped_once_the_client_paid_another_offer_today():
    context = make_context(last_client_payment_at=NOW - timedelta(minutes=1))

    assert still_due_at_send(make_offer(), context, NOW) is False


def test_a_queued_reminder_is_dropped_once_a_newer_offer_supersedes_it():
    assert still_due_at_send(make_offer(), make_context(newer_unpaid_offer_exists=True), NOW) is False


def test_a_queued_reminder_may_leave_a_little_after_its_slot():
    assert still_due_at_send(make_offer(), make_context(), berlin(2026, 6, 10, 11, 2)) is True


def test_the_dedupe_key_is_one_per_partner_client_and_local_day():
    key = reminder_dedupe_key(partner_id=5, client_id=9, local_date=date(2026, 6, 10))

    assert key == "payment-reminder:partner-5:client-9:2026-06-10"
    assert key != reminder_dedupe_key(partner_id=5, client_id=9, local_date=date(2026, 6, 11))
    assert key != reminder_dedupe_key(partner_id=6, client_id=9, local_date=date(2026, 6, 10))
    assert key != reminder_dedupe_key(partner_id=5, client_id=8, local_date=date(2026, 6, 10))


def test_two_offers_to_one_client_on_one_day_share_the_key():
    first = run(offer=make_offer(offer_id=1))
    second = run(offer=make_offer(offer_id=2))

    assert first.dedupe_key == second.dedupe_key


# ---------------------------------------------------------------------------------------------------
# Validation


@pytest.mark.parametrize(("start", "end"), [(time(11), time(10)), (time(10), time(10))])
def test_a_slot_must_end_after_it_starts(start, end):
    with pytest.raises(ValueError):
        Slot(start, end)


def test_an_unknown_partner_zone_is_rejected():
    with pytest.raises(ValueError):
        run(context=make_context(partner_timezone="Nowhere/Special"))


def test_a_naive_now_is_rejected():
    with pytest.raises(ValueError):
        run(now=datetime(2026, 6, 10, 10, 30))


def test_a_negative_delay_is_rejected():
    with pytest.raises(ValueError):
        make_context(delay_hours=-1)
