"""Builders for test data: make_partner(**overrides) rather than shared global data."""
import itertools
from dataclasses import dataclass
from datetime import datetime

from app.extensions import db
from app.services import catalogue

_serial = itertools.count(1)


@dataclass(frozen=True)
class BuiltPartner:
    """A partner made for a test, with its API token."""

    id: int
    token: str

    @property
    def headers(self) -> dict:
        """Return this partner's Authorization header."""
        return {"Authorization": f"Bearer {self.token}"}


def make_service(slug: str = "email-marketing", name: str | None = None) -> str:
    """Create a service unless it exists; return its slug."""
    from sqlalchemy import select

    from app.models import Service

    if db.session.scalar(select(Service.id).where(Service.slug == slug)) is None:
        catalogue.create_service(slug, name or slug.replace("-", " ").title())
        db.session.commit()
    return slug


def partner_fields(**overrides) -> dict:
    """Return valid partner fields, with overrides."""
    number = next(_serial)
    fields = {
        "name": f"Partner {number}", "type": "agency", "tier": "silver", "country": "DE",
        "primary_language": "de", "secondary_languages": ["en"], "services": ["email-marketing"],
        "email": f"partner{number}@example.com", "timezone": "Europe/Berlin",
    }
    return fields | overrides


def make_partner(now: datetime, **overrides) -> BuiltPartner:
    """Create a partner (and its services) and return its id and token."""
    fields = partner_fields(**overrides)
    for slug in fields["services"]:
        make_service(slug)
    partner, token, _ = catalogue.create_partner(fields, now)
    db.session.commit()
    return BuiltPartner(id=partner.id, token=token)


def request_body(**overrides) -> dict:
    """Return a valid find-a-partner request body, with top-level overrides."""
    body = {
        "client": {"name": "Anna", "email": "anna@example.org", "phone": "+49 30 1234567",
                   "language": "de", "country": "DE"},
        "project": {"title": "Shop newsletter", "description": "Monthly newsletter for our shop.",
                    "budget": {"amount": "800.00", "currency": "EUR"}},
        "filters": {"service": "email-marketing"},
    }
    return body | overrides
