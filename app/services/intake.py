"""Lead intake: a client's request becomes deals in the chosen partners' first pipelines."""
import functools
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Insert,
    Integer,
    Select,
    bindparam,
    case,
    false,
    func,
    insert,
    literal_column,
    null,
    select,
)

from app.extensions import PLAN_FOR_VALUES, db
from app.metrics import LEAD_REQUESTS
from app.models import Client, Deal, LeadRequest, Partner
from app.models.deal import CATALOGUE_SOURCES
from app.services import catalogue, rows, upserts
from app.services.deals import add_message, open_deals
from app.services.errors import Conflict, NotFound
from app.services.links import client_link, public_url
from app.services.outbox import add_all_once, email_row
from app.services.pipelines import FIRST_PIPELINE, with_first_pipelines
from matching import (
    Candidate,
    LanguageMatch,
    Pick,
    SearchFilters,
    enough_with_capacity,
    language_match,
    select_partners,
    suggestions,
)
from pipelines.followup import follow_up_due_at

DUPLICATE_WINDOW = timedelta(hours=24)
CAPACITY_WINDOW = timedelta(days=30)
POOL_SIZE = 10  # candidates read a page; the random tie-break draws among those read
MAX_POOLS = 100  # at most 1,000 candidates read per group
CATALOGUE_SOURCE_LIST = [literal_column(f"'{source}'") for source in CATALOGUE_SOURCES]  # in the SQL text, as in
# the predicate of the capacity index (ix_deals_partner_catalogue_created), so every plan may use it
POOL_ORDER = (Partner.ranking_band.desc(), Partner.last_assigned_at.asc().nulls_first(), Partner.id)
RECENT_CATALOGUE_LEADS = select(func.count()).where(  # a partner's catalogue leads since :capacity_since
    Deal.partner_id == Partner.id, Deal.source.in_(CATALOGUE_SOURCE_LIST),
    Deal.created_at >= bindparam("capacity_since")).scalar_subquery()
PARTNER_LOADS = select(Partner.id, RECENT_CATALOGUE_LEADS).where(Partner.id.in_(bindparam("ids", expanding=True)))
POOL_COLUMNS = (Partner.id, Partner.ranking_score, Partner.last_assigned_at, Partner.monthly_capacity,
                Partner.accepting_requests,  # the 30-day load counts only where there is a capacity
                case((Partner.monthly_capacity.is_not(None), RECENT_CATALOGUE_LEADS), else_=0))
REQUESTS = LeadRequest.__table__.c
EARLIER_REQUEST = {  # the client's latest request since :since for the same :service (False) or :partner_id (True)
    direct: select(REQUESTS.id).where(
        REQUESTS.client_id == bindparam("client_id"), REQUESTS.created_at >= bindparam("since"),
        (REQUESTS.direct_partner_id == bindparam("partner_id")) if direct else
        (REQUESTS.service_slug == bindparam("service")))
    .order_by(REQUESTS.created_at.desc(), REQUESTS.id.desc()).limit(1)
    for direct in (False, True)}
NEW_REQUEST = insert(LeadRequest.__table__).returning(REQUESTS.id)  # the rest is what was sent
LOCK_PARTNERS = (select(Partner, FIRST_PIPELINE).where(Partner.id.in_(bindparam("ids", expanding=True)))
                 .order_by(Partner.id).with_for_update(of=Partner, key_share=True))
RELAXABLE_FILTERS = frozenset({"country", "language", "type", "tier"})
CLIENT_DETAILS = ("phone", "language", "country", "timezone")  # kept when a later request leaves them out


@dataclass(frozen=True)
class IntakeResult:
    """The request, the partners it went to, and whether it is new."""

    request: LeadRequest
    partners: list[Partner]
    created: bool


