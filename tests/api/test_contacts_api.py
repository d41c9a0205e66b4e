"""My Contacts and offers through the API, against a hand-computed example."""
import hashlib
import hmac
import json

import pytest
from sqlalchemy import select

from app.clock import now
from app.extensions import db
from app.models import Deal
from app.services.links import client_token
from tests.builders import make_partner, request_body


def open_deal(client, partner, name: str, title: str = "Project") -> int:
    """A client sends the partner a direct request; return the deal id."""
    body = request_body(partner_id=partner.id, client={"name": name, "email": f"{name.lower()}@example.org"},
                        project={"title": title, "description": ""})
    del body["filters"]
    assert client.post("/api/v1/requests", json=body).status_code == 201
    return db.session.scalar(select(Deal.id).where(Deal.partner_id == partner.id).order_by(Deal.id.desc()))


def offer(client, partner, deal_id: int, amount: str, currency: str = "EUR", source: str = "direct") -> int:
    """Make an offer on a deal; return its id."""
    answer = client.post(f"/api/v1/deals/{deal_id}/offers", headers=partner.headers, json={
        "amount": {"amount": amount, "currency": currency}, "description": "Work", "source": source})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def pay(client, partner, offer_id: int, expected: int = 200):
    """Record a payment as the partner."""
    answer = client.post(f"/api/v1/offers/{offer_id}/paid", headers=partner.headers)
    assert answer.status_code == expected, answer.get_json()
    return answer.get_json()


def win(client, partner, deal_id: int, amount: str, currency: str = "EUR") -> None:
    """Win a deal with an amount."""
    answer = client.patch(f"/api/v1/deals/{deal_id}", headers=partner.headers,
                          json={"status": "won", "amount": {"amount": amount, "currency": currency}})
    assert answer.status_code == 200, answer.get_json()


@pytest.fixture
def book(client, clock):
    """A partner with four clients (hand-computed figures in the test below)."""
    partner = make_partner(clock.now)
    anna_first = open_deal(client, partner, "Anna", "Newsletter")
    clock.advance(days=1)
    pay(client, partner, offer(client, partner, anna_first, "300.00"))  # paid offer: counts, deal won
    offer(client, partner, anna_first, "999.00")  # unpaid: counts nowhere
    clock.advance(days=1)
    anna_second = open_deal(client, partner, "Anna", "Landing page")
    clock.advance(days=1)
    win(client, partner, anna_second, "500.00")  # won without offers: the won amount counts
    bob_first = open_deal(client, partner, "Bob", "Chatbot")
    clock.advance(days=1)
    win(client, partner, bob_first, "100.00", "USD")
    clock.advance(days=2)
    bob_second = open_deal(client, partner, "Bob", "CRM")
    clock.advance(days=1)
    pay(client, partner, offer(client, partner, bob_second, "50.00"))
    open_deal(client, partner, "Cara", "Ads")
    dan = open_deal(client, partner, "Dan", "SEO")
    client.patch(f"/api/v1/deals/{dan}", headers=partner.headers, json={"status": "lost", "lost_reason": "budget"})
    return partner


def contact_rows(client, partner, **query) -> list[tuple]:
    """Return (name, orders, amount, currency) per contact row."""
    answer = client.get("/api/v1/contacts", headers=partner.headers, query_string=query)
    assert answer.status_code == 200, answer.get_json()
    return [(row["name"], row["completed_orders"], (row["amount_spent"] or {}).get("amount"),
             (row["amount_spent"] or {}).get("currency")) for row in answer.get_json()["items"]]


def test_contacts_figures_match_the_hand_computed_example(client, book):
    assert contact_rows(client, book, sort="name", order="asc") == [
        ("Anna", 2, "800.00", "EUR"), ("Bob", 2, "50.00", "EUR"), ("Bob", 2, "100.00", "USD"),
        ("Cara", 0, None, None), ("Dan", 0, None, None)]


def test_contacts_sort_every_way_and_paginate(client, book):
    assert [r[0] for r in contact_rows(client, book, sort="amount", order="desc")] == [
        "Anna", "Bob", "Bob", "Cara", "Dan"]
    assert [r[2] for r in contact_rows(client, book, sort="amount", order="asc")][:3] == ["50.00", "100.00", "800.00"]
    by_orders = [r[0] for r in contact_rows(client, book, sort="orders", order="asc")]
    assert by_orders == ["Cara", "Dan", "Anna", "Bob", "Bob"]
    latest = client.get("/api/v1/contacts", headers=book.headers, query_string={"sort": "last_order"}).get_json()
    assert [row["name"] for row in latest["items"]][:3] == ["Bob", "Bob", "Anna"]
    page = client.get("/api/v1/contacts", headers=book.headers,
                      query_string={"sort": "name", "order": "asc", "per_page": 2, "page": 2}).get_json()
    assert (page["total"], [row["name"] for row in page["items"]]) == (5, ["Bob", "Cara"])
    past_the_end = client.get("/api/v1/contacts", headers=book.headers, query_string={"per_page": 2, "page": 9})
    assert (past_the_end.get_json()["total"], past_the_end.get_json()["items"]) == (5, [])
    assert client.get("/api/v1/contacts", headers=book.headers, query_string={"sort": "size"}).status_code == 422


