"""The client's page: requests and deals, messages, alternatives after a follow-up, reviews, fresh links."""
import random
import re

from sqlalchemy import select

from app.extensions import db
from app.models import Client, Deal, Message, OutboxMessage, Review
from app.services import follow_ups
from app.services.links import client_token
from tests.builders import make_partner
from tests.web.conftest import direct_request, fill_in, text_of


def win(client, partner, deal_id: int) -> None:
    """Let the partner win a deal through the API."""
    answer = client.patch(f"/api/v1/deals/{deal_id}", json={"status": "won", "amount": "500"}, headers=partner.headers)
    assert answer.status_code == 200


def test_client_page_lists_requests_deals_and_messages(client, clock):
    partner = make_partner(clock.now, name="Nova")
    deal_id, token = direct_request(client, partner.id)
    client.post(f"/api/v1/deals/{deal_id}/messages", json={"body": "Hello Anna, let us talk."}, headers=partner.headers)
    page = client.get(f"/client/{token}")
    html = text_of(page)
    assert page.status_code == 200
    assert "Hello Anna, here are your requests" in html and "Shop newsletter" in html
    assert f'id="deal-{deal_id}"' in html and "Nova" in html and "Hello Anna, let us talk." in html
    assert 'class="badge new"' in html and f'id="review-{deal_id}"' not in html


def test_client_writes_to_the_partner(client, clock):
    partner = make_partner(clock.now)
    deal_id, token = direct_request(client, partner.id)
    answer = client.post(f"/client/{token}/deals/{deal_id}/messages", data={f"message-{deal_id}-body": "Any news?"})
    assert answer.status_code == 302 and answer.location.endswith(f"/client/{token}#deal-{deal_id}")
    assert db.session.scalar(select(Message.body).where(Message.origin == "client")) == "Any news?"
    assert "Your message was sent." in text_of(client.get(f"/client/{token}"))


def test_an_empty_message_is_refused_next_to_the_field(client, clock):
    partner = make_partner(clock.now)
    deal_id, token = direct_request(client, partner.id)
    answer = client.post(f"/client/{token}/deals/{deal_id}/messages", data={f"message-{deal_id}-body": ""})
    assert answer.status_code == 422
    assert re.search(rf'id="message-{deal_id}-body-error">\s*<li>This field is required.', text_of(answer))


def test_client_cannot_write_on_another_clients_deal(client, clock):
    partner = make_partner(clock.now)
    _, token = direct_request(client, partner.id)
    bobs_deal, _ = direct_request(client, partner.id, name="Bob", email="bob@example.org")
    answer = client.post(f"/client/{token}/deals/{bobs_deal}/messages", data={f"message-{bobs_deal}-body": "hi"})
    assert answer.status_code == 404 and "Page not found" in text_of(answer)
    assert db.session.scalar(select(Message.id).where(Message.origin == "client")) is None


def test_review_form_appears_for_a_won_deal_and_the_review_reaches_the_catalogue(client, clock):
    partner = make_partner(clock.now, name="Nova")
    deal_id, token = direct_request(client, partner.id)
    win(client, partner, deal_id)
    html = text_of(client.get(f"/client/{token}"))
    assert f'id="review-{deal_id}"' in html
    refused = client.post(f"/client/{token}/deals/{deal_id}/review", data={f"review-{deal_id}-text": "No stars"})
    assert refused.status_code == 422 and 'value="No stars"' not in text_of(refused)
    assert "No stars" in text_of(refused)
    answer = client.post(f"/client/{token}/deals/{deal_id}/review",
                         data={f"review-{deal_id}-rating": "5", f"review-{deal_id}-text": "Great newsletter"})
    assert answer.status_code == 302
    assert db.session.scalar(select(Review.rating)) == 5
    assert "You reviewed this work. Thank you!" in text_of(client.get(f"/client/{token}"))
    profile = text_of(client.get(f"/partners/{partner.id}"))
    assert "Great newsletter" in profile and "5 out of 5" in profile


def test_alternatives_after_a_follow_up_go_out_with_one_click(client, clock):
    first = make_partner(clock.now, name="Silent Partner")
    make_partner(clock.now, name="Quick Alternative")
    make_partner(clock.now, name="Other Alternative")
    _, token = direct_request(client, first.id)
    clock.advance(hours=73)
    follow_ups.sweep(clock.now, random.Random(1))
    html = text_of(client.get(f"/client/{token}"))
    assert "Nobody answered in time." in html and "Send my request to Quick Alternative" in html
    request_id = int(re.search(r'id="request-(\d+)"', html).group(1))
    offered = re.findall(r'name="partner_ids" value="(\d+)"', html)
    answer = client.post(f"/client/{token}/requests/{request_id}/alternatives", data={"partner_ids": offered[0]})
    assert answer.status_code == 302
    deals = db.session.scalars(select(Deal).order_by(Deal.id)).all()
    assert [deal.source for deal in deals] == ["direct", "alternative"]
    assert str(deals[1].partner_id) == offered[0]
    assert "Your request was sent to the partners you chose." in text_of(client.get(f"/client/{token}"))


