"""The partner's tools: quick responses, business hours, pipelines, settings and the responsiveness figures."""
import re

from sqlalchemy import func, select

from app.extensions import db
from app.models import Deal, Offer, Partner, Pipeline, QuickResponse
from tests.builders import make_partner
from tests.web.conftest import direct_request, sign_in, text_of


def signed_in_partner(client, clock, **fields):
    """Create a partner and sign it in."""
    partner = make_partner(clock.now, email="nova@example.com", **fields)
    sign_in(client, partner.id, "nova@example.com")
    return partner


def test_quick_responses_are_added_checked_edited_and_deleted(client, clock):
    signed_in_partner(client, clock)
    assert client.post("/dashboard/templates", data={"name": "Thanks", "body": "Hi {client_name}"}).status_code == 302
    refused = client.post("/dashboard/templates", data={"name": "Broken", "body": "Hi {nobody}"})
    assert refused.status_code == 422 and 'value="Broken"' in text_of(refused)
    assert re.search(r'id="body-error">\s*<li>Unknown placeholder \{nobody\}', text_of(refused))
    template = db.session.scalar(select(QuickResponse))
    assert f'href="/dashboard/templates/{template.id}"' in text_of(client.get("/dashboard/templates"))
    edited = client.post(f"/dashboard/templates/{template.id}", data={"name": "Thanks", "body": "Hello {client_name}"})
    assert edited.status_code == 302
    db.session.refresh(template)
    assert template.body == "Hello {client_name}"
    client.post(f"/dashboard/templates/{template.id}/delete")
    assert db.session.scalar(select(QuickResponse)) is None


def test_another_partners_quick_response_is_not_found(client, clock):
    other = make_partner(clock.now)
    client.post("/api/v1/templates", json={"name": "Theirs", "body": "Hi"}, headers=other.headers)
    signed_in_partner(client, clock)
    theirs = db.session.scalar(select(QuickResponse.id))
    assert client.get(f"/dashboard/templates/{theirs}").status_code == 404
    assert client.post(f"/dashboard/templates/{theirs}/delete").status_code == 404
    assert db.session.scalar(select(QuickResponse.id)) == theirs


def test_business_hours_and_away_message_are_saved(client, clock):
    partner = signed_in_partner(client, clock)
    form = {"enabled": "y", "message": "We are away.", "hours_monday": "09:00-13:00, 14:00-18:00",
            "hours_friday": "10:00-12:00"}
    assert client.post("/dashboard/hours", data=form).status_code == 302
    settings = db.session.get(Partner, partner.id).auto_reply
    assert settings["enabled"] is True and settings["message"] == "We are away."
    assert settings["hours"]["monday"] == [{"start": "09:00", "end": "13:00"}, {"start": "14:00", "end": "18:00"}]
    page = text_of(client.get("/dashboard/hours"))
    assert 'value="09:00-13:00, 14:00-18:00"' in page and "Monday" in page and "Europe/Berlin" in page


def test_malformed_hours_are_shown_next_to_their_day(client, clock):
    signed_in_partner(client, clock)
    refused = client.post("/dashboard/hours", data={"hours_tuesday": "nine to five"})
    assert refused.status_code == 422 and 'value="nine to five"' in text_of(refused)
    assert re.search(r'id="hours_tuesday-error">\s*<li>Write the hours like', text_of(refused))
    refused = client.post("/dashboard/hours", data={"hours_tuesday": "9-17"})
    assert re.search(r'id="hours_tuesday-error">\s*<li>Use HH:MM.', text_of(refused))
    refused = client.post("/dashboard/hours", data={"enabled": "y", "message": ""})
    assert re.search(r'id="message-error">\s*<li>An enabled auto-reply needs a message.', text_of(refused))


def test_pipelines_are_added_renamed_and_the_first_receives_new_deals(client, clock):
    partner = signed_in_partner(client, clock)
    assert client.post("/dashboard/pipelines", data={"name": "Website leads", "position": "0"}).status_code == 302
    client.post("/dashboard/pipelines", data={"name": "Later"})
    pipelines = db.session.scalars(select(Pipeline).order_by(Pipeline.position)).all()
    assert [p.name for p in pipelines] == ["Website leads", "Later"]
    page = text_of(client.get("/dashboard/pipelines"))
    assert "Receives catalogue requests" in page
    prefix = f"pipeline-{pipelines[0].id}"
    renamed = client.post(f"/dashboard/pipelines/{pipelines[0].id}",
                          data={f"{prefix}-name": "Catalogue", f"{prefix}-position": "0"})
    assert renamed.status_code == 302
    db.session.refresh(pipelines[0])
    assert pipelines[0].name == "Catalogue"
    refused = client.post("/dashboard/pipelines", data={"name": ""})
    assert refused.status_code == 422 and 'id="name-error"' in text_of(refused)
    direct_request(client, partner.id)
    board = text_of(client.get(f"/dashboard?pipeline={pipelines[0].id}"))
    assert "Shop newsletter" in board
    assert "Shop newsletter" not in text_of(client.get(f"/dashboard?pipeline={pipelines[1].id}"))


