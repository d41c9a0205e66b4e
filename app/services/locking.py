"""Transactions that read and then write under concurrency (sweeps in several processes)."""
from app.extensions import db


def begin_writing() -> None:
    """Start the session's next transaction holding SQLite's write lock (no effect on PostgreSQL).

    A deferred SQLite transaction that reads, then writes after another process wrote, fails with
    "database is locked"; one that takes the lock first simply waits its turn (busy timeout).
    """
    db.session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
