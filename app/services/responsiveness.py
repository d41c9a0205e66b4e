"""Response rate and time: every figure traceable to the requests behind it."""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select

from app.extensions import db
from app.models import Deal, Partner
from app.services.catalogue import refresh_ranking
from app.services.errors import Conflict
from app.services.locking import begin_writing
from app.services.tenancy import owned
from pipelines.responsiveness import (
    RequestOutcome,
    RequestTiming,
    at_risk,
    by_category,
    can_mark_spam,
    classify,
    figures,
    next_change,
    public_response_time,
    respond_by,
)
from pipelines.transitions import CLIENT_CHOSE_OTHER

REFRESH_BATCH = 200


def window_days() -> int:
    """Return the configured window in days."""
    return current_app.config["RESPONSIVENESS_WINDOW_DAYS"]


def targets() -> dict[str, float]:
    """Return the response targets per category, in hours."""
    return current_app.config["RESPONSE_TARGET_HOURS"]


def outcomes(partner_id: int, now: datetime) -> list[RequestOutcome]:
    """Classify every new request of the partner whose clock started inside the window."""
    since = now - timedelta(days=window_days())
    rows = db.session.execute(
        select(Deal.id, Deal.category, Deal.clock_started_at, Deal.first_response_at, Deal.spam_marked_at)
        .where(Deal.partner_id == partner_id, Deal.request_id.is_not(None), Deal.clock_started_at >= since,
               held_against_partner())
        .order_by(Deal.clock_started_at, Deal.id))
    days, category_targets = window_days(), targets()
    return [classify(RequestTiming(deal_id, category, started, answered, spam is not None), now, days, category_targets)
            for deal_id, category, started, answered, spam in rows]


def figures_view(figs) -> dict:
    """Return one set of figures in the API's shape."""
    return {"response_rate": figs.response_rate, "response_time_hours": figs.median_hours,
            "response_time": {"mean_hours": figs.mean_hours, "median_hours": figs.median_hours,
                              "p90_hours": figs.p90_hours},
            "counted_requests": figs.counted_requests, "answered_in_time": figs.answered_in_time,
            "answered": figs.answered, "pending": figs.pending}


def held_against_partner():
    """Leave out requests the client closed by choosing another partner before this one answered."""
    return or_(Deal.lost_reason.is_(None), Deal.lost_reason != CLIENT_CHOSE_OTHER, Deal.first_response_at.is_not(None))


def at_risk_now(deal: Deal, now: datetime) -> bool:
    """Tell whether an unanswered new request has less than a quarter of its target left."""
    if deal.first_response_at is not None or deal.request_id is None or deal.spam_marked_at is not None:
        return False
    return at_risk(now, deal.clock_started_at, deal.category, targets())


def report(partner_id: int, now: datetime) -> dict:
    """Return the partner's overall figures and per category."""
    found = outcomes(partner_id, now)
    return {"window_days": window_days(), "targets_hours": targets(), **figures_view(figures(found)),
            "by_category": {name: figures_view(figs) for name, figs in by_category(found).items()}}


def refresh(partner: Partner, now: datetime) -> None:
    """Store the partner's current figures, ranking and the next moment they change by time."""
    found = outcomes(partner.id, now)
    figs = figures(found)
    partner.response_rate = figs.response_rate
    partner.response_time_hours = public_response_time(figs)
    partner.responsiveness_due_at = next_change(found, window_days())
    refresh_ranking(partner)


def sweep(now: datetime) -> int:
    """Refresh every partner whose figures changed by time alone; return how many."""
    done = 0
    while True:
        begin_writing()
        partners = db.session.scalars(select(Partner).where(Partner.responsiveness_due_at <= now)
                                      .order_by(Partner.responsiveness_due_at).limit(REFRESH_BATCH)).all()
        for partner in partners:
            refresh(partner, now)
        db.session.commit()
        done += len(partners)
        if len(partners) < REFRESH_BATCH:
            return done


def mark_spam(deal_id: int, now: datetime) -> Deal:
    """Mark a new request as spam (within 24 hours of its creation); it then counts nowhere."""
    deal = owned(Deal, deal_id)
    if deal.request_id is None:
        raise Conflict("Only a client's request can be marked as spam.")
    if deal.spam_marked_at is not None:
        raise Conflict("This request is marked as spam already.")
    if not can_mark_spam(deal.created_at, now):
        raise Conflict("A request can be marked as spam only within 24 hours of its arrival.")
    deal.spam_marked_at = now
    refresh(deal.partner, now)
    return deal


def unmark_spam(deal_id: int, now: datetime) -> Deal:
    """Take back a spam mark; the request's clock restarts now."""
    deal = owned(Deal, deal_id)
    if deal.spam_marked_at is None:
        raise Conflict("This request is not marked as spam.")
    deal.spam_marked_at, deal.clock_started_at = None, now
    schedule(deal.partner, deal)
    db.session.flush()
    refresh(deal.partner, now)
    return deal


def on_first_response(partner: Partner, now: datetime) -> None:
    """Refresh the partner's figures right after a first response."""
    db.session.flush()
    refresh(partner, now)


def requests_view(partner_id: int, now: datetime) -> list[dict]:
    """Return the requests behind the figures, each with its times and whether it met its target."""
    return [{"deal_id": o.deal_id, "category": o.category, "clock_start": o.clock_start,
             "first_response_at": o.first_response_at, "target_hours": o.target_hours, "respond_by": o.respond_by,
             "state": o.state.value, "response_hours": o.response_hours, "counted": o.counted,
             "met_target": o.met_target} for o in outcomes(partner_id, now)]



def schedule(partner: Partner, deal: Deal) -> None:
    """Set the request's deadline, and make the sweep refresh the partner when it runs out."""
    due = deal.respond_by = respond_by(deal.clock_started_at, deal.category, targets())
    if partner.responsiveness_due_at is None or due < partner.responsiveness_due_at:
        partner.responsiveness_due_at = due
