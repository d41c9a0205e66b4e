"""A day of offers through the payment-reminder sweep: slots, delays, limits, wording, send-time checks."""
import json
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Client, Deal, Offer, OutboxMessage, ReminderDecision
from app.services import contacts, offers, payment_reminders
from app.services.delivery import deliver_pending
from app.services.intake import submit_request
from app.services.tenancy import acting_as
from notifications.rendering import rendered_payload
from tests.builders import make_partner

MONDAY = datetime(2026, 6, 1, tzinfo=UTC)  # Europe/Berlin is UTC+2 in June


def berlin(hour: int, minute: int = 0, day: int = 0) -> datetime:
    """Return a moment given in Berlin summer time, on MONDAY plus `day` days."""
    return MONDAY + timedelta(days=day, hours=hour - 2, minutes=minute)


def deal_for(partner_id: int, email: str, at: datetime) -> int:
    """Open a deal for a client (a request the first time, then the partner reconnects); return its id."""
    known = db.session.scalar(select(Client.id).where(Client.email == email))
    if known is not None:
        with acting_as(partner_id):
            return contacts.reconnect(partner_id, known, "Another campaign", at).id
    data = {"client": {"name": email.split("@")[0].title(), "email": email, "language": "en"},
            "project": {"title": "Campaign", "description": ""}, "partner_id": partner_id, "category": "general"}
    request = submit_request(data, at, random.Random(1)).request
    return db.session.scalar(select(Deal.id).where(Deal.request_id == request.id))


def make_offer(partner_id: int, deal_id: int, at: datetime, source: str = "direct", amount: str = "100.00") -> Offer:
    """Create an offer as the partner."""
    with acting_as(partner_id):
        offer = offers.create_offer(deal_id, {"amount": {"amount": Decimal(amount), "currency": "EUR"},
                                              "description": "Work", "source": source}, at)
    db.session.commit()
    return offer


def pay(partner_id: int, offer_id: int, at: datetime) -> None:
    """Record a payment as the partner."""
    with acting_as(partner_id):
        offers.pay_as_partner(offer_id, at)
    db.session.commit()


def reminders() -> list[OutboxMessage]:
    """Return the queued payment reminders."""
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return [row for row in rows if row.payload.get("template") == "payment_reminder"]


def run_day(start: datetime, hours: float = 24, step_minutes: int = 30) -> None:
    """Sweep every `step_minutes` for `hours`, as the scheduler would."""
    moment = start
    while moment < start + timedelta(hours=hours):
        payment_reminders.sweep(moment)
        moment += timedelta(minutes=step_minutes)


@pytest.fixture
def partner(ctx):
    """A partner in Berlin."""
    return make_partner(MONDAY, timezone="Europe/Berlin")


def test_a_day_of_offers(partner):
    anna = deal_for(partner.id, "anna@example.org", berlin(7))
    bob = deal_for(partner.id, "bob@example.org", berlin(7))
    cara = deal_for(partner.id, "cara@example.org", berlin(7))
    dora = deal_for(partner.id, "dora@example.org", berlin(7))
    db.session.commit()
    anna_offer = make_offer(partner.id, anna, berlin(8, 30))  # eligible 10:30: reminded in the 10-11 slot
    platform = make_offer(partner.id, bob, berlin(8, 0), source="platform")  # never reminded
    old = make_offer(partner.id, cara, berlin(9, 0))
    newest = make_offer(partner.id, cara, berlin(9, 30))  # only the newest of Cara's offers is chased
    late = make_offer(partner.id, dora, berlin(15, 0))  # eligible 17:00, after the last slot: next morning
    run_day(berlin(0))
    by_offer = {row.payload["offer_id"]: row.created_at for row in reminders()}
    assert by_offer[anna_offer.id] == berlin(10, 30)
    assert by_offer[newest.id] == berlin(16, 0)  # eligible 11:30, after the morning slot: the afternoon one
    assert platform.id not in by_offer and old.id not in by_offer and late.id not in by_offer
    reasons = {d.offer_id: d.reason for d in db.session.scalars(select(ReminderDecision))}
    assert reasons[platform.id] == "platform_offer" and reasons[old.id] == "newer_unpaid_offer"
    run_day(berlin(0, day=1), hours=11)
    assert {row.payload["offer_id"]: row.created_at for row in reminders()}[late.id] == berlin(10, 0, day=1)


