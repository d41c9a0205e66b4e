"""The partner catalogue: services, partner profiles, search and ranking upkeep."""
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import ColumnElement, Exists, ScalarSelect, Select, bindparam, exists, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models import Partner, PartnerLanguage, Service, partner_services
from app.services import catalogue_counts
from app.services.errors import Conflict, Invalid, NotFound
from app.services.tokens import issue_token
from matching import RankingInputs, SearchFilters, language_match, ranking_score, score_band
from notifications.webhooks import is_public_address, new_secret

SCALAR_FIELDS = (
    "name", "type", "tier", "country", "primary_language", "email", "timezone",
    "accepting_requests", "monthly_capacity", "notify_new_deals",
)

FILTERED_FIELDS = frozenset({"name", "type", "tier", "country", "primary_language", "services", "secondary_languages"})
SEARCH_ORDER = (Partner.ranking_score.desc(), Partner.id.asc())


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
                      completed_projects=0, reviews_count=0, rating_sum=0, service_slugs=[], secondary_languages=[])
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
    """Copy validated fields onto a partner; a change to what searches filter on voids their cached counts."""
    if FILTERED_FIELDS & data.keys():
        catalogue_counts.note_change()
    for name in SCALAR_FIELDS:
        if name in data:
            setattr(partner, name, data[name])
    if "services" in data:
        partner.services = services_by_slug(data["services"], "services")
        partner.service_slugs = sorted(service.slug for service in partner.services)
    if "secondary_languages" in data or "primary_language" in data:
        wanted = data.get("secondary_languages", partner.secondary_languages)
        set_secondary_languages(partner, wanted)
    if "webhook_url" in data:
        set_webhook_url(partner, data["webhook_url"])


def set_secondary_languages(partner: Partner, languages: list[str]) -> None:
    """Replace the secondary languages, never repeating the primary one."""
    wanted = sorted(code for code in set(languages) if code != partner.primary_language)
    partner.secondary_language_rows = [PartnerLanguage(language=code) for code in wanted]
    partner.secondary_languages = wanted


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
    counters = db.session.connection().execute(
        update(Partner.__table__).where(Partner.id == partner.id)
        .values({name: getattr(Partner, name) + delta for name, delta in deltas.items()})
        .returning(*(getattr(Partner, name) for name in deltas))).one()
    for name, value in counters._mapping.items():  # the new totals, as if read: the ranking starts from them
        set_committed_value(partner, name, value)
    refresh_ranking(partner)


def service_id(slug: str, field: str = "service") -> int:
    """Return the id of a service slug, or refuse it."""
    found = db.session.scalar(select(Service.id).where(Service.slug == slug))
    if found is None:
        raise Invalid("Unknown service.", {field: [f"Unknown service: {slug}."]})
    return found


def known_service(filters: SearchFilters, field_prefix: str = "") -> None:
    """Refuse a service filter that names no service."""
    if filters.service:
        service_id(filters.service, f"{field_prefix}service")


def filtered(filters: SearchFilters, field_prefix: str = "") -> Select:
    """Return a SELECT of partners passing every given filter, after refusing an unknown service."""
    known_service(filters, field_prefix)
    return matching(filters)


def matching(filters: SearchFilters) -> Select:
    """Return a SELECT of partners passing every given filter, in one statement (an unknown service matches none)."""
    return matching_values(bound_values(filters))


def reusable_matching(names: tuple[str, ...]) -> Select:
    """Return the SELECT of `matching` for filters given by name, each value a parameter named after its filter."""
    return matching_values({name: bindparam(name) for name in names})


def bound_values(filters: SearchFilters) -> dict[str, str]:
    """Return the value each given filter compares with (q as its LIKE pattern), by filter name."""
    values = filters.given()
    if filters.q:
        values["q"] = f"%{escape_like(filters.q)}%"
    return values


