"""Demo data: services, partners across countries and languages, and a few requests."""
import random
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.models import Client, Partner
from app.services import catalogue, clients, deals, intake
from app.services.tenancy import acting_as

SERVICES = {
    "email-marketing": "Email marketing", "chatbots": "Chatbots", "crm-setup": "CRM setup",
    "web-design": "Web design and layout", "seo": "SEO", "ppc": "Paid advertising",
    "copywriting": "Copywriting", "analytics": "Analytics", "automation": "Marketing automation",
    "social-media": "Social media", "landing-pages": "Landing pages", "integrations": "Integrations",
}
COUNTRIES = {"DE": "de", "UA": "uk", "PL": "pl", "ES": "es", "FR": "fr", "US": "en", "GB": "en",
             "IR": "fa", "CN": "zh", "KZ": "ru", "BR": "pt", "IT": "it"}
ZONES = {"DE": "Europe/Berlin", "UA": "Europe/Kyiv", "PL": "Europe/Warsaw", "ES": "Europe/Madrid",
         "FR": "Europe/Paris", "US": "America/New_York", "GB": "Europe/London", "IR": "Asia/Tehran",
         "CN": "Asia/Shanghai", "KZ": "Asia/Almaty", "BR": "America/Sao_Paulo", "IT": "Europe/Rome"}
NAME_PARTS = (["Bright", "North", "Blue", "Pixel", "Nova", "Swift", "Clever", "Urban", "Prime", "Lumen"],
              ["Mail", "Funnel", "Growth", "Lead", "Reach", "Signal", "Pulse", "Craft", "Spark", "Flow"],
              ["Agency", "Studio", "Lab", "Partners", "Works"])
FIRST_NAMES = ["Anna", "Oleh", "Maria", "Ivan", "Sara", "Li Wei", "Reza", "Lucas", "Emma", "Marta"]
TIERS = ["bronze", "bronze", "silver", "silver", "gold", "platinum"]


def load(partner_count: int, rng: random.Random, now: datetime) -> dict:
    """Create demo services, partners and requests; do nothing if partners exist."""
    if db.session.scalar(select(func.count()).select_from(Partner)):
        return {"skipped": "partners exist already"}
    for slug, name in SERVICES.items():
        catalogue.create_service(slug, name)
    tokens = {}
    for index in range(partner_count):
        partner, token, _ = catalogue.create_partner(partner_fields(index, rng), now)
        tokens[partner.id] = token
    requests = [intake.submit_request(request_fields(index, rng), now, rng) for index in range(12)]
    track_records(list(tokens), rng, now)
    first_id = min(tokens)
    return {"services": len(SERVICES), "partners": partner_count, "requests": len(requests),
            "example_partner_id": first_id, "example_partner_token": tokens[first_id]}


def partner_fields(index: int, rng: random.Random) -> dict:
    """Return the profile of one demo partner."""
    country = rng.choice(list(COUNTRIES))
    kind = "freelancer" if index % 3 == 0 else "agency"
    name = (f"{rng.choice(FIRST_NAMES)} {rng.choice(NAME_PARTS[1])}" if kind == "freelancer"
            else f"{rng.choice(NAME_PARTS[0])} {rng.choice(NAME_PARTS[1])} {rng.choice(NAME_PARTS[2])}")
    others = [code for code in ("en", "ru", "de", "es", "fa", "zh") if code != COUNTRIES[country]]
    return {
        "name": f"{name} {index + 1}", "type": kind, "tier": TIERS[index % len(TIERS)], "country": country,
        "primary_language": COUNTRIES[country], "secondary_languages": rng.sample(others, rng.randint(0, 2)),
        "services": rng.sample(list(SERVICES), rng.randint(2, 5)), "email": f"partner{index + 1}@example.com",
        "timezone": ZONES[country], "monthly_capacity": rng.choice([None, None, 10, 30]),
    }


def request_fields(index: int, rng: random.Random) -> dict:
    """Return one demo find-a-partner request."""
    country = rng.choice(list(COUNTRIES))
    return {
        "client": {"name": f"Client {index + 1}", "email": f"client{index + 1}@example.org",
                   "language": COUNTRIES[country] if COUNTRIES[country] in ("en", "ru") else "en"},
        "project": {"title": f"Project {index + 1}", "description": "We need help with our campaigns.",
                    "budget": {"amount": Decimal(rng.randint(3, 40) * 100), "currency": "EUR"}},
        "filters": {"service": rng.choice(list(SERVICES))},
        "category": "general",
    }


def track_records(partner_ids: list[int], rng: random.Random, now: datetime) -> None:
    """Give some partners won, reviewed past deals so the catalogue ranking differs."""
    for partner_id in rng.sample(partner_ids, len(partner_ids) // 2):
        for number in range(rng.randint(1, 6)):
            past = now - timedelta(days=rng.randint(20, 300))
            result = intake.submit_request(past_request(partner_id, number, rng), past, rng)
            deal = intake.request_deals(result.request.id)[0]
            with acting_as(partner_id):
                deals.change_status(deal, "won", {"amount": Decimal(rng.randint(2, 30) * 100)}, None, past)
            client = db.session.get(Client, result.request.client_id)
            clients.leave_review(client, deal.id, rng.choice([3, 4, 4, 5, 5, 5]), "Reliable and quick.", past)


def past_request(partner_id: int, number: int, rng: random.Random) -> dict:
    """Return a direct request from a past client."""
    return {
        "client": {"name": f"Past client {partner_id}-{number}", "email": f"past{partner_id}-{number}@example.org",
                   "language": "en"},
        "project": {"title": "Past project", "description": "Done and delivered.",
                    "budget": {"amount": Decimal(rng.randint(2, 30) * 100), "currency": "EUR"}},
        "partner_id": partner_id, "category": "general",
    }
