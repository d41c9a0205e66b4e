"""The partner catalogue: services, partner profiles, search and ranking upkeep."""
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import Select, case, exists, func, or_, select, update
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Partner, PartnerLanguage, Service, partner_services
from app.services.errors import Conflict, Invalid, NotFound
from app.services.tokens import issue_token
from matching import RankingInputs, SearchFilters, language_match, ranking_score, score_band
from notifications.webhooks import is_public_address, new_secret

SCALAR_FIELDS = (
    "name", "type", "tier", "country", "primary_language", "email", "timezone",
    "accepting_requests", "monthly_capacity", "notify_new_deals",
)

PROFILE_LOADS = (selectinload(Partner.services), selectinload(Partner.secondary_language_rows))


@dataclass(frozen=True)
class SearchPage:
    """One page of catalogue results."""

    items: list[Partner]
    total: int
    page: int
    per_page: int


def list_services() -> list[Service]:
    """Return every service, by name."""
    return list(db.session.scalars(select(Service).order_by(Service.name, Service.slug)))


def create_service(slug: str, name: str) -> Service:
    """Add a service; its slug must be new."""
    if db.session.scalar(select(Service.id).where(Service.slug == slug)):
        raise Conflict(f"Service {slug!r} exists already.")
    service = Service(slug=slug, name=name)
    db.session.add(service)
    db.session.flush()
    return service


def services_by_slug(slugs: list[str], field: str) -> list[Service]:
    """Return the services named, or refuse unknown slugs."""
    found = {s.slug: s for s in db.session.scalars(select(Service).where(Service.slug.in_(slugs)))}
    unknown = sorted(set(slugs) - set(found))
    if unknown:
        raise Invalid("Unknown service.", {field: [f"Unknown service: {', '.join(unknown)}."]})
    return [found[slug] for slug in dict.fromkeys(slugs)]


def get_partner(partner_id: int) -> Partner:
    """Return a partner or raise NotFound."""
    partner = db.session.get(Partner, partner_id)
    if partner is None:
        raise NotFound(f"Partner {partner_id} does not exist.")
    return partner


def create_partner(data: dict, now: datetime) -> tuple[Partner, str, str | None]:
    """Create a partner; return it with its first API token and webhook secret."""
    partner = Partner(created_at=now, timezone="UTC", accepting_requests=True, notify_new_deals=True,
                      completed_projects=0, reviews_count=0, rating_sum=0)
    db.session.add(partner)
    apply_fields(partner, data)
    refresh_ranking(partner)
    db.session.flush()
    return partner, issue_token(partner.id, now), partner.webhook_secret


def update_partner(partner_id: int, data: dict) -> Partner:
    """Change any partner fields."""
    partner = get_partner(partner_id)
    apply_fields(partner, data)
    db.session.flush()
    return partner


def apply_fields(partner: Partner, data: dict) -> None:
    """Copy validated fields onto a partner."""
    for name in SCALAR_FIELDS:
        if name in data:
            setattr(partner, name, data[name])
    if "services" in data:
        partner.services = services_by_slug(data["services"], "services")
    if "secondary_languages" in data or "primary_language" in data:
        wanted = data.get("secondary_languages", partner.secondary_languages)
        set_secondary_languages(partner, wanted)
    if "webhook_url" in data:
        set_webhook_url(partner, data["webhook_url"])


def set_secondary_languages(partner: Partner, languages: list[str]) -> None:
    """Replace the secondary languages, never repeating the primary one."""
    wanted = [code for code in dict.fromkeys(languages) if code != partner.primary_language]
    partner.secondary_language_rows = [PartnerLanguage(language=code) for code in wanted]


def set_webhook_url(partner: Partner, url: str | None) -> None:
    """Set or clear the webhook URL; a first URL gets a secret."""
    if url and not current_app.config["WEBHOOK_ALLOW_PRIVATE"] and not is_public_address(url):
        raise Invalid("Webhook URL not allowed.", {"webhook_url": ["Must point at a public address."]})
    partner.webhook_url = url or None
    partner.webhook_disabled_at = None
    if url and not partner.webhook_secret:
        partner.webhook_secret = new_secret()


