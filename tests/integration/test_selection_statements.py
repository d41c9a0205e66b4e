"""Find-a-partner selection reads its pool in one statement per page: fresh values, language groups, capacity."""
import random
from datetime import timedelta

import pytest
from sqlalchemy import text

from app.extensions import db
from app.models import Partner
from app.services import catalogue, intake
from app.services.errors import Invalid
from app.services.intake import submit_request
from matching import SearchFilters
from tests.builders import make_partner
from tests.statements import sent_statements


def picked(now, **filters) -> list[int]:
    """Return the partner ids pick_partners chooses for email-marketing and the given filters."""
    chosen = intake.pick_partners(SearchFilters(service="email-marketing", **filters), now, random.Random(1))
    return [pick.partner_id for pick in chosen]


def request(now, client: str, **target) -> None:
    """Submit and commit a request from the client named: to `partner_id`, or matched by `filters` (email-marketing)."""
    data = {"client": {"name": client, "email": f"{client}@example.org", "language": "en"},
            "project": {"title": "Newsletter", "description": ""}, "category": "general"}
    submit_request(data | (target or {"filters": {"service": "email-marketing"}}), now, random.Random(1))
    db.session.commit()


def rank_higher(partner_id: int) -> None:
    """Give a partner a track record that puts it in a better score band."""
    partner = db.session.get(Partner, partner_id)
    partner.completed_projects, partner.reviews_count, partner.rating_sum = 40, 20, 96
    catalogue.refresh_ranking(partner)
    db.session.commit()


def test_filters_of_the_same_shape_bind_their_own_values(ctx, clock):
    german = {make_partner(clock.now).id for _ in range(3)}
    austrian = {make_partner(clock.now, country="AT").id for _ in range(3)}
    assert set(picked(clock.now, country="DE")) == german
    assert set(picked(clock.now, country="AT")) == austrian
    assert picked(clock.now, country="FR") == []


def test_primary_speakers_come_first_then_secondary_ones(ctx, clock):
    natives = {make_partner(clock.now, country="GB", primary_language="en", secondary_languages=[]).id
               for _ in range(2)}
    secondary = {make_partner(clock.now).id for _ in range(2)}  # German, English as a second language
    french = make_partner(clock.now, secondary_languages=["fr"]).id
    chosen = intake.pick_partners(SearchFilters(service="email-marketing", language="en"), clock.now,
                                  random.Random(1))
    assert {pick.partner_id for pick in chosen[:2]} == natives and chosen[2].partner_id in secondary
    assert [pick.reason["language_match"] for pick in chosen] == ["primary", "primary", "secondary"]
    assert picked(clock.now, language="fr") == [french]


def test_pages_run_past_partners_at_capacity(ctx, clock, monkeypatch):
    full = [make_partner(clock.now, monthly_capacity=1).id for _ in range(4)]
    request(clock.now, "c0")
    request(clock.now, "c1")  # three, then the fourth: all four are at capacity now
    for partner_id in full:
        rank_higher(partner_id)  # first in selection order, two pages of them
    fresh = {make_partner(clock.now).id for _ in range(3)}
    monkeypatch.setattr(intake, "POOL_SIZE", 2)
    assert set(picked(clock.now)) == fresh


def test_only_recent_catalogue_leads_count_against_capacity(ctx, clock):
    old_lead = make_partner(clock.now, country="AT", monthly_capacity=1).id
    request(clock.now, "c0", filters={"service": "email-marketing", "country": "AT"})
    clock.advance(days=30, seconds=1)
    direct_only = make_partner(clock.now, country="FR", primary_language="fr", monthly_capacity=1).id
    request(clock.now, "c1", partner_id=direct_only)
    recent_lead = make_partner(clock.now, country="PL", primary_language="pl", monthly_capacity=1).id
    request(clock.now - timedelta(days=1), "c2", filters={"service": "email-marketing", "country": "PL"})
    assert set(picked(clock.now)) == {old_lead, direct_only}
    assert picked(clock.now, country="PL") == [] and recent_lead not in picked(clock.now)


def test_an_unknown_service_is_refused_not_unmatched(ctx, clock):
    make_partner(clock.now)
    with pytest.raises(Invalid) as refused:
        intake.pick_partners(SearchFilters(service="no-such-service"), clock.now, random.Random(1))
    assert "filters.service" in refused.value.fields


def test_pool_pages_are_planned_for_their_values_on_postgresql(ctx, clock):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    make_partner(clock.now, country="AT")
    connection = db.session.connection().connection.dbapi_connection  # one transaction: one connection
    threshold, connection.prepare_threshold = connection.prepare_threshold, 0  # psycopg: prepare at once
    try:
        submit_request({"client": {"name": "Ann", "email": "ann@example.org"}, "project": {"title": "Mails"},
                        "filters": {"service": "email-marketing", "country": "AT"}}, clock.now, random.Random(1))
        prepared = db.session.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()
    finally:
        connection.prepare_threshold = threshold
        db.session.rollback()
    assert any(statement.startswith("INSERT INTO deal_status_changes") for statement in prepared)
    assert not any("ORDER BY partners.ranking_band DESC" in statement for statement in prepared)  # pool pages


def test_a_matched_submission_writes_each_kind_of_row_with_one_statement(ctx, clock):
    partners = [make_partner(clock.now).id for _ in range(3)]
    with sent_statements() as sent:
        result = submit_request({"client": {"name": "Ann", "email": "ann@example.org"}, "project": {"title": "Mails"},
                                 "filters": {"service": "email-marketing"}}, clock.now, random.Random(1))
    assert sorted(partner.id for partner in result.partners) == sorted(partners)
    earlier = [] if db.engine.dialect.name == "postgresql" else ["SELECT lead_requests.id FROM"]  # a recent
    # request of the same client? PostgreSQL tells that the client is new, so has none
    assert sent == ["INSERT INTO clients", *earlier, "SELECT partners.id, partners.ranking_score,",  # the pool page
                    "INSERT INTO lead_requests", "SELECT partners.id, partners.name,",  # the partners, locked, with
                    "INSERT INTO pipelines",  # their first pipelines, the missing ones created
                    "INSERT INTO deals", "INSERT INTO deal_status_changes", "UPDATE partners SET",
                    "INSERT INTO outbox"]  # three partners' emails and the client's


def test_postgresql_sessions_price_random_reads_as_a_catalogue_in_memory(ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL planner setting")
    assert db.session.execute(text("SHOW random_page_cost")).scalar() == "1.1"
    indexes = db.session.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"),
                                 {"name": "ix_partners_country_language_selection"}).scalar()
    assert "(country, primary_language, ranking_band DESC, last_assigned_at NULLS FIRST, id)" in indexes


def test_an_unmatched_submission_locks_no_partner_and_opens_no_deal(ctx, clock):
    make_partner(clock.now)  # offers email-marketing in Germany
    with sent_statements() as sent:
        result = submit_request({"client": {"name": "Ann", "email": "ann@example.org"}, "project": {"title": "Mails"},
                                 "filters": {"service": "email-marketing", "country": "FR"}}, clock.now,
                                random.Random(1))
    assert result.partners == [] and result.request.status == "unmatched"
    assert not any(statement.startswith(("SELECT partners.id, partners.name,", "INSERT INTO deals", "UPDATE partners"))
                   for statement in sent)
    assert sent[-1] == "INSERT INTO outbox"  # the client's confirmation, with the filters worth dropping
