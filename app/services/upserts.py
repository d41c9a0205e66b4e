"""INSERT … ON CONFLICT for the engine in use (PostgreSQL or SQLite; both speak it), built once per engine."""
import functools
from collections.abc import Callable

from sqlalchemy import Executable
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db


def insert(target, dialect: str):
    """Return the dialect's INSERT (with on_conflict_do_nothing / _do_update) for a model or table."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(target)


def per_dialect(build: Callable[[str], Executable]) -> Callable[[], Executable]:
    """Build a statement once per dialect name, then return it for the engine in use (values bound at execution)."""
    built = functools.cache(build)

    @functools.wraps(build)
    def statement() -> Executable:
        return built(db.session.get_bind().dialect.name)
    return statement
