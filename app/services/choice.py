"""The client's choice: after a request went to several partners, the client picks one."""
from datetime import datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Deal, LeadRequest
from app.services import deals, intake, notices
from app.services.errors import Conflict, Invalid, NotFound
from pipelines.transitions import CLIENT_CHOSE_OTHER, OPEN_STATUSES

CHANGE_OF_MIND = timedelta(days=7)


def client_request(client_id: int, request_id: int) -> LeadRequest:
    """Return one of the client's requests, or NotFound."""
    request = db.session.scalar(select(LeadRequest).where(LeadRequest.id == request_id,
                                                          LeadRequest.client_id == client_id))
    if request is None:
        raise NotFound(f"Request {request_id} is not one of yours.")
    return request


def choose(client_id: int, request_id: int, partner_id: int, now: datetime) -> Deal:
    """Mark the chosen partner's deal and close the others' open deals; a client may change their mind for 7 days."""
    request = client_request(client_id, request_id)
    request_deals = intake.request_deals(request.id)
    chosen = next((deal for deal in request_deals if deal.partner_id == partner_id), None)
    if chosen is None:
        raise Invalid("Not offered.", {"partner_id": ["This partner was not offered for this request."]})
    if request.chosen_partner_id == partner_id:
        return chosen
    if not may_choose(choice_open_until(request), now):
        raise Conflict("The choice can be changed only within 7 days.")
    reopen_closed_by_choice(request_deals, now)
    mark_chosen(request, chosen, now)
    for deal in request_deals:
        if deal.id != chosen.id and deal.status in OPEN_STATUSES:
            deals.change_status(deal, "lost", None, CLIENT_CHOSE_OTHER, now, actor="client")
            deals.add_message(deal, "system", "The client chose another partner for this request.", now)
            notices.choice_made(deal, chosen=False, now=now)
    db.session.flush()
    return chosen


def choice_open_until(request: LeadRequest) -> datetime | None:
    """Return until when the client may change their choice (None before the first choice)."""
    return None if request.first_chosen_at is None else request.first_chosen_at + CHANGE_OF_MIND


def may_choose(open_until: datetime | None, now: datetime) -> bool:
    """Tell whether a choice may still be made or changed at `now`, given until when it is open."""
    return open_until is None or now <= open_until


def reopen_closed_by_choice(request_deals: list[Deal], now: datetime) -> None:
    """Reopen the deals an earlier choice closed, so that a new choice starts from the same place."""
    for deal in request_deals:
        if deal.status == "lost" and deal.lost_reason == CLIENT_CHOSE_OTHER:
            deals.change_status(deal, "in_progress", None, None, now, actor="client")
        deal.chosen_at = None


def mark_chosen(request: LeadRequest, chosen: Deal, now: datetime) -> None:
    """Record the choice on the request and the deal; a new deal moves to in_progress."""
    request.chosen_partner_id = chosen.partner_id
    request.first_chosen_at = request.first_chosen_at or now
    chosen.chosen_at = now
    if chosen.status == "new":
        deals.change_status(chosen, "in_progress", None, None, now, actor="client")
    deals.add_message(chosen, "system", "The client chose you for this request.", now)
    notices.choice_made(chosen, chosen=True, now=now)