def submit_request(data: dict, now: datetime, rng: random.Random) -> IntakeResult:
    """Take a client's request: direct to one partner, or matched to up to three."""
    client, new_client = upsert_client(data["client"], now)
    filters = SearchFilters(**data["filters"]) if "filters" in data else None
    direct = catalogue.get_partner(data["partner_id"]) if "partner_id" in data else None
    existing = None if new_client else recent_duplicate(client, filters, direct, now)
    if existing is not None:
        return repeat_request(existing, data["project"], now)
    if direct is not None and not direct.accepting_requests:
        raise Conflict(f"Partner {direct.id} is not accepting requests at the moment.")
    picks = [direct_pick(direct)] if direct else pick_partners(filters, now, rng)
    return place_request(client, data, filters, direct, picks, now)


def place_request(client: Client, data: dict, filters, direct: Partner | None, picks: list[Pick],
                  now: datetime) -> IntakeResult:
    """Store a new request, open one deal per pick and confirm it to the client."""
    request = new_request(client, data, filters, direct, picks, now)
    partners, emails = fan_out(request, picks, now)
    add_all_once([*emails, confirmation(request, partners, now)])  # the partners' emails and the client's
    LEAD_REQUESTS.labels(request.mode, request.status).inc()
    return IntakeResult(request=request, partners=partners, created=True)


def upsert_client(data: dict, now: datetime) -> tuple[Client, bool]:
    """Find or create the client by email, details refreshed (one race-safe statement); tell if new (PostgreSQL)."""
    values = {"email": data["email"], "name": data["name"], "created_at": now,
              **{name: data.get(name) or None for name in CLIENT_DETAILS}}
    row = db.session.connection().execute(client_upsert(), values).one()
    return rows.loaded(Client, row._mapping), row.inserted


@upserts.per_dialect
def client_upsert(dialect: str) -> Insert:
    """Return the client upsert (every column, and whether it inserted): details left out keep their stored values."""
    stmt = upserts.insert(Client.__table__, dialect).values(
        {name: bindparam(name) for name in ("email", "name", "created_at", *CLIENT_DETAILS)})
    inserted = literal_column("xmax = 0", Boolean) if dialect == "postgresql" else false()  # PostgreSQL: a row
    # an INSERT … ON CONFLICT DO UPDATE inserted has no deleting transaction yet; SQLite cannot tell
    return stmt.on_conflict_do_update(index_elements=[Client.email], set_={
        "name": stmt.excluded.name,
        **{name: func.coalesce(getattr(stmt.excluded, name), Client.__table__.c[name]) for name in CLIENT_DETAILS},
    }).returning(*Client.__table__.columns, inserted.label("inserted"))


def recent_duplicate(client: Client, filters, direct: Partner | None, now: datetime) -> LeadRequest | None:
    """Return the client's request for the same service (or partner) in the last 24 hours."""
    same = {"partner_id": direct.id} if direct else {"service": filters.service}
    request_id = db.session.scalar(EARLIER_REQUEST[bool(direct)], {
        "client_id": client.id, "since": now - DUPLICATE_WINDOW, **same})
    return None if request_id is None else db.session.get(LeadRequest, request_id)


def repeat_request(request: LeadRequest, project: dict, now: datetime) -> IntakeResult:
    """Add the new text to an existing request's deals as a client message."""
    deals = request_deals(request.id)
    text = "\n\n".join(part for part in (project["title"], project.get("description", "")) if part)
    for deal in deals:
        add_message(deal, "client", text, now)
    return IntakeResult(request=request, partners=[deal.partner for deal in deals], created=False)


def request_deals(request_id: int) -> list[Deal]:
    """Return a request's deals in the order they were opened."""
    return list(db.session.scalars(select(Deal).where(Deal.request_id == request_id).order_by(Deal.id)))


def new_request(client: Client, data: dict, filters, direct: Partner | None, picks: list[Pick],
                now: datetime) -> LeadRequest:
    """Store the request itself: matched when there are picks, else with the filters worth dropping."""
    project, budget = data["project"], data["project"].get("budget") or {}
    values = {
        "client_id": client.id, "mode": "direct" if direct else "matched",
        "status": "matched" if picks else "unmatched", "direct_partner_id": direct.id if direct else None,
        "service_slug": filters.service if filters else None, "filters": filters.given() if filters else {},
        "suggestions": [] if picks or direct else unmatched_suggestions(filters),
        "category": data.get("category", "general"), "title": project["title"],
        "description": project.get("description", ""), "budget_amount": budget.get("amount"),
        "budget_currency": budget.get("currency"), "created_at": now, "alternatives": [],
        "follow_up_due_at": follow_up_due_at(now, current_app.config["FOLLOW_UP_AFTER_HOURS"])}
    return rows.inserted(LeadRequest, values, db.session.connection().execute(NEW_REQUEST, values).one())


