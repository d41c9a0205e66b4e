"""Transactions that read and then write under concurrency (sweeps in several processes)."""
from app.extensions import db


def begin_writing() -> None:
    """Commit what is open, then start a transaction holding SQLite's write lock (no effect on PostgreSQL).

    A deferred SQLite transaction that reads, then writes after another process wrote, fails with
    "database is locked"; one that takes the lock first simply waits its turn (busy timeout).
    """
    if db.session().in_transaction():
        db.session.commit()
    db.session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
