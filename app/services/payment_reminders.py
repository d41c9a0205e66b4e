"""Payment reminders: a sweep runs the rule chain on every offer that is due a decision, and records it."""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import exists, func, select

from app.extensions import db
from app.models import Client, Deal, Offer, OutboxMessage, Partner, ReminderDecision
from app.services.links import client_link
from app.services.locking import begin_writing
from app.services.outbox import enqueue_email
from pipelines.clock import zone
from pipelines.reminders import (
    Decision,
    OfferFacts,
    Reason,
    ReminderContext,
    decide,
    local_day_start,
    reminder_dedupe_key,
    still_due_at_send,
)

BATCH = 500
FINAL_REASONS = {Reason.ALREADY_PAID, Reason.PLATFORM_OFFER, Reason.OFFER_LIMIT, Reason.NEWER_OFFER}


def facts(offer: Offer) -> OfferFacts:
    """Turn an offer row into the rule chain's plain facts."""
    return OfferFacts(offer_id=offer.id, partner_id=offer.partner_id, client_id=offer.client_id, source=offer.source,
                      created_at=offer.created_at, paid_at=offer.paid_at, reminders_sent=offer.reminders_sent)


def context(offer: Offer, now: datetime) -> ReminderContext:
    """Gather what the chain needs about the client's history with this partner."""
    partner = db.session.get(Partner, offer.partner_id)
    same_pair = (Offer.partner_id == offer.partner_id, Offer.client_id == offer.client_id)
    paid = select(func.count(), func.max(Offer.paid_at)).where(*same_pair, Offer.paid_at.is_not(None),
                                                               Offer.id != offer.id)
    paid_count, last_paid = db.session.execute(paid).one()
    newer = db.session.scalar(select(exists().where(*same_pair, Offer.paid_at.is_(None), Offer.id > offer.id)))
    today = reminder_dedupe_key(partner_id=offer.partner_id, client_id=offer.client_id,
                                local_date=now.astimezone(zone(partner.timezone)).date())
    queued_today = db.session.scalar(select(func.count()).where(OutboxMessage.dedupe_key == today))
    return ReminderContext(partner_timezone=partner.timezone, client_paid_offers=paid_count,
                           last_client_payment_at=last_paid, reminders_to_client_today=queued_today,
                           newer_unpaid_offer_exists=newer, delay_hours=current_app.config["REMINDER_DELAY_HOURS"])


def next_decision_at(decision: Decision, offer: Offer, ctx: ReminderContext, now: datetime) -> datetime | None:
    """Return when the offer next deserves a decision; None when the skip is final."""
    if decision.send:
        return now
    if decision.reason in FINAL_REASONS:
        return None
    if decision.wait_until is not None:
        return decision.wait_until
    return local_day_start(now, zone(ctx.partner_timezone)) + timedelta(days=1)


def decide_offer(offer: Offer, now: datetime) -> Decision:
    """Decide one offer now, without changing anything."""
    return decide(facts(offer), context(offer, now), now)


def apply(offer: Offer, now: datetime) -> Decision:
    """Decide one offer, queue the reminder when due, and record the decision."""
    ctx = context(offer, now)
    decision = decide(facts(offer), ctx, now)
    if decision.send and queue_reminder(offer, decision, ctx, now):
        offer.reminders_sent += 1
    offer.reminder_due_at = next_decision_at(decision, offer, ctx, now)
    offer.reminder_reason = decision.reason.value
    db.session.add(ReminderDecision(offer_id=offer.id, decided_at=now, action=action(decision),
                                    reason=decision.reason.value, wait_until=decision.wait_until,
                                    segment=decision.segment.value if decision.segment else None))
    return decision


def action(decision: Decision) -> str:
    """Name what a decision does: sent, waiting or skipped."""
    return "sent" if decision.send else "waiting" if decision.wait_until else "skipped"


def queue_reminder(offer: Offer, decision: Decision, ctx: ReminderContext, now: datetime) -> bool:
    """Write the reminder to the outbox under its per-client-per-day key."""
    client, partner = offer_client(offer), db.session.get(Partner, offer.partner_id)
    return enqueue_email(
        key=decision.dedupe_key, to=client.email, template="payment_reminder", language=client.language, now=now,
        partner_id=offer.partner_id, extra={"offer_id": offer.id}, context={
            "client_name": client.name, "partner_name": partner.name, "project_title": offer_title(offer),
            "description": offer.description, "amount": f"{offer.amount:.2f} {offer.currency}",
            "client_link": f"{client_link(client.id, now)}#offer-{offer.id}", "segment": decision.segment.value,
            "paid_offers": ctx.client_paid_offers})


def offer_client(offer: Offer) -> Client:
    """Return the client an offer is for."""
    return db.session.get(Client, offer.client_id)


def offer_title(offer: Offer) -> str:
    """Return the title of the offer's deal."""
    return db.session.get(Deal, offer.deal_id).title


def due_offers(now: datetime, limit: int) -> list[Offer]:
    """Return unpaid offers due a decision, locking them on PostgreSQL so parallel sweeps skip them."""
    stmt = (select(Offer).where(Offer.reminder_due_at <= now, Offer.paid_at.is_(None))
            .order_by(Offer.reminder_due_at, Offer.id).limit(limit))
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(db.session.scalars(stmt))


def sweep(now: datetime) -> dict:
    """Decide every due offer; return how many were sent, are waiting or were skipped."""
    counts = {"sent": 0, "waiting": 0, "skipped": 0}
    while True:
        begin_writing()
        batch = due_offers(now, BATCH)
        for offer in batch:
            counts[action(apply(offer, now))] += 1
        db.session.commit()
        if len(batch) < BATCH:
            return counts


def preview(now: datetime) -> list[dict]:
    """Say what a sweep would do now, and why, changing nothing."""
    offers = db.session.scalars(select(Offer).where(Offer.reminder_due_at <= now, Offer.paid_at.is_(None))
                                .order_by(Offer.reminder_due_at, Offer.id)).all()
    return [{"offer_id": offer.id, "client_id": offer.client_id, "action": action(decision),
             "reason": decision.reason.value, "segment": decision.segment.value if decision.segment else None,
             "wait_until": decision.wait_until.isoformat() if decision.wait_until else None}
            for offer in offers for decision in [decide_offer(offer, now)]]


def still_wanted(offer_id: int, now: datetime) -> bool:
    """Re-check at send time: drop a reminder whose offer was paid or superseded meanwhile."""
    offer = db.session.get(Offer, offer_id)
    return offer is not None and still_due_at_send(facts(offer), context(offer, now), now)
