"""Follow-ups: a request nobody answered within FOLLOW_UP_AFTER_HOURS offers the client other partners."""
import random
from collections import Counter
from datetime import datetime

from flask import current_app
from sqlalchemy import and_, exists, select, update

from app.extensions import db
from app.models import Deal, LeadRequest, Partner, partner_services
from app.services import catalogue, intake
from app.services.errors import Conflict, Invalid, NotFound
from app.services.links import client_link, public_url
from app.services.outbox import enqueue_email
from matching import Pick, SearchFilters
from pipelines.followup import needs_follow_up

BATCH = 500


def sweep(now: datetime, rng: random.Random, batch: int = BATCH) -> Counter:
    """Decide every due follow-up once, batch by batch; return the outcomes counted."""
    outcomes: Counter = Counter()
    while True:
        claimed = claim_due(now, batch)
        for request in db.session.scalars(select(LeadRequest).where(LeadRequest.id.in_(claimed))):
            outcomes[follow_up(request, now, rng)] += 1
        db.session.commit()
        if len(claimed) < batch:
            return outcomes


def claim_due(now: datetime, limit: int) -> list[int]:
    """Mark up to `limit` due requests as decided by this sweep, skipping ones another sweep holds."""
    pending = and_(LeadRequest.follow_up_done_at.is_(None), LeadRequest.follow_up_due_at <= now)
    ids = select(LeadRequest.id).where(pending).order_by(LeadRequest.follow_up_due_at, LeadRequest.id).limit(limit)
    if db.engine.dialect.name == "postgresql":
        ids = ids.with_for_update(skip_locked=True)
    result = db.session.execute(
        update(LeadRequest).where(LeadRequest.id.in_(ids.scalar_subquery()), pending)
        .values(follow_up_done_at=now, follow_up_outcome="claimed").returning(LeadRequest.id)
        .execution_options(synchronize_session=False))
    return list(result.scalars())


def follow_up(request: LeadRequest, now: datetime, rng: random.Random) -> str:
    """Offer the client alternatives if nobody answered in time; record and return the outcome."""
    deals = intake.request_deals(request.id)
    outcome = decide(request, deals, now)
    if outcome == "due":
        picks = alternatives(request, deals, now, rng)
        outcome = "sent" if picks else "no_alternatives"
        if picks:
            offer_alternatives(request, [pick.partner_id for pick in picks], now)
    request.follow_up_outcome = outcome
    if outcome == "not_due":
        request.follow_up_done_at = None
    return outcome


def decide(request: LeadRequest, deals: list[Deal], now: datetime) -> str:
    """Say why a request gets no follow-up ("unmatched", "answered", "spam", "not_due"), or "due"."""
    if not deals:
        return "unmatched"
    answered = any(d.first_response_at and d.first_response_at <= request.follow_up_due_at for d in deals)
    spam = all(d.spam_marked_at is not None for d in deals)
    if needs_follow_up(created_at=request.created_at, now=now, answered=answered, spam=spam,
                       after_hours=current_app.config["FOLLOW_UP_AFTER_HOURS"], already_sent=False):
        return "due"
    return "answered" if answered else "spam" if spam else "not_due"


def alternatives(request: LeadRequest, deals: list[Deal], now: datetime, rng: random.Random) -> list[Pick]:
    """Pick up to three other partners for the request (same filters; for a direct one, the partner's profile)."""
    contacted = [deal.partner_id for deal in deals]
    if request.mode == "matched":
        filters = SearchFilters(**request.filters)
        stmt = catalogue.filtered(filters)
    else:
        partner = db.session.get(Partner, request.direct_partner_id)
        filters = SearchFilters(country=partner.country, language=partner.primary_language)
        stmt = catalogue.filtered(filters).where(exists().where(
            partner_services.c.partner_id == Partner.id,
            partner_services.c.service_id.in_([service.id for service in partner.services])))
    return intake.pick_from(stmt.where(Partner.id.not_in(contacted)), filters, now, rng)


def offer_alternatives(request: LeadRequest, partner_ids: list[int], now: datetime) -> None:
    """Remember the offered partners and email the client, once per request."""
    request.alternatives = partner_ids
    partners = [db.session.get(Partner, partner_id) for partner_id in partner_ids]
    client = request.client
    enqueue_email(
        key=f"follow-up:{request.id}", to=client.email, template="follow_up_alternatives",
        language=client.language, now=now, context={
            "client_name": client.name, "project_title": request.title, "client_link": client_link(client.id),
            "partners": [{"name": p.name, "profile_url": public_url(f"partners/{p.id}")} for p in partners]})


def send_to_alternatives(client_id: int, request_id: int, partner_ids: list[int], now: datetime) -> intake.IntakeResult:
    """Send a client's request to alternatives they chose from the follow-up."""
    request = db.session.scalar(select(LeadRequest).where(
        LeadRequest.id == request_id, LeadRequest.client_id == client_id))
    if request is None:
        raise NotFound(f"Request {request_id} is not one of yours.")
    unknown = sorted(set(partner_ids) - set(request.alternatives or []))
    if unknown:
        raise Invalid("Not offered.", {"partner_ids": [f"These partners were not offered: {unknown}."]})
    contacted = {deal.partner_id for deal in intake.request_deals(request.id)}
    if contacted & set(partner_ids):
        raise Conflict("The request went to some of these partners already.")
    reason = {"mode": "alternative", "summary": "Offered after nobody answered in time; chosen by the client."}
    picks = [Pick(partner_id=partner_id, reason=reason) for partner_id in dict.fromkeys(partner_ids)]
    partners = intake.fan_out(request, picks, now, source="alternative")
    return intake.IntakeResult(request=request, partners=partners, created=True)
