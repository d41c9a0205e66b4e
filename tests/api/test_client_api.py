"""The client's side through the API: signed links, messages and reviews."""

from sqlalchemy import select

from app.extensions import db
from app.models import Deal, OutboxMessage
from app.services.links import client_token
from notifications.rendering import rendered_payload
from tests.builders import make_partner, request_body


def client_with_deal(client, clock, partner):
    """Send a direct request; return (token, deal id)."""
    body = request_body(partner_id=partner.id)
    del body["filters"]
    assert client.post("/api/v1/requests", json=body).status_code == 201
    deal = db.session.scalars(select(Deal).order_by(Deal.id.desc())).first()
    return client_token(deal.client_id, clock.now), deal.id


def win(client, partner, deal_id):
    """Let the partner win a deal."""
    answer = client.patch(f"/api/v1/deals/{deal_id}", json={"status": "won", "amount": "500"},
                          headers=partner.headers)
    assert answer.status_code == 200, answer.get_json()


def test_client_page_lists_requests_with_partner_and_status(client, clock):
    partner = make_partner(clock.now, name="Nova")
    token, deal_id = client_with_deal(client, clock, partner)
    page = client.get(f"/api/v1/client/{token}")
    assert page.status_code == 200
    [request] = page.get_json()["requests"]
    [deal] = request["deals"]
    assert (deal["id"], deal["partner"]["name"], deal["status"], deal["can_review"]) == (deal_id, "Nova", "new", False)
    assert page.get_json()["client"]["email"] == "anna@example.org"


def test_tampered_and_expired_links_are_401(client, clock):
    partner = make_partner(clock.now)
    token, _ = client_with_deal(client, clock, partner)
    tampered = client.get(f"/api/v1/client/{token[:-2]}xx")
    assert tampered.status_code == 401
    assert tampered.get_json()["error"]["code"] == "unauthorized"
    clock.advance(days=90)
    assert client.get(f"/api/v1/client/{token}").status_code == 200  # signed with the app's clock: 90 days hold
    clock.advance(seconds=1)
    expired = client.get(f"/api/v1/client/{token}")
    assert expired.status_code == 401 and "expired" in expired.get_json()["error"]["message"]


def test_link_request_answers_202_for_any_email_and_mails_only_known_clients(client, clock):
    partner = make_partner(clock.now)
    client_with_deal(client, clock, partner)
    before = db.session.scalar(select(db.func.count()).select_from(OutboxMessage))
    for email in ("nobody@example.org", "not an email", "ANNA@example.org"):
        answer = client.post("/api/v1/client-links", json={"email": email})
        assert answer.status_code == 202 and answer.get_json() == {"status": "accepted"}
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()[before:]
    assert [(row.payload["template"], row.payload["to"]) for row in rows] == [("client_link", "anna@example.org")]


def test_client_message_reaches_the_partner(client, clock):
    partner = make_partner(clock.now)
    token, deal_id = client_with_deal(client, clock, partner)
    answer = client.post(f"/api/v1/client/{token}/messages", json={"deal_id": deal_id, "body": "Any update?"})
    assert answer.status_code == 201 and answer.get_json()["origin"] == "client"
    row = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert row.payload["template"] == "client_message" and "Any update?" in rendered_payload(row.payload).text
    assert db.session.get(Deal, deal_id).first_response_at is None


def test_client_cannot_touch_another_clients_deal(client, clock):
    partner = make_partner(clock.now)
    token, _ = client_with_deal(client, clock, partner)
    body = request_body(partner_id=partner.id, client={"name": "Bob", "email": "bob@example.org"})
    del body["filters"]
    client.post("/api/v1/requests", json=body)
    bobs = db.session.scalars(select(Deal).order_by(Deal.id.desc())).first()
    assert client.post(f"/api/v1/client/{token}/messages", json={"deal_id": bobs.id, "body": "hi"}).status_code == 404
    assert client.post(f"/api/v1/client/{token}/reviews",
                       json={"deal_id": bobs.id, "rating": 5}).status_code == 404


def test_review_only_for_a_won_deal_and_only_once(client, clock):
    partner = make_partner(clock.now)
    token, deal_id = client_with_deal(client, clock, partner)
    early = client.post(f"/api/v1/client/{token}/reviews", json={"deal_id": deal_id, "rating": 5, "text": "Great"})
    assert early.status_code == 409
    win(client, partner, deal_id)
    for rating in (0, 6, "5"):
        bad = client.post(f"/api/v1/client/{token}/reviews", json={"deal_id": deal_id, "rating": rating})
        assert bad.status_code == 422
    review = client.post(f"/api/v1/client/{token}/reviews", json={"deal_id": deal_id, "rating": 4, "text": "Good"})
    assert review.status_code == 201 and review.get_json()["rating"] == 4
    again = client.post(f"/api/v1/client/{token}/reviews", json={"deal_id": deal_id, "rating": 5})
    assert again.status_code == 409
    profile = client.get(f"/api/v1/partners/{partner.id}").get_json()
    assert (profile["rating"], profile["reviews_count"], profile["completed_projects"]) == (4.0, 1, 1)


def test_the_whole_flow_changes_the_catalogue_order(client, clock):
    """Request, partner reply, client answer, won, review: the partner climbs the catalogue."""
    leader = make_partner(clock.now, name="Leader")
    climber = make_partner(clock.now, name="Climber")
    names = [p["name"] for p in client.get("/api/v1/partners").get_json()["items"]]
    assert names == ["Leader", "Climber"]
    body = request_body(partner_id=climber.id)
    del body["filters"]
    request_id = client.post("/api/v1/requests", json=body).get_json()["id"]
    deal_id = db.session.scalar(select(Deal.id).where(Deal.request_id == request_id))
    token = client_token(db.session.get(Deal, deal_id).client_id, clock.now)
    clock.advance(hours=1)
    reply = client.post(f"/api/v1/deals/{deal_id}/messages", json={"body": "Happy to help!"},
                        headers=climber.headers)
    assert reply.status_code == 201
    clock.advance(hours=1)
    assert client.post(f"/api/v1/client/{token}/messages",
                       json={"deal_id": deal_id, "body": "Great, let's start"}).status_code == 201
    assert client.patch(f"/api/v1/deals/{deal_id}", json={"status": "in_progress"},
                        headers=climber.headers).status_code == 200
    clock.advance(days=10)
    win(client, climber, deal_id)
    page = client.get(f"/api/v1/client/{token}").get_json()
    assert page["requests"][0]["deals"][0]["can_review"] is True
    assert client.post(f"/api/v1/client/{token}/reviews",
                       json={"deal_id": deal_id, "rating": 5, "text": "Superb"}).status_code == 201
    names = [p["name"] for p in client.get("/api/v1/partners").get_json()["items"]]
    assert names == ["Climber", "Leader"]
    detail = client.get(f"/api/v1/deals/{deal_id}", headers=climber.headers).get_json()
    assert [m["origin"] for m in detail["messages"]] == ["partner", "client"]
    assert [h["to"] for h in detail["history"]] == ["new", "in_progress", "won"]
    assert leader.id != climber.id
