"""Shared machinery of the CRM benchmarks: apps over dedicated databases, bulk loading, SQL counting, tables."""
import logging
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy import event, insert
from sqlalchemy.engine import Connection, Engine, make_url

from tests.bench.catalogue_data import reset_sequences

FORBIDDEN_DATABASES = frozenset({"test", "lead_dev", "web_dev", "bench"})
CHUNK = 5_000
POSTGRES_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/"


def postgres_url(variable: str, database: str) -> str:
    """Return the PostgreSQL URL of a benchmark (env `variable`, else `database` locally); skip when unreachable."""
    url = os.environ.get(variable, POSTGRES_BASE + database).replace("postgresql://", "postgresql+psycopg://", 1)
    if make_url(url).database in FORBIDDEN_DATABASES:
        pytest.fail(f"{variable} must name a database of its own, not {make_url(url).database!r}.")
    skip_unless_reachable(url)
    return url


def skip_unless_reachable(url: str) -> None:
    """Skip the calling test when the database at url does not answer."""
    try:
        with sqlalchemy.create_engine(url).connect():
            pass
    except Exception as error:  # noqa: BLE001 - any failure means "not available"
        pytest.skip(f"PostgreSQL not reachable at {url}: {error.__class__.__name__}")


def sqlite_url(directory: Path, name: str) -> str:
    """Return the URL of a fresh SQLite file in directory."""
    return f"sqlite:///{directory / name}"


def make_app(url: str, **config):
    """Return the application over a database URL, as the benchmarks configure it."""
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False,
                       "MAIL_URL": "console://", "WEBHOOK_ALLOW_PRIVATE": True, **config})


def fresh_schema(engine: Engine) -> None:
    """Empty the database and run the migrations (inside an app context)."""
    from flask_migrate import upgrade

    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    upgrade()


def insert_rows(connection: Connection, name: str, rows: list[dict]) -> None:
    """Bulk-insert rows into a table with Core executemany, CHUNK at a time."""
    from app.extensions import db

    for start in range(0, len(rows), CHUNK):
        connection.execute(insert(db.metadata.tables[name]), rows[start:start + CHUNK])


def load(engine: Engine, chunks: Iterable[dict[str, list[dict]]]) -> Counter:
    """Insert chunks of rows (table name -> rows, in order) in one transaction, then analyse; count rows."""
    counts: Counter = Counter()
    with engine.begin() as connection:
        for chunk in chunks:
            for name, rows in chunk.items():
                insert_rows(connection, name, rows)
                counts[name] += len(rows)
        if engine.dialect.name == "postgresql":
            reset_sequences(connection, [name for name, count in counts.items() if count and has_id(name)])
    analyze(engine)
    return counts


def has_id(name: str) -> bool:
    """Tell whether a table has an integer id column."""
    from app.extensions import db

    return "id" in db.metadata.tables[name].c


def analyze(engine: Engine, *tables: str) -> None:
    """Refresh planner statistics (VACUUM ANALYZE on PostgreSQL, ANALYZE on SQLite)."""
    command = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if not tables or engine.dialect.name == "sqlite":
            connection.exec_driver_sql(command)
        for table in tables if engine.dialect.name == "postgresql" else ():
            connection.exec_driver_sql(f"{command} {table}")


def server_version(engine: Engine) -> str:
    """Return the engine's name and server version, e.g. 'postgresql 15.20'."""
    with engine.connect() as connection:
        version = connection.dialect.server_version_info
    return f"{engine.dialect.name} {'.'.join(map(str, version))}"


@contextmanager
def quiet_mail() -> Iterator[None]:
    """Silence the console mail transport's per-message log lines while timing."""
    logger = logging.getLogger("notifications")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


