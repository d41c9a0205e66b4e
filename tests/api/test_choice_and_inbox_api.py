"""The client's choice among the partners of a request, and the partners' prioritised inbox."""
import json
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Deal, Message, OutboxMessage
from app.services.links import client_token
from tests.builders import make_partner, request_body


def matched(client, clock, count: int = 3):
    """Make `count` partners and a matched request to them; return (partners by id, request id, token)."""
    partners = {built.id: built for built in (
        make_partner(clock.now, webhook_url="http://127.0.0.1:9/hook") for _ in range(count))}
    answer = client.post("/api/v1/requests", json=request_body())
    assert answer.status_code == 201
    request_id = answer.get_json()["id"]
    client_id = db.session.scalar(select(Deal.client_id).where(Deal.request_id == request_id))
    return partners, request_id, client_token(client_id, clock.now)


def statuses(request_id: int) -> dict[int, tuple[str, str | None]]:
    """Return partner id → (status, lost reason) of a request's deals."""
    deals = db.session.scalars(select(Deal).where(Deal.request_id == request_id))
    return {deal.partner_id: (deal.status, deal.lost_reason) for deal in deals}


def test_choosing_a_partner_closes_the_others(client, clock):
    partners, request_id, token = matched(client, clock)
    chosen, *others = sorted(partners)
    clock.advance(hours=30)
    answer = client.post(f"/api/v1/client/{token}/choice", json={"request_id": request_id, "partner_id": chosen})
    assert answer.status_code == 200 and answer.get_json()["partner_id"] == chosen
    assert statuses(request_id) == {chosen: ("in_progress", None)} | {
        other: ("lost", "client_chose_another_partner") for other in others}
    emails = [row.payload["template"] for row in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.channel == "email"))]
    assert emails.count("client_choice") == 3
    changes = [json.loads(row.payload["body"])["data"] for row in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.channel == "webhook"))
        if json.loads(row.payload["body"])["type"] == "deal.status_changed"]
    assert sorted((c["from_status"], c["to_status"]) for c in changes) == [
        ("new", "in_progress"), ("new", "lost"), ("new", "lost")]
    notes = db.session.scalars(select(Message.body).where(Message.origin == "system")).all()
    assert sorted(notes) == ["The client chose another partner for this request."] * 2 + [
        "The client chose you for this request."]
    page = client.get(f"/api/v1/client/{token}").get_json()
    assert [deal["chosen"] for deal in page["requests"][0]["deals"] if deal["partner"]["id"] == chosen] == [True]


def test_closing_by_choice_never_counts_against_responsiveness(client, clock):
    partners, request_id, token = matched(client, clock)
    chosen, *others = sorted(partners)
    clock.advance(hours=30)
    client.post(f"/api/v1/client/{token}/choice", json={"request_id": request_id, "partner_id": chosen})
    for other in others:
        figures = client.get("/api/v1/me/responsiveness", headers=partners[other].headers).get_json()
        assert figures["counted_requests"] == 0 and figures["response_rate"] is None
    chosen_figures = client.get("/api/v1/me/responsiveness", headers=partners[chosen].headers).get_json()
    assert chosen_figures["counted_requests"] == 1 and chosen_figures["response_rate"] == 0.0


def test_the_client_may_change_their_mind_within_7_days(client, clock):
    partners, request_id, token = matched(client, clock)
    first, second, third = sorted(partners)
    url = f"/api/v1/client/{token}/choice"
    client.post(url, json={"request_id": request_id, "partner_id": first})
    clock.advance(days=6)
    again = client.post(url, json={"request_id": request_id, "partner_id": second})
    assert again.status_code == 200
    assert statuses(request_id) == {first: ("lost", "client_chose_another_partner"), second: ("in_progress", None),
                                    third: ("lost", "client_chose_another_partner")}
    clock.advance(days=2)
    late = client.post(url, json={"request_id": request_id, "partner_id": third})
    assert late.status_code == 409


def test_choosing_a_partner_that_was_not_offered_is_422(client, clock):
    partners, request_id, token = matched(client, clock, count=2)
    stranger = make_partner(clock.now, services=["seo"])
    answer = client.post(f"/api/v1/client/{token}/choice", json={"request_id": request_id, "partner_id": stranger.id})
    assert answer.status_code == 422 and "partner_id" in answer.get_json()["error"]["fields"]
    missing = client.post(f"/api/v1/client/{token}/choice", json={"request_id": 999, "partner_id": stranger.id})
    assert missing.status_code == 404


def direct(client, partner, number: int, category: str = "general") -> int:
    """Send a partner a direct request; return the deal id."""
    body = request_body(partner_id=partner.id, category=category,
                        client={"name": f"C{number}", "email": f"c{number}@example.org"})
    del body["filters"]
    client.post("/api/v1/requests", json=body)
    return db.session.scalar(select(Deal.id).where(Deal.partner_id == partner.id).order_by(Deal.id.desc()))


def test_inbox_sorted_by_deadline_with_at_risk_flags_and_labels(client, clock):
    partner = make_partner(clock.now)
    start = clock.now
    refund = direct(client, partner, 1, "refund")  # due start + 48 h
    clock.now = start + timedelta(hours=2)
    general = direct(client, partner, 2)  # due start + 26 h
    clock.now = start + timedelta(hours=3)
    answered = direct(client, partner, 3)
    client.post(f"/api/v1/deals/{answered}/messages", json={"body": "Hi"}, headers=partner.headers)
    clock.now = start + timedelta(hours=21)  # general has 5 of its 24 hours left: at risk
    inbox = client.get("/api/v1/deals", query_string={"sort": "due"}, headers=partner.headers).get_json()
    assert [(d["id"], d["at_risk"]) for d in inbox["items"]] == [(general, True), (refund, False)]
    assert inbox["items"][0]["respond_by"].startswith("2026-03-03T11:00")
    labelled = client.patch(f"/api/v1/deals/{refund}", json={"labels": ["vip", "refund", "vip"]},
                            headers=partner.headers)
    assert labelled.status_code == 200 and labelled.get_json()["labels"] == ["refund", "vip"]
    vip = client.get("/api/v1/deals", query_string={"label": "vip"}, headers=partner.headers).get_json()
    assert [d["id"] for d in vip["items"]] == [refund]
    assert client.get("/api/v1/deals", query_string={"sort": "soon"}, headers=partner.headers).status_code == 422
