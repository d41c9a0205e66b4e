"""Benchmark fixtures: one app per engine over the generated catalogue, and the results table."""
import logging
import os

import pytest
from sqlalchemy.engine import make_url

from tests.bench import catalogue_data, load
from tests.bench.crm_bench import skip_unless_reachable
from tests.bench.settings import CACHE_DIR, PARTNERS, POSTGRES_URL, RUNS, SEED
from tests.bench.timing import Row, table

RESULTS = pytest.StashKey[list[Row]]()
ENGINES = pytest.StashKey[dict[str, str]]()


def make_app(url: str):
    """Return the application over a database URL."""
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})


def quiet_logs() -> None:
    """Send the app's log lines to /dev/null: still formatted (their cost is part of a request), never printed."""
    sink = open(os.devnull, "w")  # kept open for the life of the process
    for handler in logging.getLogger().handlers:
        if type(handler) is logging.StreamHandler:  # the app's own handler, not pytest's capturing ones
            handler.setStream(sink)


def build(url: str) -> None:
    """Migrate a fresh schema at url and bulk-load the generated catalogue into it."""
    from flask_migrate import upgrade

    from app.extensions import db

    app = make_app(url)
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        if postgres:
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade()
        with db.engine.begin() as connection:
            catalogue_data.load(connection, catalogue_data.generate(SEED, PARTNERS))
        if postgres:
            vacuum_analyze(db.engine)
        db.engine.dispose()


def vacuum_analyze(engine) -> None:
    """Gather planner statistics and set the visibility map, as autovacuum would on a live database."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")


def migrations_head() -> str:
    """Return the head revision of the app's migrations."""
    from alembic.script import ScriptDirectory

    from app import migrations_directory

    return "-".join(ScriptDirectory(str(migrations_directory())).get_heads())


def sqlite_url() -> str:
    """Return the URL of the SQLite catalogue cached for this data and schema, building it when missing."""
    prefix = f"catalogue-v{catalogue_data.GENERATOR_VERSION}-{migrations_head()}-"
    path = CACHE_DIR / f"{prefix}seed{SEED}-{PARTNERS}.sqlite3"
    if not path.exists():
        CACHE_DIR.mkdir(exist_ok=True)
        for stale in CACHE_DIR.glob("catalogue-*"):
            if not stale.name.startswith(prefix) or stale.suffix != ".sqlite3":
                stale.unlink()
        partial = path.with_suffix(".partial")
        build(f"sqlite:///{partial}")
        partial.replace(path)
    return f"sqlite:///{path}"


def postgres_url() -> str:
    """Return the benchmark PostgreSQL URL after rebuilding its catalogue; skip when unreachable."""
    url = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    if make_url(url).database == "test":
        pytest.fail("BENCH_DATABASE_URL must not name the test suite's database 'test'.")
    skip_unless_reachable(url)
    build(url)
    return url


@pytest.fixture
def load_server() -> None:
    """Skip the test unless the PostgreSQL server of load.py's databases answers."""
    skip_unless_reachable(load.SERVER + "postgres")


@pytest.fixture(scope="session", params=("sqlite", "postgresql"))
def bench_app(request, pytestconfig):
    """Return an app over the generated catalogue, once per engine (no app context pushed)."""
    from app.extensions import db

    app = make_app(sqlite_url() if request.param == "sqlite" else postgres_url())
    quiet_logs()
    with app.app_context():
        with db.engine.connect() as connection:
            version = connection.dialect.server_version_info
        pytestconfig.stash.setdefault(ENGINES, {})[request.param] = ".".join(map(str, version))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def results(pytestconfig) -> list[Row]:
    """Return the session's list of result rows, printed at the end of the run."""
    return pytestconfig.stash.setdefault(RESULTS, [])


def pytest_terminal_summary(terminalreporter, config):
    """Print the results table."""
    rows = config.stash.get(RESULTS, [])
    if not rows:
        return
    engines = ", ".join(f"{name} {version}" for name, version in config.stash.get(ENGINES, {}).items())
    terminalreporter.section("catalogue benchmark")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    terminalreporter.write_line(f"{PARTNERS:,} partners, seed {SEED}, {RUNS} timed runs per figure; {engines};"
                                f" load average {load} (1, 5, 15 min) at the end")
    terminalreporter.write_line(table(rows))
