"""The payment-reminder rule chain: whether, when and how to remind a client of an unpaid offer.

RULES is the chain, in order; the first rule that objects decides, with its reason. Timing is read
in the partner's zone. A reminder slot is a local [start, end) window: a sweep that misses a slot
(say at 11:30 for 10:00-11:00) does not make it up but waits for the next slot, and the decision
says when that is.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pipelines.clock import as_utc, zone

PLATFORM_SOURCE = "platform"
MAX_REMINDERS_PER_OFFER = 3
MAX_REMINDERS_PER_CLIENT_PER_DAY = 1
DEFAULT_DELAY_HOURS = 2.0


class Reason(StrEnum):
    """Why a reminder is sent or not."""

    DUE = "due"
    ALREADY_PAID = "already_paid"
    PLATFORM_OFFER = "platform_offer"
    CLIENT_PAID_TODAY = "client_paid_today"
    NEWER_OFFER = "newer_unpaid_offer"
    TOO_EARLY = "too_early"
    OUTSIDE_SLOT = "outside_slot"
    CLIENT_DAILY_LIMIT = "client_daily_limit"
    OFFER_LIMIT = "offer_limit"


class Segment(StrEnum):
    """The wording of a reminder, after the client's paid offers with this partner."""

    NEW_CLIENT = "new_client"
    SECOND_PURCHASE = "second_purchase"
    REPEAT_CLIENT = "repeat_client"


@dataclass(frozen=True)
class Slot:
    """A local time window [start, end) in which reminders go out."""

    start: time
    end: time

    def __post_init__(self) -> None:
        """Reject a slot that does not end after it starts."""
        if self.end <= self.start:
            raise ValueError("a reminder slot must end after it starts, within one day")


DEFAULT_SLOTS = (Slot(time(10), time(11)), Slot(time(16), time(17)))


@dataclass(frozen=True)
class OfferFacts:
    """The offer a reminder would chase."""

    offer_id: int
    partner_id: int
    client_id: int
    source: str
    created_at: datetime
    paid_at: datetime | None
    reminders_sent: int


@dataclass(frozen=True)
class ReminderContext:
    """What else the chain needs to know, gathered by the caller.

    client_paid_offers: this client's paid offers to this partner, the chased one excluded.
    last_client_payment_at: when the client last paid any offer to this partner, if ever.
    reminders_to_client_today: reminders from this partner to this client already sent or queued
    since the start of today in the partner's zone.
    newer_unpaid_offer_exists: this partner made this client a later unpaid offer (ties broken by
    offer id).
    """

    partner_timezone: str
    client_paid_offers: int
    last_client_payment_at: datetime | None
    reminders_to_client_today: int
    newer_unpaid_offer_exists: bool
    slots: tuple[Slot, ...] = DEFAULT_SLOTS
    delay_hours: float = DEFAULT_DELAY_HOURS

    def __post_init__(self) -> None:
        """Reject an unknown partner zone or a negative delay."""
        zone(self.partner_timezone)
        if self.delay_hours < 0:
            raise ValueError("delay_hours cannot be negative")


@dataclass(frozen=True)
class Decision:
    """The chain's verdict on one offer at one moment.

    wait_until is when a waiting offer is next worth deciding; None for a send or a final skip.
    sequence is the number of this reminder for the offer (1 for the first).
    """

    offer_id: int
    send: bool
    reason: Reason
    segment: Segment | None = None
    dedupe_key: str | None = None
    sequence: int | None = None
    wait_until: datetime | None = None


@dataclass(frozen=True)
class Objection:
    """A rule's refusal: its reason and, for a wait, the moment worth trying again."""

    reason: Reason
    wait_until: datetime | None = None


Rule = Callable[[OfferFacts, ReminderContext, datetime], Objection | None]


def _unpaid(offer: OfferFacts, context: ReminderContext, now: datetime) -> Objection | None:
    """Object to chasing an offer already paid."""
    return Objection(Reason.ALREADY_PAID) if offer.paid_at is not None else None


def _not_platform(offer: OfferFacts, context: ReminderContext, now: datetime) -> Objection | None:
    """Object to platform offers, whose payment state arrives late from settlement."""
    return Objection(Reason.PLATFORM_OFFER) if offer.source == PLATFORM_SOURCE else None


def _no_payment_today(offer: OfferFacts, context: ReminderContext, now: datetime) -> Objection | None:
    """Object when the client paid this partner anything since the partner's local midnight."""
    paid = context.last_client_payment_at
    today = local_day_start(now, zone(context.partner_timezone))
    paid_today = paid is not None and as_utc(paid) >= today
    return Objection(Reason.CLIENT_PAID_TODAY) if paid_today else None


def _newest_offer(offer: OfferFacts, context: ReminderContext, now: datetime) -> Objection | None:
    """Object to an offer the client superseded with a newer unpaid one."""
    return Objection(Reason.NEWER_OFFER) if context.newer_unpaid_offer_exists else None