def test_contact_timeline_merges_deals_messages_and_offers(client, book):
    anna = client.get("/api/v1/contacts", headers=book.headers, query_string={"sort": "name", "order": "asc"})
    anna_id = anna.get_json()["items"][0]["client_id"]
    timeline = client.get(f"/api/v1/contacts/{anna_id}", headers=book.headers).get_json()
    kinds = [event["kind"] for event in timeline["events"]]
    assert kinds.count("deal") == 2 and kinds.count("offer") == 2
    assert [event["at"] for event in timeline["events"]] == sorted(event["at"] for event in timeline["events"])
    assert timeline["figures"] == [{"client_id": anna_id, "name": "Anna", "email": "anna@example.org",
                                    "completed_orders": 2, "amount_spent": {"amount": "800.00", "currency": "EUR"},
                                    "last_order_at": timeline["figures"][0]["last_order_at"]}]


def test_reconnecting_opens_a_new_deal_within_a_daily_cap(ctx, client, book, monkeypatch):
    monkeypatch.setitem(ctx.config, "RECONNECT_DAILY_CAP", 2)
    rows = client.get("/api/v1/contacts", headers=book.headers, query_string={"sort": "name", "order": "asc"})
    anna_id = rows.get_json()["items"][0]["client_id"]
    by_message = client.post(f"/api/v1/contacts/{anna_id}/messages", json={"body": "New ideas for you"},
                             headers=book.headers)
    assert by_message.status_code == 201
    by_offer = client.post(f"/api/v1/contacts/{anna_id}/offers", headers=book.headers,
                           json={"amount": {"amount": "200.00", "currency": "EUR"}, "description": "Autumn campaign"})
    assert by_offer.status_code == 201 and by_offer.get_json()["offer"]["amount"]["amount"] == "200.00"
    deal = db.session.get(Deal, by_message.get_json()["deal_id"])
    assert (deal.source, deal.status, deal.request_id) == ("reconnect", "new", None)
    capped = client.post(f"/api/v1/contacts/{anna_id}/messages", json={"body": "One more"}, headers=book.headers)
    assert capped.status_code == 429 and int(capped.headers["Retry-After"]) > 0
    assert capped.get_json()["error"]["code"] == "rate_limited"
    assert client.post("/api/v1/contacts/99999/messages", json={"body": "x"}, headers=book.headers).status_code == 404


def test_client_sees_and_accepts_offers_and_paying_wins_the_deal(client, clock):
    partner = make_partner(clock.now)
    deal_id = open_deal(client, partner, "Erin")
    offer_id = offer(client, partner, deal_id, "750.00")
    token = client_token(db.session.get(Deal, deal_id).client_id, clock.now)
    [shown] = client.get(f"/api/v1/client/{token}").get_json()["requests"][0]["deals"][0]["offers"]
    assert shown["amount"] == {"amount": "750.00", "currency": "EUR"} and shown["paid_at"] is None
    accepted = client.post(f"/api/v1/client/{token}/offers/{offer_id}/accept")
    assert accepted.status_code == 200 and accepted.get_json()["accepted_at"]
    paid = pay(client, partner, offer_id)
    assert paid["paid_via"] == "partner"
    detail = client.get(f"/api/v1/deals/{deal_id}", headers=partner.headers).get_json()
    assert detail["status"] == "won" and detail["amount"] == {"amount": "750.00", "currency": "EUR"}
    assert pay(client, partner, offer_id, expected=409)["error"]["code"] == "conflict"


def test_a_signed_payment_provider_callback_records_payment(ctx, client, clock, monkeypatch):
    monkeypatch.setitem(ctx.config, "PAYMENT_WEBHOOK_SECRET", "provider-secret")
    partner = make_partner(clock.now)
    offer_id = offer(client, partner, open_deal(client, partner, "Finn"), "120.00")
    body = json.dumps({"offer_id": offer_id, "status": "paid"}).encode()
    forged = client.post(f"/api/v1/offers/{offer_id}/paid", data=body, content_type="application/json",
                         headers={"X-Payment-Signature": "sha256=" + "0" * 64})
    assert forged.status_code == 401
    signature = hmac.new(b"provider-secret", body, hashlib.sha256).hexdigest()
    paid = client.post(f"/api/v1/offers/{offer_id}/paid", data=body, content_type="application/json",
                       headers={"X-Payment-Signature": f"sha256={signature}"})
    assert paid.status_code == 200 and paid.get_json()["paid_via"] == "provider"


def test_invalid_offers_are_422(client, clock):
    partner = make_partner(clock.now)
    deal_id = open_deal(client, partner, "Gus")
    for body in ({"amount": {"amount": "-1", "currency": "EUR"}}, {"amount": {"amount": "5", "currency": "ZZZ"}},
                 {"amount": {"amount": "5", "currency": "EUR"}, "source": "cash"}, {}):
        assert client.post(f"/api/v1/deals/{deal_id}/offers", json=body, headers=partner.headers).status_code == 422


def test_the_client_sees_my_partners_with_the_same_figures(client, book):
    anna = client.get("/api/v1/contacts", headers=book.headers, query_string={"sort": "name", "order": "asc"})
    anna_id = anna.get_json()["items"][0]["client_id"]
    deal_id = db.session.scalar(select(Deal.id).where(Deal.client_id == anna_id))
    page = client.get(f"/api/v1/client/{client_token(anna_id, now())}").get_json()
    [partner] = page["my_partners"]
    assert (partner["partner_id"], partner["completed_orders"], partner["amount_spent"]) == (
        book.id, 2, {"amount": "800.00", "currency": "EUR"})
    assert partner["last_order_at"] == anna.get_json()["items"][0]["last_order_at"]
    assert deal_id