def test_settings_change_notifications_webhook_and_language(client, clock):
    partner = signed_in_partner(client, clock)
    page = text_of(client.get("/dashboard/settings"))
    assert re.search(r'<input checked id="notify_new_deals"|id="notify_new_deals"[^>]*checked', page)
    answer = client.post("/dashboard/settings", data={
        "accepting_requests": "y", "webhook_url": "https://hooks.example.com/leads", "ui_language": "ru"})
    assert answer.status_code == 302
    saved = db.session.get(Partner, partner.id)
    assert (saved.notify_new_deals, saved.accepting_requests) == (False, True)
    assert saved.webhook_url == "https://hooks.example.com/leads" and saved.ui_language == "ru"
    assert saved.webhook_secret.startswith("whsec_")
    assert saved.webhook_secret in text_of(client.get("/dashboard/settings"))
    refused = client.post("/dashboard/settings", data={"webhook_url": "not a url", "ui_language": "en"})
    assert refused.status_code == 422 and 'value="not a url"' in text_of(refused)
    assert 'id="webhook_url-error"' in text_of(refused)


def test_password_change_is_checked_and_keeps_this_session(client, clock):
    signed_in_partner(client, clock)
    refused = client.post("/dashboard/password", data={"password": "short", "confirm": "short"})
    assert refused.status_code == 422 and re.search(r'id="password-error">\s*<li>Use at least 10', text_of(refused))
    mismatch = client.post("/dashboard/password", data={"password": "long enough one", "confirm": "other"})
    assert mismatch.status_code == 422 and 'id="confirm-error"' in text_of(mismatch)
    changed = client.post("/dashboard/password", data={"password": "long enough one", "confirm": "long enough one"})
    assert changed.status_code == 302 and client.get("/dashboard").status_code == 200
    client.post("/dashboard/logout")
    assert client.post("/dashboard/login", data={"email": "nova@example.com", "password": "long enough one"}
                       ).status_code == 302


def test_responsiveness_shows_the_figures_and_the_requests_behind_them(client, clock):
    partner = signed_in_partner(client, clock)
    deal_id, _ = direct_request(client, partner.id)
    clock.advance(hours=2)
    client.post(f"/api/v1/deals/{deal_id}/messages", json={"body": "Hello"}, headers=partner.headers)
    page = text_of(client.get("/dashboard/responsiveness"))
    assert "Over the last 60 days." in page
    assert f'href="/dashboard/deals/{deal_id}">#{deal_id}</a>' in page
    assert "2 h" in page


def test_contacts_are_listed_sorted_and_opened(client, clock):
    partner = signed_in_partner(client, clock)
    first, _ = direct_request(client, partner.id, name="Zoe", email="zoe@example.org")
    direct_request(client, partner.id, name="Adam", email="adam@example.org")
    client.patch(f"/api/v1/deals/{first}", json={"status": "won", "amount": "700"}, headers=partner.headers)
    by_orders = text_of(client.get("/dashboard/contacts?sort=orders&order=desc"))
    assert by_orders.index("Zoe") < by_orders.index("Adam") and 'aria-sort="descending"' in by_orders
    by_name = text_of(client.get("/dashboard/contacts?sort=name&order=asc"))
    assert by_name.index("Adam") < by_name.index("Zoe")
    zoe = db.session.scalar(select(Deal.client_id).where(Deal.id == first))
    timeline = text_of(client.get(f"/dashboard/contacts/{zoe}"))
    assert "zoe@example.org" in timeline and "Shop newsletter" in timeline and "€700.00" in timeline


def test_another_partners_client_is_not_a_contact(client, clock):
    other = make_partner(clock.now)
    deal_id, _ = direct_request(client, other.id)
    signed_in_partner(client, clock)
    stranger = db.session.scalar(select(Deal.client_id).where(Deal.id == deal_id))
    assert client.get(f"/dashboard/contacts/{stranger}").status_code == 404
    assert "anna@example.org" not in text_of(client.get("/dashboard/contacts"))


def test_offers_are_made_on_the_deal_page_and_paying_wins_the_deal(client, clock):
    partner = signed_in_partner(client, clock)
    deal_id, token = direct_request(client, partner.id)
    offer = {"amount": "-5", "currency": "EUR", "source": "direct"}
    refused = client.post(f"/dashboard/deals/{deal_id}/offers", data=offer)
    assert refused.status_code == 422 and 'value="-5"' in text_of(refused) and 'id="amount-error"' in text_of(refused)
    made = client.post(f"/dashboard/deals/{deal_id}/offers", data={
        "amount": "650", "currency": "EUR", "description": "Design and first send", "source": "direct"})
    assert made.status_code == 302
    offer = db.session.scalar(select(Offer))
    client_page = text_of(client.get(f"/client/{token}"))
    assert "Design and first send" in client_page and "Accept this offer" in client_page
    assert client.post(f"/client/{token}/offers/{offer.id}/accept").status_code == 302
    assert "Accepted, waiting for payment" in text_of(client.get(f"/client/{token}"))
    assert client.post(f"/dashboard/offers/{offer.id}/paid").status_code == 302
    assert db.session.get(Deal, deal_id).status == "won"


