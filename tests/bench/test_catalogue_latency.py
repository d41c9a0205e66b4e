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
from app.services import catalogue, catalogue_counts, intake
from matching import LanguageMatch, SearchFilters
from tests.bench.catalogue_data import NOW
from tests.bench.settings import RUNS, SEED
from tests.bench.timing import Row, measure, measure_pair

PER_PAGE = 20
CASES = {
    "broad": SearchFilters(service="seo"),
    "narrow": SearchFilters(service="social-media", country="DE", language="en", tier="gold"),
    "language": SearchFilters(service="seo", language="es"),
}
SEARCH_ORDER = ("ranking_score DESC", "id")
SELECTION_ORDER = ("ranking_band DESC", "last_assigned_at ASC NULLS FIRST", "id")
LANGUAGE_FIRST = "CASE WHEN p.primary_language = :language THEN 0 ELSE 1 END"
SPEAKS = ("(p.primary_language = :language OR EXISTS (SELECT 1 FROM partner_languages pl"
          " WHERE pl.partner_id = p.id AND pl.language = :language))")
SPEAKS_AS_SECONDARY = ("p.primary_language <> :language AND EXISTS (SELECT 1 FROM partner_languages pl"
                       " WHERE pl.partner_id = p.id AND pl.language = :language)")
SERVICE = "ps.service_id = (SELECT s.id FROM services s WHERE s.slug = :service)"
FROM_PARTNER_SERVICES = "partner_services ps JOIN partners p ON p.id = ps.partner_id"
FLOOR_FORMS = ("join", "exists")
FLOOR_TRIAL_RUNS = 5
SELECTION_GOAL_MS = 10.0
SELECTION_GOAL_RATIO = 2.0


@dataclass(frozen=True)
class Floor:
    """One hand-written SELECT of the ordered ids of the partners passing the filters (service required).

    With `group_limits` (selection with a language): primary speakers, then secondary speakers, each
    group limited on its own; otherwise one ordered list (the language group first) of `limit` ids.
    """

    engine: Engine
    filters: SearchFilters
    order: tuple[str, ...]
    limit: int = 0
    group_limits: tuple[int, int] | None = None
    accepting_only: bool = False
    form: str = "join"

    def source(self) -> tuple[str, list[str]]:
        """Return the FROM clause and the conditions of every filter but the language."""
        if self.form == "exists":
            conditions = [f"EXISTS (SELECT 1 FROM partner_services ps WHERE ps.partner_id = p.id AND {SERVICE})"]
            source = "partners p"
        else:
            source, conditions = FROM_PARTNER_SERVICES, [SERVICE]
        conditions += [f"p.{name} = :{name}" for name in ("country", "type", "tier") if getattr(self.filters, name)]
        return source, conditions + (["p.accepting_requests"] if self.accepting_only else [])

    def statement(self):
        """Return the SQL: driven from partner_services ("join") or from partners ("exists")."""
        source, conditions = self.source()
        if self.group_limits:
            return text(self.grouped(source, conditions))
        order = ", ".join(f"p.{key}" for key in self.order)
        if self.filters.language:
            conditions, order = [*conditions, SPEAKS], f"{LANGUAGE_FIRST}, {order}"
        return text(f"SELECT p.id FROM {source} WHERE {' AND '.join(conditions)} ORDER BY {order} LIMIT :limit")

    def grouped(self, source: str, conditions: list[str]) -> str:
        """Return primary speakers then secondary speakers, each group ordered and limited on its own."""
        columns = ", ".join(f"p.{key.split()[0]}" for key in self.order if key != "id")
        groups = [
            f"SELECT * FROM (SELECT {number} AS language_group, p.id, {columns} FROM {source}"
            f" WHERE {' AND '.join([*conditions, speaks])} ORDER BY {', '.join(f'p.{key}' for key in self.order)}"
            f" LIMIT :limit{number}) AS group{number}"
            for number, speaks in enumerate(("p.primary_language = :language", SPEAKS_AS_SECONDARY))
            if self.group_limits[number]  # a group the service never read is left out
        ]
        return (f"SELECT id FROM ({' UNION ALL '.join(groups)}) AS pool"
                f" ORDER BY language_group, {', '.join(self.order)}")

    def ids(self) -> list[int]:
        """Run the statement on a pooled connection of the app's engine and return the ids."""
        limits = dict(enumerate(self.group_limits or ()))
        params = self.filters.given() | {"limit": self.limit} | {f"limit{n}": limit for n, limit in limits.items()}
        with self.engine.connect() as connection:
            return list(connection.execute(self.statement(), params).scalars())


