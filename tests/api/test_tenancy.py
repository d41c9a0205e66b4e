"""Every partner route answers 404 for another partner's ids, and changes nothing of theirs."""
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Deal, DealStatusChange, Message, Offer, OutboxMessage, Pipeline, QuickResponse
from tests.builders import make_partner, request_body

NOT_PARTNER_SCOPED = {
    ("GET", "/api/v1/partners/<int:partner_id>"),  # public profile
    ("PATCH", "/api/v1/partners/<int:partner_id>"),  # admin or the partner itself: 403 for others
    ("GET", "/api/v1/requests/<int:request_id>"),  # admin only
}
VALID_BODIES = {
    ("PATCH", "/api/v1/deals/<int:deal_id>"): {"status": "in_progress"},
    ("POST", "/api/v1/deals/<int:deal_id>/messages"): {"body": "hello"},
    ("PATCH", "/api/v1/pipelines/<int:pipeline_id>"): {"name": "Mine now", "position": 0},
    ("POST", "/api/v1/deals/<int:deal_id>/spam"): {},
    ("PATCH", "/api/v1/templates/<int:template_id>"): {"name": "Mine now", "body": "Hi {client_name}"},
    ("POST", "/api/v1/contacts/<int:client_id>/messages"): {"body": "Remember me?"},
    ("POST", "/api/v1/contacts/<int:client_id>/offers"): {"amount": {"amount": "10.00", "currency": "EUR"}},
    ("POST", "/api/v1/deals/<int:deal_id>/offers"): {"amount": {"amount": "10.00", "currency": "EUR"}},
    ("POST", "/api/v1/offers/<int:offer_id>/paid"): {},
}


def id_routes(app) -> list[tuple[str, str]]:
    """Return (method, rule) of every API route that takes an integer id (client-link routes are tested apart)."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and "<int:" in rule.rule and "<token>" not in rule.rule:
            routes += [(method, rule.rule) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return routes


def snapshot() -> dict:
    """Count what a foreign request could change."""
    models = (Deal, DealStatusChange, Message, Offer, OutboxMessage, Pipeline, QuickResponse)
    counts = {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in models}
    counts["statuses"] = sorted(db.session.scalars(select(Deal.status)))
    counts["pipelines"] = sorted(db.session.scalars(select(Pipeline.name)))
    counts["templates"] = sorted(db.session.scalars(select(QuickResponse.name)))
    counts["paid"] = sorted(str(value) for value in db.session.scalars(select(Offer.paid_at)))
    counts["spam"] = sorted(str(value) for value in db.session.scalars(select(Deal.spam_marked_at)))
    return counts


@pytest.fixture
def two_partners(client, clock):
    """Partner A, and partner B with a deal, a pipeline and a message."""
    a, b = make_partner(clock.now), make_partner(clock.now)
    body = request_body(partner_id=b.id)
    del body["filters"]
    assert client.post("/api/v1/requests", json=body).status_code == 201
    deal = db.session.scalar(select(Deal).where(Deal.partner_id == b.id))
    client.post(f"/api/v1/deals/{deal.id}/messages", json={"body": "B's secret"}, headers=b.headers)
    template = client.post("/api/v1/templates", json={"name": "B's secret", "body": "secret"}, headers=b.headers)
    offer = client.post(f"/api/v1/deals/{deal.id}/offers", headers=b.headers,
                        json={"amount": {"amount": "99.00", "currency": "EUR"}, "description": "B's secret"})
    return a, b, {"deal_id": deal.id, "pipeline_id": deal.pipeline_id, "client_id": deal.client_id,
                  "template_id": template.get_json()["id"], "offer_id": offer.get_json()["id"]}


def test_every_partner_route_hides_another_partners_rows(ctx, client, two_partners):
    a, b, b_ids = two_partners
    before = snapshot()
    checked = 0
    for method, rule in id_routes(ctx):
        if (method, rule) in NOT_PARTNER_SCOPED:
            continue
        names = re.findall(r"<int:(\w+)>", rule)
        assert all(name in b_ids for name in names), f"add an id for {rule} to this test"
        url = re.sub(r"<int:(\w+)>", lambda match: str(b_ids[match.group(1)]), rule)
        body = VALID_BODIES.get((method, rule)) if method in {"POST", "PATCH", "PUT"} else None
        assert method == "GET" or method == "DELETE" or body is not None, f"add a valid body for {method} {rule}"
        answer = client.open(url, method=method, json=body, headers=a.headers)
        assert answer.status_code == 404, (method, rule, answer.get_json())
        assert "secret" not in answer.get_data(as_text=True)
        checked += 1
    assert checked >= 14
    assert snapshot() == before


def test_lists_show_only_the_partners_own_rows(client, two_partners):
    a, b, _ = two_partners
    assert client.get("/api/v1/deals", headers=a.headers).get_json()["total"] == 0
    assert client.get("/api/v1/pipelines", headers=a.headers).get_json() == []
    assert client.get("/api/v1/templates", headers=a.headers).get_json() == []
    assert client.get("/api/v1/contacts", headers=a.headers).get_json()["total"] == 0
    assert client.get("/api/v1/deals", headers=b.headers).get_json()["total"] == 1
    filtered = client.get("/api/v1/deals", query_string={"pipeline_id": two_partners[2]["pipeline_id"]},
                          headers=a.headers)
    assert filtered.status_code == 404


def test_a_revoked_token_no_longer_works(ctx, client, clock):
    from app.services.tokens import revoke_token

    partner = make_partner(clock.now)
    assert client.get("/api/v1/deals", headers=partner.headers).status_code == 200
    assert revoke_token(partner.token, clock.now)
    db.session.commit()
    assert client.get("/api/v1/deals", headers=partner.headers).status_code == 401


def test_cli_issues_a_working_token(ctx, client, clock):
    partner = make_partner(clock.now)
    result = ctx.test_cli_runner().invoke(args=["partners", "token", str(partner.id)])
    assert result.exit_code == 0
    token = result.output.strip()
    assert client.get("/api/v1/deals", headers={"Authorization": f"Bearer {token}"}).status_code == 200
