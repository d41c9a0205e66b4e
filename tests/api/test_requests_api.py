"""Requests API: direct and matched intake into the partners' first pipelines."""
import json
from collections import Counter

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Deal, LeadRequest, Message, OutboxMessage, Partner, Pipeline
from notifications.rendering import rendered_payload
from tests.builders import make_partner, request_body


def post_request(client, body, expected=201):
    """Submit a request and return its JSON answer."""
    answer = client.post("/api/v1/requests", json=body)
    assert answer.status_code == expected, answer.get_json()
    return answer.get_json()


def deals_of(request_id: int) -> list[Deal]:
    """Return a request's deals."""
    return list(db.session.scalars(select(Deal).where(Deal.request_id == request_id).order_by(Deal.id)))


def outbox(template: str | None = None, channel: str = "email") -> list[OutboxMessage]:
    """Return queued notifications, optionally of one email template."""
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == channel)
                              .order_by(OutboxMessage.id)).all()
    return [row for row in rows if template is None or row.payload.get("template") == template]


def test_direct_request_opens_exactly_one_deal_for_that_partner(client, clock):
    partner = make_partner(clock.now)
    make_partner(clock.now)
    body = request_body(partner_id=partner.id)
    del body["filters"]
    answer = post_request(client, body)
    assert answer["mode"] == "direct" and answer["status"] == "matched"
    assert [p["id"] for p in answer["partners"]] == [partner.id]
    [deal] = deals_of(answer["id"])
    assert (deal.partner_id, deal.status, deal.title) == (partner.id, "new", "Shop newsletter")
    assert deal.client.email == "anna@example.org" and deal.client.phone == "+49 30 1234567"
    assert deal.budget == {"amount": "800.00", "currency": "EUR"}
    assert db.session.get(Pipeline, deal.pipeline_id).name == "Catalogue leads"


def test_direct_request_to_unknown_or_closed_partner(client, clock):
    closed = make_partner(clock.now, accepting_requests=False)
    body = request_body(partner_id=closed.id)
    del body["filters"]
    refused = client.post("/api/v1/requests", json=body)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "conflict"
    missing = client.post("/api/v1/requests", json=body | {"partner_id": 9999})
    assert missing.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(LeadRequest)) == 0


def test_matched_request_picks_three_distinct_partners_passing_every_filter(client, clock):
    fitting = {make_partner(clock.now, tier="gold").id for _ in range(4)}
    make_partner(clock.now, tier="bronze")
    make_partner(clock.now, tier="gold", country="AT")
    make_partner(clock.now, tier="gold", accepting_requests=False)
    body = request_body(filters={"service": "email-marketing", "country": "DE", "language": "de", "tier": "gold"})
    answer = post_request(client, body)
    chosen = [p["id"] for p in answer["partners"]]
    assert answer["status"] == "matched" and len(chosen) == len(set(chosen)) == 3
    assert set(chosen) <= fitting
    assert all(p["language_match"] == "primary" for p in answer["partners"])
    assert {deal.partner_id for deal in deals_of(answer["id"])} == set(chosen)


def test_fewer_than_three_qualify_gets_the_ones_that_do(client, clock):
    only = make_partner(clock.now, type="freelancer")
    make_partner(clock.now, type="agency")
    answer = post_request(client, request_body(filters={"service": "email-marketing", "type": "freelancer"}))
    assert [p["id"] for p in answer["partners"]] == [only.id]


def test_no_match_keeps_the_request_and_suggests_filters_to_drop(client, clock):
    make_partner(clock.now, country="AT", tier="gold")
    make_partner(clock.now, country="AT", tier="silver")
    make_partner(clock.now, country="DE", tier="bronze")
    body = request_body(filters={"service": "email-marketing", "country": "AT", "tier": "bronze"})
    answer = post_request(client, body)
    assert answer["status"] == "unmatched" and answer["partners"] == []
    assert answer["suggestions"] == [{"filter": "tier", "would_find": 2}, {"filter": "country", "would_find": 1}]
    assert db.session.get(LeadRequest, answer["id"]).status == "unmatched"
    [confirmation] = outbox("client_confirmation")
    assert confirmation.payload["to"] == "anna@example.org"


