"""Latency of catalogue search and find-a-partner selection against one hand-written SQL statement.

The "floor" of each figure is a single raw SQL statement, on the same engine, returning exactly
the ids the service works from: the same page of search results in the same order, or the same
candidate pool in the order of pick_partners' SQL. The ratio service/floor is what the service
adds on top of that statement (round trips, ORM loading, Python policy, serialisation). Service
and floor are timed in alternation, so that both see the same machine load.

Run: .venv/bin/python -m pytest tests/bench/test_catalogue_latency.py -s -p no:cacheprovider -o addopts=""
(BENCH_PARTNERS, BENCH_RUNS, BENCH_SEED, BENCH_DATABASE_URL: see BENCHMARKS.md).
"""
import random
from dataclasses import dataclass, replace

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.extensions import db
from app.models import Partner
from app.services import catalogue, intake
from matching import SearchFilters
from tests.bench.catalogue_data import NOW
from tests.bench.settings import RUNS, SEED
from tests.bench.timing import Row, measure, measure_pair

PER_PAGE = 20
CASES = {
    "broad": SearchFilters(service="seo"),
    "narrow": SearchFilters(service="social-media", country="DE", language="en", tier="gold"),
    "language": SearchFilters(service="seo", language="es"),
}
SEARCH_ORDER = "p.ranking_score DESC, p.id"
SELECTION_ORDER = "p.ranking_band DESC, p.last_assigned_at ASC NULLS FIRST, p.id"
LANGUAGE_FIRST = "CASE WHEN p.primary_language = :language THEN 0 ELSE 1 END, "
SPEAKS = ("(p.primary_language = :language OR EXISTS (SELECT 1 FROM partner_languages pl"
          " WHERE pl.partner_id = p.id AND pl.language = :language))")
SERVICE = "ps.service_id = (SELECT s.id FROM services s WHERE s.slug = :service)"
FROM_PARTNER_SERVICES = "partner_services ps JOIN partners p ON p.id = ps.partner_id"
FLOOR_FORMS = ("join", "exists")
FLOOR_TRIAL_RUNS = 5
SELECTION_GOAL_MS = 10.0
SELECTION_GOAL_RATIO = 2.0


@dataclass(frozen=True)
class Floor:
    """One hand-written SELECT of the ordered ids of the partners passing the filters (service required)."""

    engine: Engine
    filters: SearchFilters
    order: str
    limit: int
    accepting_only: bool = False
    form: str = "join"

    def statement(self):
        """Return the SQL: driven from partner_services ("join") or from partners ("exists")."""
        source, conditions = FROM_PARTNER_SERVICES, [SERVICE]
        if self.form == "exists":
            source = "partners p"
            conditions = [f"EXISTS (SELECT 1 FROM partner_services ps WHERE ps.partner_id = p.id AND {SERVICE})"]
        conditions += [f"p.{name} = :{name}" for name in ("country", "type", "tier") if getattr(self.filters, name)]
        order = self.order
        if self.filters.language:
            conditions.append(SPEAKS)
            order = LANGUAGE_FIRST + order
        if self.accepting_only:
            conditions.append("p.accepting_requests")
        return text(f"SELECT p.id FROM {source} WHERE {' AND '.join(conditions)} ORDER BY {order} LIMIT :limit")

    def ids(self) -> list[int]:
        """Run the statement on a pooled connection of the app's engine and return the ids."""
        with self.engine.connect() as connection:
            return list(connection.execute(self.statement(), self.filters.given() | {"limit": self.limit}).scalars())


def fastest_floor(floor: Floor) -> Floor:
    """Return the faster of the statement's two forms after a short trial; both must give the same ids."""
    forms = [replace(floor, form=form) for form in FLOOR_FORMS]
    assert len({tuple(form.ids()) for form in forms}) == 1
    return min(forms, key=lambda form: measure(form.ids, FLOOR_TRIAL_RUNS).median_ms)


def search_floor(filters: SearchFilters) -> Floor:
    """Return the fastest floor of the first search page (call inside an app context)."""
    return fastest_floor(Floor(db.engine, filters, SEARCH_ORDER, PER_PAGE))


def search(filters: SearchFilters):
    """Return the first catalogue page, as the API asks for it."""
    return catalogue.search(filters, 1, PER_PAGE)


