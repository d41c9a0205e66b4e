"""Issue 5: GET /me/responsiveness for a partner with 10,000 requests in the window answers in under 50 ms.

Times `responsiveness.report` and `GET /api/v1/me/responsiveness` against a floor on PostgreSQL: one SQL
statement computing, overall and per category (GROUPING SETS), the counted, met, pending and answered
requests, the mean, the median (percentile_cont) and the 90th percentile (percentile_disc, i.e. nearest
rank). On PostgreSQL the service computes its figures in one statement too (`summaries_in_sql`); a second
row times the Python path (`summaries_in_python`, SQLite's, which classifies every request) on the same
data, after checking that both paths give the same figures. On SQLite too, without a floor: SQLite (3.40
here) has no percentile_cont, so no single statement gives the median.

`test_refresh_latency` times `responsiveness.refresh` of the same partner on PostgreSQL through the Python path
(as before: every request fetched and classified) and the SQL path (`standing_in_sql`: overall figures and next
change in one statement), alternated run by run with a floor: one hand-written UPDATE ... FROM (aggregate).

Run: .venv/bin/python -m pytest tests/bench/test_responsiveness_bench.py -s -p no:cacheprovider -o addopts=""
(BENCH_RESPONSIVENESS_REQUESTS / BENCH_RESPONSIVENESS_RUNS scale it; BENCH_RESPONSIVENESS_URL names the
PostgreSQL database, by default bench_responsiveness).
"""
import cProfile
import os
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import text

from app.extensions import db
from app.models import Partner
from app.services import responsiveness
from app.services.tenancy import acting_as
from app.services.tokens import issue_token
from pipelines.transitions import CLIENT_CHOSE_OTHER
from tests.bench import crm_bench
from tests.bench.catalogue_data import NOW
from tests.bench.crm_bench import StatementTimer, ms, print_table, ratio
from tests.bench.crm_data import ResponsivenessPlan, responsiveness_chunks
from tests.bench.timing import WARMUP, Latency, measure, timed

REQUESTS = int(os.environ.get("BENCH_RESPONSIVENESS_REQUESTS", "10000"))
RUNS = int(os.environ.get("BENCH_RESPONSIVENESS_RUNS", "50"))
PROFILE_RUNS = 10
GOAL_MS = 50.0
PARTNER = 1
JUDGED = """
WITH timed AS (
  SELECT category, clock_started_at AS started,
         clock_started_at + ({target}) * interval '1 hour' AS deadline,
         CASE WHEN first_response_at <= :now THEN first_response_at END AS answered_at
  FROM deals
  WHERE partner_id = :partner AND request_id IS NOT NULL AND clock_started_at >= :since
    AND spam_marked_at IS NULL
    AND (lost_reason IS NULL OR lost_reason <> :chose_other OR first_response_at IS NOT NULL)),
judged AS (
  SELECT category, answered_at IS NOT NULL OR deadline <= :now AS counted, answered_at <= deadline AS met,
         CASE WHEN answered_at IS NOT NULL
              THEN greatest(0, extract(epoch FROM answered_at - started) / 3600)::float8 END AS hours,
         CASE WHEN answered_at IS NOT NULL OR deadline <= :now THEN started + :window
              ELSE deadline END AS changes_at
  FROM timed)"""
FLOOR = JUDGED + """
SELECT category, count(*) FILTER (WHERE counted) AS counted, count(*) FILTER (WHERE met) AS met,
       count(*) FILTER (WHERE NOT counted) AS pending, count(hours) AS answered, avg(hours) AS mean,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) AS median,
       percentile_disc(0.9) WITHIN GROUP (ORDER BY hours) AS p90
FROM judged GROUP BY GROUPING SETS ((), (category)) ORDER BY category NULLS FIRST"""
REFRESH_FLOOR = JUDGED + """,
overall AS (
  SELECT count(*) FILTER (WHERE counted) AS counted, count(*) FILTER (WHERE met) AS met, count(hours) AS answered,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) AS median, min(changes_at) AS next_change
  FROM judged)
UPDATE partners SET response_rate = round(met::numeric / nullif(counted, 0), 4),
       response_time_hours = CASE WHEN answered >= 3 THEN round(median::numeric, 2) END,
       responsiveness_due_at = next_change
FROM overall WHERE partners.id = :partner
RETURNING response_rate, response_time_hours, responsiveness_due_at"""
REPORT_PARTS = {  # label: (file, function) whose cumulative time the profile reports
    "responsiveness.report (all)": ("responsiveness.py", "report"),
    "  responsiveness.summaries_in_sql": ("responsiveness.py", "summaries_in_sql"),
    "    responsiveness.judged_requests (building the subquery)": ("responsiveness.py", "judged_requests"),
    "    responsiveness.figures_statement (building the statement)": ("responsiveness.py", "figures_statement"),
    "    Session.execute (the one SELECT)": ("scoping.py", "execute"),
    "    pipelines.responsiveness.summarise (rounding, per row)": ("responsiveness.py", "summarise"),
}
HEADER = ("engine", "path", "service med", "service p95", "HTTP med", "HTTP p95", "floor med", "floor p95", "ratio",
          "HTTP ratio", "goal: HTTP p95 < 50 ms")