def test_partners_at_monthly_capacity_are_skipped(client, clock):
    full = make_partner(clock.now, monthly_capacity=1)
    others = {make_partner(clock.now).id for _ in range(3)}
    first = post_request(client, request_body())
    assert full.id in {p["id"] for p in first["partners"]} or len(others) == 3
    for number in range(3):
        body = request_body(client={"name": f"C{number}", "email": f"c{number}@example.org"})
        answer = post_request(client, body)
        counts = Counter(deal.partner_id for deal in db.session.scalars(select(Deal)))
        assert counts[full.id] <= 1, answer


def test_leads_rotate_among_partners_of_comparable_score(client, clock):
    partners = [make_partner(clock.now).id for _ in range(6)]
    for number in range(4):
        clock.advance(minutes=5)
        post_request(client, request_body(client={"name": f"C{number}", "email": f"c{number}@example.org"}))
    counts = Counter(deal.partner_id for deal in db.session.scalars(select(Deal)))
    assert sorted(counts[p] for p in partners) == [2, 2, 2, 2, 2, 2]


def test_a_client_sending_the_same_request_twice_at_once_gets_the_first_one_back(client, clock):
    for _ in range(3):
        make_partner(clock.now)
    first = post_request(client, request_body())  # a new client: no earlier request to look for
    second = post_request(client, request_body(), expected=200)  # same instant: the client is known now
    assert second["id"] == first["id"]
    assert db.session.scalar(select(func.count()).select_from(LeadRequest)) == 1


def test_same_client_and_service_within_a_day_answers_the_existing_request(client, clock):
    for _ in range(5):
        make_partner(clock.now)
    first = post_request(client, request_body())
    clock.advance(hours=23)
    again = request_body(project={"title": "Still need it", "description": "Any news?"})
    second = post_request(client, again, expected=200)
    assert second["id"] == first["id"]
    assert [p["id"] for p in second["partners"]] == [p["id"] for p in first["partners"]]
    assert db.session.scalar(select(func.count()).select_from(Deal)) == 3
    texts = db.session.scalars(select(Message.body).where(Message.origin == "client")).all()
    assert texts == ["Still need it\n\nAny news?"] * 3
    clock.advance(hours=2)
    third = post_request(client, again)
    assert third["id"] != first["id"]


def test_deal_goes_to_the_lowest_positioned_pipeline_and_stays_there(client, clock):
    partner = make_partner(clock.now)
    db.session.add_all([Pipeline(partner_id=partner.id, name="Later", position=5),
                        Pipeline(partner_id=partner.id, name="Sales", position=1)])
    db.session.commit()
    body = request_body(partner_id=partner.id)
    del body["filters"]
    [deal] = deals_of(post_request(client, body)["id"])
    assert db.session.get(Pipeline, deal.pipeline_id).name == "Sales"
    later = db.session.scalar(select(Pipeline).where(Pipeline.name == "Later"))
    later.position = 0
    db.session.commit()
    assert db.session.get(Deal, deal.id).pipeline_id != later.id


def test_emails_and_webhooks_are_queued_with_the_request(client, clock):
    quiet = make_partner(clock.now, notify_new_deals=False, webhook_url="http://127.0.0.1:9/hook")
    loud = make_partner(clock.now)
    answer = post_request(client, request_body())
    assert {p["id"] for p in answer["partners"]} == {quiet.id, loud.id}
    [confirmation] = outbox("client_confirmation")
    assert "http://leads.test/client/" in rendered_payload(confirmation.payload).text
    assert rendered_payload(confirmation.payload).subject
    new_deal_mails = outbox("partner_new_deal")
    assert [row.partner_id for row in new_deal_mails] == [loud.id]
    [hook] = outbox(channel="webhook")
    assert hook.partner_id == quiet.id and '"deal.created"' in hook.payload["body"]