def direct_pick(partner: Partner) -> Pick:
    """Explain a direct request."""
    return Pick(partner_id=partner.id, reason={
        "mode": "direct", "summary": "The client chose this partner in the catalogue.",
        "score": partner.ranking_score})


def pick_partners(filters: SearchFilters, now: datetime, rng: random.Random) -> list[Pick]:
    """Choose up to three partners fairly among those passing every filter, within capacity."""
    values = catalogue.bound_values(filters)
    pool = read_pool(reusable_pool_statements(tuple(values)), values | capacity_since(now))
    if not pool:
        catalogue.known_service(filters, "filters.")
    return select_partners(pool, filters, rng)


@functools.cache
def reusable_pool_statements(names: tuple[str, ...]) -> list[Select]:
    """Return pick_partners' pool SELECTs for filters given by name, built once: values are named parameters."""
    language = bindparam("language") if "language" in names else None
    return pool_statements(catalogue.reusable_matching(names), language)


def pool_statements(stmt: Select, language: str | ColumnElement | None) -> list[Select]:
    """Return the pages to read of a partner SELECT: accepting partners, primary speakers of a language first."""
    return [group.with_only_columns(*POOL_COLUMNS, spoken(language)).order_by(*POOL_ORDER)
            .limit(bindparam("pool_size", type_=Integer)).offset(bindparam("pool_offset", type_=Integer))
            .execution_options(**{PLAN_FOR_VALUES: True}) for group in candidate_groups(stmt, language)]


def candidate_groups(stmt: Select, language: str | ColumnElement | None) -> list[Select]:
    """Return the accepting partners of a SELECT in one group, or primary speakers of a language, then the rest."""
    stmt = stmt.where(Partner.accepting_requests.is_(True))
    return [stmt] if language is None else [
        stmt.where(Partner.primary_language == language), stmt.where(Partner.primary_language != language)]


def read_pool(statements: list[Select], params: dict) -> list[Candidate]:
    """Read each group page by page in policy order until PICK_COUNT candidates have capacity (or MAX_POOLS)."""
    pool: list[Candidate] = []
    for stmt in statements:
        for page in range(MAX_POOLS):
            found = pool_page(stmt, params | {"pool_size": POOL_SIZE, "pool_offset": page * POOL_SIZE})
            pool += found
            if len(found) < POOL_SIZE or enough_with_capacity(pool):
                break
        if enough_with_capacity(pool):
            break
    return pool


def pool_page(stmt: Select, params: dict) -> list[Candidate]:
    """Read one page of candidates, language match and 30-day catalogue load included, in one statement."""
    db.session.flush()  # as an ORM query would; plain rows need no ORM execution
    rows = db.session.connection().execute(stmt, params)
    return [Candidate(partner_id=partner_id, score=score, last_assigned_at=last_assigned_at, language_match=match,
                      monthly_capacity=capacity, recent_catalogue_deals=recent, accepting_requests=accepting)
            for partner_id, score, last_assigned_at, capacity, accepting, recent, match in rows]


def capacity_since(now: datetime) -> dict[str, datetime]:
    """Return the parameter of the pool statements' 30-day window."""
    return {"capacity_since": now - CAPACITY_WINDOW}


def spoken(language: str | ColumnElement | None) -> ColumnElement:
    """Return how a partner speaks the language (a value or parameter) as a column: "primary", "secondary" or NULL."""
    if language is None:
        return null()
    return case((Partner.primary_language == language, LanguageMatch.PRIMARY.value),
                (catalogue.speaks_as_secondary(language), LanguageMatch.SECONDARY.value))


