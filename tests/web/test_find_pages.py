"""The find-a-partner form: matching, errors next to fields, suggestions, bot traps, rate limits and CSRF."""
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db, limiter
from app.models import Client, Deal, LeadRequest, OutboxMessage
from notifications.rendering import rendered_payload
from tests.builders import make_partner
from tests.web.conftest import fill_in, find_form, hidden_value, text_of


def count(model) -> int:
    """Count the rows of a table."""
    return db.session.scalar(select(func.count()).select_from(model))


def test_matched_request_shows_the_chosen_partners_and_emails_the_client(client, clock):
    make_partner(clock.now, name="Mail Masters")
    make_partner(clock.now, name="Inbox Heroes")
    make_partner(clock.now, name="Seo Only", services=["seo"])
    answer = fill_in(client, clock, "/find-a-partner", find_form())
    html = text_of(answer)
    assert answer.status_code == 200
    assert "Mail Masters" in html and "Inbox Heroes" in html and "Seo Only" not in html
    assert count(Deal) == 2
    [email] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.payload["template"].as_string()
                                                              == "client_confirmation")).all()
    assert email.payload["to"] == "anna@example.org"


def test_the_page_language_becomes_the_clients_language(client, clock):
    make_partner(clock.now)
    client.get("/find-a-partner?lang=ru")
    answer = fill_in(client, clock, "/find-a-partner", find_form())
    assert answer.status_code == 200 and 'lang="ru"' in text_of(answer)
    assert db.session.scalar(select(Client.language)) == "ru"
    confirmation = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()[-1]
    assert re.search("[а-яА-Я]", rendered_payload(confirmation.payload).subject)


def test_errors_are_shown_next_to_their_fields_and_the_input_is_kept(client, clock):
    make_partner(clock.now)
    answer = fill_in(client, clock, "/find-a-partner", find_form(
        client_email="not-an-email", project_budget_amount="lots", filters_service="", project_title="Keep me"))
    html = text_of(answer)
    assert answer.status_code == 422
    for field in ("client_email", "filters_service"):
        assert re.search(rf'<ul class="errors" id="{field}-error">\s*<li>', html), field
        assert re.search(rf'aria-describedby="[^"]*{field}-error"', html), field
    assert 'value="Keep me"' in html and 'value="not-an-email"' in html
    answer = fill_in(client, clock, "/find-a-partner", find_form(project_budget_amount="lots"))
    assert answer.status_code == 422
    assert re.search(r'id="project_budget_amount-error">\s*<li>Not a valid number.</li>', text_of(answer))
    assert 'value="lots"' in text_of(answer)
    assert count(LeadRequest) == 0


def test_a_filled_honeypot_gets_a_normal_success_and_nothing_is_stored(client, clock):
    make_partner(clock.now)
    answer = fill_in(client, clock, "/find-a-partner", find_form(website="http://spam.example"))
    assert answer.status_code == 200 and "Thank you! Your request is on its way." in text_of(answer)
    assert (count(LeadRequest), count(Client), count(Deal), count(OutboxMessage)) == (0, 0, 0, 0)


@pytest.mark.parametrize("wait_seconds", [0, 2])
def test_a_form_sent_too_fast_gets_the_same_fake_success(client, clock, wait_seconds):
    make_partner(clock.now)
    answer = fill_in(client, clock, "/find-a-partner", find_form(), wait_seconds=wait_seconds)
    assert answer.status_code == 200 and "Thank you! Your request is on its way." in text_of(answer)
    assert (count(LeadRequest), count(OutboxMessage)) == (0, 0)


def test_a_missing_or_forged_start_stamp_counts_as_a_bot(client, clock):
    make_partner(clock.now)
    for stamp in ("", "forged.stamp"):
        answer = client.post("/find-a-partner", data=find_form(started=stamp))
        assert "Thank you! Your request is on its way." in text_of(answer)
    assert count(LeadRequest) == 0


def test_unmatched_request_offers_one_click_retries_without_a_filter(client, clock):
    make_partner(clock.now, name="French Mail", country="FR", primary_language="fr", secondary_languages=[])
    answer = fill_in(client, clock, "/find-a-partner", find_form(filters_country="DE"))
    html = text_of(answer)
    assert "No partner matches all your filters yet" in html
    assert "Send it without the country filter (1 partner)" in html
    token = hidden_value(html, "token")
    retried = client.post("/find-a-partner/retry", data={"token": token, "filter": "country"})
    assert retried.status_code == 200 and "French Mail" in text_of(retried)
    [deal] = db.session.scalars(select(Deal)).all()
    assert deal.partner.name == "French Mail"
    assert [r.status for r in db.session.scalars(select(LeadRequest).order_by(LeadRequest.id))] == [
        "unmatched", "matched"]
    again = client.post("/find-a-partner/retry", data={"token": token, "filter": "country"})
    assert again.status_code == 409 and count(Deal) == 1
    assert client.post("/find-a-partner/retry", data={"token": "forged", "filter": "country"}).status_code == 404


def test_the_catalogue_prefills_the_find_form(client, clock):
    make_partner(clock.now)
    html = text_of(client.get("/find-a-partner?filters_service=email-marketing&filters_country=DE"))
    assert re.search(r'<option selected value="email-marketing">|<option value="email-marketing" selected>', html)


def test_csrf_protects_the_public_forms(client, clock, page_settings):
    make_partner(clock.now)
    page_settings.config["WTF_CSRF_ENABLED"] = True
    page = text_of(client.get("/find-a-partner"))
    clock.advance(seconds=10)
    data = find_form(started=hidden_value(page, "started"))
    refused = client.post("/find-a-partner", data=data)
    assert refused.status_code == 400 and "This form has expired" in text_of(refused)
    assert count(LeadRequest) == 0
    accepted = client.post("/find-a-partner", data=data | {"csrf_token": hidden_value(page, "csrf_token")})
    assert accepted.status_code == 200 and count(LeadRequest) == 1
    assert client.post("/api/v1/requests", json={}).status_code == 422


@pytest.fixture
def limited_app(database_url, clock):
    """Build an app with rate limits on (3 posts an hour per IP, 1 per email); switch them off afterwards."""
    from app import create_app
    from tests.conftest import base_config

    app = create_app(base_config(database_url) | {
        "RATELIMIT_ENABLED": True, "WEB_LIMIT_PER_IP": "3 per hour", "WEB_LIMIT_PER_EMAIL": "1 per hour",
        "WTF_CSRF_ENABLED": False, "CLOCK": clock})
    yield app
    limiter.reset()
    limiter.enabled = False


def test_public_forms_are_rate_limited_per_ip_and_per_email(ctx, limited_app, clock):
    browser = limited_app.test_client()
    first = browser.post("/find-a-partner", data=find_form(client_email="one@example.org"))
    same_email = browser.post("/find-a-partner", data=find_form(client_email="one@example.org"))
    assert first.status_code == 200 and same_email.status_code == 429
    assert "Too many attempts" in text_of(same_email) and same_email.mimetype == "text/html"
    assert browser.post("/client-link", data={"email": "two@example.org"}).status_code != 429
    assert browser.post("/find-a-partner", data=find_form(client_email="three@example.org")).status_code == 200
    assert browser.post("/find-a-partner", data=find_form(client_email="four@example.org")).status_code == 429
    assert browser.get("/find-a-partner").status_code == 200
