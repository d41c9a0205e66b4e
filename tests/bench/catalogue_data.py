"""A deterministic, realistically skewed partner catalogue for benchmarks, and its bulk loader.

`generate(seed, count)` returns the rows of every table, keyed by table name in insertion
order; `load(connection, tables)` bulk-inserts them with SQLAlchemy Core. Popularity of
services, countries and languages follows a Zipf-like law (rank k weighs 1 / k**s), so the
first entry of each list below is the most popular one.
"""
import itertools
import math
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from app.extensions import db
from matching import RankingInputs, ranking_score, score_band

GENERATOR_VERSION = 4  # bump whenever generated rows (or the statistics gathered) change, to invalidate caches
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # the moment the catalogue is generated "at"
CHUNK = 10_000

SERVICES = (
    "seo", "web-design", "email-marketing", "social-media", "ppc-advertising", "content-writing",
    "web-development", "branding", "mobile-apps", "ecommerce", "video-production", "copywriting",
    "ux-research", "photography", "public-relations", "crm-setup", "marketing-automation", "analytics",
    "influencer-marketing", "affiliate-marketing", "translation", "illustration", "motion-graphics",
    "podcast-production", "event-marketing", "market-research", "wordpress", "shopify", "app-store-optimization",
    "conversion-optimization", "local-seo", "technical-seo", "link-building", "newsletter-design",
    "packaging-design", "print-design", "3d-modelling", "game-art", "chatbots", "data-engineering",
    "cloud-hosting", "cybersecurity", "it-support", "erp-consulting", "sales-training",
    "lead-generation", "telemarketing", "customer-support", "voice-over", "localisation",
)
COUNTRIES = (  # (country, native language), most popular first
    ("US", "en"), ("GB", "en"), ("DE", "de"), ("IN", "hi"), ("FR", "fr"), ("ES", "es"), ("BR", "pt"),
    ("CA", "en"), ("AU", "en"), ("NL", "nl"), ("IT", "it"), ("PL", "pl"), ("UA", "uk"), ("TR", "tr"),
    ("MX", "es"), ("RU", "ru"), ("CN", "zh"), ("JP", "ja"), ("SE", "sv"), ("CH", "de"), ("AT", "de"),
    ("BE", "nl"), ("PT", "pt"), ("AR", "es"), ("IE", "en"), ("CZ", "cs"), ("RO", "ro"), ("KR", "ko"),
    ("AE", "ar"), ("SA", "ar"), ("EG", "ar"), ("IR", "fa"), ("CO", "es"), ("CL", "es"), ("NZ", "en"),
    ("SG", "en"), ("ZA", "en"), ("NG", "en"), ("KZ", "ru"), ("TW", "zh"),
)
LANGUAGES = (
    "en", "es", "fr", "de", "ru", "zh", "pt", "ar", "it", "ja",
    "nl", "pl", "tr", "uk", "ko", "hi", "sv", "cs", "ro", "fa",
)
TYPES = (("freelancer", 60), ("agency", 40))
TIERS = (("bronze", 50), ("silver", 30), ("gold", 15), ("platinum", 5))
SERVICES_PER_PARTNER = ((1, 30), (2, 25), (3, 18), (4, 12), (5, 9), (6, 6))  # (services, weight)
SECONDARY_LANGUAGES = ((0, 35), (1, 35), (2, 20), (3, 10))  # (secondary languages, weight)
CAPACITIES = (3, 5, 10, 15, 20, 30)
WORDS = ("Blue", "North", "Bright", "Pixel", "Rocket", "Cedar", "Nova", "Summit", "Harbor", "Atlas")
KINDS = ("Studio", "Labs", "Digital", "Works", "Media", "Partners", "Collective", "Agency")


class Popularity:
    """Draw items by Zipf-like popularity: the item of rank k weighs 1 / k**exponent."""

    def __init__(self, items: Sequence, exponent: float):
        self.items = list(items)
        self.cum_weights = list(itertools.accumulate(1 / k ** exponent for k in range(1, len(items) + 1)))

    def draw(self, rng: random.Random):
        """Return one item."""
        return rng.choices(self.items, cum_weights=self.cum_weights)[0]

    def distinct(self, rng: random.Random, k: int, exclude=()) -> list:
        """Return k distinct items (fewer if the list runs out), never one of `exclude`."""
        k = min(k, len(self.items) - len(set(exclude)))
        chosen: dict = {}
        while len(chosen) < k:
            item = self.draw(rng)
            if item not in exclude:
                chosen[item] = None
        return list(chosen)


SERVICE_POPULARITY = Popularity(range(1, len(SERVICES) + 1), 1.0)  # service ids
COUNTRY_POPULARITY = Popularity(COUNTRIES, 1.1)
LANGUAGE_POPULARITY = Popularity(LANGUAGES, 1.2)


def weighted(rng: random.Random, options: Sequence[tuple]) -> object:
    """Return the first element of one (value, weight) option."""
    return rng.choices([value for value, _ in options], weights=[weight for _, weight in options])[0]


def generate(seed: int, count: int) -> dict[str, list[dict]]:
    """Return the rows of every table for `count` partners, keyed by table name in insertion order."""
    rng = random.Random(seed)
    tables: dict[str, list[dict]] = {
        "services": [{"id": i, "slug": slug, "name": slug.replace("-", " ").title()}
                     for i, slug in enumerate(SERVICES, start=1)],
        "clients": [{"id": 1, "email": "bench-client@example.org", "name": "Bench Client", "created_at": NOW}],
        "partners": [], "partner_services": [], "partner_languages": [], "pipelines": [], "deals": [],
    }
    for partner_id in range(1, count + 1):
        add_partner(tables, rng, partner_id)
    return tables


