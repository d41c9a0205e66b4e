"""Partner CRM through the API: pipelines, the deal lifecycle, history and messages."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Deal, OutboxMessage, Partner
from notifications.rendering import rendered_payload
from tests.builders import make_partner, request_body
from tests.statements import sent_statements


@pytest.fixture
def partner(clock):
    """A partner that accepts direct requests."""
    return make_partner(clock.now, webhook_url="http://127.0.0.1:9/hook")


def direct_deal(client, partner_id: int, **client_fields) -> int:
    """Send a direct request to a partner and return the deal id."""
    body = request_body(partner_id=partner_id)
    body["client"] |= client_fields
    del body["filters"]
    answer = client.post("/api/v1/requests", json=body)
    assert answer.status_code == 201, answer.get_json()
    return db.session.scalar(select(func.max(Deal.id)).where(Deal.partner_id == partner_id))


def move(client, partner, deal_id, expected=200, **body):
    """PATCH a deal and return the JSON answer."""
    answer = client.patch(f"/api/v1/deals/{deal_id}", json=body, headers=partner.headers)
    assert answer.status_code == expected, answer.get_json()
    return answer.get_json()


def outbox_templates() -> list[str]:
    """Return the email templates queued so far."""
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email")
                              .order_by(OutboxMessage.id))
    return [row.payload["template"] for row in rows]


def test_pipelines_are_listed_created_renamed_and_reordered(client, partner):
    deal_id = direct_deal(client, partner.id)
    listed = client.get("/api/v1/pipelines", headers=partner.headers).get_json()
    assert [p["name"] for p in listed] == ["Catalogue leads"]
    created = client.post("/api/v1/pipelines", json={"name": "Upsell"}, headers=partner.headers)
    assert created.status_code == 201 and created.get_json()["position"] == 1
    upsell = created.get_json()["id"]
    renamed = client.patch(f"/api/v1/pipelines/{upsell}", json={"name": "Renewals", "position": 0},
                           headers=partner.headers)
    assert renamed.get_json() == {"id": upsell, "name": "Renewals", "position": 0}
    order = [p["name"] for p in client.get("/api/v1/pipelines", headers=partner.headers).get_json()]
    assert order == ["Catalogue leads", "Renewals"]
    client.patch(f"/api/v1/pipelines/{listed[0]['id']}", json={"position": 5}, headers=partner.headers)
    order = [p["name"] for p in client.get("/api/v1/pipelines", headers=partner.headers).get_json()]
    assert order == ["Renewals", "Catalogue leads"]
    newer = direct_deal(client, partner.id, email="newer@example.org")
    assert client.get(f"/api/v1/deals/{deal_id}", headers=partner.headers).get_json()["pipeline_id"] == listed[0]["id"]
    assert client.get(f"/api/v1/deals/{newer}", headers=partner.headers).get_json()["pipeline_id"] == upsell


def test_deal_lists_filter_by_status_and_pipeline(client, partner):
    first = direct_deal(client, partner.id)
    direct_deal(client, partner.id, email="other@example.org")
    move(client, partner, first, status="in_progress")
    page = client.get("/api/v1/deals", headers=partner.headers).get_json()
    assert page["total"] == 2
    only = client.get("/api/v1/deals", query_string={"status": "in_progress"}, headers=partner.headers).get_json()
    assert [d["id"] for d in only["items"]] == [first]
    assert only["items"][0]["client"]["email"] == "anna@example.org"
    bad = client.get("/api/v1/deals", query_string={"status": "done"}, headers=partner.headers)
    assert bad.status_code == 422


def test_deal_detail_has_client_project_history_and_messages(client, partner, clock):
    deal_id = direct_deal(client, partner.id)
    clock.advance(hours=2)
    move(client, partner, deal_id, status="in_progress")
    clock.advance(hours=3)
    client.post(f"/api/v1/deals/{deal_id}/messages", json={"body": "Hello Anna"}, headers=partner.headers)
    detail = client.get(f"/api/v1/deals/{deal_id}", headers=partner.headers).get_json()
    assert detail["client"]["phone"] == "+49 30 1234567"
    assert detail["project"]["budget"] == {"amount": "800.00", "currency": "EUR"}
    assert [(h["from"], h["to"], h["who"], h["previous_status_seconds"]) for h in detail["history"]] == [
        (None, "new", "system", None), ("new", "in_progress", "partner", 7200)]
    assert [(m["origin"], m["body"]) for m in detail["messages"]] == [("partner", "Hello Anna")]
    assert detail["allowed_statuses"] == ["won", "lost"]
    assert detail["first_response_at"].startswith("2026-03-02T11:00")


def test_a_move_reads_the_deal_and_its_partner_once_and_answers_from_what_it_wrote(client, partner):
    deal_id = direct_deal(client, partner.id)
    move(client, partner, deal_id, status="in_progress", labels=["vip", "refund", "vip"])
    with sent_statements(words=2) as sent:
        won = move(client, partner, deal_id, status="won", amount={"amount": "950.00"})
    assert sent.count("SELECT deals.id,") == 1  # the deal is read once, before the move, not again for the answer
    assert sent.count("SELECT partners.id,") == 1  # its new completed-projects count comes back from the UPDATE
    assert (won["status"], won["amount"], won["labels"]) == ("won", {"amount": "950.00", "currency": "EUR"},
                                                             ["refund", "vip"])
    assert [entry["to"] for entry in won["history"]] == ["new", "in_progress", "won"]
    assert won["client"]["email"] == "anna@example.org"
    assert db.session.get(Partner, partner.id).completed_projects == 1
    assert client.get(f"/api/v1/deals/{deal_id}", headers=partner.headers).get_json() == won


def test_a_message_is_answered_from_what_was_written(client, partner, clock):
    deal_id = direct_deal(client, partner.id)
    with sent_statements(words=2) as sent:
        answer = client.post(f"/api/v1/deals/{deal_id}/messages", json={"body": "Hello Anna"},
                             headers=partner.headers)
    assert answer.status_code == 201
    assert "SELECT messages.id," not in sent  # the message is not read back after the commit for the answer
    message = answer.get_json()
    assert (message["origin"], message["body"]) == ("partner", "Hello Anna")
    assert message["created_at"].startswith(clock.now.isoformat()[:16])
    detail = client.get(f"/api/v1/deals/{deal_id}", headers=partner.headers).get_json()
    assert detail["messages"] == [message]


def test_transitions_follow_the_rules(client, partner):
    deal_id = direct_deal(client, partner.id)
    refused = client.patch(f"/api/v1/deals/{deal_id}", json={"status": "new"}, headers=partner.headers)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["allowed"] == ["in_progress", "won", "lost"]
    assert "in_progress" in refused.get_json()["error"]["message"]
    no_reason = client.patch(f"/api/v1/deals/{deal_id}", json={"status": "lost"}, headers=partner.headers)
    assert no_reason.status_code == 422 and "lost_reason" in no_reason.get_json()["error"]["fields"]
    lost = move(client, partner, deal_id, status="lost", lost_reason="not_interested")
    assert lost["status"] == "lost" and lost["lost_reason"] == "not_interested"
    assert client.patch(f"/api/v1/deals/{deal_id}", json={"status": "won", "amount": "10"},
                        headers=partner.headers).status_code == 409
    reopened = move(client, partner, deal_id, status="in_progress")
    assert reopened["lost_reason"] is None


def test_won_needs_an_amount_and_asks_for_one_review_however_often_it_is_won(client, partner):
    deal_id = direct_deal(client, partner.id)
    missing = client.patch(f"/api/v1/deals/{deal_id}", json={"status": "won"}, headers=partner.headers)
    assert missing.status_code == 422 and "amount" in missing.get_json()["error"]["fields"]
    won = move(client, partner, deal_id, status="won", amount={"amount": "1500", "currency": "EUR"})
    assert won["amount"] == {"amount": "1500.00", "currency": "EUR"}
    assert db.session.get(Partner, partner.id).completed_projects == 1
    move(client, partner, deal_id, status="in_progress")
    assert db.session.get(Partner, partner.id).completed_projects == 0
    move(client, partner, deal_id, status="won")
    assert outbox_templates().count("review_request") == 1
    assert db.session.get(Partner, partner.id).completed_projects == 1


def test_amount_may_be_a_bare_decimal_in_the_budget_currency(client, partner):
    deal_id = direct_deal(client, partner.id)
    assert move(client, partner, deal_id, amount="950.5")["amount"] == {"amount": "950.50", "currency": "EUR"}
    bad = client.patch(f"/api/v1/deals/{deal_id}", json={"amount": {"amount": "1", "currency": "XYZ"}},
                       headers=partner.headers)
    assert bad.status_code == 422


def test_partner_message_is_emailed_to_the_client_with_their_link(client, partner):
    deal_id = direct_deal(client, partner.id)
    answer = client.post(f"/api/v1/deals/{deal_id}/messages", json={"body": "When can we talk?"},
                         headers=partner.headers)
    assert answer.status_code == 201 and answer.get_json()["origin"] == "partner"
    row = db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email")
                             .order_by(OutboxMessage.id.desc())).first()
    assert row.payload["template"] == "deal_message" and row.payload["to"] == "anna@example.org"
    text = rendered_payload(row.payload).text
    assert "When can we talk?" in text and "http://leads.test/client/" in text
    hooks = db.session.scalars(select(OutboxMessage.payload).where(OutboxMessage.channel == "webhook")).all()
    assert any('"message.created"' in hook["body"] for hook in hooks)
    empty = client.post(f"/api/v1/deals/{deal_id}/messages", json={"body": ""}, headers=partner.headers)
    assert empty.status_code == 422


def test_status_changes_send_signed_webhook_events(client, partner):
    deal_id = direct_deal(client, partner.id)
    move(client, partner, deal_id, status="in_progress")
    bodies = [row.payload["body"] for row in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.channel == "webhook").order_by(OutboxMessage.id))]
    assert ['"deal.created"' in bodies[0], '"deal.status_changed"' in bodies[1]] == [True, True]


def test_partner_routes_need_a_partner_token(client, admin_headers):
    assert client.get("/api/v1/deals").status_code == 401
    assert client.get("/api/v1/deals", headers=admin_headers).status_code == 403


def test_webhook_secret_rotation(client, partner, admin_headers):
    first = client.post("/api/v1/me/webhook-secret", headers=partner.headers)
    second = client.post("/api/v1/me/webhook-secret", headers=partner.headers)
    assert first.status_code == second.status_code == 201
    assert first.get_json()["webhook_secret"] != second.get_json()["webhook_secret"]
    assert second.get_json()["webhook_secret"].startswith("whsec_")
    client.patch(f"/api/v1/partners/{partner.id}", json={"webhook_url": None}, headers=admin_headers)
    assert client.post("/api/v1/me/webhook-secret", headers=partner.headers).status_code == 409
