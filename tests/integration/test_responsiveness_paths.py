"""Responsiveness figures: PostgreSQL computes them in one SQL statement, SQLite in Python; both must agree.

Random requests (categories with and without a target of their own, spam, responses before the clock
start, after now and exactly at the target, requests outside the window and ones closed for another
partner) are stored as deals; the stored figures must equal the pipeline's figures over the same requests,
and on PostgreSQL the SQL path must equal the Python path.
"""
import random
from datetime import datetime, timedelta

import pytest

from app.extensions import db
from app.models import Deal
from app.services import responsiveness
from app.services.intake import submit_request
from pipelines.responsiveness import (
    RequestOutcome,
    RequestState,
    RequestTiming,
    by_category,
    classify,
    figures,
    next_change,
    public_response_time,
)
from pipelines.transitions import CLIENT_CHOSE_OTHER
from tests.builders import make_partner
from tests.stored_responsiveness import engine_paths, stored_on_every_path

CATEGORIES = ("general", "refund", "quote")  # "quote" has no target of its own: the general one applies
LOST_REASONS = (None, None, None, CLIENT_CHOSE_OTHER, "budget")


def first_deal(partner_id: int, now: datetime) -> Deal:
    """Submit one direct request to the partner; return its deal, the template for the random ones."""
    data = {"client": {"name": "Anna", "email": "anna@example.org", "language": "en"},
            "project": {"title": "Newsletter", "description": ""}, "partner_id": partner_id, "category": "general"}
    submit_request(data, now, random.Random(1))
    return db.session.query(Deal).filter_by(partner_id=partner_id).one()


def random_offset(rng: random.Random, hours: float) -> timedelta:
    """Return a random duration up to `hours`: in microseconds, or in whole hours (to hit targets exactly)."""
    if rng.random() < 0.15:
        return timedelta(hours=rng.randint(0, int(hours)))
    return timedelta(microseconds=rng.randint(0, int(hours * 3_600_000_000)))


def random_deal(template: Deal, rng: random.Random, now: datetime) -> Deal:
    """Return a new request of the template's partner with random category, timing, spam mark and loss."""
    started = now - rng.choice((random_offset(rng, 65 * 24), timedelta(days=60), timedelta(hours=24)))
    response = rng.choices((None, started + random_offset(rng, 80), started - random_offset(rng, 5),
                            now + random_offset(rng, 5), now, started + timedelta(hours=rng.choice((24, 48)))),
                           weights=(20, 60, 5, 5, 2, 10))[0]
    return request_deal(template, rng.choice(CATEGORIES), started, response,
                        spam_marked_at=started if rng.random() < 0.05 else None, lost_reason=rng.choice(LOST_REASONS))


def request_deal(template: Deal, category: str, started: datetime, response: datetime | None, **fields) -> Deal:
    """Return a new request of the template's partner, client and lead request, with its own timing."""
    return Deal(partner_id=template.partner_id, pipeline_id=template.pipeline_id, request_id=template.request_id,
                client_id=template.client_id, source="direct", status="new", title="Request", category=category,
                created_at=started, updated_at=started, clock_started_at=started, first_response_at=response,
                **fields)


def expected_outcomes(deals: list[Deal], now: datetime, app) -> list[RequestOutcome]:
    """Return the pipeline's outcomes of the requests the partner is held to (not closed for another partner)."""
    held = [deal for deal in deals if deal.lost_reason != CLIENT_CHOSE_OTHER or deal.first_response_at is not None]
    return [classify(RequestTiming(deal.id, deal.category, deal.clock_started_at, deal.first_response_at,
                                   deal.spam_marked_at is not None),
                     now, app.config["RESPONSIVENESS_WINDOW_DAYS"], app.config["RESPONSE_TARGET_HOURS"])
            for deal in held]


def recent_deal(template: Deal, rng: random.Random, now: datetime) -> Deal:
    """Return a request of the last 20 hours or 10 days, often unanswered: a deadline, not the window, changes first."""
    started = now - random_offset(rng, rng.choice((20, 10 * 24)))
    response = rng.choice((None, None, started + random_offset(rng, 80)))
    return request_deal(template, rng.choice(CATEGORIES), started, response if response and response <= now else None)