def test_client_email_is_in_the_clients_language(client, clock):
    make_partner(clock.now)
    post_request(client, request_body(client={"name": "Анна", "email": "anna@example.ru", "language": "ru"}))
    [confirmation] = outbox("client_confirmation")
    assert any("\u0400" <= char <= "\u04ff" for char in rendered_payload(confirmation.payload).subject)


def test_admin_sees_why_each_partner_was_chosen(client, clock, admin_headers):
    make_partner(clock.now)
    answer = post_request(client, request_body(filters={"service": "email-marketing", "language": "de"}))
    detail = client.get(f"/api/v1/requests/{answer['id']}", headers=admin_headers)
    assert detail.status_code == 200
    [chosen] = detail.get_json()["partners"]
    assert chosen["reason"]["filters"] == {"service": "email-marketing", "language": "de"}
    assert chosen["reason"]["language_match"] == "primary"
    assert "score" in chosen["reason"] and chosen["reason"]["summary"]
    assert client.get(f"/api/v1/requests/{answer['id']}").status_code == 401
    assert client.get("/api/v1/requests/999", headers=admin_headers).status_code == 404


def test_malformed_json_is_400(client):
    answer = client.post("/api/v1/requests", data="{not json", content_type="application/json")
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "bad_request"


def test_body_over_64_kib_is_413(client):
    answer = client.post("/api/v1/requests", data="x" * (65 * 1024), content_type="application/json")
    assert answer.status_code == 413
    assert answer.get_json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize("change, field", [
    (lambda b: b.pop("client"), "client"),
    (lambda b: b["client"].update(email="anna@"), "client.email"),
    (lambda b: b["client"].update(language="xx"), "client.language"),
    (lambda b: b["project"].update(description="x" * 10_001), "project.description"),
    (lambda b: b["project"].update(budget={"amount": "12", "currency": "EUX"}), "project.budget.currency"),
    (lambda b: b["project"].update(budget={"amount": "-5", "currency": "EUR"}), "project.budget.amount"),
    (lambda b: b.update(partner_id=1), "partner_id"),
    (lambda b: b.pop("filters"), "filters"),
    (lambda b: b["filters"].update(service="no-such-service"), "filters.service"),
    (lambda b: b["filters"].update(country="XX"), "filters.country"),
    (lambda b: b.update(unexpected=True), "unexpected"),
])
def test_invalid_requests_are_422_and_store_nothing(client, clock, change, field):
    make_partner(clock.now)
    body = request_body()
    change(body)
    answer = client.post("/api/v1/requests", json=body)
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["error"]["fields"]
    assert db.session.scalar(select(func.count()).select_from(LeadRequest)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_failure_while_fanning_out_rolls_everything_back(ctx, client, clock, monkeypatch):
    from app.services import notices

    monkeypatch.setitem(ctx.config, "PROPAGATE_EXCEPTIONS", False)
    for _ in range(3):
        make_partner(clock.now)
    calls = []

    def fail_on_second(deal, now):
        calls.append(deal.id)
        if len(calls) == 2:
            raise RuntimeError("mail template exploded")

    monkeypatch.setattr(notices, "deal_created", fail_on_second)
    answer = client.post("/api/v1/requests", json=request_body())
    assert answer.status_code == 500
    assert answer.get_json()["error"]["message"]
    for model in (LeadRequest, Deal, OutboxMessage, Message):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0
    assert all(p.last_assigned_at is None for p in db.session.scalars(select(Partner)))


@pytest.mark.parametrize("text", ["nul\x00byte", "lone \udc8d surrogate"])
def test_text_a_database_cannot_store_is_422(client, clock, text):
    make_partner(clock.now)
    body = request_body()
    body["client"]["name"] = text
    answer = client.post("/api/v1/requests", data=json.dumps(body), content_type="application/json")
    assert answer.status_code == 422
    assert "client.name" in answer.get_json()["error"]["fields"]
    assert client.get("/api/v1/partners", query_string={"q": "a\x00b"}).status_code == 422


def test_absurd_ids_are_404_not_errors(client):
    assert client.get("/api/v1/partners/9223372036854775808").status_code == 404
    body = request_body(partner_id=2**40)
    del body["filters"]
    assert client.post("/api/v1/requests", json=body).status_code == 422