class StatementTimer:
    """Count the SQL statements an engine runs and the wall time inside them, in total and per statement shape."""

    def __init__(self, engine: Engine):
        self.engine, self.statements, self.seconds = engine, 0, 0.0
        self.shapes: dict[str, list] = {}

    def before(self, conn, cursor, statement, parameters, context, executemany):
        """Note when a statement starts."""
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def after(self, conn, cursor, statement, parameters, context, executemany):
        """Count a finished statement and its time."""
        elapsed = time.perf_counter() - conn.info["bench_started"].pop()
        self.statements += 1
        self.seconds += elapsed
        shape = self.shapes.setdefault(fingerprint(statement), [0, 0.0])
        shape[0] += 1
        shape[1] += elapsed

    def top(self, count: int = 12) -> list[tuple[str, int, float]]:
        """Return the statement shapes that took longest: (shape, executions, seconds)."""
        ranked = sorted(self.shapes.items(), key=lambda item: -item[1][1])[:count]
        return [(shape, number, seconds) for shape, (number, seconds) in ranked]

    def __enter__(self) -> "StatementTimer":
        event.listen(self.engine, "before_cursor_execute", self.before)
        event.listen(self.engine, "after_cursor_execute", self.after)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self.before)
        event.remove(self.engine, "after_cursor_execute", self.after)


def fingerprint(statement: str, width: int = 110) -> str:
    """Return a statement's first `width` characters on one line, its selected columns elided."""
    line = " ".join(statement.split())
    if line.startswith("SELECT ") and " FROM " in line:
        line = "SELECT … FROM " + line.split(" FROM ", 1)[1]
    return line[:width]


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Return rows as an aligned Markdown table."""
    lines = [tuple(map(str, header)), *(tuple(map(str, row)) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = ["| " + " | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)) + " |"
            for line in lines]
    text.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(text)


def print_table(title: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Print a titled Markdown table, and how busy the machine was (other processes distort timings)."""
    print(f"\n\n### {title}\n\n{markdown_table(header, rows)}\n\n({machine_load()})\n", flush=True)


def machine_load() -> str:
    """Return the load averages against the number of CPUs, e.g. 'load average 0.9 / 1.1 / 1.0 on 2 CPUs'."""
    loads = " / ".join(f"{load:.1f}" for load in os.getloadavg())
    return f"load average {loads} (1, 5, 15 min) on {os.cpu_count()} CPUs at {time.strftime('%H:%M:%S')}"


def migrations_head() -> str:
    """Return the head revision of the app's migrations (part of a cached database's identity)."""
    from alembic.script import ScriptDirectory

    from app import migrations_directory

    return "-".join(ScriptDirectory(str(migrations_directory())).get_heads())


def ms(value: float) -> str:
    """Format milliseconds."""
    return f"{value:.2f}"


def ratio(service: float, floor: float) -> str:
    """Format service / floor."""
    return f"{service / floor:.1f}x" if floor else "-"


def free_port() -> int:
    """Return a TCP port on the loopback that is free right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_sink() -> Iterator[int]:
    """Run aiosmtpd (accept and discard) in a process of its own; yield its port."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                               "-c", "aiosmtpd.handlers.Sink"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def wait_for_port(port: int, seconds: float = 10) -> None:
    """Wait until something listens on a loopback port."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def cumulative(profiler, targets: dict[str, tuple[str, str]]) -> list[tuple[str, int, float]]:
    """Return (label, calls, cumulative seconds) of profiled functions named by (file suffix, function name)."""
    import pstats

    stats = pstats.Stats(profiler).stats
    found = []
    for label, (suffix, name) in targets.items():
        hits = [(calls, seconds) for (path, _, function), (_, calls, _, seconds, _) in stats.items()
                if path.endswith(suffix) and function == name]
        found.append((label, sum(calls for calls, _ in hits), max((seconds for _, seconds in hits), default=0.0)))
    return found


def measure_budget(call, runs: int, budget: float, reset=lambda: None, first: float | None = None):
    """Time like timing.measure, but with fewer runs (at least the first call) when they would exceed `budget` s.

    `first` is the duration of a call already made (a cold one); it becomes the only sample when one call
    alone takes longer than the budget.
    """
    from tests.bench.timing import WARMUP, Latency, measure

    if first is None:
        first = timed(call, reset)
    if first * (runs + WARMUP) <= budget:
        return measure(call, runs, reset)
    samples = [first] + [timed(call, reset) for _ in range(int(budget / first) - 1)]
    if len(samples) == 1:
        return Latency(first * 1000, first * 1000, 1)
    return Latency.of(samples)


def timed(call, reset=lambda: None) -> float:
    """Return the seconds one call takes (reset runs after, untimed)."""
    started = time.perf_counter()
    call()
    seconds = time.perf_counter() - started
    reset()
    return seconds
