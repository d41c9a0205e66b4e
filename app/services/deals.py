"""Deals: opening them in the first pipeline, status moves, messages and their history."""
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, exists, false, func, insert, literal_column, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.metrics import DEAL_TRANSITIONS
from app.models import Deal, DealLabel, DealStatusChange, LeadRequest, Message, Partner, Pipeline
from app.models.deal import CATALOGUE_SOURCES
from app.services import auto_reply, notices, quick_responses, responsiveness, rows
from app.services.catalogue import bump_counters
from app.services.errors import Conflict, Invalid
from app.services.tenancy import owned
from pipelines.transitions import (
    AmountRequired,
    InvalidTransition,
    LostReasonRequired,
    Status,
    advance,
    allowed_targets,
)

DEALS = Deal.__table__.c
OPENED_AT = bindparam("opened_at", type_=DEALS.created_at.type)
NEW_DEALS = insert(Deal.__table__).values(  # a new deal: `new`, never won, its clock started when it opened
    status=literal_column("'new'"), ever_won=false(), created_at=OPENED_AT, updated_at=OPENED_AT,
    clock_started_at=OPENED_AT).returning(DEALS.id, DEALS.partner_id)  # 13 values a row: three rows stay within
# the 50 parameters of a query whose parsing psycopg caches
OPENINGS = insert(DealStatusChange.__table__)


@dataclass(frozen=True)
class DealPage:
    """One page of a partner's deals."""

    items: list[Deal]
    total: int
    page: int
    per_page: int


def open_deals(*, request: LeadRequest, openings: list[tuple[Partner, int, dict]], source: str,
               now: datetime) -> list[dict]:
    """Open a `new` deal per (partner, its pipeline, reason); return the partners' emails, to be queued."""
    partners = [partner for partner, _, _ in openings]
    respond_by = responsiveness.deadline(now, request.category)
    values = {partner.id: deal_values(partner, pipeline_id, request, source, reason, now) | {"respond_by": respond_by}
              for partner, pipeline_id, reason in openings}
    returned = db.session.connection().execute(NEW_DEALS, list(values.values()))  # rows come back in any order
    by_id = {partner.id: partner for partner in partners}
    opened = {row.partner_id: rows.inserted(Deal, values[row.partner_id] | opening_values(now), row,
                                            partner=by_id[row.partner_id], client=request.client, request=request)
              for row in returned}
    deals = [opened[partner.id] for partner in partners]
    record_openings(deals, now)
    responsiveness.schedule(partners, respond_by, assigned_at=now if source in CATALOGUE_SOURCES else None)
    for deal in deals:
        auto_reply.answer_if_away(deal, now)
    return notices.new_deal_emails(list(zip(deals, partners, strict=True)), now)


def deal_values(partner: Partner, pipeline_id: int, request: LeadRequest, source: str, reason: dict,
                now: datetime) -> dict:
    """Return the values of a new deal (see NEW_DEALS) for a request, its project copied from the request."""
    return {"partner_id": partner.id, "pipeline_id": pipeline_id, "request_id": request.id,
            "client_id": request.client_id, "source": source, "title": request.title,
            "description": request.description, "budget_amount": request.budget_amount,
            "budget_currency": request.budget_currency, "category": request.category, "selection_reason": reason,
            "opened_at": now}


def opening_values(now: datetime) -> dict:
    """Return what NEW_DEALS itself writes into a new deal."""
    return {"status": "new", "ever_won": False, "created_at": now, "updated_at": now, "clock_started_at": now}


def record_openings(deals: list[Deal], now: datetime) -> None:
    """Start the new deals' history (one INSERT) and tell the partners' webhooks."""
    db.session.connection().execute(OPENINGS, [
        {"deal_id": deal.id, "from_status": None, "to_status": "new", "actor": "system", "at": now}
        for deal in deals])
    for deal in deals:
        notices.deal_created(deal, now)