def stored_random_deals(seed: int, size: int, now: datetime, make=random_deal) -> list[Deal]:
    """Store a partner's first request and `size` random ones made by `make`; return them all."""
    rng = random.Random(seed)
    template = first_deal(make_partner(now).id, now - timedelta(days=90))
    deals = [template] + [make(template, rng, now) for _ in range(size)]
    db.session.add_all(deals)
    db.session.commit()
    return deals


RANDOM_SETS = [(0, 1), (1, 2), (2, 7), (3, 40), (4, 150), (5, 400)]


@pytest.mark.parametrize(("seed", "size"), RANDOM_SETS)
def test_stored_figures_equal_the_pipelines_on_random_requests(ctx, clock, seed, size):
    now = clock.now
    deals = stored_random_deals(seed, size, now)
    template = deals[0]
    found = expected_outcomes(deals, now, ctx)
    expected = figures(found), by_category(found)
    assert responsiveness.summaries(template.partner_id, now) == expected
    if db.engine.dialect.name == "postgresql":
        assert responsiveness.summaries_in_sql(template.partner_id, now) == expected
        assert responsiveness.summaries_in_python(template.partner_id, now) == expected


@pytest.mark.parametrize(("seed", "size"), RANDOM_SETS)
def test_refresh_stores_the_pipelines_figures_and_next_change_on_every_path(ctx, clock, monkeypatch, seed, size):
    now = clock.now
    deals = stored_random_deals(seed, size, now)
    found = expected_outcomes(deals, now, ctx)
    overall = figures(found)
    expected = (overall.response_rate, public_response_time(overall),
                next_change(found, ctx.config["RESPONSIVENESS_WINDOW_DAYS"]))
    stored = stored_on_every_path(deals[0].partner_id, now, monkeypatch)
    assert stored == dict.fromkeys(engine_paths(), expected)


def test_a_partner_without_requests_has_empty_figures(ctx, clock):
    partner_id = make_partner(clock.now).id
    overall, per_category = responsiveness.summaries(partner_id, clock.now)
    assert (overall.counted_requests, overall.pending, overall.response_rate, overall.median_hours) == (0, 0, None,
                                                                                                         None)
    assert per_category == {}


def test_refresh_of_a_partner_without_requests_stores_no_figures_and_no_next_change(ctx, clock, monkeypatch):
    partner_id = make_partner(clock.now).id
    stored = stored_on_every_path(partner_id, clock.now, monkeypatch)
    assert stored == dict.fromkeys(engine_paths(), (None, None, None))


def test_median_and_p90_take_the_pipelines_positions_in_the_sorted_times(ctx, clock):
    now = clock.now
    template = first_deal(make_partner(now).id, now - timedelta(days=90))
    started = now - timedelta(days=5)
    deals = [request_deal(template, "general", started, started + timedelta(hours=hours)) for hours in range(1, 71)]
    db.session.add_all(deals)
    db.session.commit()
    overall, _ = responsiveness.summaries(template.partner_id, now)
    assert (overall.answered, overall.median_hours, overall.p90_hours) == (70, 35.5, 63.0)


@pytest.mark.parametrize(("seed", "size"), [(6, 10), (7, 60)])
def test_refresh_finds_the_next_deadline_of_recent_unanswered_requests(ctx, clock, monkeypatch, seed, size):
    now = clock.now
    deals = stored_random_deals(seed, size, now, make=recent_deal)
    found = expected_outcomes(deals, now, ctx)
    changes_at = next_change(found, ctx.config["RESPONSIVENESS_WINDOW_DAYS"])
    pending_deadlines = [outcome.respond_by for outcome in found if outcome.state is RequestState.PENDING]
    assert changes_at == min(pending_deadlines) > now  # the case under test: a deadline, not the window's edge
    stored = stored_on_every_path(deals[0].partner_id, now, monkeypatch)
    assert {values[2] for values in stored.values()} == {changes_at}