def rotate_webhook_secret(partner_id: int) -> str:
    """Give the partner a new webhook signing secret (pending deliveries are signed with it)."""
    partner = get_partner(partner_id)
    if not partner.webhook_url:
        raise Conflict("Set a webhook URL first.")
    partner.webhook_secret = new_secret()
    db.session.flush()
    return partner.webhook_secret


def refresh_ranking(partner: Partner) -> None:
    """Recompute the stored ranking score and band from the partner's counters."""
    partner.ranking_score = ranking_score(RankingInputs(
        completed_projects=partner.completed_projects or 0,
        reviews_count=partner.reviews_count or 0,
        rating_sum=partner.rating_sum or 0,
        response_rate=partner.response_rate,
        response_time_hours=partner.response_time_hours,
    ))
    partner.ranking_band = score_band(partner.ranking_score)


def bump_counters(partner: Partner, **deltas: int) -> None:
    """Add to a partner's counters in SQL (safe under concurrency), then refresh its ranking."""
    db.session.flush()
    db.session.execute(update(Partner).where(Partner.id == partner.id).values(
        {name: getattr(Partner, name) + delta for name, delta in deltas.items()}))
    db.session.refresh(partner)
    refresh_ranking(partner)


def service_id(slug: str, field: str = "service") -> int:
    """Return the id of a service slug, or refuse it."""
    found = db.session.scalar(select(Service.id).where(Service.slug == slug))
    if found is None:
        raise Invalid("Unknown service.", {field: [f"Unknown service: {slug}."]})
    return found


def filtered(filters: SearchFilters, field_prefix: str = "") -> Select:
    """Return a SELECT of partners passing every given filter (one indexed query)."""
    stmt = select(Partner)
    if filters.service:
        sid = service_id(filters.service, f"{field_prefix}service")
        stmt = stmt.where(exists().where(
            partner_services.c.partner_id == Partner.id, partner_services.c.service_id == sid))
    for name in ("country", "type", "tier"):
        if getattr(filters, name):
            stmt = stmt.where(getattr(Partner, name) == getattr(filters, name))
    if filters.language:
        stmt = stmt.where(or_(Partner.primary_language == filters.language, exists().where(
            PartnerLanguage.partner_id == Partner.id, PartnerLanguage.language == filters.language)))
    if filters.q:
        stmt = stmt.where(Partner.name.ilike(f"%{escape_like(filters.q)}%", escape="\\"))
    return stmt


def escape_like(text: str) -> str:
    """Escape LIKE wildcards in user text."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def language_first(language: str | None) -> list:
    """Return the ORDER BY term putting primary speakers of a language first (none without one)."""
    return [case((Partner.primary_language == language, 0), else_=1)] if language else []


def ranked(stmt: Select, language: str | None) -> Select:
    """Order by language group (primary first), then score, then id for stability."""
    return stmt.order_by(*language_first(language), Partner.ranking_score.desc(), Partner.id.asc())


def count(stmt: Select) -> int:
    """Count the rows of a partner SELECT."""
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def search(filters: SearchFilters, page: int, per_page: int) -> SearchPage:
    """Return one page of the catalogue, best first."""
    stmt = filtered(filters)
    rows = list(db.session.scalars(
        ranked(stmt, filters.language).options(*PROFILE_LOADS).limit(per_page).offset((page - 1) * per_page)))
    mark_language_match(rows, filters.language)
    return SearchPage(items=rows, total=count(stmt), page=page, per_page=per_page)


def mark_language_match(partners: list[Partner], language: str | None) -> None:
    """Note on each partner how it speaks the searched language."""
    for partner in partners:
        partner.language_match = language_match(language, partner.primary_language, partner.secondary_languages)