def test_an_invalid_link_offers_a_fresh_one(client, clock):
    partner = make_partner(clock.now)
    _, token = direct_request(client, partner.id)
    page = client.get(f"/client/{token[:-3]}xyz")
    assert page.status_code == 401 and "This link is not valid any more" in text_of(page)
    for email in ("nobody@example.org", "anna@example.org"):
        answer = fill_in(client, clock, "/client-link", {"email": email})
        assert answer.status_code == 200 and "If we know this address" in text_of(answer)
    links = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.payload["template"].as_string() == "client_link")).all()
    assert [row.payload["to"] for row in links] == ["anna@example.org"]


def test_the_language_chosen_on_the_client_page_is_stored_for_emails(client, clock):
    partner = make_partner(clock.now)
    _, token = direct_request(client, partner.id)
    page = client.get(f"/client/{token}?lang=fa")
    assert 'lang="fa" dir="rtl"' in text_of(page)
    assert db.session.scalar(select(Client.language)) == "fa"


def matched_by_the_form(client, clock) -> str:
    """Send "find a partner" to two matching partners through the form; return the client's link token."""
    make_partner(clock.now, name="First Choice")
    make_partner(clock.now, name="Second Choice")
    fill_in(client, clock, "/find-a-partner", {
        "client_name": "Anna", "client_email": "anna@example.org", "project_title": "Shop newsletter",
        "filters_service": "email-marketing"})
    return client_token(db.session.scalar(select(Client.id)), clock.now)


def test_the_client_chooses_one_of_the_matched_partners(client, clock):
    token = matched_by_the_form(client, clock)
    html = text_of(client.get(f"/client/{token}"))
    assert html.count("Choose this partner") == 2
    request_id = int(re.search(r'id="request-(\d+)"', html).group(1))
    chosen = db.session.scalars(select(Deal).order_by(Deal.id)).first()
    answer = client.post(f"/client/{token}/requests/{request_id}/choice", data={"partner_id": chosen.partner_id})
    assert answer.status_code == 302
    statuses = {deal.partner_id: deal.status for deal in db.session.scalars(select(Deal))}
    assert statuses[chosen.partner_id] == "in_progress" and "lost" in statuses.values()
    assert "Your choice" in text_of(client.get(f"/client/{token}"))


def test_my_partners_lists_each_partner_with_orders_and_one_row_per_currency(client, clock):
    nova = make_partner(clock.now, name="Nova")
    quiet = make_partner(clock.now, name="Quiet Studio")
    first, token = direct_request(client, nova.id)
    win(client, nova, first)
    clock.advance(hours=25)
    second, _ = direct_request(client, nova.id)
    offer = client.post(f"/api/v1/deals/{second}/offers", json={
        "amount": {"amount": "200", "currency": "USD"}, "source": "direct"}, headers=nova.headers).get_json()
    client.post(f"/api/v1/offers/{offer['id']}/paid", headers=nova.headers)
    direct_request(client, quiet.id)
    html = text_of(client.get(f"/client/{token}"))
    rows = re.findall(r"<tr>\s*<td><a [^>]*>([^<]+)</a></td>\s*<td>(\d+)</td>\s*<td>([^<]+)</td>",
                      re.search(r'id="my-partners".*?</section>', html, re.S).group(0))
    assert sorted(rows) == [("Nova", "2", "$200.00"), ("Nova", "2", "€500.00"), ("Quiet Studio", "0", "—")]


def test_the_client_changes_their_choice_within_seven_days_and_not_after(client, clock):
    token = matched_by_the_form(client, clock)
    request_id = db.session.scalar(select(Deal.request_id))
    first, second = db.session.scalars(select(Deal).order_by(Deal.id)).all()
    client.post(f"/client/{token}/requests/{request_id}/choice", data={"partner_id": first.partner_id})
    html = text_of(client.get(f"/client/{token}"))
    assert html.count("Choose this partner") == 1 and "You can change your choice until:" in html
    clock.advance(days=6)
    client.post(f"/client/{token}/requests/{request_id}/choice", data={"partner_id": second.partner_id})
    statuses = {deal.id: (deal.status, deal.chosen_at is not None) for deal in db.session.scalars(select(Deal))}
    assert statuses == {first.id: ("lost", False), second.id: ("in_progress", True)}
    clock.advance(days=2)
    html = text_of(client.get(f"/client/{token}"))
    assert "Choose this partner" not in html and "You can change your choice until:" not in html
    client.post(f"/client/{token}/requests/{request_id}/choice", data={"partner_id": first.partner_id})
    assert "The choice can be changed only within 7 days." in text_of(client.get(f"/client/{token}"))
    assert db.session.get(Deal, first.id).status == "lost"
