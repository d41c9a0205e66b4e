"""INSERT … ON CONFLICT for the engine in use (PostgreSQL or SQLite; both speak it)."""
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db


def insert(target):
    """Return the dialect's INSERT (with on_conflict_do_nothing / _do_update) for a model or table."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(target)