def matching_values(values: dict) -> Select:
    """Return a SELECT of partners passing the filters named in `values` (plain values or bound parameters)."""
    stmt = select(Partner)
    if "service" in values:
        stmt = stmt.where(exists().where(partner_services.c.partner_id == Partner.id,
                                         partner_services.c.service_id == service_key(values["service"])))
    for name in ("country", "type", "tier"):
        if name in values:
            stmt = stmt.where(getattr(Partner, name) == values[name])
    if "language" in values:
        stmt = stmt.where(or_(Partner.primary_language == values["language"], speaks_as_secondary(values["language"])))
    if "q" in values:
        stmt = stmt.where(Partner.name.ilike(values["q"], escape="\\"))
    return stmt


def service_key(slug: str | ColumnElement) -> ScalarSelect:
    """Return a service's id looked up inside the statement that uses it (no round trip of its own)."""
    return select(Service.id).where(Service.slug == slug).scalar_subquery()


def speaks_as_secondary(language: str | ColumnElement) -> Exists:
    """Return the condition that a partner lists the language among its secondary ones."""
    return exists().where(PartnerLanguage.partner_id == Partner.id, PartnerLanguage.language == language)


def among_secondary_speakers(language: str) -> ColumnElement:
    """Return `speaks_as_secondary` as IN (its speakers), which lets SQLite drive from the language's index."""
    return Partner.id.in_(select(PartnerLanguage.partner_id).where(PartnerLanguage.language == language))


def escape_like(text: str) -> str:
    """Escape LIKE wildcards in user text."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def language_groups(filters: SearchFilters) -> list[Select]:
    """Return the matching partners in language groups: primary, then secondary speakers (one group without)."""
    language = filters.language
    if not language:
        return [matching(filters)]
    any_language = matching(filters.without("language"))
    return [any_language.where(Partner.primary_language == language),
            any_language.where(Partner.primary_language != language, among_secondary_speakers(language))]


def counting(stmt: Select) -> Select:
    """Return the SELECT counting the rows of a partner SELECT."""
    return select(func.count()).select_from(stmt.order_by(None).subquery())


def count(stmt: Select) -> int:
    """Count the rows of a partner SELECT."""
    return db.session.scalar(counting(stmt))


def group_sizes(filters: SearchFilters, groups: list[Select]) -> list[int]:
    """Count each group's partners in one statement, unless this process has since the catalogue last changed.

    A service alone is counted on its partner_services rows.
    """
    if filters.given().keys() == {"service"} and not filters.q:
        counts = [select(func.count()).select_from(partner_services)
                  .where(partner_services.c.service_id == service_key(filters.service))]
    else:
        counts = [counting(group) for group in groups]
    return catalogue_counts.sizes(tuple(sorted(bound_values(filters).items())), counts)


def page_slices(sizes: list[int], offset: int, limit: int) -> list[tuple[int, int, int]]:
    """Return (group, offset, limit) of each group the rows offset..offset+limit of the groups end to end cover."""
    slices = []
    for number, size in enumerate(sizes):
        if offset < size and limit > 0:
            slices.append((number, offset, min(limit, size - offset)))
            limit -= slices[-1][2]
        offset = max(0, offset - size)
    return slices


def page_rows(groups: list[Select], sizes: list[int], offset: int, limit: int) -> list[Partner]:
    """Return one page of the groups laid end to end, in search order (a query per group)."""
    rows: list[Partner] = []
    for number, skip, size in page_slices(sizes, offset, limit):
        rows += db.session.scalars(groups[number].order_by(*SEARCH_ORDER).limit(size).offset(skip))
    return rows


def search(filters: SearchFilters, page: int, per_page: int) -> SearchPage:
    """Return one page of the catalogue, best first; with a language, primary speakers before secondary ones."""
    groups = language_groups(filters)
    sizes = group_sizes(filters, groups)
    if not sum(sizes):
        known_service(filters)
    rows = page_rows(groups, sizes, (page - 1) * per_page, per_page)
    mark_language_match(rows, filters.language)
    return SearchPage(items=rows, total=sum(sizes), page=page, per_page=per_page)


def mark_language_match(partners: list[Partner], language: str | None) -> None:
    """Note on each partner how it speaks the searched language."""
    for partner in partners:
        partner.language_match = language_match(language, partner.primary_language, partner.secondary_languages)
