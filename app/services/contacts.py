"""My Contacts: every client a partner has had a deal with, and reconnecting with them."""
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import exists, func, select, union_all

from app.extensions import db
from app.models import Client, Deal, Message, Offer, Partner
from app.services import deals, offers
from app.services.errors import NotFound, TooMany
from app.services.pipelines import first_pipeline_id

SORT_COLUMNS = ("orders", "amount", "last_order", "name")


@dataclass(frozen=True)
class ContactPage:
    """One page of contacts."""

    items: list[dict]
    total: int
    page: int
    per_page: int


def spending(group: str, scope):
    """Return per (group key, currency) what was spent: paid offers, or won amounts of deals without paid offers."""
    paid = select(getattr(Offer, group).label("key"), Offer.currency, Offer.amount).where(
        scope(Offer), Offer.paid_at.is_not(None))
    won_without_offer = select(getattr(Deal, group).label("key"), Deal.currency, Deal.amount).where(
        scope(Deal), Deal.status == "won",
        Deal.id.not_in(select(Offer.deal_id).where(scope(Offer), Offer.paid_at.is_not(None))))
    money = union_all(paid, won_without_offer).subquery()
    return (select(money.c.key, money.c.currency, func.sum(money.c.amount).label("amount"))
            .group_by(money.c.key, money.c.currency).subquery())


def orders(group: str, scope):
    """Return per group key the won deals, and the last completed order (a win or a payment)."""
    paid_at = select(getattr(Offer, group).label("key"), Offer.paid_at.label("at")).where(
        scope(Offer), Offer.paid_at.is_not(None))
    won_at = select(getattr(Deal, group).label("key"), Deal.won_at.label("at")).where(scope(Deal), Deal.status == "won")
    moments = union_all(paid_at, won_at).subquery()
    last = select(moments.c.key, func.max(moments.c.at).label("last_order_at")).group_by(moments.c.key).subquery()
    counts = select(getattr(Deal, group).label("key"), func.count().filter(Deal.status == "won").label(
        "completed_orders")).where(scope(Deal)).group_by(getattr(Deal, group)).subquery()
    return counts, last


def figures_query(group: str, scope, person):
    """Return one row per person (client or partner) and currency spent, with orders and the last order."""
    counts, last = orders(group, scope)
    spent = spending(group, scope)
    return (select(person.id.label(group), person.name, *extra_columns(person), counts.c.completed_orders,
                   spent.c.amount, spent.c.currency, last.c.last_order_at)
            .join(counts, counts.c.key == person.id)
            .outerjoin(spent, spent.c.key == person.id)
            .outerjoin(last, last.c.key == person.id))


def extra_columns(person) -> list:
    """Return the columns shown besides the name: a client's email."""
    return [person.email] if person is Client else []


def contacts_query(partner_id: int):
    """Return the SELECT of the partner's contact rows: one per client and currency spent."""
    return figures_query("client_id", lambda model: model.partner_id == partner_id, Client)


def client_partners(client_id: int) -> list[dict]:
    """Return the client's partners, each with completed orders, amount spent and last order ("my partners")."""
    query = figures_query("partner_id", lambda model: model.client_id == client_id, Partner).subquery()
    rows = db.session.execute(select(query).order_by(query.c.last_order_at.desc().nulls_last(), query.c.name,
                                                     query.c.currency)).mappings()
    return [{"partner_id": row["partner_id"], "name": row["name"], "completed_orders": row["completed_orders"],
             "amount_spent": money_view(row), "last_order_at": row["last_order_at"]} for row in rows]


def money_view(row) -> dict | None:
    """Return a row's spending as contract money, or None."""
    return None if row["amount"] is None else {"amount": f"{row['amount']:.2f}", "currency": row["currency"]}


def sort_terms(query, sort: str, order: str) -> list:
    """Return ORDER BY terms for a sort name; empty values last, ties by name and id."""
    column = {"orders": query.c.completed_orders, "amount": query.c.amount,
              "last_order": query.c.last_order_at, "name": func.lower(query.c.name)}[sort]
    primary = column.desc() if order == "desc" else column.asc()
    return [column.is_(None), primary, func.lower(query.c.name), query.c.client_id, query.c.currency]


def list_contacts(partner_id: int, sort: str, order: str, page: int, per_page: int) -> ContactPage:
    """Return one sorted page of the partner's contacts."""
    query = contacts_query(partner_id).subquery()
    rows = db.session.execute(select(query, func.count().over().label("total")).order_by(
        *sort_terms(query, sort, order)).limit(per_page).offset((page - 1) * per_page)).mappings().all()
    total = rows[0]["total"] if rows else db.session.scalar(select(func.count()).select_from(query))
    return ContactPage(items=[contact_view(row) for row in rows], total=total, page=page, per_page=per_page)