def add_partner(tables: dict[str, list[dict]], rng: random.Random, partner_id: int) -> None:
    """Append one partner with its services, secondary languages and recent matched deals."""
    partner = partner_row(rng, partner_id)
    tables["partners"].append(partner)
    services = SERVICE_POPULARITY.distinct(rng, weighted(rng, SERVICES_PER_PARTNER))
    tables["partner_services"] += [{"partner_id": partner_id, "service_id": sid} for sid in services]
    languages = LANGUAGE_POPULARITY.distinct(
        rng, weighted(rng, SECONDARY_LANGUAGES), exclude={partner["primary_language"]})
    tables["partner_languages"] += [{"partner_id": partner_id, "language": code} for code in languages]
    partner |= {"service_slugs": sorted(SERVICES[service - 1] for service in services),
                "secondary_languages": sorted(languages)}
    if partner["monthly_capacity"] is not None:
        add_recent_deals(tables, rng, partner)


def partner_row(rng: random.Random, partner_id: int) -> dict:
    """Return one partner's row, ranking score and band included."""
    country, native = COUNTRY_POPULARITY.draw(rng)
    inputs = ranking_inputs(rng)
    score = ranking_score(inputs)
    return {
        "id": partner_id, "name": f"{rng.choice(WORDS)} {rng.choice(KINDS)} {partner_id}",
        "type": weighted(rng, TYPES), "tier": weighted(rng, TIERS), "country": country,
        "primary_language": native if rng.random() < 0.8 else LANGUAGE_POPULARITY.draw(rng),
        "email": f"partner{partner_id}@bench.example", "timezone": "UTC",
        "accepting_requests": rng.random() < 0.92, "notify_new_deals": True,
        "monthly_capacity": rng.choice(CAPACITIES) if rng.random() < 0.15 else None,
        "completed_projects": inputs.completed_projects, "reviews_count": inputs.reviews_count,
        "rating_sum": inputs.rating_sum, "response_rate": inputs.response_rate,
        "response_time_hours": inputs.response_time_hours, "ranking_score": score,
        "ranking_band": score_band(score), "last_assigned_at": last_assigned(rng),
        "created_at": NOW - timedelta(days=rng.uniform(30, 3 * 365)),
    }


def ranking_inputs(rng: random.Random) -> RankingInputs:
    """Return varied ranking inputs: many newcomers, a long tail of busy, well-reviewed partners."""
    projects = 0 if rng.random() < 0.25 else min(500, int(rng.lognormvariate(math.log(8), 1.2)))
    reviews = 0 if rng.random() < 0.30 else min(2000, 1 + int(rng.lognormvariate(math.log(6), 1.3)))
    stars = min(5.0, max(1.0, rng.gauss(4.5, 0.4)))
    rating_sum = min(5 * reviews, max(reviews, round(stars * reviews)))
    measured = rng.random() < 0.7
    return RankingInputs(
        completed_projects=projects, reviews_count=reviews, rating_sum=rating_sum,
        response_rate=round(rng.betavariate(6, 2), 3) if measured else None,
        response_time_hours=round(min(240.0, rng.lognormvariate(math.log(6), 1.0)), 1) if measured else None,
    )


def last_assigned(rng: random.Random) -> datetime | None:
    """Return when a partner last got a matched lead: never for half of them."""
    return None if rng.random() < 0.5 else NOW - timedelta(hours=rng.uniform(1, 180 * 24))


def add_recent_deals(tables: dict[str, list[dict]], rng: random.Random, partner: dict) -> None:
    """Give a partner with a capacity 0..capacity+1 matched deals in the last 30 days (some are full)."""
    number = rng.randint(0, partner["monthly_capacity"] + 1)
    if not number:
        return
    pipeline_id = len(tables["pipelines"]) + 1
    tables["pipelines"].append({"id": pipeline_id, "partner_id": partner["id"], "name": "Catalogue leads",
                                "position": 0})
    moments = sorted(NOW - timedelta(hours=rng.uniform(1, 29 * 24)) for _ in range(number))
    for moment in moments:
        tables["deals"].append(deal_row(len(tables["deals"]) + 1, partner["id"], pipeline_id, moment))
    partner["last_assigned_at"] = moments[-1]


def deal_row(deal_id: int, partner_id: int, pipeline_id: int, moment: datetime) -> dict:
    """Return one matched deal's row."""
    return {"id": deal_id, "partner_id": partner_id, "pipeline_id": pipeline_id, "request_id": None,
            "client_id": 1, "source": "matched", "status": "new", "title": "Bench project",
            "description": "", "ever_won": False, "category": "general", "created_at": moment,
            "updated_at": moment, "clock_started_at": moment}


def load(connection: Connection, tables: dict[str, list[dict]]) -> None:
    """Bulk-insert every table's rows with Core executemany, CHUNK rows at a time; then gather SQLite's statistics."""
    for name, rows in tables.items():
        table = db.metadata.tables[name]
        for start in range(0, len(rows), CHUNK):
            connection.execute(insert(table), rows[start:start + CHUNK])
    if connection.dialect.name == "postgresql":
        reset_sequences(connection, [name for name, rows in tables.items() if rows and "id" in rows[0]])
    else:
        connection.exec_driver_sql("ANALYZE")  # SQLite's planner statistics (PostgreSQL: VACUUM ANALYZE, conftest)


def reset_sequences(connection: Connection, table_names: list[str]) -> None:
    """Move PostgreSQL id sequences past the explicitly inserted ids."""
    for name in table_names:
        connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")
