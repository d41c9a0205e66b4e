"""Deals: opening them in the first pipeline, messages and (later) status moves."""
from datetime import datetime

from app.extensions import db
from app.models import Deal, DealStatusChange, LeadRequest, Message, Partner
from app.services import notices
from app.services.pipelines import first_pipeline


def open_deal(*, partner: Partner, request: LeadRequest, source: str, reason: dict, now: datetime) -> Deal:
    """Create a `new` deal for a request in the partner's first pipeline and notify the partner."""
    deal = Deal(
        partner_id=partner.id, pipeline_id=first_pipeline(partner.id).id, request_id=request.id,
        client_id=request.client_id, source=source, status="new", title=request.title,
        description=request.description, budget_amount=request.budget_amount,
        budget_currency=request.budget_currency, category=request.category, selection_reason=reason,
        ever_won=False, created_at=now, updated_at=now,
    )
    db.session.add(deal)
    db.session.flush()
    db.session.add(DealStatusChange(deal_id=deal.id, from_status=None, to_status="new", actor="system", at=now))
    notices.new_deal(deal, partner, now)
    return deal


def add_message(deal: Deal, origin: str, body: str, now: datetime) -> Message:
    """Record a message on a deal and deliver it to the other side."""
    message = Message(deal_id=deal.id, origin=origin, body=body, created_at=now)
    db.session.add(message)
    deal.updated_at = now
    db.session.flush()
    notices.message_posted(deal, message, now)
    return message
