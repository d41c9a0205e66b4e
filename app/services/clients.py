"""The client's side: their link, their requests and deals, messages and reviews."""
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from app.extensions import db
from app.models import Client, Deal, LeadRequest, Partner, Review
from app.services import notices
from app.services.catalogue import bump_counters
from app.services.choice import choice_open_until
from app.services.contacts import client_partners
from app.services.deals import add_message, history, messages
from app.services.errors import Conflict, NotFound
from app.services.links import LinkInvalid, client_from_token, client_link
from app.services.offers import deal_offers
from app.services.outbox import enqueue_email
from app.services.savepoints import insert_if_new
from pipelines.transitions import CLIENT_CHOSE_OTHER

LINK_EMAIL_INTERVAL = timedelta(minutes=15)


def client_for_token(token: str, now: datetime) -> Client:
    """Return the client a link belongs to; raise LinkInvalid for a bad or expired one."""
    client = db.session.get(Client, client_from_token(token, now))
    if client is None:
        raise LinkInvalid("This link is not valid.")
    return client


def send_fresh_link(email: str, now: datetime) -> None:
    """Email a known client a fresh link (at most one per quarter hour); say nothing either way."""
    try:
        address = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return
    client = db.session.scalar(select(Client).where(Client.email == address))
    if client is None:
        return
    bucket = int(now.timestamp() // LINK_EMAIL_INTERVAL.total_seconds())
    enqueue_email(key=f"client-link:{client.id}:{bucket}", to=client.email, template="client_link",
                  language=client.language, now=now,
                  context={"client_name": client.name, "client_link": client_link(client.id, now)})


def client_deal(client: Client, deal_id: int) -> Deal:
    """Return one of the client's deals, or NotFound."""
    deal = db.session.scalar(select(Deal).where(Deal.id == deal_id, Deal.client_id == client.id))
    if deal is None:
        raise NotFound(f"Deal {deal_id} is not one of yours.")
    return deal


def overview(client: Client) -> dict:
    """Return the client's requests with each deal's partner, status and messages."""
    requests = db.session.scalars(select(LeadRequest).where(LeadRequest.client_id == client.id)
                                  .order_by(LeadRequest.created_at.desc(), LeadRequest.id.desc())).all()
    deals = db.session.scalars(select(Deal).where(Deal.client_id == client.id).order_by(Deal.id)).all()
    reviewed = set(db.session.scalars(select(Review.deal_id).where(Review.client_id == client.id)))
    by_request: dict[int | None, list[dict]] = {}
    for deal in deals:
        by_request.setdefault(deal.request_id, []).append(deal_view(deal, deal.id in reviewed))
    return {"client": {"name": client.name, "email": client.email, "language": client.language},
            "requests": [request_view(request, by_request.get(request.id, [])) for request in requests],
            "my_partners": client_partners(client.id)}


def request_view(request: LeadRequest, deals: list[dict]) -> dict:
    """Describe one request for its client, with alternatives offered and not yet contacted."""
    contacted = {deal["partner"]["id"] for deal in deals}
    offered = [db.session.get(Partner, pid) for pid in request.alternatives or [] if pid not in contacted]
    return {"id": request.id, "mode": request.mode, "status": request.status, "title": request.title,
            "created_at": request.created_at, "deals": deals, "choice_open_until": choice_open_until(request),
            "alternatives": [{"id": p.id, "name": p.name} for p in offered if p is not None]}


def deal_view(deal: Deal, reviewed: bool) -> dict:
    """Describe one deal for its client."""
    return {"id": deal.id, "status": deal.status, "chosen": deal.chosen_at is not None,
            "closed_by_choice": deal.lost_reason == CLIENT_CHOSE_OTHER,
            "amount": deal.amount_money, "offers": [
                {"id": o.id, "amount": o.price, "description": o.description, "accepted_at": o.accepted_at,
                 "paid_at": o.paid_at} for o in deal_offers(deal.id)],
            "partner": {"id": deal.partner.id, "name": deal.partner.name},
            "can_review": deal.status == "won" and not reviewed, "reviewed": reviewed,
            "history": history(deal), "messages": [
                {"origin": m.origin, "body": m.body, "created_at": m.created_at} for m in messages(deal)]}


def post_client_message(client: Client, deal_id: int, body: str, now: datetime):
    """Send a partner a message from the client."""
    return add_message(client_deal(client, deal_id), "client", body, now)


def leave_review(client: Client, deal_id: int, rating: int, text: str, now: datetime) -> Review:
    """Review a won deal, once; the partner's rating and ranking change at once."""
    deal = client_deal(client, deal_id)
    if deal.status != "won":
        raise Conflict("Only a won deal can be reviewed.")
    review = Review(deal_id=deal.id, partner_id=deal.partner_id, client_id=client.id, rating=rating,
                    text=text, created_at=now)
    if db.session.scalar(select(Review.id).where(Review.deal_id == deal.id)) or not insert_if_new(review):
        raise Conflict("This deal has been reviewed already.")
    bump_counters(deal.partner, reviews_count=1, rating_sum=rating)
    notices.review_posted(review, deal, now)
    return review