def pick(filters: SearchFilters):
    """Return pick_partners' choice with a freshly seeded generator."""
    return intake.pick_partners(filters, NOW, random.Random(SEED))


def spied_pool(filters: SearchFilters, monkeypatch) -> tuple[list[int], int]:
    """Run pick_partners once; return the partner ids it read, in order, and how many pages."""
    pages: list[list[int]] = []
    real = intake.candidates

    def spy(partners, *args, **kwargs):
        pages.append([partner.id for partner in partners])
        return real(partners, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(intake, "candidates", spy)
        assert len(pick(filters)) == 3
    return [partner_id for page in pages for partner_id in page], len(pages)


def eligible_count(filters: SearchFilters) -> int:
    """Count the partners passing the filters that accept requests."""
    return catalogue.count(catalogue.filtered(filters).where(Partner.accepting_requests.is_(True)))


def selection_goal(engine: str, service_ms: float, floor_ms: float) -> str:
    """Judge the issue's goal (PostgreSQL only): median within 2x the floor and under 10 ms."""
    if engine != "postgresql":
        return ""
    met = service_ms <= SELECTION_GOAL_RATIO * floor_ms and service_ms < SELECTION_GOAL_MS
    return "met" if met else "missed"


def report(results: list[Row], row: Row) -> None:
    """Keep a result row for the summary table and print it at once."""
    results.append(row)
    print(f"\n{row.engine} {row.operation} {row.case}: median {row.service.median_ms:.2f} ms,"
          f" p95 {row.service.p95_ms:.2f} ms, floor {row.floor.median_ms:.2f} ms, {row.ratio:.1f}x")


@pytest.mark.parametrize("case", CASES)
def test_search_latency(bench_app, results, case):
    """Time catalogue.search against the floor returning the same page of ids in the same order."""
    filters = CASES[case]
    with bench_app.app_context():
        engine = db.engine.dialect.name
        page = search(filters)
        ids, total = [partner.id for partner in page.items], page.total
        db.session.remove()  # end the session's transaction before the floor's (SQLite: BEGIN IMMEDIATE)
        floor = search_floor(filters)
        assert ids and ids == floor.ids()
        service, floor_latency = measure_pair(lambda: search(filters), floor.ids, RUNS, reset=db.session.remove)
    report(results, Row(engine, "search", case, total, len(ids), service, floor_latency, floor.form))


@pytest.mark.parametrize("case", CASES)
def test_search_http_latency(bench_app, results, case):
    """Time GET /api/v1/partners (parsing, search, serialisation) against the same floor."""
    client = bench_app.test_client()
    query = CASES[case].given() | {"per_page": PER_PAGE}
    answer = client.get("/api/v1/partners", query_string=query)
    assert answer.status_code == 200
    ids, total = [item["id"] for item in answer.get_json()["items"]], answer.get_json()["total"]
    with bench_app.app_context():
        engine = db.engine.dialect.name
        floor = search_floor(CASES[case])
    assert ids == floor.ids()
    service, floor_latency = measure_pair(lambda: client.get("/api/v1/partners", query_string=query), floor.ids, RUNS)
    report(results, Row(engine, "search HTTP", case, total, len(ids), service, floor_latency, floor.form))


@pytest.mark.parametrize("case", CASES)
def test_selection_latency(bench_app, results, case, monkeypatch):
    """Time pick_partners against the floor returning its candidate pool in the same order."""
    filters = CASES[case]
    with bench_app.app_context():
        engine = db.engine.dialect.name
        pool, pages = spied_pool(filters, monkeypatch)
        matches = eligible_count(filters)
        db.session.remove()  # end the session's transaction before the floor's (SQLite: BEGIN IMMEDIATE)
        floor = fastest_floor(Floor(db.engine, filters, SELECTION_ORDER, pages * intake.POOL_SIZE, True))
        assert floor.ids() == pool
        service, floor_latency = measure_pair(lambda: pick(filters), floor.ids, RUNS, reset=db.session.remove)
    goal = selection_goal(engine, service.median_ms, floor_latency.median_ms)
    report(results, Row(engine, "selection", case, matches, len(pool), service, floor_latency, floor.form, goal))