def floor_statement(targets: dict[str, float], sql: str = FLOOR):
    """Return a hand-written statement, the targets per category written in as a CASE."""
    cases = " ".join(f"WHEN '{name}' THEN {float(hours)}" for name, hours in targets.items() if name != "general")
    return text(sql.format(target=f"CASE category {cases} ELSE {float(targets['general'])} END"))


def floor_params(app) -> dict:
    """Return the floors' parameters: the partner, now, the window and the reason that lets a request off."""
    window = timedelta(days=app.config["RESPONSIVENESS_WINDOW_DAYS"])
    return {"partner": PARTNER, "now": NOW.replace(tzinfo=None), "chose_other": CLIENT_CHOSE_OTHER,
            "since": (NOW - window).replace(tzinfo=None), "window": window}


def floor_figures(app) -> list:
    """Run the floor on a pooled connection; return its rows (overall first, then per category)."""
    with db.engine.connect() as connection:
        return connection.execute(floor_statement(app.config["RESPONSE_TARGET_HOURS"]), floor_params(app)).all()


def floor_refresh(app):
    """Run the refresh floor (one UPDATE of the partner's stored figures) and roll it back; return what it stored."""
    with db.engine.connect() as connection:
        stored = connection.execute(floor_statement(app.config["RESPONSE_TARGET_HOURS"], REFRESH_FLOOR),
                                    floor_params(app)).one()
        connection.rollback()
    return stored


def service_report() -> dict:
    """Return the service's report, as the partner."""
    with acting_as(PARTNER):
        return responsiveness.report(PARTNER, NOW)


@pytest.fixture(scope="module", params=("postgresql", "sqlite"))
def loaded(request, tmp_path_factory):
    """Return (app, token) over the generated requests, once per engine; the app's clock stands at NOW."""
    url = (crm_bench.postgres_url("BENCH_RESPONSIVENESS_URL", "bench_responsiveness")
           if request.param == "postgresql"
           else crm_bench.sqlite_url(tmp_path_factory.mktemp("responsiveness"), "responsiveness.sqlite3"))
    app = crm_bench.make_app(url, CLOCK=lambda: NOW)
    with app.app_context():
        crm_bench.fresh_schema(db.engine)
        crm_bench.load(db.engine, responsiveness_chunks(ResponsivenessPlan(in_window=REQUESTS, outside=REQUESTS)))
        token = issue_token(PARTNER, NOW)
        db.session.commit()
    yield app, token
    with app.app_context():
        db.engine.dispose()


def check_same(report: dict, floor: list) -> None:
    """Assert the floor's figures equal the service's, overall and per category."""
    views = {None: report} | report["by_category"]
    assert [row.category for row in floor] == list(views)
    for row in floor:
        view = views[row.category]
        assert (view["counted_requests"], view["answered_in_time"], view["pending"], view["answered"]) == (
            row.counted, row.met, row.pending, row.answered)
        assert view["response_rate"] == pytest.approx(row.met / row.counted, abs=1e-4)
        times = view["response_time"]
        assert [times["mean_hours"], times["median_hours"], times["p90_hours"]] == pytest.approx(
            [float(row.mean), row.median, row.p90], abs=0.01)


def test_responsiveness_latency(loaded, monkeypatch):
    """Time the service, the HTTP route and (PostgreSQL) the floor, then on PostgreSQL the Python path too."""
    app, token = loaded
    with app.app_context():
        version = crm_bench.server_version(db.engine)
        report = service_report()
        db.session.remove()
        postgres = version.startswith("postgresql")
        if postgres:
            check_paths_agree(report, floor_figures(app))
        floor = measure(lambda: floor_figures(app), RUNS) if postgres else None
    rows = [time_path(app, token, version, "SQL" if postgres else "Python", floor)]
    if postgres:
        with monkeypatch.context() as patch:
            patch.setattr(responsiveness, "summaries", responsiveness.summaries_in_python)
            rows.append(time_path(app, token, version, "Python (as before)", floor))
    in_window = report["counted_requests"] + report["pending"]
    print_table(f"Responsiveness of a partner with {REQUESTS:,} requests in the window and {REQUESTS:,} before it"
                f" ({in_window:,} counted or pending; spam and requests closed for another partner excluded),"
                f" {RUNS} runs each, {version}", HEADER, rows)
    if postgres:
        print_profile(app)


def check_paths_agree(report: dict, floor: list) -> None:
    """Assert the SQL path equals the Python path exactly, and the floor's figures equal the report's."""
    assert responsiveness.summaries_in_sql(PARTNER, NOW) == responsiveness.summaries_in_python(PARTNER, NOW)
    db.session.remove()
    check_same(report, floor)


