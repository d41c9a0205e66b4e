"""Issue 4: the follow-up sweep and outbox delivery on PostgreSQL, against hand-written SQL floors.

Goal: a sweep over 1,000,000 deals of which 10,000 are due claims and enqueues them in under 10 s, and its
cost grows with the number due, not the total. The floor claims the due requests with one
`UPDATE … RETURNING id` and writes one email per request with one `INSERT … SELECT` into the outbox;
"floor+alt" is the same INSERT also choosing three alternative partners per request in SQL (LATERAL).
Delivery: 4 threads running `deliver_pending` against a local aiosmtpd, against smtplib sending the
same messages over one connection per thread.

Run: .venv/bin/python -m pytest tests/bench/test_sweep_bench.py -s -p no:cacheprovider -o addopts=""
(BENCH_SWEEP_DEALS scales the history down, e.g. 100000; BENCH_SWEEP_URL names another database).
"""
import cProfile
import os
import random
import smtplib
import threading
import time
from collections import Counter
from dataclasses import dataclass
from statistics import median

import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import OutboxMessage
from app.services import follow_ups
from app.services.delivery import deliver_pending
from notifications.message import EmailMessage
from notifications.rendering import render_email
from tests.bench import crm_bench
from tests.bench.catalogue_data import GENERATOR_VERSION, NOW
from tests.bench.crm_bench import StatementTimer, print_table, quiet_mail, ratio
from tests.bench.crm_data import DOWNTIME, SweepPlan, sweep_chunks

