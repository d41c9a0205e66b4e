"""Shared fixtures: every database test runs on SQLite and on PostgreSQL (TEST_DATABASE_URL)."""
import os
from datetime import UTC, datetime

import pytest

ENGINES = ("sqlite", "postgresql")
ADMIN_TOKEN = "admin-test-token"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = START):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        """Move time forward and return the new now."""
        from datetime import timedelta

        self.now += timedelta(**delta)
        return self.now


def postgres_available(url: str) -> bool:
    """Tell whether the PostgreSQL at url answers."""
    import sqlalchemy

    try:
        with sqlalchemy.create_engine(url).connect():
            return True
    except Exception:  # noqa: BLE001 - any failure means "not available"
        return False


def postgres_url_or_skip() -> str:
    """Return TEST_DATABASE_URL, skipping locally (failing in CI) when PostgreSQL is missing."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if url and postgres_available(url):
        return url
    if os.environ.get("CI") == "true":
        pytest.fail("PostgreSQL is required in CI: set TEST_DATABASE_URL to a reachable database.")
    pytest.skip("PostgreSQL not available (set TEST_DATABASE_URL)")


@pytest.fixture(scope="session", params=ENGINES)
def database_url(request, tmp_path_factory) -> str:
    """Yield a fresh database URL per engine."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.sqlite3'}"
    return postgres_url_or_skip()


def base_config(database_url: str) -> dict:
    """Return the settings every test app uses."""
    return {
        "SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "SECRET_KEY": "test-secret",
        "ADMIN_TOKEN": ADMIN_TOKEN, "MAIL_URL": "console://", "WEBHOOK_ALLOW_PRIVATE": True,
        "RATELIMIT_ENABLED": False, "PUBLIC_BASE_URL": "http://leads.test", "RANDOM_SEED": 1,
    }


@pytest.fixture(scope="session")
def app(database_url):
    """Build one app per engine with a freshly migrated schema."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app import create_app
    from app.extensions import db

    application = create_app(base_config(database_url))
    with application.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
    return application


def wipe(db) -> None:
    """Delete every row, keeping the schema."""
    from sqlalchemy import text

    tables = [table.name for table in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for name in tables:
            db.session.execute(text(f"DELETE FROM {name}"))
    db.session.commit()


@pytest.fixture
def clock() -> FakeClock:
    """Return a hand-moved clock starting at START."""
    return FakeClock()


@pytest.fixture
def ctx(app, clock):
    """Push an app context with the fake clock; wipe the database afterwards."""
    from app.extensions import db

    app.config["CLOCK"] = clock
    with app.app_context():
        yield app
        db.session.rollback()
        wipe(db)
        db.session.remove()


def isolated_client_class():
    """Return a test client that runs each request in its own app context and session."""
    import contextvars

    from flask.testing import FlaskClient

    from app.extensions import db

    class IsolatedClient(FlaskClient):
        """Run requests outside the test's app context, as a real server would."""

        def open(self, *args, **kwargs):
            response = contextvars.Context().run(super().open, *args, **kwargs)
            db.session.commit()  # end the test's snapshot so it sees what the request wrote
            return response

    return IsolatedClient


@pytest.fixture
def client(ctx):
    """Return a test client for the app under the fake clock."""
    ctx.test_client_class = isolated_client_class()
    return ctx.test_client()


@pytest.fixture
def admin_headers() -> dict:
    """Return the admin's Authorization header."""
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