def time_path(app, token: str, version: str, path: str, floor) -> tuple:
    """Time the service and GET /api/v1/me/responsiveness as the app stands; return the table line."""
    client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
    with app.app_context():
        service = measure(service_report, RUNS, reset=db.session.remove)
    answer = client.get("/api/v1/me/responsiveness", headers=headers)
    assert answer.status_code == 200
    http = measure(lambda: client.get("/api/v1/me/responsiveness", headers=headers), RUNS)
    return latency_row(version, path, service, http, floor)


def latency_row(version: str, path: str, service, http, floor) -> tuple:
    """Return the table's line (milliseconds); no floor on SQLite."""
    goal = ("met" if http.p95_ms < GOAL_MS else "missed") if floor else ""
    floor_cells = (ms(floor.median_ms), ms(floor.p95_ms), ratio(service.median_ms, floor.median_ms),
                   ratio(http.median_ms, floor.median_ms)) if floor else ("none: no percentile_cont", "", "", "")
    return (version.split()[0], path, ms(service.median_ms), ms(service.p95_ms), ms(http.median_ms),
            ms(http.p95_ms), *floor_cells, goal)


def print_profile(app) -> None:
    """Print where PROFILE_RUNS service calls spend their time: SQL, then Python by function."""
    profiler = cProfile.Profile()
    with app.app_context(), StatementTimer(db.engine) as timer:
        for _ in range(PROFILE_RUNS):
            profiler.runcall(service_report)
            db.session.remove()
    parts = crm_bench.cumulative(profiler, REPORT_PARTS)
    total = parts[0][2]
    print_table(f"responsiveness.report under cProfile, {PROFILE_RUNS} calls, {total / PROFILE_RUNS * 1000:.1f} ms"
                f" each; {timer.statements / PROFILE_RUNS:.0f} SQL statement(s) per call,"
                f" {timer.seconds / PROFILE_RUNS * 1000:.1f} ms inside them", ("function", "calls", "ms per report",
                                                                                "share"),
                [(f"`{label}`", f"{n:,}", f"{s / PROFILE_RUNS * 1000:.1f}", f"{s / total:.0%}")
                 for label, n, s in parts])


REFRESH_HEADER = ("path", "median ms", "p95 ms", "ratio to floor (median)", "speed-up over Python (median)")


def test_refresh_latency(loaded, monkeypatch):
    """Time refresh on PostgreSQL: Python path (before), SQL path (after) and the floor, alternated."""
    app, _ = loaded
    with app.app_context():
        version = crm_bench.server_version(db.engine)
        if not version.startswith("postgresql"):
            pytest.skip("refresh computes in SQL on PostgreSQL only; SQLite keeps the Python path")
        check_refresh_agrees(app, monkeypatch)
        timings = measure_alternated({
            "Python (before): standing_in_python": lambda: refresh_through("standing_in_python", monkeypatch),
            "SQL (after): standing_in_sql": lambda: refresh_through("standing_in_sql", monkeypatch),
            "floor: one hand-written UPDATE ... FROM (aggregate) RETURNING": lambda: floor_refresh(app),
        }, RUNS, db.session.remove)
    before, _, floor = timings.values()
    print_table(f"responsiveness.refresh of a partner with {REQUESTS:,} requests in the window (load the partner,"
                f" compute, flush the UPDATE; rolled back), {RUNS} runs each, alternated, {version}", REFRESH_HEADER,
                [(f"`{path}`", ms(latency.median_ms), ms(latency.p95_ms), ratio(latency.median_ms, floor.median_ms),
                  ratio(before.median_ms, latency.median_ms)) for path, latency in timings.items()])


def refresh_through(path: str, monkeypatch) -> tuple:
    """Refresh partner 1 through `path` (standing_in_sql or standing_in_python), flush; return what it stores."""
    with monkeypatch.context() as patch:
        patch.setattr(responsiveness, "standing", getattr(responsiveness, path))
        partner = db.session.get(Partner, PARTNER)
        responsiveness.refresh(partner, NOW)
        db.session.flush()
    return partner.response_rate, partner.response_time_hours, partner.responsiveness_due_at


def check_refresh_agrees(app, monkeypatch) -> None:
    """Assert both paths store the same figures and next change, and the floor stores them too."""
    in_sql, in_python = (refresh_through(path, monkeypatch) for path in ("standing_in_sql", "standing_in_python"))
    db.session.remove()
    floor = floor_refresh(app)
    assert in_sql == in_python
    assert in_sql[2] is not None and in_sql[2] == floor.responsiveness_due_at.replace(tzinfo=in_sql[2].tzinfo)
    assert in_sql[:2] == pytest.approx((float(floor.response_rate), float(floor.response_time_hours)),
                                        abs=1e-4)


def measure_alternated(calls: dict[str, Callable[[], object]], runs: int, reset) -> dict[str, Latency]:
    """Time the calls in turn, run after run, so that all of them see the same machine load."""
    for _ in range(WARMUP):
        for call in calls.values():
            timed(call, reset)
    seconds: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(runs):
        for name, call in calls.items():
            seconds[name].append(timed(call, reset))
    return {name: Latency.of(found) for name, found in seconds.items()}