def candidates(partners: list[Partner], language: str | None, now: datetime) -> list[Candidate]:
    """Turn partner rows into plain candidates with their recent catalogue load."""
    load = recent_catalogue_deals([p.id for p in partners if p.monthly_capacity is not None], now)
    return [Candidate(
        partner_id=p.id, score=p.ranking_score, last_assigned_at=p.last_assigned_at,
        language_match=language_match(language, p.primary_language, p.secondary_languages) if language else None,
        monthly_capacity=p.monthly_capacity, recent_catalogue_deals=load.get(p.id, 0),
        accepting_requests=p.accepting_requests,
    ) for p in partners]


def recent_catalogue_deals(partner_ids: list[int], now: datetime) -> dict[int, int]:
    """Count catalogue leads (matched, or alternatives a client chose) per partner in the last 30 days."""
    if not partner_ids:
        return {}
    return dict(db.session.execute(PARTNER_LOADS, {"ids": partner_ids} | capacity_since(now)).all())


def fan_out(request: LeadRequest, picks: list[Pick], now: datetime,
            source: str | None = None) -> tuple[list[Partner], list[dict]]:
    """Open one deal per picked partner, all in one batch; return the partners and their emails, to be queued."""
    if not picks:
        return [], []
    source = source or request.mode
    locked, first_pipelines = lock_partners([pick.partner_id for pick in picks])
    partners = [locked[pick.partner_id] for pick in picks]
    pipelines = with_first_pipelines(first_pipelines)
    openings = [(partner, pipelines[partner.id], pick.reason) for partner, pick in zip(partners, picks, strict=True)]
    return partners, open_deals(request=request, openings=openings, source=source, now=now)


def lock_partners(partner_ids: list[int]) -> tuple[dict[int, Partner], dict[int, int | None]]:
    """Load the partners and their first pipeline, locked in id order (no deadlocks)."""
    rows = db.session.execute(LOCK_PARTNERS, {"ids": partner_ids}).all()
    return {partner.id: partner for partner, _ in rows}, {partner.id: pipeline for partner, pipeline in rows}


def unmatched_suggestions(filters: SearchFilters) -> list[dict]:
    """Name the optional filters whose removal would find partners, with how many each finds."""
    counts = {}
    for name in RELAXABLE_FILTERS & filters.given().keys():
        relaxed = catalogue.filtered(filters.without(name), "filters.").where(Partner.accepting_requests.is_(True))
        counts[name] = catalogue.count(relaxed)
    return suggestions(counts)


def confirmation(request: LeadRequest, partners: list[Partner], now: datetime) -> dict:
    """Return the outbox row of the client's confirmation, with their link and the chosen partners."""
    client = request.client
    return email_row(
        key=f"client-confirmation:{request.id}", to=client.email, template="client_confirmation",
        language=client.language, now=now, context={
            "client_name": client.name, "project_title": request.title,
            "client_link": client_link(client.id, now), "mode": request.mode, "status": request.status,
            "partners": [{"name": p.name, "profile_url": public_url(f"partners/{p.id}")} for p in partners],
            "suggestions": request.suggestions,
        })


def request_view(result: IntakeResult) -> dict:
    """Return the answer to the client: the request and the partners it went to."""
    request = result.request
    catalogue.mark_language_match(result.partners, (request.filters or {}).get("language"))
    return {"id": request.id, "mode": request.mode, "status": request.status,
            "partners": result.partners, "suggestions": request.suggestions or []}


def describe(request_id: int) -> dict:
    """Return a request with, for each chosen partner, why it was chosen (admin view)."""
    request = db.session.get(LeadRequest, request_id)
    if request is None:
        raise NotFound(f"Request {request_id} does not exist.")
    client = request.client
    return {
        "id": request.id, "mode": request.mode, "status": request.status, "category": request.category,
        "created_at": request.created_at, "filters": request.filters or {},
        "suggestions": request.suggestions or [],
        "client": {"name": client.name, "email": client.email, "phone": client.phone,
                   "language": client.language, "country": client.country},
        "project": {"title": request.title, "description": request.description, "budget": request.budget},
        "partners": [{"partner_id": deal.partner_id, "partner_name": deal.partner.name, "deal_id": deal.id,
                      "deal_status": deal.status, "reason": deal.selection_reason or {}}
                     for deal in request_deals(request.id)],
    }
