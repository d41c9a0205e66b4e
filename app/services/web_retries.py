"""One-click retries of an unmatched find-a-partner request without one of its optional filters."""
import random
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from app.extensions import db
from app.models import LeadRequest
from app.services import intake
from app.services.errors import Conflict, NotFound
from matching import SearchFilters

RETRY_SALT = "request-retry"


def serializer() -> URLSafeSerializer:
    """Return the serializer of retry tokens."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=RETRY_SALT)


def retry_token(request_id: int) -> str:
    """Sign a token that lets the page that showed a request retry it."""
    return serializer().dumps({"request": request_id})


def unmatched_request(token: str) -> LeadRequest:
    """Return the unmatched request a retry token names, or raise NotFound."""
    try:
        request_id = int(serializer().loads(token)["request"])
    except (BadSignature, KeyError, TypeError, ValueError) as error:
        raise NotFound("This request does not exist.") from error
    request = db.session.scalar(select(LeadRequest).where(
        LeadRequest.id == request_id, LeadRequest.status == "unmatched"))
    if request is None:
        raise NotFound("This request does not exist or found partners already.")
    return request


def retry_without(token: str, name: str, now: datetime, rng: random.Random) -> intake.IntakeResult:
    """Send an unmatched request's project again as a new request, without one suggested filter (once)."""
    old = unmatched_request(token)
    if name not in {suggestion["filter"] for suggestion in old.suggestions or []}:
        raise Conflict("This suggestion is not offered (any more) for this request.")
    old.suggestions = []
    filters = SearchFilters(**old.filters).without(name)
    budget = {"amount": old.budget_amount, "currency": old.budget_currency} if old.budget_amount else None
    data = {"project": {"title": old.title, "description": old.description, "budget": budget},
            "category": old.category}
    return intake.place_request(old.client, data, filters, None, intake.pick_partners(filters, now, rng), now)
