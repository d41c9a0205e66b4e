"""Operator commands: demo data and partner tokens."""
import json

from sqlalchemy import func, select

from app.extensions import db
from app.models import Deal, Partner, Review, Service
from tests.builders import make_partner


def test_demo_load_fills_a_varied_catalogue_once(ctx):
    runner = ctx.test_cli_runner()
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["partners"] == 50 and summary["example_partner_token"].startswith("lp_")
    partners = db.session.scalars(select(Partner)).all()
    assert len(partners) == 50
    assert {p.type for p in partners} == {"agency", "freelancer"}
    assert {p.tier for p in partners} == {"bronze", "silver", "gold", "platinum"}
    assert len({p.country for p in partners}) >= 6 and len({p.primary_language for p in partners}) >= 5
    assert db.session.scalar(select(func.count()).select_from(Service)) >= 10
    assert db.session.scalar(select(func.count()).select_from(Review)) > 0
    assert db.session.scalar(select(func.count()).select_from(Deal).where(Deal.status == "new")) > 0
    again = runner.invoke(args=["demo", "load"])
    assert json.loads(again.output) == {"skipped": "partners exist already"}


def test_partner_tokens_are_issued_and_revoked(ctx, client, clock):
    partner = make_partner(clock.now)
    runner = ctx.test_cli_runner()
    token = runner.invoke(args=["partners", "token", str(partner.id)]).output.strip()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/deals", headers=headers).status_code == 200
    assert runner.invoke(args=["partners", "revoke", token]).output.strip() == "revoked"
    assert client.get("/api/v1/deals", headers=headers).status_code == 401
    assert runner.invoke(args=["partners", "revoke", token]).exit_code == 1
    assert runner.invoke(args=["partners", "token", "999"]).exit_code != 0
