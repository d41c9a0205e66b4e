"""The sweep picks alternatives set-wise, batch by batch, yet request by request exactly as intake.read_pool would.

The catalogue makes read_pool page: the first partners in selection order have no capacity left, so pools run
past one page, and into the secondary speakers of the language.
"""
import random
from datetime import timedelta

import pytest
from sqlalchemy import exists, select, update

from app.extensions import db
from app.models import LeadRequest, Partner, partner_services
from app.services import catalogue, follow_ups, intake
from matching import SearchFilters, select_partners
from tests.builders import make_partner
from tests.integration.test_follow_ups import direct_request, matched_request

SEED = 5


def build_catalogue(now) -> list[int]:
    """Create German SEO partners (most of them full), English ones speaking German, and a few others."""
    full = [make_partner(now, services=["seo"], monthly_capacity=0).id for _ in range(53)]
    room = [make_partner(now, services=["seo", "email-marketing"], monthly_capacity=5).id for _ in range(2)]
    english = [make_partner(now, services=["seo"], primary_language="en", secondary_languages=["de"]).id
               for _ in range(4)]
    make_partner(now, services=["seo"], country="FR", primary_language="fr", secondary_languages=[])
    make_partner(now, services=["email-marketing"], accepting_requests=False)
    for number, partner_id in enumerate(full[::3] + english[:2]):
        db.session.execute(update(Partner).where(Partner.id == partner_id).values(
            last_assigned_at=now - timedelta(days=number)))
    db.session.commit()
    return full + room + english


def reference_picks(request: LeadRequest, now, rng: random.Random) -> list[int]:
    """Pick as the sweep did before it worked set-wise: the pool pages of the request's own query."""
    contacted = [deal.partner_id for deal in intake.request_deals(request.id)]
    if request.mode == "matched":
        filters = SearchFilters(**request.filters)
        stmt = catalogue.filtered(filters)
    else:
        partner = db.session.get(Partner, request.direct_partner_id)
        filters = SearchFilters(country=partner.country, language=partner.primary_language)
        stmt = catalogue.filtered(filters).where(exists().where(
            partner_services.c.partner_id == Partner.id,
            partner_services.c.service_id.in_([service.id for service in partner.services])))
    stmt = stmt.where(Partner.id.not_in(contacted))
    pool = intake.read_pool(intake.pool_statements(stmt, filters.language or None), intake.capacity_since(now))
    return [pick.partner_id for pick in select_partners(pool, filters, rng)]


@pytest.mark.parametrize("batch", [3, 500])
def test_set_wise_picks_equal_the_pool_pages_request_by_request(ctx, clock, batch):
    partners = build_catalogue(clock.now)
    for number, partner_id in enumerate([partners[0], partners[0], partners[54], partners[57], partners[20]]):
        direct_request(partner_id, clock.now, email=f"direct{number}@example.org")
    for number, filters in enumerate([{"service": "seo", "language": "de"}, {"service": "seo", "language": "de"},
                                      {"service": "email-marketing"}, {"service": "seo", "country": "DE"}]):
        matched_request(clock.now, email=f"matched{number}@example.org", **filters)
    due = clock.now + timedelta(hours=72)
    rng = random.Random(SEED)
    requests = db.session.scalars(select(LeadRequest).order_by(LeadRequest.id)).all()
    expected = {request.id: reference_picks(request, due, rng) for request in requests}
    assert sum(len(picks) == 3 for picks in expected.values()) >= 6, "the catalogue should offer three mostly"

    follow_ups.sweep(due, random.Random(SEED), batch=batch)

    db.session.expire_all()
    assert {request.id: db.session.get(LeadRequest, request.id).alternatives for request in requests} == expected