def list_deals(filters: dict, page: int, per_page: int, now: datetime) -> DealPage:
    """Return the acting partner's deals: newest first, or with sort=due its unanswered requests by deadline."""
    check_pipeline(filters.get("pipeline_id"))
    stmt = filtered_deals(filters)
    order = [Deal.created_at.desc(), Deal.id.desc()]
    if filters.get("sort") == "due":
        stmt = stmt.where(Deal.status == "new", Deal.request_id.is_not(None), Deal.first_response_at.is_(None),
                          Deal.spam_marked_at.is_(None))
        order = [Deal.respond_by, Deal.id]
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = list(db.session.scalars(stmt.options(selectinload(Deal.client), selectinload(Deal.label_rows))
                                   .order_by(*order).limit(per_page).offset((page - 1) * per_page)))
    for deal in rows:
        deal.at_risk = responsiveness.at_risk_now(deal, now)
    return DealPage(items=rows, total=total, page=page, per_page=per_page)


def filtered_deals(filters: dict):
    """Return the SELECT of deals matching status, pipeline and label filters."""
    stmt = select(Deal)
    if filters.get("status"):
        stmt = stmt.where(Deal.status == filters["status"])
    if filters.get("pipeline_id"):
        stmt = stmt.where(Deal.pipeline_id == filters["pipeline_id"])
    if filters.get("label"):
        stmt = stmt.where(exists().where(DealLabel.deal_id == Deal.id, DealLabel.label == filters["label"]))
    return stmt


def history(deal: Deal) -> list[dict]:
    """Return the deal's status changes, each with how long the previous status lasted."""
    changes = db.session.scalars(select(DealStatusChange).where(DealStatusChange.deal_id == deal.id)
                                 .order_by(DealStatusChange.at, DealStatusChange.id)).all()
    entries, previous_at = [], None
    for change in changes:
        stayed = None if previous_at is None else int((change.at - previous_at).total_seconds())
        entries.append({"from": change.from_status, "to": change.to_status, "at": change.at,
                        "who": change.actor, "previous_status_seconds": stayed})
        previous_at = change.at
    return entries


def messages(deal: Deal) -> list[Message]:
    """Return the deal's messages in order."""
    return list(db.session.scalars(select(Message).where(Message.deal_id == deal.id)
                                   .order_by(Message.created_at, Message.id)))


def change_status(deal: Deal, target: str, amount: dict | None, lost_reason: str | None,
                  now: datetime, actor: str = "partner") -> Deal:
    """Move a deal its caller has read to a new status under the transition rules, with its side effects."""
    if amount is not None:
        set_amount(deal, amount)
    event = checked_advance(deal, target, lost_reason, now)
    change = DealStatusChange(deal_id=deal.id, from_status=deal.status, to_status=target, actor=actor, at=now)
    db.session.add(change)
    adjust_completed_projects(deal.partner, event.from_status, event.to_status)
    deal.status, deal.lost_reason, deal.updated_at = target, event.lost_reason, now
    deal.ever_won = deal.ever_won or event.to_status is Status.WON
    if event.to_status is Status.WON:
        deal.won_at = now
    if actor == "partner":
        mark_first_response(deal, now)
    db.session.flush()
    notices.status_changed(deal, event, change.id, now)
    DEAL_TRANSITIONS.labels(event.from_status.value, event.to_status.value).inc()
    return deal


def set_amount(deal: Deal, amount: dict) -> None:
    """Set the deal's amount, taking the budget's currency when none is given."""
    currency = amount.get("currency") or deal.budget_currency
    if currency is None:
        raise Invalid("The amount needs a currency.", {"amount.currency": ["Give the currency of the amount."]})
    deal.amount, deal.currency = Decimal(amount["amount"]), currency