def test_one_reminder_per_client_per_day_and_three_per_offer(partner):
    deal_id = deal_for(partner.id, "anna@example.org", berlin(7))
    db.session.commit()
    chased = make_offer(partner.id, deal_id, berlin(7, 30))
    run_day(berlin(0), hours=24 * 5)
    days = [row.created_at.date() for row in reminders()]
    assert len(days) == 3 and len(set(days)) == 3
    assert db.session.get(Offer, chased.id).reminder_reason == "offer_limit"


def test_no_reminder_when_the_client_paid_today(partner):
    first = deal_for(partner.id, "anna@example.org", berlin(7))
    second = deal_for(partner.id, "anna@example.org", berlin(7))
    db.session.commit()
    paid_one = make_offer(partner.id, first, berlin(7, 0))
    make_offer(partner.id, second, berlin(7, 5))
    pay(partner.id, paid_one.id, berlin(9, 0))
    run_day(berlin(0))
    assert reminders() == []
    run_day(berlin(0, day=1), hours=11)
    [reminder] = reminders()
    assert reminder.created_at == berlin(10, 0, day=1)
    assert "Good to see you again" in rendered_payload(reminder.payload).subject  # a second purchase, worded as such


def test_a_reminder_for_an_offer_paid_before_it_left_is_dropped(partner, ctx, monkeypatch, tmp_path):
    monkeypatch.setitem(ctx.config, "MAIL_URL", f"file://{tmp_path}")
    deal_id = deal_for(partner.id, "anna@example.org", berlin(7))
    db.session.commit()
    offer = make_offer(partner.id, deal_id, berlin(7))
    payment_reminders.sweep(berlin(10, 0))
    [queued] = reminders()
    pay(partner.id, offer.id, berlin(10, 1))
    deliver_pending(berlin(10, 2), "w", random.Random(1))
    db.session.expire_all()
    assert db.session.get(OutboxMessage, queued.id).status == "discarded"
    assert not [path for path in tmp_path.iterdir() if "payment-reminder" in path.read_text(errors="ignore")]


def test_wording_follows_the_clients_paid_history(partner):
    deal_ids = [deal_for(partner.id, "anna@example.org", berlin(7)) for _ in range(4)]
    db.session.commit()
    subjects = []
    for day, deal_id in enumerate(deal_ids):
        offer = make_offer(partner.id, deal_id, berlin(7, day=day))
        payment_reminders.sweep(berlin(10, day=day))
        subjects.append(rendered_payload(reminders()[-1].payload).subject)
        pay(partner.id, offer.id, berlin(12, day=day))
    assert subjects[0].startswith("Your offer is waiting")
    assert subjects[1].startswith("Good to see you again")
    assert subjects[2].startswith("Your next order") and subjects[3].startswith("Your next order")


def test_preview_prints_decisions_and_changes_nothing(partner, ctx):
    deal_id = deal_for(partner.id, "anna@example.org", berlin(7))
    db.session.commit()
    make_offer(partner.id, deal_id, berlin(7), source="platform")
    bob_deal = deal_for(partner.id, "bob@example.org", berlin(7))
    db.session.commit()
    make_offer(partner.id, bob_deal, berlin(7))
    result = ctx.test_cli_runner().invoke(args=["reminders", "preview", "--now", berlin(10, 15).isoformat()])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    decisions = sorted((line["action"], line["reason"]) for line in lines)
    assert decisions == [("sent", "due"), ("skipped", "platform_offer")]
    assert reminders() == [] and db.session.scalars(select(ReminderDecision)).all() == []
    assert db.session.scalar(select(Client.id).where(Client.email == "bob@example.org"))