def _past_delay(offer: OfferFacts, context: ReminderContext, now: datetime) -> Objection | None:
    """Make a fresh offer wait delay_hours, then for the slot that follows."""
    eligible = as_utc(offer.created_at) + timedelta(hours=context.delay_hours)
    if now >= eligible:
        return None
    return Objection(Reason.TOO_EARLY, next_send_time(context, eligible))


def _in_slot(offer: OfferFacts, context: ReminderContext, now: datetime) -> Objection | None:
    """Make a sweep outside every slot wait for the next slot."""
    due = next_send_time(context, now)
    return None if due == now else Objection(Reason.OUTSIDE_SLOT, due)


def _within_offer_limit(offer: OfferFacts, context: ReminderContext, now: datetime) -> Objection | None:
    """Object once an offer has had its last reminder."""
    if offer.reminders_sent < MAX_REMINDERS_PER_OFFER:
        return None
    return Objection(Reason.OFFER_LIMIT)


def _within_client_daily_limit(
    offer: OfferFacts, context: ReminderContext, now: datetime
) -> Objection | None:
    """Make a client already reminded today wait for tomorrow's first slot."""
    if context.reminders_to_client_today < MAX_REMINDERS_PER_CLIENT_PER_DAY:
        return None
    tomorrow = local_day_start(now, zone(context.partner_timezone)) + timedelta(days=1)
    return Objection(Reason.CLIENT_DAILY_LIMIT, next_send_time(context, tomorrow))


RULES: tuple[Rule, ...] = (
    _unpaid,
    _not_platform,
    _no_payment_today,
    _newest_offer,
    _past_delay,
    _in_slot,
    _within_offer_limit,
    _within_client_daily_limit,
)
SEND_TIME_RULES: tuple[Rule, ...] = (_unpaid, _no_payment_today, _newest_offer)


def decide(offer: OfferFacts, context: ReminderContext, now: datetime) -> Decision:
    """Run the chain on one offer at now and say whether, and in which wording, to remind."""
    now = as_utc(now)
    objection = _first_objection(RULES, offer, context, now)
    if objection is not None:
        return Decision(offer.offer_id, send=False, reason=objection.reason, wait_until=objection.wait_until)
    local_date = now.astimezone(zone(context.partner_timezone)).date()
    return Decision(
        offer.offer_id,
        send=True,
        reason=Reason.DUE,
        segment=segment(context.client_paid_offers),
        dedupe_key=reminder_dedupe_key(
            partner_id=offer.partner_id, client_id=offer.client_id, local_date=local_date
        ),
        sequence=offer.reminders_sent + 1,
    )


def still_due_at_send(offer: OfferFacts, context: ReminderContext, now: datetime) -> bool:
    """Tell whether a queued reminder should still go out: the offer unpaid and not superseded.

    Timing is not checked again: a reminder queued inside its slot may leave a little later.
    """
    return _first_objection(SEND_TIME_RULES, offer, context, as_utc(now)) is None


def _first_objection(
    rules: tuple[Rule, ...], offer: OfferFacts, context: ReminderContext, now: datetime
) -> Objection | None:
    """Return the first objection raised by rules, in order."""
    return next((found for rule in rules if (found := rule(offer, context, now)) is not None), None)


def segment(paid_offers: int) -> Segment:
    """Pick the wording from the client's paid offers to this partner, the chased one excluded."""
    if paid_offers <= 0:
        return Segment.NEW_CLIENT
    return Segment.SECOND_PURCHASE if paid_offers == 1 else Segment.REPEAT_CLIENT


def reminder_dedupe_key(*, partner_id: int, client_id: int, local_date: date) -> str:
    """Key a reminder by partner, client and the partner's local day: one such reminder a day.

    Successive reminders of one offer fall on different days, so the key is unique per attempt too.
    """
    return f"payment-reminder:partner-{partner_id}:client-{client_id}:{local_date.isoformat()}"


def local_day_start(moment: datetime, tz: ZoneInfo) -> datetime:
    """Return the UTC instant at which moment's local day begins in tz."""
    local_date = as_utc(moment).astimezone(tz).date()
    return datetime.combine(local_date, time(0), tzinfo=tz).astimezone(UTC)


def next_send_time(context: ReminderContext, after: datetime) -> datetime | None:
    """Return the earliest moment at or after after that lies inside a slot; None without slots."""
    tz, after = zone(context.partner_timezone), as_utc(after)
    first_day = after.astimezone(tz).date()
    for day in (first_day, first_day + timedelta(days=1)):
        for slot in sorted(context.slots, key=lambda slot: slot.start):
            opens, closes = (
                datetime.combine(day, moment, tzinfo=tz).astimezone(UTC) for moment in (slot.start, slot.end)
            )
            if closes > after:
                return max(opens, after)
    return None
