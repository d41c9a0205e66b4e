"""Response rate and time: every figure traceable to the requests behind it."""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Float, Interval, bindparam, case, cast, extract, func, literal, or_, select, type_coerce, update
from sqlalchemy.dialects.postgresql import aggregate_order_by, array_agg

from app.extensions import db
from app.models import Deal, Partner
from app.models.types import UTCDateTime
from app.services.catalogue import refresh_ranking
from app.services.errors import Conflict
from app.services.locking import begin_writing
from app.services.tenancy import owned
from pipelines.responsiveness import (
    GENERAL,
    P90_PERCENT,
    RequestOutcome,
    RequestTiming,
    ResponseTimes,
    ResponsivenessFigures,
    at_risk,
    by_category,
    can_mark_spam,
    classify,
    figures,
    next_change,
    public_response_time,
    respond_by,
    summarise,
)
from pipelines.transitions import CLIENT_CHOSE_OTHER

REFRESH_BATCH = 200
PARTNERS = Partner.__table__.c
DUE, DEADLINE = PARTNERS.responsiveness_due_at, bindparam("respond_by", type_=PARTNERS.responsiveness_due_at.type)
SCHEDULE = {  # the sweep refreshes a partner by its earliest deadline; a catalogue lead (True) also rotates it
    rotate: update(Partner.__table__).where(PARTNERS.id.in_(bindparam("ids", expanding=True))).values(
        responsiveness_due_at=case((or_(DUE.is_(None), DUE > DEADLINE), DEADLINE), else_=DUE),
        **({"last_assigned_at": bindparam("assigned_at")} if rotate else {}))
    for rotate in (False, True)}


def window_days() -> int:
    """Return the configured window in days."""
    return current_app.config["RESPONSIVENESS_WINDOW_DAYS"]


def targets() -> dict[str, float]:
    """Return the response targets per category, in hours."""
    return current_app.config["RESPONSE_TARGET_HOURS"]


def outcomes(partner_id: int, now: datetime) -> list[RequestOutcome]:
    """Classify every new request of the partner whose clock started inside the window."""
    rows = db.session.execute(
        select(Deal.id, Deal.category, Deal.clock_started_at, Deal.first_response_at, Deal.spam_marked_at)
        .where(*in_window(partner_id, now)).order_by(Deal.clock_started_at, Deal.id))
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
    overall, per_category = summaries(partner_id, now)
    return {"window_days": window_days(), "targets_hours": targets(), **figures_view(overall),
            "by_category": {name: figures_view(figs) for name, figs in per_category.items()}}


Summaries = tuple[ResponsivenessFigures, dict[str, ResponsivenessFigures]]


def summaries(partner_id: int, now: datetime) -> Summaries:
    """Return the overall figures and those per category: in one SQL statement on PostgreSQL, else in Python."""
    if computes_in_sql():
        return summaries_in_sql(partner_id, now)
    return summaries_in_python(partner_id, now)


def computes_in_sql() -> bool:
    """Tell whether the figures are computed by the database (PostgreSQL) rather than in Python."""
    return db.session.get_bind().dialect.name == "postgresql"


def summaries_in_python(partner_id: int, now: datetime) -> Summaries:
    """Classify every request in Python and sum the outcomes up."""
    found = outcomes(partner_id, now)
    return figures(found), by_category(found)


def summaries_in_sql(partner_id: int, now: datetime) -> Summaries:
    """Compute the figures in PostgreSQL, per category and overall, without fetching the requests."""
    rows = db.session.execute(figures_statement(judged_requests(partner_id, now)))
    found = {None if row.overall else row.category: figures_of(row) for row in rows}
    return found.pop(None), dict(sorted(found.items()))


Standing = tuple[ResponsivenessFigures, datetime | None]


def standing(partner_id: int, now: datetime) -> Standing:
    """Return the overall figures and the next moment they change by time: in SQL on PostgreSQL, else in Python."""
    if computes_in_sql():
        return standing_in_sql(partner_id, now)
    return standing_in_python(partner_id, now)


def standing_in_python(partner_id: int, now: datetime) -> Standing:
    """Classify every request in Python; return the overall figures and their next change."""
    found = outcomes(partner_id, now)
    return figures(found), next_change(found, window_days())


def standing_in_sql(partner_id: int, now: datetime) -> Standing:
    """Compute the overall figures and their next change in one PostgreSQL statement."""
    judged = judged_requests(partner_id, now)
    row = db.session.execute(select(*figure_columns(judged), func.min(judged.c.changes_at).label("next_change"))).one()
    return figures_of(row), row.next_change