def past_client(client, clock):
    """Sign a partner in with one won deal; return the partner and that client's id."""
    partner = signed_in_partner(client, clock)
    deal_id, _ = direct_request(client, partner.id)
    client.patch(f"/api/v1/deals/{deal_id}", json={"status": "won", "amount": "700"}, headers=partner.headers)
    return partner, db.session.scalar(select(Deal.client_id).where(Deal.id == deal_id))


def test_a_past_client_is_reconnected_by_message_and_by_offer(client, clock):
    _, client_id = past_client(client, clock)
    page = text_of(client.get(f"/dashboard/contacts/{client_id}"))
    assert "Send a message" in page and "Send an offer" in page and "You can start 20 such conversations" in page
    refused = client.post(f"/dashboard/contacts/{client_id}/messages", data={"body": ""})
    assert refused.status_code == 422 and 'id="body-error"' in text_of(refused)
    sent = client.post(f"/dashboard/contacts/{client_id}/messages", data={"body": "Shall we plan the spring issue?"})
    message_deal = db.session.scalars(select(Deal).order_by(Deal.id.desc())).first()
    assert sent.status_code == 302 and sent.location.endswith(f"/dashboard/deals/{message_deal.id}#messages")
    assert (message_deal.source, message_deal.status, message_deal.client_id) == ("reconnect", "new", client_id)
    refused = client.post(f"/dashboard/contacts/{client_id}/offers", data={"amount": "abc", "currency": "EUR"})
    assert refused.status_code == 422 and 'value="abc"' in text_of(refused) and 'id="amount-error"' in text_of(refused)
    offered = client.post(f"/dashboard/contacts/{client_id}/offers",
                          data={"amount": "300", "currency": "EUR", "description": "Spring issue"})
    offer = db.session.scalar(select(Offer))
    assert offered.status_code == 302 and offered.location.endswith(f"/dashboard/deals/{offer.deal_id}#offers")
    assert (str(offer.amount), offer.currency, offer.source) == ("300.00", "EUR", "direct")
    assert "A new deal was opened" in text_of(client.get(f"/dashboard/deals/{offer.deal_id}"))


def test_the_daily_reconnection_cap_is_shown_next_to_the_form(client, clock, ctx, monkeypatch):
    monkeypatch.setitem(ctx.config, "RECONNECT_DAILY_CAP", 1)
    _, client_id = past_client(client, clock)
    assert client.post(f"/dashboard/contacts/{client_id}/messages", data={"body": "First"}).status_code == 302
    capped = client.post(f"/dashboard/contacts/{client_id}/offers", data={"amount": "300", "currency": "EUR"})
    assert capped.status_code == 429 and 'value="300"' in text_of(capped)
    assert "You have reached today&#39;s limit of conversations with past clients." in text_of(capped)
    assert "You can start the next one in 14 hours." in text_of(capped)  # at midnight in Berlin
    assert db.session.scalar(select(func.count()).select_from(Deal).where(Deal.source == "reconnect")) == 1


def test_a_stranger_cannot_be_reconnected(client, clock):
    other = make_partner(clock.now)
    deal_id, _ = direct_request(client, other.id)
    signed_in_partner(client, clock)
    stranger = db.session.scalar(select(Deal.client_id).where(Deal.id == deal_id))
    assert client.post(f"/dashboard/contacts/{stranger}/messages", data={"body": "Hi"}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Deal)) == 1


def test_the_webhook_secret_is_rotated_and_the_new_one_shown_once(client, clock):
    partner = signed_in_partner(client, clock)
    assert 'id="rotate-secret"' not in text_of(client.get("/dashboard/settings"))
    refused = client.post("/dashboard/webhook-secret")
    assert refused.status_code == 422 and "Set a webhook URL first." in text_of(refused)
    client.post("/dashboard/settings", data={"webhook_url": "https://hooks.example.com/leads", "ui_language": "en"})
    old_secret = db.session.get(Partner, partner.id).webhook_secret
    assert 'id="rotate-secret"' in text_of(client.get("/dashboard/settings"))
    rotated = client.post("/dashboard/webhook-secret")
    new_secret = db.session.get(Partner, partner.id).webhook_secret
    assert rotated.status_code == 200 and new_secret != old_secret and new_secret.startswith("whsec_")
    assert re.search(rf'id="new-secret">.*{re.escape(new_secret)}', text_of(rotated), re.S)
    assert 'id="new-secret"' not in text_of(client.get("/dashboard/settings"))
