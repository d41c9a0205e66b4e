"""Readiness checks: the database, the migrations, the outbox."""
from datetime import datetime, timedelta

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import Config
from sqlalchemy import func, select

from app.extensions import db
from app.models import OutboxMessage
from app.models.outbox import PENDING


def readiness(now: datetime, stuck_after: timedelta, migrations_dir: str) -> dict[str, dict]:
    """Run every check; each says ok and why."""
    try:
        database = {"ok": True}
        migrations = migrations_check(migrations_dir)
        outbox = outbox_check(now, stuck_after)
    except Exception as error:  # noqa: BLE001 - any database failure means not ready
        db.session.rollback()
        failed = {"ok": False, "error": type(error).__name__}
        return {"database": failed, "migrations": failed, "outbox": failed}
    return {"database": database, "migrations": migrations, "outbox": outbox}


def migrations_check(migrations_dir: str) -> dict:
    """Compare the database's Alembic revision with the code's head."""
    config = Config()
    config.set_main_option("script_location", migrations_dir)
    head = ScriptDirectory.from_config(config).get_current_head()
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return {"ok": current == head, "current": current, "head": head}


def outbox_check(now: datetime, stuck_after: timedelta) -> dict:
    """Say how old the oldest pending notification is; too old means delivery is stuck."""
    oldest = db.session.scalar(select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.status == PENDING))
    age = None if oldest is None else max(0.0, (now - oldest).total_seconds())
    return {"ok": age is None or age <= stuck_after.total_seconds(), "oldest_pending_seconds": age}


def outbox_counts() -> dict[str, int]:
    """Count outbox rows by status."""
    rows = db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    return {status: count for status, count in rows}