def fastest_floor(floor: Floor) -> Floor:
    """Return the faster of the statement's two forms after a short trial; both must give the same ids."""
    forms = [replace(floor, form=form) for form in FLOOR_FORMS]
    assert len({tuple(form.ids()) for form in forms}) == 1
    return min(forms, key=lambda form: measure(form.ids, FLOOR_TRIAL_RUNS).median_ms)


def search_floor(filters: SearchFilters) -> Floor:
    """Return the fastest floor of the first search page (call inside an app context)."""
    return fastest_floor(Floor(db.engine, filters, SEARCH_ORDER, limit=PER_PAGE))


def recount() -> None:
    """End the session and give the catalogue a new token (untimed), so that the next search counts again."""
    db.session.remove()
    catalogue_counts.note_change()
    db.session.commit()


def search(filters: SearchFilters):
    """Return the first catalogue page, as the API asks for it."""
    return catalogue.search(filters, 1, PER_PAGE)


def pick(filters: SearchFilters):
    """Return pick_partners' choice with a freshly seeded generator."""
    return intake.pick_partners(filters, NOW, random.Random(SEED))


def spied_pool(filters: SearchFilters, monkeypatch) -> list[tuple[int, bool]]:
    """Run pick_partners once; return the partners it read, in order, as (id, speaks the language natively)."""
    read: list[tuple[int, bool]] = []
    real = intake.pool_page

    def spy(*args, **kwargs):
        page = real(*args, **kwargs)
        read.extend((candidate.partner_id, candidate.language_match == LanguageMatch.PRIMARY) for candidate in page)
        return page

    with monkeypatch.context() as patch:
        patch.setattr(intake, "pool_page", spy)
        assert len(pick(filters)) == 3
    return read


def selection_floor(filters: SearchFilters, pool: list[tuple[int, bool]]) -> Floor:
    """Return the fastest floor reading the same pool: per language group when a language is given."""
    floor = Floor(db.engine, filters, SELECTION_ORDER, limit=len(pool), accepting_only=True)
    if filters.language:
        primary = sum(native for _, native in pool)
        floor = replace(floor, group_limits=(primary, len(pool) - primary))
    return fastest_floor(floor)


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
        service, floor_latency = measure_pair(lambda: search(filters), floor.ids, RUNS, reset=recount)
        repeated, floor_again = measure_pair(lambda: search(filters), floor.ids, RUNS, reset=db.session.remove)
    report(results, Row(engine, "search", case, total, len(ids), service, floor_latency, floor.form))
    report(results, Row(engine, "search, count reused", case, total, len(ids), repeated, floor_again, floor.form))


def recount_in(app) -> None:
    """Recount (see `recount`) in the app's context."""
    with app.app_context():
        recount()


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
    service, floor_latency = measure_pair(lambda: client.get("/api/v1/partners", query_string=query), floor.ids, RUNS,
                                          reset=lambda: recount_in(bench_app))
    report(results, Row(engine, "search HTTP", case, total, len(ids), service, floor_latency, floor.form))


@pytest.mark.parametrize("case", CASES)
def test_selection_latency(bench_app, results, case, monkeypatch):
    """Time pick_partners against the floor returning its candidate pool in the same order."""
    filters = CASES[case]
    with bench_app.app_context():
        engine = db.engine.dialect.name
        pool = spied_pool(filters, monkeypatch)
        matches = eligible_count(filters)
        db.session.remove()  # end the session's transaction before the floor's (SQLite: BEGIN IMMEDIATE)
        floor = selection_floor(filters, pool)
        assert floor.ids() == [partner_id for partner_id, _ in pool]
        service, floor_latency = measure_pair(lambda: pick(filters), floor.ids, RUNS, reset=db.session.remove)
    goal = selection_goal(engine, service.median_ms, floor_latency.median_ms)
    report(results, Row(engine, "selection", case, matches, len(pool), service, floor_latency, floor.form, goal))