def figures_of(row) -> ResponsivenessFigures:
    """Round one row of figure_columns into the reported figures."""
    return summarise(row.counted, row.in_time, row.pending, ResponseTimes(row.answered, row.mean, row.median, row.p90))


def figures_statement(judged):
    """Return the SELECT of the unrounded figures per category, plus ROLLUP's overall row, of judged requests."""
    return select(func.grouping(judged.c.category).label("overall"), judged.c.category,
                  *figure_columns(judged)).group_by(func.rollup(judged.c.category))


def figure_columns(judged) -> list:
    """Return the aggregates of judged requests: counted, in time, pending, answered, mean, median and p90 hours.

    The median and p90 take the same positions in the sorted response times, with the same integer rank
    arithmetic, as statistics.median and pipelines' nearest_rank, so both paths give the same floats.
    avg may differ from statistics.fmean in the last bits, which the rounding to 2 places hides.
    """
    hours, counted = judged.c.hours, judged.c.counted
    answered = func.count(hours)
    sorted_hours = array_agg(aggregate_order_by(hours, hours)).filter(hours.is_not(None))
    return [
        func.count().filter(counted).label("counted"), func.count().filter(judged.c.met).label("in_time"),
        func.count().filter(~counted).label("pending"), answered.label("answered"), func.avg(hours).label("mean"),
        ((sorted_hours[(answered + 1) // 2] + sorted_hours[(answered + 2) // 2]) / 2).label("median"),
        sorted_hours[(P90_PERCENT * answered + 99) // 100].label("p90"),
    ]


def judged_requests(partner_id: int, now: datetime):
    """Return the partner's counted and pending requests as SQL: category, counted, met, hours, changes_at.

    changes_at is when the request next changes the figures by time alone (pipelines' next_change).
    The same rules as pipelines.responsiveness.classify: a response after now has not happened yet, one
    before the clock start counts as immediate, a request counts once answered or past its target.
    A pending request changes them when its target runs out, a counted one when it leaves the window.
    """
    started = Deal.clock_started_at
    deadline = started + target_interval(Deal.category)
    answered_at = case((Deal.first_response_at <= now, Deal.first_response_at))
    seconds = cast(extract("epoch", answered_at - started), Float(53))
    hours = case((answered_at.is_not(None), func.greatest(0.0, seconds / 3600.0, type_=Float(53))))
    counted = answered_at.is_not(None) | (deadline <= now)
    leaves_window = started + literal(timedelta(days=window_days()), Interval)
    return select(
        Deal.category, counted.label("counted"), (answered_at <= deadline).label("met"), hours.label("hours"),
        type_coerce(case((counted, leaves_window), else_=deadline), UTCDateTime).label("changes_at"),
    ).where(*in_window(partner_id, now), Deal.spam_marked_at.is_(None)).subquery()


def target_interval(category):
    """Return a SQL CASE giving each category's target as an interval (the general one for any other)."""
    hours = targets()
    return case({name: literal(timedelta(hours=hours[name]), Interval) for name in hours},
                value=category, else_=literal(timedelta(hours=hours[GENERAL]), Interval))


def in_window(partner_id: int, now: datetime) -> tuple:
    """Return the conditions of a partner's new requests whose clock started inside the window."""
    since = now - timedelta(days=window_days())
    return (Deal.partner_id == partner_id, Deal.request_id.is_not(None), Deal.clock_started_at >= since,
            held_against_partner())


def refresh(partner: Partner, now: datetime) -> None:
    """Store the partner's current figures, ranking and the next moment they change by time."""
    figs, partner.responsiveness_due_at = standing(partner.id, now)
    partner.response_rate = figs.response_rate
    partner.response_time_hours = public_response_time(figs)
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
    deal.respond_by = deadline(now, deal.category)
    schedule([deal.partner], deal.respond_by)
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



def deadline(clock_started_at: datetime, category: str) -> datetime:
    """Return when a request whose clock started then must have its first response."""
    return respond_by(clock_started_at, category, targets())


def schedule(partners: list[Partner], due: datetime, assigned_at: datetime | None = None) -> None:
    """Make the sweep refresh the partners by a new deadline, in one UPDATE; `assigned_at` also rotates them."""
    db.session.flush()  # a Core statement: pending changes to the partners go first
    db.session.connection().execute(SCHEDULE[assigned_at is not None], {
        "ids": [partner.id for partner in partners], "respond_by": due, "assigned_at": assigned_at})
    for partner in partners:  # what the UPDATE changed is read again when needed
        db.session.expire(partner, ["responsiveness_due_at", "last_assigned_at"])