def checked_advance(deal: Deal, target: str, lost_reason: str | None, now: datetime):
    """Apply the transition rules, turning their refusals into domain errors."""
    try:
        return advance(Status(deal.status), Status(target), now=now, amount=deal.amount,
                       lost_reason=lost_reason, ever_won=deal.ever_won)
    except InvalidTransition as error:
        raise Conflict(error.message, allowed=list(error.allowed)) from error
    except AmountRequired as error:
        raise Invalid(error.message, {"amount": ["A won deal needs an amount."]}) from error
    except LostReasonRequired as error:
        raise Invalid(error.message, {"lost_reason": ["A lost deal needs a reason."]}) from error


def adjust_completed_projects(partner: Partner, from_status: Status, to_status: Status) -> None:
    """Keep the partner's completed projects equal to its won deals, and its ranking current."""
    change = (to_status is Status.WON) - (from_status is Status.WON)
    if change:
        bump_counters(partner, completed_projects=change)


def mark_first_response(deal: Deal, now: datetime) -> None:
    """Remember the partner's first human response to a new request, and refresh its figures."""
    if deal.first_response_at is None:
        deal.first_response_at = now
        responsiveness.on_first_response(deal.partner, now)


def add_message(deal: Deal, origin: str, body: str, now: datetime) -> Message:
    """Record a message on a deal and deliver it to the other side."""
    message = Message(deal_id=deal.id, origin=origin, body=body, created_at=now)
    db.session.add(message)
    deal.updated_at = now
    if origin == "partner":
        mark_first_response(deal, now)
    db.session.flush()
    notices.message_posted(deal, message, now)
    if origin == "client":
        auto_reply.answer_if_away(deal, now)
    return message


def post_partner_message(deal_id: int, body: str | None, template_id: int | None, now: datetime) -> Message:
    """Send the client a message from the acting partner, typed or from a quick response."""
    deal = owned(Deal, deal_id)
    text = quick_responses.render_for(template_id, deal) if template_id is not None else body
    return add_message(deal, "partner", text, now)


def check_pipeline(pipeline_id: int | None) -> None:
    """Refuse a pipeline filter naming a pipeline the partner does not have."""
    if pipeline_id is not None:
        owned(Pipeline, pipeline_id)


@dataclass(frozen=True)
class DealDetail:
    """A deal with its project, history, messages and the statuses it may move to."""

    deal: Deal
    project: dict
    history: list[dict]
    messages: list[Message]
    allowed_statuses: list[str]

    def __getattr__(self, name: str):
        return getattr(self.deal, name)


def deal_detail(deal_id: int, now: datetime | None = None) -> DealDetail:
    """Return one of the acting partner's deals in full (with `now`, whether it is at risk)."""
    return detail(owned(Deal, deal_id), now)


def detail(deal: Deal, now: datetime | None = None) -> DealDetail:
    """Return a deal the acting partner owns in full, as read in this session (with `now`, whether it is at risk)."""
    deal.at_risk = now is not None and responsiveness.at_risk_now(deal, now)
    return DealDetail(
        deal=deal, project={"title": deal.title, "description": deal.description, "budget": deal.budget},
        history=history(deal), messages=messages(deal), allowed_statuses=list(allowed_targets(Status(deal.status))))


def update_deal(deal_id: int, changes: dict, now: datetime) -> Deal:
    """Apply a partner's PATCH: labels, and a status move (with amount / reason) or just an amount."""
    deal = owned(Deal, deal_id)
    if "labels" in changes:
        deal.label_rows = [DealLabel(label=label) for label in sorted(set(changes["labels"]))]  # as read back
    if "status" in changes:
        return change_status(deal, changes["status"], changes.get("amount"), changes.get("lost_reason"), now)
    if "lost_reason" in changes and deal.status != "lost":
        raise Conflict("Only a lost deal has a lost_reason.")
    if "amount" in changes:
        set_amount(deal, changes["amount"])
    deal.lost_reason = changes.get("lost_reason", deal.lost_reason)
    deal.updated_at = now
    db.session.flush()
    return deal
