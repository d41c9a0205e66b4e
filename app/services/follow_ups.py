"""Follow-ups: a request nobody answered within FOLLOW_UP_AFTER_HOURS offers the client other partners."""
import random
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import datetime

from flask import current_app
from sqlalchemy import and_, select, update
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Deal, LeadRequest, Partner
from app.services import intake
from app.services.candidate_pools import Ask, CandidatePools, services_of
from app.services.errors import Conflict, Invalid, NotFound
from app.services.links import client_link, public_url
from app.services.outbox import add_all_once, email_row
from matching import Pick, SearchFilters
from pipelines.followup import DealReply, follow_up_outcome

Replies = dict[int, list[tuple[int, DealReply]]]  # per request: (partner id, reply) of each of its deals

BATCH = 500


def sweep(now: datetime, rng: random.Random, batch: int = BATCH) -> Counter:
    """Decide every due follow-up once, batch by batch; return the outcomes counted.

    The candidate pools are read once for the whole sweep, as of its start: the sweep itself changes no partner.
    """
    outcomes: Counter = Counter()
    pools = CandidatePools(now)
    while True:
        claimed = claim_due(now, batch)
        outcomes.update(follow_up(claimed, now, rng, pools))
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


def follow_up(request_ids: list[int], now: datetime, rng: random.Random, pools: CandidatePools) -> Counter:
    """Decide claimed requests together: offer alternatives where nobody answered in time; record the outcomes."""
    if not request_ids:
        return Counter()
    requests = list(db.session.scalars(select(LeadRequest).where(LeadRequest.id.in_(request_ids))
                                       .order_by(LeadRequest.id).options(joinedload(LeadRequest.client))))
    deals = deal_replies(request_ids)
    outcomes = {request.id: decide(request, deals[request.id], now) for request in requests}
    due = [request for request in requests if outcomes[request.id] == "due"]
    offers = {request: picks for request, picks in zip(due, alternatives(due, deals, rng, pools), strict=True)
              if picks}
    offer_alternatives(offers, pools, now)
    outcomes |= {request.id: "sent" if request in offers else "no_alternatives" for request in due}
    record(outcomes, {request.id: picks for request, picks in offers.items()})
    return Counter(outcomes.values())


def deal_replies(request_ids: list[int]) -> Replies:
    """Return, per request, the partner and the replies (first response, spam mark) of each of its deals."""
    found: Replies = defaultdict(list)
    for request_id, partner_id, first_response_at, spam_marked_at in db.session.execute(
            select(Deal.request_id, Deal.partner_id, Deal.first_response_at, Deal.spam_marked_at)
            .where(Deal.request_id.in_(request_ids)).order_by(Deal.id)):
        found[request_id].append((partner_id, DealReply(first_response_at, spam_marked_at)))
    return found


def decide(request: LeadRequest, deals: list[tuple[int, DealReply]], now: datetime) -> str:
    """Say why a request gets no follow-up ("unmatched", "answered", "spam", "not_due"), or "due"."""
    return follow_up_outcome(created_at=request.created_at, due_at=request.follow_up_due_at, now=now,
                             after_hours=current_app.config["FOLLOW_UP_AFTER_HOURS"],
                             deals=[reply for _, reply in deals])


def alternatives(requests: list[LeadRequest], deals: Replies, rng: random.Random,
                 pools: CandidatePools) -> list[list[int]]:
    """Pick up to three other partners per request (same filters; for a direct one, the partner's profile)."""
    direct_ids = {request.direct_partner_id for request in requests if request.mode == "direct"}
    services = services_of(direct_ids)
    direct = {partner_id: Ask(SearchFilters(country=country, language=language), services[partner_id], frozenset())
              for partner_id, country, language in db.session.execute(
                  select(Partner.id, Partner.country, Partner.primary_language).where(Partner.id.in_(direct_ids)))}
    return pools.pick([ask(request, direct, frozenset(partner_id for partner_id, _ in deals[request.id]))
                       for request in requests], rng)


def ask(request: LeadRequest, direct: dict[int, Ask], contacted: frozenset[int]) -> Ask:
    """Describe whom a request may be offered: a matched one's filters; a direct one's partner's country, language
    and one of its services."""
    if request.mode == "matched":
        return Ask(SearchFilters(**request.filters), None, contacted)
    return replace(direct[request.direct_partner_id], contacted=contacted)


def offer_alternatives(offers: dict[LeadRequest, list[int]], pools: CandidatePools, now: datetime) -> None:
    """Email each client the partners offered (once per request), in one statement."""
    add_all_once([email_row(
        key=f"follow-up:{request.id}", to=request.client.email, template="follow_up_alternatives",
        language=request.client.language, now=now, context={
            "client_name": request.client.name, "project_title": request.title,
            "client_link": client_link(request.client_id, now),
            "partners": [{"name": pools.profiles[partner_id].name, "profile_url": public_url(f"partners/{partner_id}")}
                         for partner_id in picks]})
        for request, picks in offers.items()])


def record(outcomes: dict[int, str], offered: dict[int, list[int]]) -> None:
    """Write the outcomes: the offered partners row by row, every other outcome in one statement (not_due: undone)."""
    if offered:
        db.session.execute(update(LeadRequest), [
            {"id": request_id, "follow_up_outcome": "sent", "alternatives": picks}
            for request_id, picks in offered.items()])
    others: defaultdict[str, list[int]] = defaultdict(list)
    for request_id, outcome in outcomes.items():
        if request_id not in offered:
            others[outcome].append(request_id)
    for outcome, request_ids in others.items():
        undone = {"follow_up_done_at": None} if outcome == "not_due" else {}
        db.session.execute(update(LeadRequest).where(LeadRequest.id.in_(request_ids))
                           .values(follow_up_outcome=outcome, **undone).execution_options(synchronize_session=False))


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
    partners, emails = intake.fan_out(request, picks, now, source="alternative")
    add_all_once(emails)
    return intake.IntakeResult(request=request, partners=partners, created=True)
