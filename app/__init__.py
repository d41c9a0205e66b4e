"""Application factory: config → extensions → blueprints → error handlers → CLI."""
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import configure_mappers
from werkzeug.middleware.proxy_fix import ProxyFix

from app.clock import system_now
from app.config import load_settings
from app.extensions import PLAN_FOR_VALUES, db, migrate

MAX_BODY_BYTES = 64 * 1024
POSTGRES_SESSION = "-c random_page_cost=1.1"  # the catalogue is read from memory: a random read costs about as
# much as a sequential one, so that walking a selection index in order wins over sorting a bitmap scan


def create_app(config: dict | None = None) -> Flask:
    """Build the Flask app; `config` overrides settings from the environment."""
    app = Flask(__name__)
    app.config.update(load_settings(app.instance_path))
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY_BYTES, CLOCK=system_now, SQLALCHEMY_ENGINE_OPTIONS={})
    app.config.update(config or {})
    configure_database(app)
    db.init_app(app)
    with app.app_context():
        tune_engine(db.engine)
    migrate.init_app(app, db, directory=str(migrations_directory()))
    from app.api import init_api
    from app.cli import register_commands
    from app.observability import init_observability
    from app.services.tenancy import install_tenancy
    from app.web import init_web

    install_tenancy()
    init_observability(app)
    init_api(app)
    init_web(app)
    register_commands(app)
    configure_mappers()  # now, not at the first query: services.rows builds instances without their constructor
    if app.config["PROXY_FIX_X_FOR"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1, x_host=1)
    return app


def migrations_directory() -> Path:
    """Return the Alembic folder shipped beside the package."""
    return Path(__file__).resolve().parent.parent / "migrations"


def configure_database(app: Flask) -> None:
    """Normalise the database URL; tune SQLite (WAL, busy timeout, foreign keys) and PostgreSQL's planner."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("connect_args", {"timeout": 30})
    if url.startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("connect_args", {"options": POSTGRES_SESSION})


def tune_engine(engine: Engine) -> None:
    """Install the connection tuning of the engine's database."""
    if engine.dialect.name == "sqlite" and not event.contains(engine, "connect", tune_sqlite):
        event.listen(engine, "connect", tune_sqlite)
        event.listen(engine, "begin", begin_sqlite)
    if engine.dialect.name == "postgresql" and not event.contains(engine, "do_execute", execute_unprepared):
        event.listen(engine, "do_execute", execute_unprepared)
        engine.dialect.use_insertmanyvalues_wo_returning = True  # as with psycopg2: many rows, one INSERT


def execute_unprepared(cursor, statement, parameters, context) -> bool:
    """Send statements marked PLAN_FOR_VALUES unprepared: a generic plan of a catalogue filter can be 40x slower."""
    if not context.execution_options.get(PLAN_FOR_VALUES):
        return False
    cursor.execute(statement, parameters, prepare=False)
    return True


def tune_sqlite(dbapi_connection, connection_record):
    """Turn on WAL, a busy timeout and foreign keys for SQLite connections."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON", "synchronous=NORMAL"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def begin_sqlite(connection):
    """Start SQLite transactions explicitly, so that SAVEPOINT works; IMMEDIATE when asked (see services.locking)."""
    connection.exec_driver_sql(f"BEGIN {connection.get_execution_options().get('sqlite_begin', '')}".strip())