def contact_view(row) -> dict:
    """Shape one contact row."""
    return {"client_id": row["client_id"], "name": row["name"], "email": row["email"],
            "completed_orders": row["completed_orders"], "amount_spent": money_view(row),
            "last_order_at": row["last_order_at"]}


def known_client(partner_id: int, client_id: int) -> Client:
    """Return a client who has had a deal with the partner, or NotFound."""
    if not db.session.scalar(select(exists().where(Deal.partner_id == partner_id, Deal.client_id == client_id))):
        raise NotFound(f"Client {client_id} is not one of your contacts.")
    return db.session.get(Client, client_id)


def contact_figures(partner_id: int, client_id: int) -> list[dict]:
    """Return the contact rows of one client."""
    query = contacts_query(partner_id).where(Client.id == client_id).subquery()
    return [contact_view(row) for row in db.session.execute(
        select(query).order_by(query.c.currency)).mappings()]


def timeline(partner_id: int, client_id: int) -> dict:
    """Return one client's deals, messages and offers with the partner, as one timeline."""
    client = known_client(partner_id, client_id)
    events = timeline_events(partner_id, client_id)
    return {"client_id": client.id, "name": client.name, "email": client.email, "phone": client.phone,
            "figures": contact_figures(partner_id, client_id), "events": events}


def timeline_events(partner_id: int, client_id: int) -> list[dict]:
    """Merge deals opened, messages and offers into one list, oldest first."""
    client_deals = list(db.session.scalars(select(Deal).where(Deal.partner_id == partner_id,
                                                              Deal.client_id == client_id)))
    deal_ids = [deal.id for deal in client_deals]
    events = [{"at": d.created_at, "kind": "deal", "deal_id": d.id, "title": d.title, "status": d.status}
              for d in client_deals]
    events += [{"at": m.created_at, "kind": "message", "deal_id": m.deal_id, "origin": m.origin, "body": m.body}
               for m in db.session.scalars(select(Message).where(Message.deal_id.in_(deal_ids)))]
    events += [{"at": o.created_at, "kind": "offer", "deal_id": o.deal_id, "offer_id": o.id, "amount": o.price,
                "description": o.description, "paid_at": o.paid_at}
               for o in db.session.scalars(select(Offer).where(Offer.deal_id.in_(deal_ids)))]
    return sorted(events, key=lambda event: (event["at"], event["kind"]))


def reconnect(partner_id: int, client_id: int, title: str, now: datetime) -> Deal:
    """Open a new deal with a past client, within the partner's daily cap."""
    client = known_client(partner_id, client_id)
    check_daily_cap(partner_id, now)
    deal = Deal(partner_id=partner_id, pipeline_id=first_pipeline_id(partner_id), request_id=None,
                client_id=client.id, source="reconnect", status="new", title=title, description="",
                category="general", ever_won=False, created_at=now, updated_at=now, clock_started_at=now)
    db.session.add(deal)
    db.session.flush()
    deals.record_openings([deal], now)
    return deal


def check_daily_cap(partner_id: int, now: datetime) -> None:
    """Refuse more reconnections than the cap since the start of the partner's day (429 with Retry-After)."""
    zone = ZoneInfo(db.session.get(Partner, partner_id).timezone)
    local = now.astimezone(zone)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    started = db.session.scalar(select(func.count()).select_from(Deal).where(
        Deal.partner_id == partner_id, Deal.source == "reconnect", Deal.created_at >= day_start))
    if started >= current_app.config["RECONNECT_DAILY_CAP"]:
        retry = (day_start + timedelta(days=1)).astimezone(now.tzinfo) - now
        raise TooMany("You reached today's limit of conversations with past clients.",
                      retry_after=max(1, int(retry.total_seconds())))


def message_contact(partner_id: int, client_id: int, body: str, now: datetime):
    """Reconnect by message: a new deal with the message on it."""
    deal = reconnect(partner_id, client_id, "Follow-up conversation", now)
    return deal, deals.add_message(deal, "partner", body, now)


def offer_to_contact(partner_id: int, client_id: int, data: dict, now: datetime):
    """Reconnect by offer: a new deal with the offer on it."""
    title = (data.get("description") or "New offer")[:200]
    deal = reconnect(partner_id, client_id, title, now)
    return deal, offers.create_offer(deal.id, data, now)

