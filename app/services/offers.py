"""Offers and their payment; paying an offer wins its deal."""
from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.models import Deal, Offer
from app.services import deals, notices
from app.services.errors import Conflict, NotFound
from app.services.tenancy import owned


def create_offer(deal_id: int, data: dict, now: datetime) -> Offer:
    """Make the client of a deal an offer they can see, accept and pay."""
    deal = owned(Deal, deal_id)
    price = data["amount"]
    offer = Offer(partner_id=deal.partner_id, deal_id=deal.id, client_id=deal.client_id, amount=price["amount"],
                  currency=price["currency"], description=data.get("description", ""), source=data["source"],
                  created_at=now, reminders_sent=0, reminder_due_at=now)
    db.session.add(offer)
    db.session.flush()
    notices.offer_made(deal, offer, now)
    return offer


def pay(offer: Offer, via: str, now: datetime) -> Offer:
    """Record a payment; the deal becomes won with the offer's amount unless it is won already."""
    if offer.paid_at is not None:
        raise Conflict("This offer is paid already.")
    offer.paid_at, offer.paid_via, offer.reminder_due_at = now, via, None
    deal = db.session.get(Deal, offer.deal_id)
    if deal.status != "won":
        if deal.status == "lost":
            deals.change_status(deal, "in_progress", None, None, now, actor="system")
        deals.change_status(deal, "won", {"amount": offer.amount, "currency": offer.currency}, None, now,
                            actor="system")
    rearm_reminders(offer, now)
    db.session.flush()
    return offer


def rearm_reminders(paid: Offer, now: datetime) -> None:
    """Let the sweep reconsider the client's other unpaid offers to this partner."""
    for offer in db.session.scalars(select(Offer).where(
            Offer.partner_id == paid.partner_id, Offer.client_id == paid.client_id, Offer.paid_at.is_(None))):
        offer.reminder_due_at = now


def pay_as_partner(offer_id: int, now: datetime) -> Offer:
    """The acting partner records that an offer was paid."""
    return pay(owned(Offer, offer_id), "partner", now)


def pay_as_provider(offer_id: int, now: datetime) -> Offer:
    """A payment provider's signed callback records that an offer was paid."""
    offer = db.session.get(Offer, offer_id)
    if offer is None:
        raise NotFound(f"Offer {offer_id} does not exist.")
    return pay(offer, "provider", now)


def accept(client_id: int, offer_id: int, now: datetime) -> Offer:
    """The client accepts an offer on their page."""
    offer = db.session.scalar(select(Offer).where(Offer.id == offer_id, Offer.client_id == client_id))
    if offer is None:
        raise NotFound(f"Offer {offer_id} is not one of yours.")
    offer.accepted_at = offer.accepted_at or now
    db.session.flush()
    return offer


def owned_deal(deal_id: int) -> Deal:
    """Return one of the acting partner's deals."""
    return owned(Deal, deal_id)


def deal_offers(deal_id: int) -> list[Offer]:
    """Return a deal's offers, oldest first."""
    return list(db.session.scalars(select(Offer).where(Offer.deal_id == deal_id).order_by(Offer.id)))
