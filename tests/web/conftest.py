"""Fixtures of the page tests: CSRF off unless a test turns it on, and helpers to fill in forms like a person."""
import re
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from app.extensions import db
from app.services import accounts

PASSWORD = "correct horse battery"
TRANSLATIONS = Path(__file__).resolve().parents[2] / "app" / "translations"


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    """Compile stale message catalogues, as `bin/setup` does (`pybabel compile`), so pages are translated."""
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            with po_path.open("rb") as po_file, mo_path.open("wb") as mo_file:
                write_mo(mo_file, read_po(po_file))


@pytest.fixture(autouse=True)
def page_settings(request):
    """Run page tests without CSRF tokens (a test that checks CSRF turns it on); tests without an app pass."""
    if "ctx" not in request.fixturenames:
        yield None
        return
    app = request.getfixturevalue("ctx")
    app.config["WTF_CSRF_ENABLED"] = False
    yield app
    app.config["WTF_CSRF_ENABLED"] = True


def hidden_value(html: str, name: str) -> str:
    """Return the value of a hidden input on a page."""
    found = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', html)
    assert found, f"no hidden input {name!r} on the page"
    return found.group(1)


def fill_in(client, clock, url: str, data: dict, wait_seconds: int = 10):
    """Open a public form, take as long as a person would, and submit it with its start stamp."""
    page = client.get(url).get_data(as_text=True)
    clock.advance(seconds=wait_seconds)
    return client.post(url, data={"started": hidden_value(page, "started"), **data})


def set_password(partner_id: int, password: str = PASSWORD) -> None:
    """Give a partner a dashboard password."""
    accounts.set_password(partner_id, password)
    db.session.commit()


def sign_in(client, partner_id: int, email: str):
    """Sign a partner in with its password."""
    set_password(partner_id)
    answer = client.post("/dashboard/login", data={"email": email, "password": PASSWORD})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return answer


def find_form(**overrides) -> dict:
    """Return a filled-in find-a-partner form."""
    return {
        "client_name": "Anna", "client_email": "anna@example.org", "client_phone": "+49 30 1234567",
        "client_country": "DE", "project_title": "Shop newsletter", "project_description": "Monthly newsletter.",
        "project_budget_amount": "800", "project_budget_currency": "EUR", "filters_service": "email-marketing",
    } | overrides


def direct_request(client, partner_id: int, **client_fields) -> tuple[int, str]:
    """Send a partner a direct request through the API; return the deal id and the client's link token."""
    from sqlalchemy import select

    from app.clock import now
    from app.models import Deal
    from app.services.links import client_token
    from tests.builders import request_body

    body = request_body(partner_id=partner_id)
    body["client"] |= client_fields
    del body["filters"]
    assert client.post("/api/v1/requests", json=body).status_code in (200, 201)
    deal = db.session.scalars(select(Deal).where(Deal.partner_id == partner_id).order_by(Deal.id.desc())).first()
    return deal.id, client_token(deal.client_id, now())


def text_of(answer) -> str:
    """Return a page's HTML."""
    return answer.get_data(as_text=True)