TOTAL = int(os.environ.get("BENCH_SWEEP_DEALS", "1000000"))
DUE = int(os.environ.get("BENCH_SWEEP_DUE", str(max(100, TOTAL // 100))))
EMAILS = int(os.environ.get("BENCH_SWEEP_EMAILS", "5000"))
SWEEP_RUNS = int(os.environ.get("BENCH_SWEEP_RUNS", "1"))
FLOOR_RUNS = 3
PROFILE_DUE = max(100, DUE // 10)
PROFILE_ROUNDS = 3
WHAT_IF = "what-if: offer_alternatives loads its 3 partners in one query"
WORKERS = 4
GOAL_SECONDS = 10.0
SEED = 1
DATA_VERSION = 2  # bump whenever crm_data's sweep rows change, to reload the cached history
SENDER = "no-reply@localhost"

DUE_IDS = text("SELECT id FROM lead_requests WHERE follow_up_due_at > :since AND follow_up_due_at <= :now"
               " ORDER BY follow_up_due_at, id")  # the requests generated due, whatever a past run left
CLAIM = text("""
UPDATE lead_requests SET follow_up_done_at = :now, follow_up_outcome = 'sent'
WHERE follow_up_done_at IS NULL AND follow_up_due_at <= :now
RETURNING id""")
EMAIL_COLUMNS = "INSERT INTO outbox (channel, dedupe_key, payload, status, attempts, next_attempt_at, created_at)"
ENQUEUE = text(EMAIL_COLUMNS + """
SELECT 'email', 'follow-up:' || r.id, json_build_object(
  'to', c.email, 'subject', 'Other partners for "' || r.title || '"', 'template', 'follow_up_alternatives',
  'text', 'Hello ' || c.name || ', your request "' || r.title || '" has not had an answer yet.',
  'html', '<p>Hello ' || c.name || ', your request "' || r.title || '" has not had an answer yet.</p>'),
  'pending', 0, :now, :now
FROM lead_requests r JOIN clients c ON c.id = r.client_id
WHERE r.id = ANY(:ids)""")
ENQUEUE_WITH_ALTERNATIVES = text(EMAIL_COLUMNS + """
SELECT 'email', 'follow-up:' || r.id, json_build_object(
  'to', c.email, 'subject', 'Other partners for "' || r.title || '"', 'template', 'follow_up_alternatives',
  'text', 'Hello ' || c.name || ', these partners also fit: ' || coalesce(alt.names, ''),
  'html', '<p>Hello ' || c.name || ', these partners also fit: ' || coalesce(alt.names, '') || '</p>',
  'partners', alt.ids),
  'pending', 0, :now, :now
FROM lead_requests r JOIN clients c ON c.id = r.client_id JOIN partners d ON d.id = r.direct_partner_id
CROSS JOIN LATERAL (
  SELECT string_agg(p.name, ', ') AS names, json_agg(p.id) AS ids FROM (
    SELECT p.id, p.name FROM partners p
    WHERE p.accepting_requests AND p.id <> d.id AND p.country = d.country
      AND (p.primary_language = d.primary_language OR EXISTS (
        SELECT 1 FROM partner_languages pl WHERE pl.partner_id = p.id AND pl.language = d.primary_language))
      AND EXISTS (SELECT 1 FROM partner_services ps JOIN partner_services ds ON ds.service_id = ps.service_id
                  WHERE ps.partner_id = p.id AND ds.partner_id = d.id)
    ORDER BY p.primary_language = d.primary_language DESC, p.ranking_band DESC,
             p.last_assigned_at ASC NULLS FIRST, p.id
    LIMIT 3) p) alt
WHERE r.id = ANY(:ids)""")


class SweepDatabase:
    """The bench_sweep database: which history is loaded (named in a table comment), and its due requests."""

    def __init__(self, app):
        self.app, self.due_ids = app, []

    def history(self, total: int) -> None:
        """Load a history of `total` requests (DUE of them due) unless the database holds it already."""
        plan = SweepPlan(total=total, due=DUE, seed=SEED)
        identity = (f"crm_data {DATA_VERSION} catalogue_data {GENERATOR_VERSION} {plan}"
                    f" head {crm_bench.migrations_head()}")
        with self.app.app_context():
            if loaded_identity() != identity:
                load_history(plan, identity)
            self.due_ids = list(db.session.execute(DUE_IDS, {"now": naive(NOW), "since": naive(NOW - DOWNTIME)})
                                .scalars())
            db.session.remove()
        assert len(self.due_ids) == DUE

    def due(self, number: int) -> None:
        """Make exactly `number` of the due requests undecided (the rest decided), with an empty outbox."""
        keep, decided = self.due_ids[:number], self.due_ids[number:]
        with self.app.app_context():
            with db.engine.begin() as connection:
                connection.execute(text("UPDATE lead_requests SET follow_up_done_at = NULL, follow_up_outcome = NULL,"
                                        " alternatives = '[]' WHERE id = ANY(:ids)"), {"ids": keep})
                connection.execute(text("UPDATE lead_requests SET follow_up_done_at = follow_up_due_at,"
                                        " follow_up_outcome = 'answered' WHERE id = ANY(:ids)"), {"ids": decided})
                connection.execute(text("DELETE FROM outbox"))
            crm_bench.analyze(db.engine, "lead_requests", "outbox")

    def outbox_count(self) -> int:
        """Count the outbox rows."""
        with self.app.app_context():
            return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def loaded_identity() -> str | None:
    """Return the comment naming the loaded history, None when there is none."""
    with db.engine.connect() as connection:
        return connection.execute(text("SELECT obj_description(to_regclass('lead_requests'), 'pg_class')")).scalar()


def load_history(plan: SweepPlan, identity: str) -> None:
    """Migrate a fresh schema, bulk-load the history and name it in a comment on lead_requests."""
    started = time.perf_counter()
    crm_bench.fresh_schema(db.engine)
    counts = crm_bench.load(db.engine, sweep_chunks(plan))
    with db.engine.begin() as connection:
        connection.exec_driver_sql(f"COMMENT ON TABLE lead_requests IS '{identity}'")
    print(f"\nloaded {dict(counts)} in {time.perf_counter() - started:.0f} s", flush=True)


def naive(moment):
    """Return a UTC moment as the naive value stored in the database."""
    return moment.replace(tzinfo=None)


@pytest.fixture(scope="module")
def database() -> SweepDatabase:
    """Return the benchmark database (loaded on first use)."""
    app = crm_bench.make_app(crm_bench.postgres_url("BENCH_SWEEP_URL", "bench_sweep"))
    yield SweepDatabase(app)
    with app.app_context():
        db.engine.dispose()


@dataclass(frozen=True)
class SweepRun:
    """One timed sweep: seconds, outcomes, SQL statements and the time spent inside them."""

    seconds: float
    cpu_seconds: float  # of this (the app's) process: less disturbed than wall time by other load on the machine
    outcomes: Counter
    statements: int
    sql_seconds: float


def run_sweep(database: SweepDatabase, due: int) -> SweepRun:
    """Time one follow_ups.sweep over `due` due requests."""
    database.due(due)
    with database.app.app_context(), quiet_mail(), StatementTimer(db.engine) as timer:
        started, cpu = time.perf_counter(), time.process_time()
        outcomes = follow_ups.sweep(NOW, random.Random(SEED))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        db.session.remove()
    assert sum(outcomes.values()) == due and database.outbox_count() == outcomes["sent"]
    return SweepRun(seconds, cpu, outcomes, timer.statements, timer.seconds)


def run_floor(database: SweepDatabase, due: int, enqueue) -> float:
    """Time the floor (claim, then one INSERT … SELECT) over `due` due requests; return seconds."""
    database.due(due)
    with database.app.app_context():
        started = time.perf_counter()
        with db.engine.begin() as connection:
            ids = list(connection.execute(CLAIM, {"now": naive(NOW)}).scalars())
            connection.execute(enqueue, {"now": naive(NOW), "ids": ids})
        seconds = time.perf_counter() - started
    assert len(ids) == due and database.outbox_count() == due
    return seconds


SWEEP_PARTS = {  # label: (file, function) whose cumulative time the profile reports
    "follow_ups.sweep (all)": ("follow_ups.py", "sweep"),
    "claim_due": ("follow_ups.py", "claim_due"),
    "intake.request_deals (1 query per request)": ("intake.py", "request_deals"),
    "follow_ups.alternatives": ("follow_ups.py", "alternatives"),
    "  intake.pick_from": ("intake.py", "pick_from"),
    "    intake.candidates": ("intake.py", "candidates"),
    "      Partner.secondary_languages (lazy unless preloaded)": ("partner.py", "secondary_languages"),
    "      intake.recent_catalogue_deals": ("intake.py", "recent_catalogue_deals"),
    "    matching.select_partners": ("selection.py", "select_partners"),
    "follow_ups.offer_alternatives": ("follow_ups.py", "offer_alternatives"),
    "  Session.get (partner by id: the direct one, then each pick)": ("session.py", "get"),
    "  links.client_link (signing)": ("links.py", "client_link"),
    "  rendering.render_email (3 templates)": ("rendering.py", "render_email"),
    "  outbox.add_once (insert unless the key exists)": ("outbox.py", "add_once"),
    "commit (batches, and savepoint releases)": ("session.py", "commit"),
    "(across all of the above) ORM: turning rows into objects": ("loading.py", "instances"),
    "(across all of the above) Core: compiling statements (cached)": ("elements.py", "_compile_w_cache"),
}


def batched_picks(monkeypatch) -> None:
    """What-if: load the three offered partners with one query before offer_alternatives fetches them one by one
    (Session.get finds them in the identity map while this wrapper holds them)."""
    from app.models import Partner

    real = follow_ups.offer_alternatives

    def offer_alternatives(request, partner_ids, now):
        _held = db.session.scalars(select(Partner).where(Partner.id.in_(partner_ids))).all()  # alive for the call
        real(request, partner_ids, now)

    monkeypatch.setattr(follow_ups, "offer_alternatives", offer_alternatives)


def test_sweep_profile(database, monkeypatch):
    """Where a sweep of PROFILE_DUE due requests spends its time: SQL statements, Python, and one what-if fix."""
    database.history(TOTAL)
    runs: dict[str, list[SweepRun]] = {"as is": [], WHAT_IF: []}
    for _ in range(PROFILE_ROUNDS):  # alternate, so that other load on the machine hits both alike
        runs["as is"].append(run_sweep(database, PROFILE_DUE))
        with monkeypatch.context() as patch:
            batched_picks(patch)
            runs[WHAT_IF].append(run_sweep(database, PROFILE_DUE))
    print_table(f"Sweep of {PROFILE_DUE:,} due in {TOTAL:,} requests: as is, and with one what-if fix (median of"
                f" {PROFILE_ROUNDS} alternating runs)", ("variant", "seconds", "ms/due", "app CPU s", "SQL stmts",
                                                           "stmts/due", "in SQL s"),
                [profile_row(name, middle(found)) for name, found in runs.items()])
    profiler, timer, seconds = profiled_sweep(database)
    print_table(f"Sweep of {PROFILE_DUE:,} due under cProfile ({seconds:.2f} s): statements by shape,"
                f" {timer.statements:,} in all, {timer.seconds:.2f} s inside them",
                ("statement", "runs", "per due", "s", "share of SQL"),
                [(f"`{shape}`", f"{n:,}", f"{n / PROFILE_DUE:.1f}", f"{s:.2f}", f"{s / timer.seconds:.0%}")
                 for shape, n, s in timer.top()])
    print_table("Same run: cumulative time by function (nested parts indented)", ("function", "calls", "s", "share"),
                [(f"`{label}`", f"{n:,}", f"{s:.2f}", f"{s / seconds:.0%}")
                 for label, n, s in crm_bench.cumulative(profiler, SWEEP_PARTS)])


def middle(runs: list[SweepRun]) -> SweepRun:
    """Return the run of median wall time."""
    return sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]


def profile_row(name: str, run: SweepRun) -> tuple:
    """Return one line of the what-if table."""
    return (name, f"{run.seconds:.2f}", f"{1000 * run.seconds / PROFILE_DUE:.2f}", f"{run.cpu_seconds:.2f}",
            f"{run.statements:,}", f"{run.statements / PROFILE_DUE:.1f}", f"{run.sql_seconds:.2f}")


def profiled_sweep(database: SweepDatabase) -> tuple[cProfile.Profile, StatementTimer, float]:
    """Run one sweep over PROFILE_DUE due requests under cProfile and a statement timer."""
    database.due(PROFILE_DUE)
    profiler = cProfile.Profile()
    with database.app.app_context(), quiet_mail(), StatementTimer(db.engine) as timer:
        started = time.perf_counter()
        profiler.runcall(follow_ups.sweep, NOW, random.Random(SEED))
        seconds = time.perf_counter() - started
        db.session.remove()
    return profiler, timer, seconds


# --- delivery ------------------------------------------------------------------------------------------------


def queue_emails(database: SweepDatabase, number: int) -> None:
    """Replace the outbox with `number` pending, rendered follow-up emails."""
    with database.app.app_context():
        rows = [email_row(i) for i in range(1, number + 1)]
        with db.engine.begin() as connection:
            connection.execute(text("DELETE FROM outbox"))
            connection.execute(OutboxMessage.__table__.insert(), rows)
        crm_bench.analyze(db.engine, "outbox")


def email_row(i: int) -> dict:
    """Return one pending outbox row: a follow-up email as the sweep renders it."""
    rendered = render_email("follow_up_alternatives", "en", {
        "client_name": f"Client {i}", "project_title": f"Project {i}", "client_link": f"http://bench/client/{i}",
        "partners": [{"name": f"Partner {i + k}", "profile_url": f"http://bench/partners/{i + k}"} for k in range(3)]})
    payload = {"to": f"client{i}@bench.example", "subject": rendered.subject, "text": rendered.text,
               "html": rendered.html, "template": "follow_up_alternatives"}
    return {"channel": "email", "dedupe_key": f"follow-up:{i}", "payload": payload, "partner_id": None,
            "status": "pending", "attempts": 0, "next_attempt_at": NOW, "created_at": NOW}


def in_threads(work, count: int) -> float:
    """Run work(n) in `count` threads started together; return the wall seconds until all finish."""
    barrier = threading.Barrier(count + 1)

    def worker(n):
        barrier.wait()
        work(n)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def deliver_with_app(app, reports: list) -> float:
    """Drain the outbox with WORKERS threads running deliver_pending; return seconds."""
    def work(n):
        with app.app_context():
            reports.append(deliver_pending(NOW, f"bench-{n}", random.Random(n)))
            db.session.remove()

    with quiet_mail():
        return in_threads(work, WORKERS)


def messages(database: SweepDatabase) -> list[EmailMessage]:
    """Return the outbox's emails as the dispatcher builds them."""
    with database.app.app_context():
        rows = db.session.execute(select(OutboxMessage.dedupe_key, OutboxMessage.payload)
                                  .order_by(OutboxMessage.id)).all()
    return [EmailMessage(to=p["to"], sender=SENDER, subject=p["subject"], text=p["text"], html=p["html"],
                         idempotency_key=key, date=NOW) for key, p in rows]


def smtplib_send(port: int, emails: list[EmailMessage], reuse: bool) -> float:
    """Send every email from WORKERS threads with smtplib (one connection per thread, or per message)."""
    def work(n):
        share = emails[n::WORKERS]
        client = smtplib.SMTP("127.0.0.1", port) if reuse else None
        for message in share:
            connection = client or smtplib.SMTP("127.0.0.1", port)
            connection.sendmail(SENDER, [message.to], message.to_mime().as_bytes())
            if not reuse:
                connection.quit()
        if client:
            client.quit()

    return in_threads(work, WORKERS)


DELIVERY_PARTS = {  # label: (file, function) whose cumulative time the profile reports
    "deliver_pending (all)": ("delivery.py", "deliver_pending"),
    "SqlOutboxStore.claim (per batch of 100)": ("delivery.py", "claim"),
    "SqlOutboxStore.mark_sending (UPDATE + COMMIT)": ("delivery.py", "mark_sending"),
    "SmtpTransport.send": ("transports.py", "send"),
    "  SmtpTransport._connect (a new connection)": ("transports.py", "_connect"),
    "    ssl.create_default_context (loads the CA store)": ("ssl.py", "create_default_context"),
    "  SmtpTransport._open_envelope (EHLO, MAIL, RCPT)": ("transports.py", "_open_envelope"),
    "  transports._transmit (MIME + DATA)": ("transports.py", "_transmit"),
    "  transports._hang_up (QUIT)": ("transports.py", "_hang_up"),
    "SqlOutboxStore.mark_sent (UPDATE + COMMIT)": ("delivery.py", "mark_sent"),
}
PROFILE_EMAILS = 500


def cached_tls_context(monkeypatch) -> None:
    """What-if: build the TLS context once instead of once per message (SmtpTransport._connect)."""
    import functools
    import ssl

    monkeypatch.setattr(ssl, "create_default_context", functools.cache(ssl.create_default_context))


def test_delivery_throughput(database, monkeypatch):
    """Messages per second: deliver_pending in WORKERS threads against smtplib on one connection per thread."""
    database.history(TOTAL)
    queue_emails(database, EMAILS)
    emails = messages(database)
    with crm_bench.smtp_sink() as port:
        app = crm_bench.make_app(database.app.config["SQLALCHEMY_DATABASE_URI"], MAIL_URL=f"smtp://127.0.0.1:{port}",
                                 MAIL_FROM=SENDER)
        service = timed_delivery(database, app)
        floor = smtplib_send(port, emails, reuse=True)
        per_message = smtplib_send(port, emails, reuse=False)
        with monkeypatch.context() as patch:
            cached_tls_context(patch)
            what_if = timed_delivery(database, app)
        profiler, seconds = profiled_delivery(database, app)
        with app.app_context():
            db.engine.dispose()
    rows = [("deliver_pending (app)", service), ("floor: smtplib, one connection per worker", floor),
            ("smtplib, one connection per message", per_message),
            ("what-if: deliver_pending with the TLS context built once", what_if)]
    print_table(f"Outbox delivery of {EMAILS:,} emails, {WORKERS} worker threads, aiosmtpd on loopback",
                ("sender", "seconds", "messages/s", "time vs floor"),
                [(name, f"{s:.2f}", f"{EMAILS / s:,.0f}", ratio(s, floor)) for name, s in rows])
    print_table(f"deliver_pending of {PROFILE_EMAILS} emails in one thread under cProfile ({seconds:.2f} s)",
                ("function", "calls", "s", "share"), [(f"`{label}`", f"{n:,}", f"{s:.2f}", f"{s / seconds:.0%}")
                                                     for label, n, s in crm_bench.cumulative(profiler, DELIVERY_PARTS)])


def timed_delivery(database: SweepDatabase, app) -> float:
    """Queue EMAILS emails, drain them with WORKERS threads, check every one was sent once; return seconds."""
    queue_emails(database, EMAILS)
    reports: list = []
    seconds = deliver_with_app(app, reports)
    with app.app_context():
        sent = db.session.scalar(select(func.count()).where(OutboxMessage.status == "sent"))
        db.session.remove()
    assert sent == EMAILS == sum(report.sent for report in reports)
    return seconds


def profiled_delivery(database: SweepDatabase, app) -> tuple[cProfile.Profile, float]:
    """Drain PROFILE_EMAILS emails in one thread under cProfile."""
    queue_emails(database, PROFILE_EMAILS)
    profiler = cProfile.Profile()
    with app.app_context(), quiet_mail():
        started = time.perf_counter()
        profiler.runcall(deliver_pending, NOW, "bench-profile", random.Random(0))
        seconds = time.perf_counter() - started
        db.session.remove()
    return profiler, seconds


# --- the sweep against its floor (last: its smaller history replaces the full one) ---------------------------


def test_sweep_cost_follows_due(database):
    """Sweep (a) the full history with DUE due, (b) a tenth of the history, and a tenth of the due requests."""
    cases = [("a: goal", TOTAL, DUE), ("b: 1/10 due", TOTAL, DUE // 10), ("b: 1/10 history", TOTAL // 10, DUE)]
    rows = []
    for name, total, due in cases:
        database.history(total)
        floor = median(run_floor(database, due, ENQUEUE) for _ in range(FLOOR_RUNS))
        floor_alt = median(run_floor(database, due, ENQUEUE_WITH_ALTERNATIVES) for _ in range(FLOOR_RUNS))
        run = middle([run_sweep(database, due) for _ in range(SWEEP_RUNS)])
        rows.append(sweep_row(name, total, due, run, floor, floor_alt))
        print(f"\n{name}: {rows[-1]}", flush=True)
    with database.app.app_context():
        version = crm_bench.server_version(db.engine)
    print_table(f"Follow-up sweep, {version}, sweep median of {SWEEP_RUNS}, floors median of {FLOOR_RUNS}", (
        "case", "requests", "due", "sweep s", "ms/due", "app CPU s", "outcomes", "SQL stmts", "stmts/due", "in SQL s",
        "floor s", "ratio", "floor+alt s", "ratio alt", "goal <10 s"), rows)


def sweep_row(name: str, total: int, due: int, run: SweepRun, floor: float, floor_alt: float) -> tuple:
    """Return one line of the sweep table."""
    goal = ("met" if run.seconds < GOAL_SECONDS else "missed") if name.startswith("a") else ""
    if goal and (total, due) != (1_000_000, 10_000):
        goal = "n/a (scaled down)"
    outcomes = ", ".join(f"{key} {value}" for key, value in sorted(run.outcomes.items()))
    return (name, f"{total:,}", f"{due:,}", f"{run.seconds:.2f}", f"{1000 * run.seconds / due:.2f}",
            f"{run.cpu_seconds:.2f}", outcomes,
            f"{run.statements:,}", f"{run.statements / due:.1f}", f"{run.sql_seconds:.2f}", f"{floor:.3f}",
            ratio(run.seconds, floor), f"{floor_alt:.3f}", ratio(run.seconds, floor_alt), goal)
